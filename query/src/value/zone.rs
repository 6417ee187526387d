//! The session's `TimeZone`: what it accepts, and local time in it.
//!
//! A `timestamptz` is an instant (microseconds since the epoch, UTC) whatever the zone; the
//! zone decides only how instants meet local time: their text output (`2024-07-01
//! 14:00:00+02`), text input without an explicit offset, `::timestamp` / `::date`, the
//! fields of `extract` / `date_trunc`, and `AT TIME ZONE`. The binary wire format stays UTC
//! microseconds, as PostgreSQL's.
//!
//! [`Zone::parse`] reads a setting as PostgreSQL's `check_timezone` does, in its order:
//!
//! | setting                         | zone                       | `SHOW TimeZone`      |
//! |---------------------------------|----------------------------|----------------------|
//! | a number: `5`, `-3.5`, `'+02'`  | hours **east** of UTC      | `<+05>-05`           |
//! | an IANA name, any case          | that zone (tzdata)         | `Europe/Berlin`      |
//! | POSIX: `UTC+2`, `'-05:30'`, `<+02>-02` | hours **west** (POSIX's sign) | as written    |
//!
//! `SET TIME ZONE INTERVAL '+02:00' HOUR TO MINUTE` is an offset east, like a number. An
//! unknown name is 22023 `invalid value for parameter "TimeZone": "Mars/Base"`.
//!
//! Local times that a zone skips (a spring-forward gap) are read with the offset before the
//! jump, and local times it repeats (a fall-back overlap) with the offset after it, as
//! PostgreSQL documents.
//!
//! The zone is resolved when it is set, never per value: sessions and plans hold a
//! [`Zone`] (a `Copy` value), and UTC is a variant of its own so that a UTC session's
//! conversions are an addition of zero.

use chrono::{Offset, TimeZone};
use chrono_tz::{OffsetName, Tz};

const MICROS_PER_SECOND: i64 = 1_000_000;

/// A resolved time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Zone {
    #[default]
    Utc,
    /// A fixed offset, in seconds east of UTC.
    Fixed(i32),
    /// A zone of the IANA database, with its daylight-saving rules.
    Named(Tz),
}

impl Zone {
    /// A `TimeZone` setting as a zone and the text `SHOW` prints for it; `None` when it
    /// names no zone.
    pub fn parse(setting: &str) -> Option<(Zone, String)> {
        let text = setting.trim();
        if let Ok(hours) = text.parse::<f64>()
            && hours.is_finite()
            && hours.abs() < 15.0 * 24.0
        {
            let east = (hours * 3600.0).round() as i32;
            return Some((Zone::fixed(east), posix_name(east)));
        }
        Zone::parse_name(text)
    }

    /// A zone's name as `AT TIME ZONE` reads it: an IANA name or a POSIX offset (so `'+02'`
    /// is two hours *west* there, as in PostgreSQL), with its canonical spelling.
    pub fn parse_name(text: &str) -> Option<(Zone, String)> {
        let text = text.trim();
        if let Some(tz) = chrono_tz::TZ_VARIANTS.iter().find(|tz| tz.name().eq_ignore_ascii_case(text)) {
            let zone = if matches!(tz.name(), "UTC" | "Etc/UTC" | "Etc/Universal" | "Universal" | "Etc/Zulu" | "Zulu") {
                Zone::Utc
            } else {
                Zone::Named(*tz)
            };
            return Some((zone, tz.name().to_string()));
        }
        let west = posix_offset(text)?;
        Some((Zone::fixed(-west), text.to_string()))
    }

    /// An offset east, as `SET TIME ZONE INTERVAL …` gives it, with its `SHOW` text.
    pub fn from_offset(east_seconds: i32) -> (Zone, String) {
        (Zone::fixed(east_seconds), posix_name(east_seconds))
    }

    fn fixed(east: i32) -> Zone {
        if east == 0 { Zone::Utc } else { Zone::Fixed(east) }
    }

    /// The offset (seconds east of UTC) in force at an instant.
    pub fn offset_at(&self, utc_micros: i64) -> i32 {
        match self {
            Zone::Utc => 0,
            Zone::Fixed(east) => *east,
            Zone::Named(tz) => match chrono::DateTime::from_timestamp_micros(utc_micros) {
                Some(at) => tz.offset_from_utc_datetime(&at.naive_utc()).fix().local_minus_utc(),
                None => 0,
            },
        }
    }

    /// The local wall time (as microseconds, read as if UTC) of an instant.
    pub fn to_local(&self, utc_micros: i64) -> i64 {
        utc_micros.saturating_add(i64::from(self.offset_at(utc_micros)) * MICROS_PER_SECOND)
    }

    /// The instant of a local wall time: gaps read with the offset before the jump,
    /// overlaps with the offset after it (see the module doc).
    pub fn from_local(&self, local_micros: i64) -> i64 {
        let offset = match self {
            Zone::Utc => 0,
            Zone::Fixed(east) => *east,
            Zone::Named(tz) => match chrono::DateTime::from_timestamp_micros(local_micros) {
                None => 0,
                Some(at) => match tz.offset_from_local_datetime(&at.naive_utc()) {
                    chrono::LocalResult::Single(o) => o.fix().local_minus_utc(),
                    chrono::LocalResult::Ambiguous(_, after) => after.fix().local_minus_utc(),
                    // In a gap: the offset of a day before, which is the one before the jump.
                    chrono::LocalResult::None => {
                        self.offset_at(local_micros.saturating_sub(86_400 * MICROS_PER_SECOND))
                    }
                },
            },
        };
        local_micros.saturating_sub(i64::from(offset) * MICROS_PER_SECOND)
    }

    /// The zone's abbreviation at an instant (`CEST`, `EST`), as `to_char`'s `TZ` prints
    /// it; a fixed offset's is its offset (`+02`).
    pub fn abbreviation(&self, utc_micros: i64) -> String {
        match self {
            Zone::Utc => "UTC".into(),
            Zone::Fixed(east) => offset_text(*east),
            Zone::Named(tz) => match chrono::DateTime::from_timestamp_micros(utc_micros) {
                Some(at) => {
                    let offset = tz.offset_from_utc_datetime(&at.naive_utc());
                    offset.abbreviation().map_or_else(|| offset_text(offset.fix().local_minus_utc()), str::to_string)
                }
                None => "UTC".into(),
            },
        }
    }
}

/// An offset as PostgreSQL prints it after a time: `+02`, `-05:30`, `+05:53:28`.
pub fn offset_text(east: i32) -> String {
    let sign = if east < 0 { '-' } else { '+' };
    let a = east.unsigned_abs();
    let (h, m, s) = (a / 3600, a / 60 % 60, a % 60);
    match (m, s) {
        (0, 0) => format!("{sign}{h:02}"),
        (m, 0) => format!("{sign}{h:02}:{m:02}"),
        (m, s) => format!("{sign}{h:02}:{m:02}:{s:02}"),
    }
}

/// PostgreSQL's name for an offset east given as a number: `<+05>-05`, `<-03:30>+03:30`.
fn posix_name(east: i32) -> String {
    format!("<{}>{}", offset_text(east), offset_text(-east))
}

/// A POSIX zone without daylight-saving rules: a name (letters, or `<…>`, or none) and an
/// offset **west** of UTC in seconds (`UTC+2` is two hours west).
fn posix_offset(text: &str) -> Option<i32> {
    let rest = match text.strip_prefix('<') {
        Some(quoted) => &quoted[quoted.find('>')? + 1..],
        None => text.trim_start_matches(|c: char| c.is_ascii_alphabetic()),
    };
    let (sign, body) = match rest.as_bytes().first()? {
        b'+' => (1, &rest[1..]),
        b'-' => (-1, &rest[1..]),
        b'0'..=b'9' => (1, rest),
        _ => return None,
    };
    let mut parts = body.split(':');
    let field = |p: Option<&str>| -> Option<i32> {
        match p {
            None => Some(0),
            Some(p) if !p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok(),
            Some(_) => None,
        }
    };
    let h = field(Some(parts.next()?))?;
    let (m, s) = (field(parts.next())?, field(parts.next())?);
    if parts.next().is_some() || h > 24 || m > 59 || s > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60 + s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::datetime::parse_timestamp;

    fn shown(setting: &str) -> Option<String> {
        Zone::parse(setting).map(|(_, s)| s)
    }

    #[test]
    fn settings_read_as_postgresql_reads_them() {
        assert_eq!(shown("europe/berlin").as_deref(), Some("Europe/Berlin"));
        assert_eq!(shown("+02").as_deref(), Some("<+02>-02"));
        assert_eq!(shown("5").as_deref(), Some("<+05>-05"));
        assert_eq!(shown("-3.5").as_deref(), Some("<-03:30>+03:30"));
        assert_eq!(Zone::parse("-05:30").unwrap().0, Zone::Fixed(5 * 3600 + 1800));
        assert_eq!(Zone::parse("UTC+2").unwrap().0, Zone::Fixed(-7200));
        assert_eq!(Zone::parse("<+02>-02").unwrap().0, Zone::Fixed(7200));
        assert_eq!(Zone::parse("UTC").unwrap().0, Zone::Utc);
        assert_eq!(Zone::parse("Mars/Base"), None);
    }

    #[test]
    fn local_time_around_daylight_saving_jumps() {
        let berlin = Zone::parse("Europe/Berlin").unwrap().0;
        let at = |s| parse_timestamp(s).unwrap();
        assert_eq!(berlin.offset_at(at("2024-07-01 12:00")), 7200);
        assert_eq!(berlin.offset_at(at("2024-01-15 12:00")), 3600);
        // 02:30 does not exist on 2024-03-31: read at +01, it is 01:30 UTC (03:30 local).
        assert_eq!(berlin.from_local(at("2024-03-31 02:30")), at("2024-03-31 01:30"));
        // 02:30 happens twice on 2024-10-27: the second time, at +01.
        assert_eq!(berlin.from_local(at("2024-10-27 02:30")), at("2024-10-27 01:30"));
        assert_eq!(berlin.abbreviation(at("2024-07-01 12:00")), "CEST");
        assert_eq!(offset_text(-(5 * 3600 + 1800)), "-05:30");
    }
}
