//! Date and time functions, PostgreSQL's: `extract` / `date_part`, `date_trunc`, `age`,
//! `to_char`, `to_timestamp`, `date`, and the date operators (`date + integer`, `date -
//! integer`, `date - date`) the binder turns its `+` and `-` of dates into.
//!
//! A date is a timestamp at midnight (its declared type says `date`; see
//! `crate::value::declared`), so the date operators are functions of timestamps that know
//! their operand is a whole day. These functions compute on the value as given (a
//! `timestamp` is its own local time, every day 24 hours); their variants for a
//! `timestamptz` in the session's time zone are in `super::zoned`.

use braid_engine::{DataType, Decimal, Interval, Value};

use crate::error::{DataError, Error, Result};
use crate::session::Clock;
use crate::value::datetime::{MICROS_PER_DAY, civil_from_days, days_from_civil};
use crate::value::{interval, interval_fields, time, to_f64_lossy, to_i64_lossy, to_text};

/// A date or time function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeFunction {
    /// `extract(field FROM x)`: NUMERIC, as PostgreSQL 14 and later.
    Extract,
    /// `date_part('field', x)`: double precision.
    DatePart,
    /// `date_trunc('field', ts)`
    DateTrunc,
    /// `age(a, b)`; `age(ts)` is `age(today's midnight, ts)`.
    Age,
    /// `to_char(ts, 'template')`; `to_char(number, 'template')` (`super::number_format`)
    ToChar,
    /// `to_timestamp(seconds since the epoch)`
    ToTimestamp,
    /// `date(ts)`, `ts::date`: the day's midnight.
    ToDate,
    /// `date + integer` (days); also `date + interval`.
    DatePlusDays,
    /// `date - integer` (days); also `date - interval` and `date - timestamp`.
    DateMinusDays,
    /// `date - date`: the days between, an integer.
    DateMinusDate,
    /// `date + time`: a timestamp (without time zone).
    DatePlusTime,
    /// `interval(x, typmod)`: text read (or an interval cut down) as a qualified interval
    /// (`INTERVAL '1-2' YEAR TO MONTH`, `x::interval(3)`; `crate::value::interval_fields`).
    IntervalTypmod,
    /// `time(x)`, `x::time`; `time(x, p)`, `x::time(p)`: a time of day, rounded to p
    /// fractional digits.
    ToTime,
    /// The functions of the session's time zone (`super::zoned`). A `timestamptz` as text.
    TzText,
    /// A `timestamp` (without time zone) as text.
    LocalText,
    /// Text (or a value) as a `timestamptz`, a missing offset read in the zone.
    TzIn,
    /// Text as a `timestamp`, an offset after it dropped.
    LocalIn,
    /// `timestamptz::timestamp`: the local time.
    ToLocal,
    /// `timestamp::timestamptz`, `date::timestamptz`: the instant of a local time.
    FromLocal,
    /// `extract` of a `timestamptz`, in the zone.
    ExtractTz,
    /// `date_part` of a `timestamptz`, in the zone.
    DatePartTz,
    /// `date_trunc` of a `timestamptz`, in the zone.
    DateTruncTz,
    /// `to_char` of a `timestamptz`, in the zone (`TZ` its abbreviation, `OF` its offset).
    ToCharTz,
    /// `timestamptz AT TIME ZONE z`: the local time in `z`.
    AtZoneOfInstant,
    /// `timestamp AT TIME ZONE z`: the instant of a local time in `z`.
    AtZoneOfLocal,
    /// `timestamptz + interval`: months and days on the zone's calendar (a day across a
    /// daylight-saving change is 23 or 25 hours), then the time part.
    TzPlusInterval,
    /// `timestamptz - interval`, likewise.
    TzMinusInterval,
}

impl TimeFunction {
    /// The function of this name, with its least and greatest number of arguments.
    pub fn lookup(name: &str) -> Option<(TimeFunction, usize, usize)> {
        use TimeFunction::*;
        Some(match name {
            "date_part" => (DatePart, 2, 2),
            "date_trunc" => (DateTrunc, 2, 2),
            "age" => (Age, 1, 2),
            "to_char" => (ToChar, 2, 2),
            "to_timestamp" => (ToTimestamp, 1, 1),
            "date" => (ToDate, 1, 1),
            "date_pli" => (DatePlusDays, 2, 2),
            "date_mii" => (DateMinusDays, 2, 2),
            "date_mi" => (DateMinusDate, 2, 2),
            "time" => (ToTime, 1, 2),
            "interval" => (IntervalTypmod, 2, 2),
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        use TimeFunction::*;
        match self {
            Extract => "extract",
            DatePart => "date_part",
            DateTrunc => "date_trunc",
            Age => "age",
            ToChar => "to_char",
            ToTimestamp => "to_timestamp",
            ToDate => "date",
            DatePlusDays => "date_pli",
            DateMinusDays => "date_mii",
            DateMinusDate => "date_mi",
            DatePlusTime => "datetime_pl",
            ToTime => "time",
            IntervalTypmod => "interval",
            TzText => "timestamptz_out",
            LocalText => "timestamp_out",
            TzIn => "timestamptz_in",
            LocalIn => "timestamp_in",
            ToLocal => "timestamp",
            FromLocal => "timestamptz",
            ExtractTz => "extract",
            DatePartTz => "date_part",
            DateTruncTz => "date_trunc",
            ToCharTz => "to_char",
            AtZoneOfInstant | AtZoneOfLocal => "timezone",
            TzPlusInterval => "timestamptz_pl_interval",
            TzMinusInterval => "timestamptz_mi_interval",
        }
    }

    /// The result's type; `second` is the type of the second argument, where it decides.
    pub fn returns(self, second: Option<DataType>) -> DataType {
        use TimeFunction::*;
        match self {
            Extract | ExtractTz => DataType::Numeric,
            DatePart | DatePartTz => DataType::Real,
            Age => DataType::Interval,
            ToChar | ToCharTz | TzText | LocalText => DataType::Text,
            TzIn | LocalIn | ToLocal | FromLocal | DateTruncTz | AtZoneOfInstant | AtZoneOfLocal | TzPlusInterval
            | TzMinusInterval => DataType::Timestamp,
            DateMinusDate => DataType::Integer,
            DateMinusDays if second == Some(DataType::Timestamp) => DataType::Interval,
            DateTrunc | ToTimestamp | ToDate | DatePlusDays | DateMinusDays | DatePlusTime => DataType::Timestamp,
            ToTime => DataType::Time,
            IntervalTypmod => DataType::Interval,
        }
    }

    /// The declared type (its OID) of the result beyond its storage type: `date`, a
    /// `timestamp` (without time zone: `date + time`, `::timestamp`), a `timestamptz`.
    pub fn declared_result(self) -> Option<u32> {
        use crate::value::declared as d;
        use TimeFunction::*;
        match self {
            f if f.returns_date() => Some(d::DATE),
            DatePlusTime | LocalIn | ToLocal | AtZoneOfInstant => Some(d::TIMESTAMP),
            TzIn | FromLocal | DateTruncTz | AtZoneOfLocal | ToTimestamp | TzPlusInterval | TzMinusInterval => {
                Some(d::TIMESTAMPTZ)
            }
            _ => None,
        }
    }

    /// The variant that reads a `timestamptz` argument in the session's time zone.
    pub fn zoned(self) -> Option<TimeFunction> {
        use TimeFunction::*;
        Some(match self {
            Extract => ExtractTz,
            DatePart => DatePartTz,
            DateTrunc => DateTruncTz,
            ToChar => ToCharTz,
            _ => return None,
        })
    }

    /// Whether the result is a date (declared `date`) rather than a timestamp.
    pub fn returns_date(self) -> bool {
        matches!(self, TimeFunction::ToDate | TimeFunction::DatePlusDays | TimeFunction::DateMinusDays)
    }

    /// Calls the function; the clock's start of the transaction is `age(ts)`'s today, its
    /// zone the one the zoned functions read.
    pub fn call(self, args: &[Value], clock: Clock) -> Result<Value> {
        use TimeFunction::*;
        if args.iter().any(Value::is_null) {
            return Ok(Value::Null);
        }
        let today = clock.started;
        if let Some(value) = super::zoned::call(self, args, clock.zone)? {
            return Ok(value);
        }
        let arg = |i: usize| &args[i];
        Ok(match self {
            Extract | DatePart => {
                let field = to_text(arg(0)).to_ascii_lowercase();
                let n = match arg(1) {
                    Value::Interval(i) => interval_field(&field, i)?,
                    Value::Time(t) => time_field(&field, *t)?,
                    v => timestamp_field(&field, moment(v)?)?,
                };
                if self == Extract { Value::Numeric(n) } else { Value::Real(crate::value::numeric::to_f64(&n)) }
            }
            DateTrunc => Value::Timestamp(truncate(&to_text(arg(0)).to_ascii_lowercase(), moment(arg(1))?)?),
            Age => {
                let (a, b) = match args.get(1) {
                    Some(b) => (moment(arg(0))?, moment(b)?),
                    None => (day_of(today)?, moment(arg(0))?),
                };
                Value::Interval(interval::age(a, b)?)
            }
            ToChar => match arg(0) {
                n @ (Value::Integer(_) | Value::Real(_) | Value::Numeric(_)) => {
                    Value::Text(super::number_format::to_char(n, &to_text(arg(1)))?)
                }
                at => Value::Text(to_char(moment(at)?, &to_text(arg(1)))),
            },
            ToTimestamp => {
                let seconds = to_f64_lossy(arg(0));
                let micros = (seconds * 1e6).round();
                if !micros.is_finite() || micros.abs() >= 9.2e18 {
                    return Err(Error::data(DataError::DatetimeFieldOverflow, "timestamp out of range"));
                }
                Value::Timestamp(micros as i64)
            }
            ToDate => Value::Timestamp(day_of(moment(arg(0))?)?),
            DatePlusDays | DateMinusDays => {
                let date = moment(arg(0))?;
                let minus = self == DateMinusDays;
                match arg(1) {
                    Value::Timestamp(t) if minus => Value::Interval(interval::between(date, *t)?),
                    Value::Interval(i) => shift(date, i, minus)?,
                    Value::Text(s) if s.trim().parse::<i64>().is_err() => shift(date, &interval::parse(s)?, minus)?,
                    n => {
                        let days = to_i64_lossy(n);
                        let days = if minus { days.checked_neg() } else { Some(days) };
                        let at = days.and_then(|d| d.checked_mul(MICROS_PER_DAY)).and_then(|d| date.checked_add(d));
                        Value::Timestamp(
                            at.ok_or_else(|| Error::data(DataError::DatetimeFieldOverflow, "date out of range"))?,
                        )
                    }
                }
            }
            DatePlusTime => match arg(1) {
                Value::Time(t) => Value::Timestamp(time::at_date(moment(arg(0))?, *t)?),
                other => return Err(Error::type_error(format!("{other} is not a time"))),
            },
            IntervalTypmod => {
                let typmod = to_i64_lossy(arg(1)) as i32;
                match arg(0) {
                    Value::Text(s) => Value::Interval(interval_fields::parse(s, typmod)?),
                    v => match crate::value::cast(v, DataType::Interval)? {
                        Value::Interval(i) => Value::Interval(interval_fields::restrict(i, typmod)),
                        other => other,
                    },
                }
            }
            ToTime => {
                let t = crate::value::cast(arg(0), DataType::Time)?;
                match (t, args.get(1)) {
                    (Value::Time(t), Some(p)) => Value::Time(time::round(t, to_i64_lossy(p) as i32)),
                    (t, _) => t,
                }
            }
            DateMinusDate => Value::Integer(
                moment(arg(0))?.checked_sub(moment(arg(1))?).ok_or_else(out_of_range)?.div_euclid(MICROS_PER_DAY),
            ),
            // Answered by `super::zoned::call` above.
            TzText | LocalText | TzIn | LocalIn | ToLocal | FromLocal | ExtractTz | DatePartTz | DateTruncTz
            | ToCharTz | AtZoneOfInstant | AtZoneOfLocal | TzPlusInterval | TzMinusInterval => {
                unreachable!("zoned functions are called in zoned.rs")
            }
        })
    }
}

fn out_of_range() -> Error {
    Error::data(DataError::DatetimeFieldOverflow, "timestamp out of range")
}

/// The midnight that starts a moment's day.
fn day_of(at: i64) -> Result<i64> {
    at.div_euclid(MICROS_PER_DAY).checked_mul(MICROS_PER_DAY).ok_or_else(out_of_range)
}

/// `date ± interval`: the moment moved.
fn shift(date: i64, i: &Interval, minus: bool) -> Result<Value> {
    let i = if minus { interval::negate(i)? } else { *i };
    Ok(Value::Timestamp(interval::add_to_timestamp(date, &i)?))
}

/// A timestamp argument: a timestamp, or text that reads as one.
pub(super) fn moment(v: &Value) -> Result<i64> {
    match v {
        Value::Timestamp(t) => Ok(*t),
        Value::Text(s) => crate::value::datetime::parse_timestamp(s),
        other => Err(Error::type_error(format!("{other} is not a timestamp"))),
    }
}

fn unknown_unit(field: &str, of: &str) -> Error {
    Error::InvalidInput(format!("unit \"{field}\" not recognized for type {of}"))
}

/// A moment's parts: year, month, day, hour, minute, second, microsecond, day number.
struct Parts {
    year: i64,
    month: u32,
    day: u32,
    hour: i64,
    minute: i64,
    second: i64,
    micro: i64,
    days: i64,
}

fn parts(at: i64) -> Parts {
    let (days, time) = (at.div_euclid(MICROS_PER_DAY), at.rem_euclid(MICROS_PER_DAY));
    let (year, month, day) = civil_from_days(days);
    let secs = time / 1_000_000;
    Parts {
        year,
        month,
        day,
        hour: secs / 3600,
        minute: secs / 60 % 60,
        second: secs % 60,
        micro: time % 1_000_000,
        days,
    }
}

/// ISO 8601 week-numbering year and week of a day.
fn iso_week(days: i64) -> (i64, i64) {
    // Monday = 0 … Sunday = 6.
    let weekday = (days + 3).rem_euclid(7);
    // The Thursday of this week decides the year.
    let thursday = days - weekday + 3;
    let (year, _, _) = civil_from_days(thursday);
    let first = days_from_civil(year, 1, 1);
    (year, (thursday - first) / 7 + 1)
}

/// `extract(field FROM timestamp)`.
pub(super) fn timestamp_field(field: &str, at: i64) -> Result<Decimal> {
    let p = parts(at);
    let seconds_micros = p.second * 1_000_000 + p.micro;
    let int = |n: i64| Decimal::from(n);
    Ok(match field {
        "epoch" => Decimal::new(at, 6),
        "year" | "years" => int(if p.year <= 0 { p.year - 1 } else { p.year }),
        "month" | "months" | "mon" | "mons" => int(p.month.into()),
        "day" | "days" => int(p.day.into()),
        "hour" | "hours" => int(p.hour),
        "minute" | "minutes" | "min" | "mins" => int(p.minute),
        "second" | "seconds" | "sec" | "secs" => Decimal::new(seconds_micros, 6),
        "millisecond" | "milliseconds" | "ms" => Decimal::new(seconds_micros, 3),
        "microsecond" | "microseconds" | "us" => int(seconds_micros),
        "dow" => int((p.days + 4).rem_euclid(7)),
        "isodow" => int((p.days + 3).rem_euclid(7) + 1),
        "doy" => int(p.days - days_from_civil(p.year, 1, 1) + 1),
        "week" => int(iso_week(p.days).1),
        "isoyear" => int(iso_week(p.days).0),
        "quarter" => int(((p.month - 1) / 3 + 1).into()),
        "decade" => int(p.year.div_euclid(10)),
        "century" => int(if p.year > 0 { (p.year + 99) / 100 } else { -((99 - p.year) / 100) }),
        "millennium" => int(if p.year > 0 { (p.year + 999) / 1000 } else { -((999 - p.year) / 1000) }),
        "julian" => {
            let day = Decimal::from(MICROS_PER_DAY);
            let fraction = crate::value::numeric::divide(&Decimal::from(at.rem_euclid(MICROS_PER_DAY)), &day)?;
            Decimal::from(p.days + 2_440_588).checked_add(fraction).ok_or_else(out_of_range)?
        }
        "timezone" | "timezone_hour" | "timezone_minute" => int(0),
        _ => return Err(unknown_unit(field, "timestamp with time zone")),
    })
}

/// `extract(field FROM interval)`: its parts, and an epoch counting a year as 365.25 days
/// and a month as 30, as PostgreSQL does.
fn interval_field(field: &str, i: &Interval) -> Result<Decimal> {
    let int = |n: i64| Decimal::from(n);
    let seconds_micros = i.micros % 60_000_000;
    Ok(match field {
        "epoch" => {
            let (years, months) = (i64::from(i.months / 12), i64::from(i.months % 12));
            // 365.25 days a year: in microseconds, exact.
            let micros = i128::from(years) * 31_557_600_000_000
                + (i128::from(months) * 30 + i128::from(i.days)) * i128::from(MICROS_PER_DAY)
                + i128::from(i.micros);
            Decimal::try_from_i128_with_scale(micros, 6)
                .map_err(|_| Error::data(DataError::NumericOutOfRange, "interval out of range"))?
        }
        "millennium" => int(i64::from(i.months / 12_000)),
        "century" => int(i64::from(i.months / 1200)),
        "decade" => int(i64::from(i.months / 120)),
        "year" | "years" => int(i64::from(i.months / 12)),
        "quarter" => int(i64::from(i.months % 12 / 3 + 1)),
        "month" | "months" | "mon" | "mons" => int(i64::from(i.months % 12)),
        "day" | "days" => int(i64::from(i.days)),
        "hour" | "hours" => int(i.micros / 3_600_000_000),
        "minute" | "minutes" | "min" | "mins" => int(i.micros / 60_000_000 % 60),
        "second" | "seconds" | "sec" | "secs" => Decimal::new(seconds_micros, 6),
        "millisecond" | "milliseconds" | "ms" => Decimal::new(seconds_micros, 3),
        "microsecond" | "microseconds" | "us" => int(seconds_micros),
        _ => return Err(unknown_unit(field, "interval")),
    })
}

/// `extract(field FROM time)`: the clock's fields and the seconds since midnight; a date's
/// fields are refused.
fn time_field(field: &str, t: i64) -> Result<Decimal> {
    let seconds_micros = t % 60_000_000;
    let int = |n: i64| Decimal::from(n);
    Ok(match field {
        "epoch" => Decimal::new(t, 6),
        "hour" | "hours" => int(t / 3_600_000_000),
        "minute" | "minutes" | "min" | "mins" => int(t / 60_000_000 % 60),
        "second" | "seconds" | "sec" | "secs" => Decimal::new(seconds_micros, 6),
        "millisecond" | "milliseconds" | "ms" => Decimal::new(seconds_micros, 3),
        "microsecond" | "microseconds" | "us" => int(seconds_micros),
        _ => {
            // 0A000 as in PostgreSQL ("unit … not supported for type time without time zone").
            return Err(Error::unsupported(format!("unit \"{field}\" for type time without time zone")));
        }
    })
}

/// `date_trunc(field, ts)`: the moment cut down to the start of its field.
pub(super) fn truncate(field: &str, at: i64) -> Result<i64> {
    let p = parts(at);
    // Near the ends of the range a truncated moment may not exist: 22008, never a wrap.
    let on = |y: i64, m: u32| days_from_civil(y, m, 1).checked_mul(MICROS_PER_DAY).ok_or_else(out_of_range);
    let down = |unit: i64| at.checked_sub(at.rem_euclid(unit)).ok_or_else(out_of_range);
    let days_back = |n: i64| (p.days - n).checked_mul(MICROS_PER_DAY).ok_or_else(out_of_range);
    match field {
        "microseconds" | "microsecond" => Ok(at),
        "milliseconds" | "millisecond" => down(1_000),
        "second" | "seconds" => down(1_000_000),
        "minute" | "minutes" => down(60_000_000),
        "hour" | "hours" => down(3_600_000_000),
        "day" | "days" => days_back(0),
        "week" | "weeks" => days_back((p.days + 3).rem_euclid(7)),
        "month" | "months" => on(p.year, p.month),
        "quarter" => on(p.year, (p.month - 1) / 3 * 3 + 1),
        "year" | "years" => on(p.year, 1),
        "decade" => on(p.year - p.year.rem_euclid(10), 1),
        "century" => on((p.year - 1).div_euclid(100) * 100 + 1, 1),
        "millennium" => on((p.year - 1).div_euclid(1000) * 1000 + 1, 1),
        _ => Err(unknown_unit(field, "timestamp with time zone")),
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/// `to_char(ts, template)`: PostgreSQL's template patterns (`YYYY`, `MM`, `DD`, `HH24`,
/// `MI`, `SS`, `MS`, `US`, `Month`, `Mon`, `Day`, `Dy`, `AM`, `Q`, `IW`, `DDD`, `TZ`, …),
/// `FM` to drop padding, `"text"` and `\` for literal text; anything else is copied.
fn to_char(at: i64, template: &str) -> String {
    to_char_in(at, template, "UTC", "+00")
}

/// `to_char` of a local time whose zone's abbreviation is `zone` and offset `offset`
/// (`TZ`, `OF`).
pub(super) fn to_char_in(at: i64, template: &str, zone: &str, offset: &str) -> String {
    let p = parts(at);
    let hour12 = if p.hour % 12 == 0 { 12 } else { p.hour % 12 };
    let doy = p.days - days_from_civil(p.year, 1, 1) + 1;
    let (iso_year, iso_week) = iso_week(p.days);
    let dow = (p.days + 4).rem_euclid(7) as usize;
    let month = MONTHS[p.month as usize - 1];
    let day = DAYS[dow];
    let am = p.hour < 12;
    // (pattern, text, zero-padded width or 0 for a word padded to 9)
    let mut out = String::new();
    let mut rest = template;
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            out.push_str(&quoted[..end]);
            rest = quoted.get(end + 1..).unwrap_or("");
            continue;
        }
        if let Some(escaped) = rest.strip_prefix('\\') {
            let mut chars = escaped.chars();
            if let Some(c) = chars.next() {
                out.push(c);
            }
            rest = chars.as_str();
            continue;
        }
        let fill = !rest.starts_with("FM") && !rest.starts_with("fm");
        let body = if fill { rest } else { &rest[2..] };
        let number = |n: i64, width: usize| if fill { format!("{n:0width$}") } else { n.to_string() };
        let word = |w: &str| if fill { format!("{w:<9}") } else { w.to_string() };
        // (pattern, its text here): longer patterns before their prefixes. Numeric patterns
        // are read in either case; names follow the pattern's case (`Month`, `MONTH`).
        let patterns: [(&str, String); 37] = [
            ("YYYY", number(p.year, 4)),
            ("IYYY", number(iso_year, 4)),
            ("YYY", number(p.year % 1000, 3)),
            ("YY", number(p.year % 100, 2)),
            ("IW", number(iso_week, 2)),
            ("Y", number(p.year % 10, 1)),
            ("MONTH", word(&month.to_uppercase())),
            ("Month", word(month)),
            ("month", word(&month.to_lowercase())),
            ("MON", month[..3].to_uppercase()),
            ("Mon", month[..3].to_string()),
            ("mon", month[..3].to_lowercase()),
            ("MM", number(p.month.into(), 2)),
            ("MI", number(p.minute, 2)),
            ("MS", number(p.micro / 1000, 3)),
            ("DAY", word(&day.to_uppercase())),
            ("Day", word(day)),
            ("day", word(&day.to_lowercase())),
            ("DY", day[..3].to_uppercase()),
            ("Dy", day[..3].to_string()),
            ("dy", day[..3].to_lowercase()),
            ("DDD", number(doy, 3)),
            ("DD", number(p.day.into(), 2)),
            ("D", (dow + 1).to_string()),
            ("HH24", number(p.hour, 2)),
            ("HH12", number(hour12, 2)),
            ("HH", number(hour12, 2)),
            ("SS", number(p.second, 2)),
            ("US", number(p.micro, 6)),
            ("AM", if am { "AM" } else { "PM" }.into()),
            ("PM", if am { "AM" } else { "PM" }.into()),
            ("am", if am { "am" } else { "pm" }.into()),
            ("pm", if am { "am" } else { "pm" }.into()),
            ("Q", ((p.month - 1) / 3 + 1).to_string()),
            ("CC", number((p.year + 99) / 100, 2)),
            ("TZ", zone.into()),
            ("OF", offset.into()),
        ];
        let either_case = |pattern: &str| {
            !pattern.bytes().any(|b| b.is_ascii_lowercase())
                && !matches!(pattern, "AM" | "PM" | "MONTH" | "MON" | "DAY" | "DY" | "TZ" | "OF")
        };
        let found = patterns.iter().find(|(pattern, _)| {
            body.starts_with(pattern)
                || (either_case(pattern) && body.get(..pattern.len()).is_some_and(|b| b.eq_ignore_ascii_case(pattern)))
        });
        match found {
            Some((pattern, text)) => {
                out.push_str(text);
                rest = &body[pattern.len()..];
            }
            None => {
                let mut chars = rest.chars();
                out.extend(chars.next());
                rest = chars.as_str();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::datetime::parse_timestamp;

    fn utc(started: i64) -> Clock {
        Clock { started, zone: crate::value::zone::Zone::Utc }
    }

    fn ts(s: &str) -> Value {
        Value::Timestamp(parse_timestamp(s).unwrap())
    }

    fn call(f: TimeFunction, args: &[Value]) -> String {
        to_text(&f.call(args, utc(0)).unwrap())
    }

    #[test]
    fn extract_gives_postgresqls_numbers() {
        let at = ts("2024-03-15 10:20:30.5");
        let field = |f: &str| call(TimeFunction::Extract, &[Value::Text(f.into()), at.clone()]);
        assert_eq!(field("epoch"), "1710498030.500000");
        assert_eq!(field("year"), "2024");
        assert_eq!(field("month"), "3");
        assert_eq!(field("second"), "30.500000");
        assert_eq!(field("milliseconds"), "30500.000");
        assert_eq!(field("dow"), "5");
        assert_eq!(field("isodow"), "5");
        assert_eq!(field("doy"), "75");
        assert_eq!(field("week"), "11");
        assert_eq!(field("quarter"), "1");
        assert_eq!(field("century"), "21");
        let week = |s: &str| call(TimeFunction::Extract, &[Value::Text("week".into()), ts(s)]);
        assert_eq!(week("2021-01-03"), "53");
        assert_eq!(week("2024-12-30"), "1");
        let i = Value::Interval(interval::parse("1 year 2 mons 3 days 04:05:06.5").unwrap());
        assert_eq!(call(TimeFunction::Extract, &[Value::Text("epoch".into()), i.clone()]), "37015506.500000");
        assert_eq!(call(TimeFunction::Extract, &[Value::Text("hour".into()), i]), "4");
        assert_eq!(
            TimeFunction::Extract.call(&[Value::Text("fortnight".into()), at], utc(0)).unwrap_err().sqlstate(),
            "22023"
        );
    }

    #[test]
    fn truncation_and_templates() {
        let at = ts("2024-03-15 10:20:30.5");
        let trunc = |f: &str| call(TimeFunction::DateTrunc, &[Value::Text(f.into()), at.clone()]);
        assert_eq!(trunc("month"), "2024-03-01 00:00:00+00");
        assert_eq!(trunc("week"), "2024-03-11 00:00:00+00");
        assert_eq!(trunc("quarter"), "2024-01-01 00:00:00+00");
        assert_eq!(trunc("hour"), "2024-03-15 10:00:00+00");
        assert_eq!(trunc("century"), "2001-01-01 00:00:00+00");
        let fmt = |t: &str| call(TimeFunction::ToChar, &[at.clone(), Value::Text(t.into())]);
        assert_eq!(fmt("YYYY-MM-DD HH24:MI:SS.MS"), "2024-03-15 10:20:30.500");
        assert_eq!(fmt("Day, DD Month YYYY"), "Friday   , 15 March     2024");
        assert_eq!(fmt("FMDay, FMDD FMMonth YYYY HH12 AM"), "Friday, 15 March 2024 10 AM");
        assert_eq!(fmt("\"Q\"Q IW Dy mon"), "Q1 11 Fri mar");
        assert_eq!(fmt("yyyy-mm-dd hh24:mi:ss"), "2024-03-15 10:20:30");
    }

    #[test]
    fn date_operators() {
        let d = ts("2024-02-28");
        assert_eq!(call(TimeFunction::DatePlusDays, &[d.clone(), Value::Integer(2)]), "2024-03-01 00:00:00+00");
        assert_eq!(call(TimeFunction::DateMinusDays, &[d.clone(), Value::Integer(28)]), "2024-01-31 00:00:00+00");
        assert_eq!(call(TimeFunction::DateMinusDate, &[ts("2024-03-01"), d.clone()]), "2");
        assert_eq!(call(TimeFunction::ToDate, &[ts("2024-03-01 23:59")]), "2024-03-01 00:00:00+00");
        assert_eq!(call(TimeFunction::Age, &[ts("2024-03-01"), ts("2023-02-28")]), "1 year 1 day");
        let today = parse_timestamp("2024-03-01 15:00").unwrap();
        assert_eq!(to_text(&TimeFunction::Age.call(&[ts("2023-02-28")], utc(today)).unwrap()), "1 year 1 day");
        let far = Value::Timestamp(i64::MIN + 5);
        let code = |f: TimeFunction, args: &[Value]| f.call(args, utc(0)).unwrap_err().sqlstate().to_string();
        assert_eq!(code(TimeFunction::DateTrunc, &[Value::Text("day".into()), far.clone()]), "22008");
        assert_eq!(code(TimeFunction::ToDate, &[far]), "22008");
        assert_eq!(call(TimeFunction::ToTimestamp, &[Value::Real(1.5)]), "1970-01-01 00:00:01.5+00");
    }
}
