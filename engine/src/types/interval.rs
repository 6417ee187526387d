//! INTERVAL values: PostgreSQL's three-part span, and how it is kept in a row and a key.
//!
//! An interval is months, days and microseconds apart, as PostgreSQL keeps it, because
//! they do not convert into each other: a month is 28 to 31 days, a day 23 to 25 hours
//! across a daylight-saving change, so `'1 month'` added to a date moves the calendar, not
//! a number of seconds. Comparison, though, needs one line: PostgreSQL orders intervals by
//! their span with a month as 30 days and a day as 24 hours, so `'1 mon' = '30 days'`, and
//! so does [`Interval::span`].
//!
//! In a row an interval is out of line like a NUMERIC ([`super::numeric`]): its 16 bytes
//! (months and days as little-endian `i32`, microseconds as `i64`) behind the value's
//! eight-byte slot, so that other values keep their size; any 16 bytes read back are some
//! interval. In a key it is its span, 16 bytes big-endian with the sign bit flipped, so
//! keys order and compare as intervals do; a key decodes to the span as months of 30 days,
//! days and microseconds (`'30 days'` comes back as `'1 mon'`).

use rkyv::Place;
use rkyv::rancor::Fallible;
use rkyv::ser::{Allocator, Writer};
use rkyv::vec::{ArchivedVec, VecResolver};
use rkyv::with::{ArchiveWith, DeserializeWith, SerializeWith};

use crate::error::{Error, Result};

/// Microseconds in a day of an interval's span.
const DAY: i128 = 86_400_000_000;

/// A span of time: months, days and microseconds, each with its own sign.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Interval {
    pub months: i32,
    pub days: i32,
    pub micros: i64,
}

impl Interval {
    pub fn new(months: i32, days: i32, micros: i64) -> Self {
        Interval { months, days, micros }
    }

    /// The span in microseconds, a month as 30 days and a day as 24 hours: what PostgreSQL
    /// compares.
    pub fn span(&self) -> i128 {
        (i128::from(self.months) * 30 + i128::from(self.days)) * DAY + i128::from(self.micros)
    }

    fn to_bytes(self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..4].copy_from_slice(&self.months.to_le_bytes());
        out[4..8].copy_from_slice(&self.days.to_le_bytes());
        out[8..].copy_from_slice(&self.micros.to_le_bytes());
        out
    }

    /// The interval of stored bytes; total (short input reads as zeros).
    pub(crate) fn from_bytes(bytes: &[u8]) -> Interval {
        let mut raw = [0u8; 16];
        let n = bytes.len().min(16);
        raw[..n].copy_from_slice(&bytes[..n]);
        Interval {
            months: i32::from_le_bytes(raw[..4].try_into().expect("4 bytes")),
            days: i32::from_le_bytes(raw[4..8].try_into().expect("4 bytes")),
            micros: i64::from_le_bytes(raw[8..].try_into().expect("8 bytes")),
        }
    }
}

/// The rkyv wrapper that archives an [`Interval`] out of line.
#[derive(Debug)]
pub struct OutOfLineInterval;

impl ArchiveWith<Interval> for OutOfLineInterval {
    type Archived = ArchivedVec<u8>;
    type Resolver = VecResolver;

    fn resolve_with(_: &Interval, resolver: VecResolver, out: Place<ArchivedVec<u8>>) {
        ArchivedVec::<u8>::resolve_from_len(16, resolver, out);
    }
}

impl<S: Fallible + Allocator + Writer + ?Sized> SerializeWith<Interval, S> for OutOfLineInterval {
    fn serialize_with(field: &Interval, serializer: &mut S) -> std::result::Result<VecResolver, S::Error> {
        ArchivedVec::<u8>::serialize_from_slice(&field.to_bytes(), serializer)
    }
}

impl<D: Fallible + ?Sized> DeserializeWith<ArchivedVec<u8>, Interval, D> for OutOfLineInterval {
    fn deserialize_with(field: &ArchivedVec<u8>, _: &mut D) -> std::result::Result<Interval, D::Error> {
        Ok(Interval::from_bytes(field.as_slice()))
    }
}

/// Appends the key form of `i`: its span, order-preserving.
pub(crate) fn put_key(buf: &mut Vec<u8>, i: &Interval) {
    buf.extend_from_slice(&((i.span() as u128) ^ (1 << 127)).to_be_bytes());
}

/// Reads a key form written by [`put_key`]: the span as months of 30 days, days and
/// microseconds (`'1 mon 30 days'` comes back as `'2 mons'`), each part as large as it can
/// be in turn, so every span an interval can have decodes.
pub(crate) fn read_key(bytes: &[u8]) -> Result<(Interval, usize)> {
    let raw: [u8; 16] =
        bytes.get(..16).and_then(|b| b.try_into().ok()).ok_or_else(|| Error::corrupt("interval key truncated"))?;
    let span = (u128::from_be_bytes(raw) ^ (1 << 127)) as i128;
    let clamp = |n: i128| n.clamp(i32::MIN.into(), i32::MAX.into());
    let months = clamp(span / (30 * DAY));
    let rest = span - months * 30 * DAY;
    let days = clamp(rest / DAY);
    let micros = i64::try_from(rest - days * DAY).map_err(|_| Error::corrupt("interval key out of range"))?;
    Ok((Interval { months: months as i32, days: days as i32, micros }, 16))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn key(i: &Interval) -> Vec<u8> {
        let mut buf = Vec::new();
        put_key(&mut buf, i);
        buf
    }

    #[test]
    fn a_month_is_thirty_days_in_order_and_keys() {
        let (month, days) = (Interval::new(1, 0, 0), Interval::new(0, 30, 0));
        assert_eq!(month.span(), days.span());
        assert_eq!(key(&month), key(&days));
        assert_eq!(read_key(&key(&days)).unwrap(), (month, 16));
        assert_eq!(Interval::from_bytes(&Interval::new(-3, 4, -5).to_bytes()), Interval::new(-3, 4, -5));
        assert_eq!(Interval::from_bytes(&[1]), Interval::new(1, 0, 0));
    }

    proptest! {
        #[test]
        fn keys_order_as_spans(a in any::<(i32, i32, i64)>(), b in any::<(i32, i32, i64)>()) {
            let (a, b) = (Interval::new(a.0, a.1, a.2), Interval::new(b.0, b.1, b.2));
            prop_assert_eq!(key(&a).cmp(&key(&b)), a.span().cmp(&b.span()));
        }
    }
}
