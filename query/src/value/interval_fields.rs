//! INTERVAL field qualifiers and precision: `INTERVAL '1-2' YEAR TO MONTH`, `INTERVAL '90'
//! MINUTE`, `interval(3)`, `col interval day to second`, as PostgreSQL 15 reads them.
//!
//! A qualifier is kept as PostgreSQL keeps it, in the type modifier: the range of fields in
//! the high 16 bits (a bit per field, `0x7FFF` for all) and the fractional digits of the
//! seconds in the low 16 (`0xFFFF` for all six). `pg_attribute.atttypmod` and
//! `format_type` therefore match PostgreSQL's (`interval day to second` is `470351871`).
//!
//! A qualifier does two things, both PostgreSQL's:
//!
//! - it says what a bare number means in the input ([`parse`]): the unit of its last field
//!   (`INTERVAL '2' HOUR` is two hours, `'2 3' HOUR` two days and three hours), and with
//!   `MINUTE TO SECOND` an `a:b` is minutes and seconds rather than hours and minutes;
//! - it cuts the value down to its fields ([`restrict`]): the fields below the last one are
//!   dropped, toward zero (`INTERVAL '1 day 2 hours 3 minutes' HOUR` is `1 day 02:00:00`;
//!   `YEAR` keeps whole years only), while fields *above* the first are kept, as
//!   PostgreSQL keeps them; then the seconds are rounded to the precision, halves away
//!   from zero.
//!
//! Not done: a qualified text typed into a column (`INSERT … VALUES ('2')` into an
//! `interval hour` column) is read as plain interval text before it is cut down, so its bare
//! number is seconds there.

use braid_engine::Interval;

use crate::error::Result;

const MONTH: i32 = 1 << 1;
const YEAR: i32 = 1 << 2;
const DAY: i32 = 1 << 3;
const HOUR: i32 = 1 << 10;
const MINUTE: i32 = 1 << 11;
const SECOND: i32 = 1 << 12;
/// Every field: an unqualified interval.
const FULL_RANGE: i32 = 0x7FFF;
/// Six fractional digits: no rounding.
const FULL_PRECISION: i32 = 0xFFFF;

const MICROS_PER_HOUR: i64 = 3_600_000_000;
const MICROS_PER_MINUTE: i64 = 60_000_000;

/// The qualifiers PostgreSQL accepts, with their range bits.
const RANGES: &[(&str, i32)] = &[
    ("YEAR", YEAR),
    ("MONTH", MONTH),
    ("DAY", DAY),
    ("HOUR", HOUR),
    ("MINUTE", MINUTE),
    ("SECOND", SECOND),
    ("YEAR TO MONTH", YEAR | MONTH),
    ("DAY TO HOUR", DAY | HOUR),
    ("DAY TO MINUTE", DAY | HOUR | MINUTE),
    ("DAY TO SECOND", DAY | HOUR | MINUTE | SECOND),
    ("HOUR TO MINUTE", HOUR | MINUTE),
    ("HOUR TO SECOND", HOUR | MINUTE | SECOND),
    ("MINUTE TO SECOND", MINUTE | SECOND),
];

/// The type modifier of a qualifier (`DAY TO SECOND`, upper case, words one space apart;
/// `None` for none) and a precision (0 to 6); `None` when the words are no qualifier.
pub fn typmod(fields: Option<&str>, precision: Option<i32>) -> Option<i32> {
    let range = match fields {
        None => FULL_RANGE,
        Some(words) => RANGES.iter().find(|(name, _)| *name == words)?.1,
    };
    let precision = match precision {
        None => FULL_PRECISION,
        Some(p @ 0..=6) => p,
        Some(_) => return None,
    };
    Some(range << 16 | precision)
}

fn range_of(typmod: i32) -> i32 {
    if typmod < 0 { FULL_RANGE } else { (typmod >> 16) & 0x7FFF }
}

/// The fractional digits of the seconds a modifier keeps, when it limits them.
pub fn precision(typmod: i32) -> Option<i32> {
    precision_of(typmod)
}

fn precision_of(typmod: i32) -> Option<i32> {
    let p = typmod & 0xFFFF;
    (typmod >= 0 && p != FULL_PRECISION).then_some(p)
}

/// `format_type`'s spelling: `interval day to second`, `interval(2)`,
/// `interval minute to second(3)`; `None` for a plain `interval`.
pub fn format(typmod: i32) -> Option<String> {
    if typmod < 0 {
        return None;
    }
    let fields = RANGES.iter().find(|(_, r)| *r == range_of(typmod)).map(|(name, _)| name.to_ascii_lowercase());
    let precision = precision_of(typmod).map(|p| format!("({p})")).unwrap_or_default();
    Some(match fields {
        Some(fields) => format!("interval {fields}{precision}"),
        None => format!("interval{precision}"),
    })
}

/// `information_schema.columns.interval_type`: the qualifier's fields (and precision) in
/// upper case, `DAY TO SECOND`, `MINUTE TO SECOND(3)`; `None` without a qualifier.
pub fn interval_type(typmod: i32) -> Option<String> {
    let (name, _) = RANGES.iter().find(|(_, r)| typmod >= 0 && *r == range_of(typmod))?;
    Some(format!("{name}{}", precision_of(typmod).map(|p| format!("({p})")).unwrap_or_default()))
}

/// Text read as an interval of the qualifier `typmod` (see the module doc), cut down to it.
pub fn parse(text: &str, typmod: i32) -> Result<Interval> {
    let range = range_of(typmod);
    let words: Vec<&str> = text.split_whitespace().collect();
    let bare = |w: &str| w.parse::<f64>().is_ok() && !w.bytes().any(|b| b.is_ascii_alphabetic());
    let spelled = match words[..] {
        // The last field's unit for a bare number; one before it is days.
        [n] if range != FULL_RANGE && bare(n) => format!("{n} {}", last_unit(range)),
        [d, n] if range != FULL_RANGE && bare(d) && bare(n) => format!("{d} days {n} {}", last_unit(range)),
        // `MINUTE TO SECOND`: `a:b` is minutes and seconds.
        [t] if range == MINUTE | SECOND && t.matches(':').count() == 1 => {
            let (sign, body) = t.strip_prefix('-').map_or(("", t), |b| ("-", b));
            format!("{sign}0:{body}")
        }
        _ => text.to_string(),
    };
    let parsed = super::interval::parse(&spelled).map_err(|e| match e {
        // The error names what was written, not what it was read as.
        crate::error::Error::Data { kind, .. } if spelled != text => {
            crate::error::Error::data(kind, format!("invalid input syntax for type interval: \"{text}\""))
        }
        e => e,
    })?;
    Ok(restrict(parsed, typmod))
}

/// The unit a bare number has under a qualifier: its last field's.
fn last_unit(range: i32) -> &'static str {
    if range & SECOND != 0 {
        "seconds"
    } else if range & MINUTE != 0 {
        "minutes"
    } else if range & HOUR != 0 {
        "hours"
    } else if range & DAY != 0 {
        "days"
    } else if range & MONTH != 0 {
        "months"
    } else {
        "years"
    }
}

/// An interval cut down to the fields of `typmod` and rounded to its precision.
pub fn restrict(i: Interval, typmod: i32) -> Interval {
    let range = range_of(typmod);
    let toward_zero = |micros: i64, unit: i64| micros / unit * unit;
    let (mut months, mut days, mut micros) = (i.months, i.days, i.micros);
    if range == YEAR {
        months = months / 12 * 12;
    }
    if matches!(range, YEAR | MONTH) || range == YEAR | MONTH {
        days = 0;
        micros = 0;
    } else if range == DAY {
        micros = 0;
    } else if range == HOUR || range == DAY | HOUR {
        micros = toward_zero(micros, MICROS_PER_HOUR);
    } else if range == MINUTE || range == DAY | HOUR | MINUTE || range == HOUR | MINUTE {
        micros = toward_zero(micros, MICROS_PER_MINUTE);
    }
    if let Some(p) = precision_of(typmod).filter(|p| (0..6).contains(p)) {
        let unit = 10i64.pow(6 - p as u32);
        let away = |m: i64| m.saturating_add(unit / 2) / unit * unit;
        micros = if micros >= 0 { away(micros) } else { -away(-micros) };
    }
    Interval::new(months, days, micros)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qualified(text: &str, fields: &str, precision: Option<i32>) -> String {
        let typmod = typmod(Some(fields), precision).unwrap();
        super::super::interval::format(&parse(text, typmod).unwrap())
    }

    #[test]
    fn qualifiers_read_and_cut_as_postgresql() {
        assert_eq!(qualified("1-2", "YEAR TO MONTH", None), "1 year 2 mons");
        assert_eq!(qualified("3 4:05", "DAY TO MINUTE", None), "3 days 04:05:00");
        assert_eq!(qualified("1 2:03:04", "DAY TO SECOND", None), "1 day 02:03:04");
        assert_eq!(qualified("1 day 2 hours", "HOUR", None), "1 day 02:00:00");
        assert_eq!(qualified("1 day 2 hours 3 minutes 4.5 seconds", "DAY", None), "1 day");
        assert_eq!(qualified("1 year 2 months 3 days", "YEAR", None), "1 year");
        assert_eq!(qualified("2", "DAY TO HOUR", None), "02:00:00");
        assert_eq!(qualified("1:30", "MINUTE TO SECOND", None), "00:01:30");
        assert_eq!(qualified("2 3", "HOUR", None), "2 days 03:00:00");
        assert_eq!(qualified("1.23456 seconds", "SECOND", Some(2)), "00:00:01.23");
        assert_eq!(qualified("-1 day -2 hours -30 min", "HOUR", None), "-1 days -02:00:00");
    }

    #[test]
    fn modifiers_are_postgresqls() {
        assert_eq!(typmod(Some("DAY TO SECOND"), None), Some(470_351_871));
        assert_eq!(typmod(None, Some(2)), Some(2_147_418_114));
        assert_eq!(format(470_351_871).as_deref(), Some("interval day to second"));
        assert_eq!(format(2_147_418_114).as_deref(), Some("interval(2)"));
        assert_eq!(format(402_653_187).as_deref(), Some("interval minute to second(3)"));
        assert_eq!(interval_type(402_653_187).as_deref(), Some("MINUTE TO SECOND(3)"));
        assert_eq!(typmod(Some("SECOND TO DAY"), None), None);
    }
}
