//! Dates and times as text: PostgreSQL's ISO input and output forms.
//!
//! A TIMESTAMP value is microseconds since 1970-01-01 00:00 UTC (the engine's
//! `Value::Timestamp`). Input is `YYYY-MM-DD`, optionally followed (after a space or `T`)
//! by `HH:MM[:SS[.ffffff]]`, optionally followed by a zone (`Z`, `+HH`, `+HHMM`, `+HH:MM`,
//! or the same with `-`), as PostgreSQL accepts in its default `DateStyle = ISO`; plus the
//! special words `epoch`. Output is PostgreSQL's for `timestamptz` with `TimeZone = UTC`:
//! `2026-11-29 17:02:03.123456+00`, trailing zeros of the fraction dropped.
//!
//! Errors are PostgreSQL's: text that is not of this form is `invalid input syntax for type
//! timestamp` (22007); a field out of its range (month 13, February 30, hour 25) is
//! `date/time field value out of range` (22008). Nothing is silently wrapped or clamped.
//!
//! Civil dates convert to day counts with Howard Hinnant's algorithms (proleptic
//! Gregorian calendar, exact for every `i64` day count we can reach).

use std::fmt::Write;

use crate::error::{DataError, Error, Result};

/// Microseconds in one day.
pub const MICROS_PER_DAY: i64 = 86_400_000_000;

/// The (year, month, day) of a day count from 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The day count from 1970-01-01 of a civil date (the inverse of [`civil_from_days`]).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from(if m > 2 { m - 3 } else { m + 9 });
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The number of days in a month of a year.
pub fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

fn syntax(text: &str) -> Error {
    Error::data(DataError::InvalidDatetimeFormat, format!("invalid input syntax for type timestamp: \"{text}\""))
}

fn range(text: &str) -> Error {
    Error::data(DataError::DatetimeFieldOverflow, format!("date/time field value out of range: \"{text}\""))
}

/// Digits only, as a number (no sign, no spaces): the fields of an ISO date or time.
fn field(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 9 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses a date, a timestamp or a timestamp with a zone into microseconds since the epoch
/// (UTC). A value without a zone is taken as UTC.
pub fn parse_timestamp(text: &str) -> Result<i64> {
    parse_with_offset(text).map(|(micros, _)| micros)
}

/// Parses a timestamp with its explicit offset, if it has one: (the instant, taking a
/// missing offset as UTC; the offset in seconds east). A caller in another zone reads the
/// local time again when there is none; `timestamp` (without time zone) drops the offset.
pub fn parse_with_offset(text: &str) -> Result<(i64, Option<i64>)> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("epoch") {
        return Ok((0, Some(0)));
    }
    let split = t.find([' ', 'T', 't']).unwrap_or(t.len());
    let (date, rest) = t.split_at(split);
    let mut parts = date.splitn(3, '-');
    let (Some(y), Some(m), Some(d)) =
        (parts.next().and_then(field), parts.next().and_then(field), parts.next().and_then(field))
    else {
        return Err(syntax(text));
    };
    let (m, d) = (m as u32, d as u32);
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return Err(range(text));
    }
    // Years of up to 9 digits: far past what microseconds since 1970 hold in an i64.
    let overflow = || range(text);
    let mut micros = days_from_civil(y, m, d).checked_mul(MICROS_PER_DAY).ok_or_else(overflow)?;
    let rest = rest.trim_start_matches([' ', 'T', 't']).trim_end();
    let zone_at = rest.find(['+', '-', 'Z', 'z']).unwrap_or(rest.len());
    let (time, zone) = rest.split_at(zone_at);
    let time = time.trim_end();
    if !time.is_empty() {
        let day = parse_time_of_day(time).map_err(|bad| if bad { range(text) } else { syntax(text) })?;
        micros = micros.checked_add(day).ok_or_else(overflow)?;
    }
    let mut explicit = None;
    if !zone.is_empty() {
        let offset = parse_zone(zone).ok_or_else(|| syntax(text))?;
        micros = micros.checked_sub(offset * 1_000_000).ok_or_else(overflow)?;
        explicit = Some(offset);
    }
    Ok((micros, explicit))
}

/// `HH:MM[:SS[.ffffff]]` as microseconds into the day; `Err(true)` when a field is out of
/// range, `Err(false)` when the text is not of the form.
pub fn parse_time_of_day(time: &str) -> std::result::Result<i64, bool> {
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let mut f = hms.split(':');
    let h = f.next().and_then(field).ok_or(false)?;
    let mi = f.next().and_then(field).ok_or(false)?;
    let s = match f.next() {
        Some(s) => field(s).ok_or(false)?,
        None if frac.is_empty() => 0,
        None => return Err(false),
    };
    if f.next().is_some() {
        return Err(false);
    }
    let frac_us = if frac.is_empty() {
        0
    } else {
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(false);
        }
        // Rounded to microseconds, as PostgreSQL does.
        let digits: String = frac.chars().chain(std::iter::repeat('0')).take(7).collect();
        let n: i64 = digits.parse().map_err(|_| false)?;
        (n + 5) / 10
    };
    // 24:00:00 is allowed (the end of the day), as in PostgreSQL.
    if mi > 59 || s > 60 || h > 24 || (h == 24 && (mi, s, frac_us) != (0, 0, 0)) {
        return Err(true);
    }
    Ok(((h * 60 + mi) * 60 + s) * 1_000_000 + frac_us)
}

/// A zone offset in seconds east of UTC: `Z`, `+HH`, `+HHMM`, `+HH:MM`, `+HH:MM:SS`.
fn parse_zone(zone: &str) -> Option<i64> {
    if zone.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let sign = match zone.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let body = &zone[1..];
    // Only digits and colons: the slicing below is then at character boundaries.
    if !body.bytes().all(|b| b.is_ascii_digit() || b == b':') {
        return None;
    }
    let (h, m, s) = match body.split(':').collect::<Vec<_>>()[..] {
        [h] if h.len() == 4 => (field(&h[..2])?, field(&h[2..])?, 0),
        [h] => (field(h)?, 0, 0),
        [h, m] => (field(h)?, field(m)?, 0),
        [h, m, s] => (field(h)?, field(m)?, field(s)?),
        _ => return None,
    };
    if h > 15 || m > 59 || s > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60 + s))
}

/// Writes a timestamp as `timestamptz` in ISO form, UTC: `2026-11-29 17:02:03.123456+00`.
pub fn write_timestamp(w: &mut impl Write, micros: i64) -> std::fmt::Result {
    write_datetime(w, micros, Shown::TimestampTz)
}

/// What of a moment PostgreSQL's output of a type shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// `date`: `2024-02-29`.
    Date,
    /// `timestamp` (without time zone): `2024-02-29 10:30:00`.
    Timestamp,
    /// `timestamptz`, in UTC: `2024-02-29 10:30:00+00`.
    TimestampTz,
}

/// An instant as PostgreSQL prints a `timestamptz` in a zone: the local time, then the
/// offset (`2024-07-01 14:00:00+02`, `… 17:30:00+05:30`).
pub fn write_timestamptz(w: &mut impl Write, micros: i64, zone: super::zone::Zone) -> std::fmt::Result {
    if zone == super::zone::Zone::Utc {
        return write_timestamp(w, micros);
    }
    let offset = zone.offset_at(micros);
    write_zoned(w, micros.saturating_add(i64::from(offset) * 1_000_000), Shown::TimestampTz, offset)
}

/// A moment (microseconds since the epoch, UTC) as PostgreSQL prints `what` in its ISO style.
pub fn write_datetime(w: &mut impl Write, micros: i64, what: Shown) -> std::fmt::Result {
    write_zoned(w, micros, what, 0)
}

/// `write_datetime` of a local time, with `offset` (seconds east) printed for a
/// `timestamptz`.
fn write_zoned(w: &mut impl Write, micros: i64, what: Shown, offset: i32) -> std::fmt::Result {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let (days, day_secs) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    if y <= 0 {
        // PostgreSQL has no year 0: 1 BC is year 0 here.
        write!(w, "{:04}-{m:02}-{d:02}", 1 - y)?;
    } else {
        write!(w, "{y:04}-{m:02}-{d:02}")?;
    }
    if what != Shown::Date {
        write!(w, " {:02}:{:02}:{:02}", day_secs / 3600, day_secs / 60 % 60, day_secs % 60)?;
        if frac != 0 {
            let digits = format!("{frac:06}");
            write!(w, ".{}", digits.trim_end_matches('0'))?;
        }
    }
    if what == Shown::TimestampTz {
        w.write_str(&super::zone::offset_text(offset))?;
    }
    if y <= 0 {
        w.write_str(" BC")?;
    }
    Ok(())
}

/// A timestamp as text (see [`write_timestamp`]).
pub fn format_timestamp(micros: i64) -> String {
    let mut s = String::with_capacity(32);
    _ = write_timestamp(&mut s, micros);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> String {
        parse_timestamp(text).unwrap_err().sqlstate().to_string()
    }

    #[test]
    fn iso_forms_round_trip() {
        for (text, out) in [
            ("2026-11-29 17:02:03.123456+00", "2026-11-29 17:02:03.123456+00"),
            ("2024-02-29", "2024-02-29 00:00:00+00"),
            ("2024-02-29T12:30", "2024-02-29 12:30:00+00"),
            ("2024-01-01 00:00:00+02", "2023-12-31 22:00:00+00"),
            ("2024-01-01 00:00:00-05:30", "2024-01-01 05:30:00+00"),
            ("2024-01-01 00:00:00Z", "2024-01-01 00:00:00+00"),
            ("1969-12-31 23:59:59.5", "1969-12-31 23:59:59.5+00"),
            ("epoch", "1970-01-01 00:00:00+00"),
        ] {
            assert_eq!(format_timestamp(parse_timestamp(text).unwrap()), out, "{text}");
        }
    }

    #[test]
    fn bad_dates_are_errors_with_postgresql_codes() {
        assert_eq!(code("2024-13-45"), "22008");
        assert_eq!(code("2023-02-29"), "22008");
        assert_eq!(code("2024-01-01 25:00"), "22008");
        assert_eq!(code("2024"), "22007");
        assert_eq!(code("a"), "22007");
        assert_eq!(code("2024-01-01 12"), "22007");
        assert_eq!(code("2024-01-01 12:00 +99"), "22007");
        assert_eq!(code(""), "22007");
        // Found in review: a multibyte zone was sliced inside a character, a huge year
        // overflowed the microseconds.
        assert_eq!(code("2024-01-01 00:00+1ü1"), "22007");
        assert_eq!(code("999999999-01-01"), "22008");
    }
}
