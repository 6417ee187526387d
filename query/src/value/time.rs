//! TIME (time of day without a zone): PostgreSQL's input and output forms and operators.
//!
//! A time is the engine's `Value::Time`: microseconds since midnight, from `00:00:00` to
//! `24:00:00` inclusive (PostgreSQL keeps the end of the day as a value of its own). It is
//! an `i64` in a row, as a timestamp is, and orders by that number in keys.
//!
//! Input is what PostgreSQL reads for `time` in its default `DateStyle`: `HH:MM`,
//! `HH:MM:SS[.fraction]` (rounded to microseconds, so `23:59:59.9999999` is `24:00:00`),
//! `HHMM` and `HHMMSS`, an `am` / `pm` suffix (hours 1 to 12 then), the special word
//! `allballs` (midnight), and a date or a zone around the time, which are read and dropped
//! (`'2024-01-01 13:45+02'::time` is `13:45:00`). A second of 60 carries into the next
//! minute, as in PostgreSQL. Output is `HH:MM:SS`, then the fraction without its trailing
//! zeros.
//!
//! Errors are PostgreSQL's: text of another form is 22007 (`invalid input syntax for type
//! time`), a field out of range (`25:00`, `13:60`, `24:00:01`, `13:00 pm`) is 22008.
//!
//! What it does not do: `'now'` as input (it needs the transaction's clock; `now()::time`
//! and `localtime` do that), and `time with time zone`, which is refused where a type is
//! named (`crate::bind`).

use braid_engine::Interval;

use super::datetime::{MICROS_PER_DAY, parse_time_of_day, parse_timestamp};
use crate::error::{DataError, Error, Result};

fn syntax(text: &str) -> Error {
    Error::data(DataError::InvalidDatetimeFormat, format!("invalid input syntax for type time: \"{text}\""))
}

fn range(text: &str) -> Error {
    Error::data(DataError::DatetimeFieldOverflow, format!("date/time field value out of range: \"{text}\""))
}

/// Reads a time of day (see the module doc) as microseconds since midnight.
pub fn parse(text: &str) -> Result<i64> {
    let lower = text.trim().to_ascii_lowercase();
    if lower == "allballs" {
        return Ok(0);
    }
    // `am` / `pm`, with or without a space before it.
    let (body, meridiem) = match lower.strip_suffix("am").or_else(|| lower.strip_suffix("a.m.")) {
        Some(body) => (body.trim_end(), Some(false)),
        None => match lower.strip_suffix("pm").or_else(|| lower.strip_suffix("p.m.")) {
            Some(body) => (body.trim_end(), Some(true)),
            None => (lower.as_str(), None),
        },
    };
    let body = drop_date(body, text)?;
    // A zone after the time (`+02`, `-05:30`, `z`) belongs to `timetz`: read past it.
    let time = match body.find(['+', '-', 'z']) {
        Some(0) | None => body,
        Some(at) => body[..at].trim_end(),
    };
    let micros = if time.contains(':') {
        parse_time_of_day(time).map_err(|bad| if bad { range(text) } else { syntax(text) })?
    } else {
        compact(time).ok_or_else(|| syntax(text))?
    };
    let micros = match meridiem {
        None => micros,
        // 1 to 12 o'clock only: `13:00 pm` is out of range, `12:30 am` is half past midnight.
        Some(_) if !(3_600_000_000..13 * 3_600_000_000).contains(&micros) => return Err(range(text)),
        Some(pm) => micros % (12 * 3_600_000_000) + if pm { 12 * 3_600_000_000 } else { 0 },
    };
    if micros > MICROS_PER_DAY {
        return Err(range(text));
    }
    Ok(micros)
}

/// The text after a leading ISO date (`2024-01-01 13:45`, `2024-01-01T13:45`), the date
/// checked; the text itself when it starts with no date.
fn drop_date<'a>(body: &'a str, text: &str) -> Result<&'a str> {
    let split = body.find([' ', 't']).unwrap_or(body.len());
    let first = &body[..split];
    if !first.contains('-') || first.starts_with('-') {
        return Ok(body);
    }
    parse_timestamp(first).map_err(|e| if e.sqlstate() == "22008" { range(text) } else { syntax(text) })?;
    Ok(body[split..].trim_start_matches([' ', 't']).trim_start())
}

/// `HHMM` or `HHMMSS`, with an optional fraction after the seconds.
fn compact(time: &str) -> Option<i64> {
    let (digits, frac) = time.split_once('.').unwrap_or((time, ""));
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let spelled = match digits.len() {
        4 if frac.is_empty() => format!("{}:{}", &digits[..2], &digits[2..]),
        6 if frac.is_empty() => format!("{}:{}:{}", &digits[..2], &digits[2..4], &digits[4..]),
        6 => format!("{}:{}:{}.{frac}", &digits[..2], &digits[2..4], &digits[4..]),
        _ => return None,
    };
    parse_time_of_day(&spelled).ok()
}

/// A time as PostgreSQL prints it: `13:45:30.123456`, `00:00:00`, `24:00:00`.
pub fn format(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let mut out = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    if frac != 0 {
        let digits = format!("{frac:06}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
    out
}

/// A time rounded to `precision` fractional digits (`time(p)`, 0 to 6), halves away from
/// zero as PostgreSQL rounds; `23:59:59.6` in `time(0)` is `24:00:00`.
pub fn round(micros: i64, precision: i32) -> i64 {
    if !(0..6).contains(&precision) {
        return micros;
    }
    let unit = 10i64.pow(6 - precision as u32);
    (micros + unit / 2) / unit * unit
}

/// The time of day of a moment (microseconds since the epoch): `timestamp::time`.
pub fn of_moment(at: i64) -> i64 {
    at.rem_euclid(MICROS_PER_DAY)
}

/// `time - time`: an interval of microseconds alone, negative when `b` is later.
pub fn minus(a: i64, b: i64) -> Interval {
    Interval::new(0, 0, a - b)
}

/// `time ± interval`: the interval's time part moved around the clock, wrapping at
/// midnight (its days and months are dropped, as PostgreSQL drops them).
pub fn shift(t: i64, i: &Interval, minus: bool) -> i64 {
    let delta = i.micros.rem_euclid(MICROS_PER_DAY);
    let delta = if minus { MICROS_PER_DAY - delta } else { delta };
    (t + delta).rem_euclid(MICROS_PER_DAY)
}

/// An interval as a time (`interval::time`): its time part, wrapped into one day.
pub fn of_interval(i: &Interval) -> i64 {
    i.micros.rem_euclid(MICROS_PER_DAY)
}

/// `date + time`: the moment at that time of the date's day.
pub fn at_date(date: i64, t: i64) -> Result<i64> {
    date.checked_add(t).ok_or_else(|| Error::data(DataError::DatetimeFieldOverflow, "timestamp out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> String {
        parse(text).unwrap_err().sqlstate().to_string()
    }

    #[test]
    fn postgresql_input_forms() {
        for (text, out) in [
            ("13:45", "13:45:00"),
            ("13:45:30.123456", "13:45:30.123456"),
            ("13:45:30.1234567", "13:45:30.123457"),
            ("23:59:59.9999999", "24:00:00"),
            ("1:45 pm", "13:45:00"),
            ("1:45pm", "13:45:00"),
            ("12:00 am", "00:00:00"),
            ("12:30 pm", "12:30:00"),
            ("allballs", "00:00:00"),
            ("24:00", "24:00:00"),
            (" 13:45 ", "13:45:00"),
            ("134530", "13:45:30"),
            ("13:45:60", "13:46:00"),
            ("2024-01-01 13:45", "13:45:00"),
            ("13:45:30+02", "13:45:30"),
            ("0:0:0", "00:00:00"),
        ] {
            assert_eq!(format(parse(text).unwrap()), out, "{text}");
        }
    }

    #[test]
    fn bad_times_are_postgresqls_errors() {
        assert_eq!(code("24:00:01"), "22008");
        assert_eq!(code("25:00"), "22008");
        assert_eq!(code("13:60"), "22008");
        assert_eq!(code("13:45 pm"), "22008");
        assert_eq!(code("abc"), "22007");
        assert_eq!(code("13"), "22007");
        assert_eq!(code(""), "22007");
        assert_eq!(parse("abc").unwrap_err().to_string(), "invalid input syntax for type time: \"abc\"");
    }

    #[test]
    fn arithmetic_wraps_around_midnight() {
        let t = |s| parse(s).unwrap();
        let i = |m: i64| Interval::new(0, 0, m * 3_600_000_000);
        assert_eq!(format(shift(t("23:00"), &i(2), false)), "01:00:00");
        assert_eq!(format(shift(t("01:00"), &i(2), true)), "23:00:00");
        assert_eq!(format(shift(t("10:00"), &i(25), true)), "09:00:00");
        assert_eq!(format(shift(t("24:00"), &i(0), false)), "00:00:00");
        assert_eq!(format(shift(t("10:00"), &Interval::new(3, 1, 3_600_000_000), false)), "11:00:00");
        assert_eq!(minus(t("01:00"), t("13:00")), Interval::new(0, 0, -12 * 3_600_000_000));
        assert_eq!(format(round(t("23:59:59.6"), 0)), "24:00:00");
        assert_eq!(format(round(t("13:45:30.123456"), 3)), "13:45:30.123");
        assert_eq!(format(of_interval(&Interval::new(0, 0, -3_600_000_000))), "23:00:00");
    }
}
