//! The date and time functions that read the session's time zone: `timestamptz` text out
//! and in, `::timestamp` / `::timestamptz`, `extract` / `date_part` / `date_trunc` /
//! `to_char` of a `timestamptz` in local time, and `AT TIME ZONE`.
//!
//! The binder chooses these variants where the argument is a `timestamptz` (or becomes
//! one), so the plain functions keep computing on the value as it is: a `timestamp`
//! (without time zone) is its own local time. The zone arrives resolved (`Clock`, read once
//! per call with the transaction's start); in a UTC session every conversion adds zero.
//! See `crate::value::zone` for the zone's rules.

use braid_engine::{DataType, Value};

use super::TimeFunction;
use super::datetime::{moment, timestamp_field, to_char_in, truncate};
use crate::error::{DataError, Error, Result};
use crate::value::datetime::{Shown, parse_with_offset, write_datetime, write_timestamptz};
use crate::value::zone::{Zone, offset_text};
use crate::value::{cast, to_text};

/// An instant plus an interval in `zone`, as PostgreSQL's `timestamptz_pl_interval`: the
/// months and days move the local date and keep the local time of day (so a day across a
/// daylight-saving change is 23 or 25 hours long), then the time part is added as elapsed
/// time.
fn plus_interval(at: i64, i: &braid_engine::Interval, zone: Zone) -> Result<i64> {
    use crate::value::interval::add_to_timestamp;
    let calendar = braid_engine::Interval::new(i.months, i.days, 0);
    let moved = if calendar == braid_engine::Interval::new(0, 0, 0) {
        at
    } else {
        zone.from_local(add_to_timestamp(zone.to_local(at), &calendar)?)
    };
    add_to_timestamp(moved, &braid_engine::Interval::new(0, 0, i.micros))
}

/// Calls `f` when it is one of this module's functions (`None`: it is not); NULL in, NULL
/// out has been handled.
pub(super) fn call(f: TimeFunction, args: &[Value], zone: Zone) -> Result<Option<Value>> {
    use TimeFunction::*;
    let arg = |i: usize| &args[i];
    Ok(Some(match f {
        TzText => match arg(0) {
            Value::Timestamp(t) => {
                let mut out = String::with_capacity(32);
                _ = write_timestamptz(&mut out, *t, zone);
                Value::Text(out)
            }
            other => Value::Text(to_text(other)),
        },
        LocalText => match arg(0) {
            Value::Timestamp(t) => {
                let mut out = String::with_capacity(32);
                _ = write_datetime(&mut out, *t, Shown::Timestamp);
                Value::Text(out)
            }
            other => Value::Text(to_text(other)),
        },
        TzIn => Value::Timestamp(instant(arg(0), zone)?),
        LocalIn => match arg(0) {
            // A `timestamp` keeps the time as written and drops an offset after it.
            Value::Text(s) => match parse_with_offset(s)? {
                (at, Some(offset)) => Value::Timestamp(at.saturating_add(offset * 1_000_000)),
                (at, None) => Value::Timestamp(at),
            },
            v => cast(v, DataType::Timestamp)?,
        },
        ToLocal => Value::Timestamp(zone.to_local(instant(arg(0), zone)?)),
        FromLocal => Value::Timestamp(zone.from_local(moment(arg(0))?)),
        ExtractTz | DatePartTz => {
            let field = to_text(arg(0)).to_ascii_lowercase();
            let at = instant(arg(1), zone)?;
            let offset = i64::from(zone.offset_at(at));
            let n = match field.as_str() {
                // The epoch counts from the instant; the zone fields are the offset.
                "epoch" => timestamp_field(&field, at)?,
                "timezone" => offset.into(),
                "timezone_hour" => (offset / 3600).into(),
                "timezone_minute" => (offset / 60 % 60).into(),
                _ => timestamp_field(&field, zone.to_local(at))?,
            };
            if f == ExtractTz { Value::Numeric(n) } else { Value::Real(crate::value::numeric::to_f64(&n)) }
        }
        DateTruncTz => {
            let at = instant(arg(1), zone)?;
            let local = truncate(&to_text(arg(0)).to_ascii_lowercase(), zone.to_local(at))?;
            Value::Timestamp(zone.from_local(local))
        }
        ToCharTz => {
            let at = instant(arg(0), zone)?;
            let (name, offset) = (zone.abbreviation(at), offset_text(zone.offset_at(at)));
            Value::Text(to_char_in(zone.to_local(at), &to_text(arg(1)), &name, &offset))
        }
        TzPlusInterval | TzMinusInterval => {
            let i = match arg(1) {
                Value::Interval(i) => *i,
                Value::Text(s) => crate::value::interval::parse(s)?,
                other => return Err(Error::type_error(format!("{other} is not an interval"))),
            };
            let i = if f == TzMinusInterval { crate::value::interval::negate(&i)? } else { i };
            Value::Timestamp(plus_interval(instant(arg(0), zone)?, &i, zone)?)
        }
        AtZoneOfInstant => {
            let target = named_zone(arg(1))?;
            Value::Timestamp(target.to_local(instant(arg(0), zone)?))
        }
        AtZoneOfLocal => Value::Timestamp(named_zone(arg(1))?.from_local(moment(arg(0))?)),
        _ => return Ok(None),
    }))
}

/// A `timestamptz` argument: an instant, or text read as one (a missing offset in `zone`).
fn instant(v: &Value, zone: Zone) -> Result<i64> {
    match v {
        Value::Timestamp(t) => Ok(*t),
        Value::Text(s) => Ok(match parse_with_offset(s)? {
            (at, Some(_)) => at,
            (local, None) => zone.from_local(local),
        }),
        v => match cast(v, DataType::Timestamp)? {
            Value::Timestamp(t) => Ok(t),
            _ => Err(Error::type_error(format!("{v} is not a timestamp"))),
        },
    }
}

/// The zone `AT TIME ZONE` names: a zone name or POSIX offset, or an interval east.
fn named_zone(v: &Value) -> Result<Zone> {
    match v {
        Value::Interval(i) if i.months == 0 && i.days == 0 => {
            Ok(Zone::from_offset(i32::try_from(i.micros / 1_000_000).unwrap_or(0)).0)
        }
        Value::Interval(_) => {
            Err(Error::data(DataError::InvalidParameterValue, "interval time zone must not include months or days"))
        }
        v => {
            let name = to_text(v);
            Zone::parse_name(&name).map(|(zone, _)| zone).ok_or_else(|| {
                Error::data(DataError::InvalidParameterValue, format!("time zone \"{name}\" not recognized"))
            })
        }
    }
}
