//! INTERVAL as PostgreSQL reads, prints and computes it (`braid_engine::Interval`: months,
//! days and microseconds apart).
//!
//! Input: `'1 year 2 mons 3 days 04:05:06.5'`, any of PostgreSQL's unit words (singular,
//! plural, abbreviated: `2 hours`, `3 mins`, `1 d`), fractions that spill into the smaller
//! parts as PostgreSQL spills them (`1.5 days` is `1 day 12:00:00`, `1.5 months` is
//! `1 mon 15 days`), `ago`, a bare number as seconds, SQL's year-month `1-2`, and ISO 8601
//! (`P1Y2M3DT4H5M6S`); field qualifiers in `super::interval_fields`. Output
//! is PostgreSQL's default `IntervalStyle = postgres`: `1 year 2 mons 3 days 04:05:06.5`,
//! `-1 days`, `00:00:00` for zero.
//!
//! Arithmetic follows PostgreSQL: a timestamp plus an interval adds the months on the
//! calendar (the day clamped to the month's length: January 31 + 1 month is February 29 in
//! a leap year), then the days, then the microseconds; a timestamp minus a timestamp is days
//! and a time under 24 hours; an interval times a number spills fractions into the smaller
//! parts. Days are added in UTC, where a day is always 24 hours (PostgreSQL adds a
//! `timestamptz`'s days in the session's time zone, keeping the local time across a
//! daylight-saving change).

use braid_engine::Interval;

use super::datetime::{MICROS_PER_DAY, civil_from_days, days_from_civil, days_in_month};
use crate::error::{DataError, Error, Result};

const MICROS_PER_HOUR: i64 = 3_600_000_000;
const MICROS_PER_MINUTE: i64 = 60_000_000;
const MICROS_PER_SECOND: i64 = 1_000_000;

fn syntax(text: &str) -> Error {
    Error::data(DataError::InvalidDatetimeFormat, format!("invalid input syntax for type interval: \"{text}\""))
}

fn out_of_range() -> Error {
    Error::data(DataError::DatetimeFieldOverflow, "interval out of range")
}

/// A running sum of an interval's parts, with fractions spilled into the smaller ones.
#[derive(Default)]
struct Sum {
    months: f64,
    days: f64,
    micros: f64,
}

impl Sum {
    /// Adds `n` of a unit that is `months` months, `days` days or `micros` microseconds.
    fn add(&mut self, n: f64, unit: Unit) {
        match unit {
            // A fraction of a year (or decade, century…) is rounded to whole months;
            // a fraction of a month spills into days of 30 (PostgreSQL 15's rules).
            Unit::Months(m) if m >= 12.0 => self.months += (n * m).round(),
            Unit::Months(m) => {
                let whole = (n * m).trunc();
                self.months += whole;
                self.add((n * m - whole) * 30.0, Unit::Days(1.0));
            }
            Unit::Days(d) => {
                let n = n * d;
                let whole = n.trunc();
                self.days += whole;
                self.micros += (n - whole) * MICROS_PER_DAY as f64;
            }
            Unit::Micros(us) => self.micros += n * us as f64,
        }
    }

    fn finish(self) -> Result<Interval> {
        let fits = |x: f64, max: f64| x.abs() <= max;
        if !fits(self.months, i32::MAX as f64) || !fits(self.days, i32::MAX as f64) || !fits(self.micros, 9.2e18) {
            return Err(out_of_range());
        }
        Ok(Interval::new(self.months as i32, self.days as i32, self.micros.round() as i64))
    }
}

/// A unit of interval input: so many months, days (7 for a week) or microseconds.
#[derive(Clone, Copy)]
enum Unit {
    Months(f64),
    Days(f64),
    Micros(i64),
}

/// The unit a word names, PostgreSQL's spellings.
fn unit(word: &str) -> Option<Unit> {
    Some(match word.to_ascii_lowercase().as_str() {
        "microsecond" | "microseconds" | "us" | "usec" | "usecs" | "useconds" => Unit::Micros(1),
        "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" | "mseconds" => Unit::Micros(1_000),
        "second" | "seconds" | "s" | "sec" | "secs" => Unit::Micros(MICROS_PER_SECOND),
        "minute" | "minutes" | "m" | "min" | "mins" => Unit::Micros(MICROS_PER_MINUTE),
        "hour" | "hours" | "h" | "hr" | "hrs" => Unit::Micros(MICROS_PER_HOUR),
        "day" | "days" | "d" => Unit::Days(1.0),
        "week" | "weeks" | "w" => Unit::Days(7.0),
        "month" | "months" | "mon" | "mons" => Unit::Months(1.0),
        "year" | "years" | "y" | "yr" | "yrs" => Unit::Months(12.0),
        "decade" | "decades" => Unit::Months(120.0),
        "century" | "centuries" => Unit::Months(1200.0),
        "millennium" | "millennia" | "millenniums" => Unit::Months(12_000.0),
        _ => return None,
    })
}

/// Interval text as PostgreSQL reads it (see the module doc).
pub fn parse(text: &str) -> Result<Interval> {
    let t = text.trim();
    if let Some(iso) = t.strip_prefix(['P', 'p']) {
        return parse_iso(iso).ok_or_else(|| syntax(text));
    }
    let t = t.strip_prefix('@').unwrap_or(t).trim();
    let (t, ago) = match t.len().checked_sub(3).filter(|&at| t.is_char_boundary(at)) {
        Some(at) if t[at..].eq_ignore_ascii_case("ago") => (t[..at].trim_end(), true),
        _ => (t, false),
    };
    let mut sum = Sum::default();
    let mut words = t.split_whitespace().peekable();
    let mut any = false;
    while let Some(word) = words.next() {
        any = true;
        if let Some(months) = year_month(word) {
            sum.add(months, Unit::Months(1.0));
            continue;
        }
        if word.contains(':') {
            let negative = word.starts_with('-');
            let micros = time_of(word.trim_start_matches(['+', '-'])).ok_or_else(|| syntax(text))?;
            sum.add(if negative { -(micros as f64) } else { micros as f64 }, Unit::Micros(1));
            continue;
        }
        // A number glued to its unit (`10d`) or apart (`10 days`); a bare number is seconds.
        let split = word.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(word.len());
        let (number, glued) = word.split_at(split);
        let n: f64 = number.parse().map_err(|_| syntax(text))?;
        if !n.is_finite() {
            return Err(syntax(text));
        }
        // A bare number before a time of day is days (`1 01:00:00`); otherwise seconds.
        let unit_word = if !glued.is_empty() {
            glued
        } else {
            match words.peek() {
                Some(w) if unit(w).is_some() => words.next().expect("peeked"),
                Some(w) if w.contains(':') => "days",
                _ => "seconds",
            }
        };
        sum.add(n, unit(unit_word).ok_or_else(|| syntax(text))?);
    }
    if !any {
        return Err(syntax(text));
    }
    let i = sum.finish()?;
    Ok(if ago { negate(&i)? } else { i })
}

/// SQL's year-month form, `Y-M` (`1-2` is 1 year 2 months; a leading `-` negates both), as
/// months.
fn year_month(word: &str) -> Option<f64> {
    let (negative, body) = word.strip_prefix('-').map_or((false, word), |b| (true, b));
    let (y, m) = body.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.len() <= 9 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(y) || !digits(m) {
        return None;
    }
    let months = y.parse::<f64>().ok()? * 12.0 + m.parse::<f64>().ok()?;
    Some(if negative { -months } else { months })
}

/// `H:M[:S[.f]]` (hours may pass 24) as microseconds.
fn time_of(text: &str) -> Option<i64> {
    let mut parts = text.split(':');
    let h: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let s: f64 = match parts.next() {
        Some(s) => s.parse().ok()?,
        None => 0.0,
    };
    if parts.next().is_some() || !(0..60).contains(&m) || !(0.0..60.0).contains(&s) || h < 0 {
        return None;
    }
    h.checked_mul(MICROS_PER_HOUR)?.checked_add(m * MICROS_PER_MINUTE)?.checked_add((s * 1e6).round() as i64)
}

/// ISO 8601 after the `P`: `1Y2M3DT4H5M6S`, `2W`.
fn parse_iso(text: &str) -> Option<Interval> {
    let mut sum = Sum::default();
    let mut in_time = false;
    let mut number = String::new();
    for c in text.chars() {
        match c {
            'T' | 't' if number.is_empty() => in_time = true,
            '0'..='9' | '.' | '-' | '+' => number.push(c),
            _ => {
                let n: f64 = number.parse().ok()?;
                number.clear();
                match (in_time, c.to_ascii_uppercase()) {
                    (false, 'Y') => sum.add(n, Unit::Months(12.0)),
                    (false, 'M') => sum.add(n, Unit::Months(1.0)),
                    (false, 'W') => sum.add(n, Unit::Days(7.0)),
                    (false, 'D') => sum.add(n, Unit::Days(1.0)),
                    (true, 'H') => sum.add(n, Unit::Micros(MICROS_PER_HOUR)),
                    (true, 'M') => sum.add(n, Unit::Micros(MICROS_PER_MINUTE)),
                    (true, 'S') => sum.add(n, Unit::Micros(MICROS_PER_SECOND)),
                    _ => return None,
                }
            }
        }
    }
    if !number.is_empty() {
        return None;
    }
    sum.finish().ok()
}

/// The interval as PostgreSQL prints it (`IntervalStyle = postgres`): a positive part after
/// a negative one carries its `+` (`-1 days +01:00:00`).
pub fn format(i: &Interval) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut negative_before = false;
    let (years, months) = (i.months / 12, i.months % 12);
    let mut part = |n: i64, one: &str, many: &str| {
        let sign = if n > 0 && negative_before { "+" } else { "" };
        parts.push(format!("{sign}{n} {}", if n == 1 { one } else { many }));
        negative_before = n < 0;
    };
    if years != 0 {
        part(years.into(), "year", "years");
    }
    if months != 0 {
        part(months.into(), "mon", "mons");
    }
    if i.days != 0 {
        part(i.days.into(), "day", "days");
    }
    if i.micros != 0 || parts.is_empty() {
        let sign = if i.micros < 0 {
            "-"
        } else if negative_before {
            "+"
        } else {
            ""
        };
        let us = i.micros.unsigned_abs();
        let (h, rest) = (us / MICROS_PER_HOUR as u64, us % MICROS_PER_HOUR as u64);
        let (m, rest) = (rest / MICROS_PER_MINUTE as u64, rest % MICROS_PER_MINUTE as u64);
        let (s, frac) = (rest / MICROS_PER_SECOND as u64, rest % MICROS_PER_SECOND as u64);
        let mut time = format!("{sign}{h:02}:{m:02}:{s:02}");
        if frac != 0 {
            time.push_str(format!(".{frac:06}").trim_end_matches('0'));
        }
        parts.push(time);
    }
    parts.join(" ")
}

/// Writes `i` in PostgreSQL's binary `interval` form (through `put`): microseconds, days,
/// months, big-endian.
pub fn write_binary(i: &Interval, mut put: impl FnMut(&[u8])) {
    put(&i.micros.to_be_bytes());
    put(&i.days.to_be_bytes());
    put(&i.months.to_be_bytes());
}

/// An interval from PostgreSQL's binary form; `None` unless it is 16 bytes.
pub fn read_binary(bytes: &[u8]) -> Option<Interval> {
    let bytes: &[u8; 16] = bytes.try_into().ok()?;
    let word = |at: usize| i32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let micros = i64::from_be_bytes(bytes[..8].try_into().ok()?);
    Some(Interval::new(word(12), word(8), micros))
}

/// `-i`; 22008 when a part is the one value whose negation does not fit.
pub fn negate(i: &Interval) -> Result<Interval> {
    Ok(Interval::new(
        i.months.checked_neg().ok_or_else(out_of_range)?,
        i.days.checked_neg().ok_or_else(out_of_range)?,
        i.micros.checked_neg().ok_or_else(out_of_range)?,
    ))
}

/// `a + b`, part by part.
pub fn add(a: &Interval, b: &Interval) -> Result<Interval> {
    Ok(Interval::new(
        a.months.checked_add(b.months).ok_or_else(out_of_range)?,
        a.days.checked_add(b.days).ok_or_else(out_of_range)?,
        a.micros.checked_add(b.micros).ok_or_else(out_of_range)?,
    ))
}

/// `i * factor`: fractions of months spill into days and fractions of days into time.
pub fn scale(i: &Interval, factor: f64) -> Result<Interval> {
    if !factor.is_finite() {
        return Err(out_of_range());
    }
    let mut sum = Sum::default();
    sum.add(f64::from(i.months) * factor, Unit::Months(1.0));
    sum.add(f64::from(i.days) * factor, Unit::Days(1.0));
    sum.add(i.micros as f64 * factor, Unit::Micros(1));
    sum.finish()
}

/// A moment (microseconds since the epoch, UTC) plus an interval: months on the calendar
/// with the day clamped, then days, then microseconds.
pub fn add_to_timestamp(at: i64, i: &Interval) -> Result<i64> {
    let mut at = at;
    if i.months != 0 {
        let (days, time) = (at.div_euclid(MICROS_PER_DAY), at.rem_euclid(MICROS_PER_DAY));
        let (y, m, d) = civil_from_days(days);
        let total = y * 12 + i64::from(m) - 1 + i64::from(i.months);
        let (y, m) = (total.div_euclid(12), total.rem_euclid(12) as u32 + 1);
        let d = d.min(days_in_month(y, m));
        at = days_from_civil(y, m, d)
            .checked_mul(MICROS_PER_DAY)
            .and_then(|t| t.checked_add(time))
            .ok_or_else(ts_range)?;
    }
    at.checked_add(i64::from(i.days).checked_mul(MICROS_PER_DAY).ok_or_else(ts_range)?)
        .and_then(|t| t.checked_add(i.micros))
        .ok_or_else(ts_range)
}

fn ts_range() -> Error {
    Error::data(DataError::DatetimeFieldOverflow, "timestamp out of range")
}

/// `a - b` of two moments: whole days, then the rest under 24 hours (PostgreSQL's
/// `timestamp_mi`, justified to hours).
pub fn between(a: i64, b: i64) -> Result<Interval> {
    let diff = a.checked_sub(b).ok_or_else(out_of_range)?;
    let days = i32::try_from(diff / MICROS_PER_DAY).map_err(|_| out_of_range())?;
    Ok(Interval::new(0, days, diff % MICROS_PER_DAY))
}

/// `age(a, b)`: the difference in years, months and days on the calendar, as PostgreSQL
/// counts it (borrowing a month's days from `b`'s month).
pub fn age(a: i64, b: i64) -> Result<Interval> {
    if a < b {
        return negate(&age(b, a)?);
    }
    let (da, ta) = (a.div_euclid(MICROS_PER_DAY), a.rem_euclid(MICROS_PER_DAY));
    let (db, tb) = (b.div_euclid(MICROS_PER_DAY), b.rem_euclid(MICROS_PER_DAY));
    let ((ya, ma, dya), (yb, mb, dyb)) = (civil_from_days(da), civil_from_days(db));
    let mut micros = ta - tb;
    let mut days = i64::from(dya) - i64::from(dyb);
    let mut months = (ya - yb) * 12 + i64::from(ma) - i64::from(mb);
    if micros < 0 {
        micros += MICROS_PER_DAY;
        days -= 1;
    }
    if days < 0 {
        // Borrowed: the days of `b`'s month (PostgreSQL's `timestamp_age`).
        days += i64::from(days_in_month(yb, mb));
        months -= 1;
    }
    Ok(Interval::new(i32::try_from(months).map_err(|_| out_of_range())?, days as i32, micros))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::datetime::parse_timestamp;

    fn round_trip(text: &str) -> String {
        format(&parse(text).unwrap())
    }

    #[test]
    fn text_reads_and_prints_as_postgresql() {
        for (text, out) in [
            ("1 day", "1 day"),
            ("2 days", "2 days"),
            ("-1 day", "-1 days"),
            ("1 year 2 mons 3 days 04:05:06.5", "1 year 2 mons 3 days 04:05:06.5"),
            ("2 hours 30 minutes", "02:30:00"),
            ("1.5 days", "1 day 12:00:00"),
            ("1.5 months", "1 mon 15 days"),
            ("90 minutes", "01:30:00"),
            ("1 week", "7 days"),
            ("3 days ago", "-3 days"),
            ("10", "00:00:10"),
            ("0", "00:00:00"),
            ("P1Y2M3DT4H5M6S", "1 year 2 mons 3 days 04:05:06"),
            ("1 day -01:00:00", "1 day -01:00:00"),
            ("@ 2 hrs", "02:00:00"),
            ("-1 day 1 hour", "-1 days +01:00:00"),
            ("-1 year 2 mons", "-10 mons"),
            ("-1 mon 2 days", "-1 mons +2 days"),
            ("1 01:00:00", "1 day 01:00:00"),
            ("0.1 year", "1 mon"),
            ("1.01 years", "1 year"),
            ("100 years", "100 years"),
            ("1 millisecond", "00:00:00.001"),
        ] {
            assert_eq!(round_trip(text), out, "{text}");
        }
        // Past the microseconds an interval holds: an error, not a wrapped value.
        assert!(parse("2562047788:00:59").is_err());
        for bad in ["", "day", "1 fortnight", "1:99", "P1X", "abc"] {
            assert_eq!(parse(bad).unwrap_err().sqlstate(), "22007", "{bad:?}");
        }
    }

    #[test]
    fn calendar_arithmetic_is_postgresqls() {
        let ts = |s: &str| parse_timestamp(s).unwrap();
        let plus = |s: &str, i: &str| {
            crate::value::datetime::format_timestamp(add_to_timestamp(ts(s), &parse(i).unwrap()).unwrap())
        };
        assert_eq!(plus("2024-01-31", "1 month"), "2024-02-29 00:00:00+00");
        assert_eq!(plus("2023-01-31", "1 month"), "2023-02-28 00:00:00+00");
        assert_eq!(plus("2024-03-31 10:00", "-1 mon 1 day 02:00"), "2024-03-01 12:00:00+00");
        assert_eq!(plus("2024-01-01", "1 year 6 mons"), "2025-07-01 00:00:00+00");
        assert_eq!(format(&between(ts("2024-03-02 12:00"), ts("2024-03-01")).unwrap()), "1 day 12:00:00");
        assert_eq!(format(&between(ts("2024-03-01"), ts("2024-03-02 12:00")).unwrap()), "-1 days -12:00:00");
        assert_eq!(format(&age(ts("2024-03-01"), ts("2024-01-15")).unwrap()), "1 mon 17 days");
        assert_eq!(format(&age(ts("2024-01-15"), ts("2024-03-01")).unwrap()), "-1 mons -17 days");
        assert_eq!(format(&age(ts("2024-01-01"), ts("2000-06-15 12:00")).unwrap()), "23 years 6 mons 15 days 12:00:00");
        assert_eq!(format(&scale(&parse("1 day").unwrap(), 1.5).unwrap()), "1 day 12:00:00");
        assert_eq!(format(&scale(&parse("1 mon").unwrap(), 0.5).unwrap()), "15 days");
    }
}
