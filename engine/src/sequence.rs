//! Sequences: named counters whose values are handed out outside any transaction.
//!
//! A sequence's definition ([`SequenceDef`]) is a catalog record, written through the
//! transaction like a table's: CREATE and DROP SEQUENCE commit or roll back. Its position is
//! not: as in PostgreSQL, a value `nextval` handed out is never handed out again, even if
//! the transaction that took it rolls back, so two transactions never wait for each other
//! on a sequence.
//!
//! The position lives in memory, one [`Position`] per sequence `uid` behind a mutex, and is
//! made durable ahead of use: when `nextval` passes the last value logged, it logs the
//! value [`LOG_AHEAD`] steps further in a commit of its own (key `Meta("seqpos/{uid}")`),
//! then hands values out from memory until it passes that one — one commit per 32 values,
//! as PostgreSQL logs `SEQ_LOG_VALS` ahead in its WAL. After a restart the sequence goes on
//! after the logged value, so values handed out before a crash are never repeated (some are
//! skipped, as in PostgreSQL). `setval` and `ALTER SEQUENCE … RESTART` log at once.

use rkyv::rancor;

use crate::error::{Error, Result};
use crate::keys::Key;

/// Values logged ahead of use by one commit (PostgreSQL's `SEQ_LOG_VALS`).
pub const LOG_AHEAD: i64 = 32;

/// A sequence's definition.
#[derive(Debug, Clone, PartialEq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct SequenceDef {
    /// Unique among the database's objects (its OID is made from it). A rolled-back CREATE
    /// gives it back, so the position is keyed by `uid` instead.
    pub id: u64,
    /// Drawn at random when the sequence is created: keys its position, in memory and on
    /// disk, which outlive a rolled-back CREATE (their writes are not the transaction's).
    pub uid: u64,
    pub name: String,
    /// The integer type's OID (`int2` 21, `int4` 23, `int8` 20): its range bounds the
    /// default minimum and maximum.
    pub type_oid: u32,
    pub increment: i64,
    pub min: i64,
    pub max: i64,
    pub start: i64,
    pub cache: i64,
    pub cycle: bool,
    /// `OWNED BY table.column`: dropped with that column's table.
    pub owned_by: Option<(String, String)>,
}

impl SequenceDef {
    /// A sequence of `type_oid` with PostgreSQL's defaults: increment 1, from 1 up to the
    /// type's maximum (a descending one from -1 down to its minimum), no cycle.
    pub fn new(name: impl Into<String>, type_oid: u32, increment: i64) -> SequenceDef {
        let (low, high) = type_range(type_oid);
        let (min, max) = if increment > 0 { (1, high) } else { (low, -1) };
        SequenceDef {
            id: 0,
            uid: 0,
            name: name.into(),
            type_oid,
            increment,
            min,
            max,
            start: if increment > 0 { min } else { max },
            cache: 1,
            cycle: false,
            owned_by: None,
        }
    }

    /// Checks the definition as CREATE / ALTER SEQUENCE do.
    pub fn validate(&self) -> Result<()> {
        let (low, high) = type_range(self.type_oid);
        if self.increment == 0 {
            return Err(Error::invalid("INCREMENT must not be zero"));
        }
        if self.min < low || self.max > high {
            return Err(Error::invalid(format!(
                "MINVALUE ({}) and MAXVALUE ({}) must lie within the sequence's type",
                self.min, self.max
            )));
        }
        if self.min >= self.max {
            return Err(Error::invalid(format!("MINVALUE ({}) must be less than MAXVALUE ({})", self.min, self.max)));
        }
        if self.start < self.min || self.start > self.max {
            return Err(Error::invalid(format!(
                "START value ({}) cannot be outside MINVALUE ({}) .. MAXVALUE ({})",
                self.start, self.min, self.max
            )));
        }
        if self.cache < 1 {
            return Err(Error::invalid(format!("CACHE ({}) must be greater than zero", self.cache)));
        }
        Ok(())
    }

    /// The value after `last`, or `None` when the sequence is exhausted (no CYCLE).
    fn after(&self, last: i64) -> Option<i64> {
        match last.checked_add(self.increment) {
            Some(n) if (self.min..=self.max).contains(&n) => Some(n),
            _ if self.cycle => Some(if self.increment > 0 { self.min } else { self.max }),
            _ => None,
        }
    }

    pub(crate) fn encode(&self) -> Result<Vec<u8>> {
        rkyv::to_bytes::<rancor::Error>(self)
            .map(|b| b.to_vec())
            .map_err(|e| Error::corrupt(format!("encode sequence: {e}")))
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self> {
        rkyv::from_bytes::<SequenceDef, rancor::Error>(bytes)
            .map_err(|e| Error::corrupt(format!("sequence definition: {e}")))
    }
}

/// The range of an integer type by OID.
pub fn type_range(type_oid: u32) -> (i64, i64) {
    match type_oid {
        21 => (i16::MIN as i64, i16::MAX as i64),
        23 => (i32::MIN as i64, i32::MAX as i64),
        _ => (i64::MIN, i64::MAX),
    }
}

/// Where a sequence stands: its last value, whether that value was handed out (`false`
/// after CREATE or `setval(…, false)`: the next value is `last` itself), and the last value
/// made durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub last: i64,
    pub called: bool,
    pub(crate) logged: i64,
}

impl Position {
    /// A fresh sequence's position: nothing handed out, `start` next.
    pub fn fresh(def: &SequenceDef) -> Position {
        Position { last: def.start, called: false, logged: def.start }
    }

    /// The value `nextval` hands out next, and the position after it.
    pub(crate) fn advance(self, def: &SequenceDef) -> Result<(i64, Position)> {
        let value = if self.called {
            def.after(self.last).ok_or_else(|| {
                let (bound, which) = if def.increment > 0 { (def.max, "maximum") } else { (def.min, "minimum") };
                Error::SequenceLimit(format!("nextval: reached {which} value of sequence \"{}\" ({bound})", def.name))
            })?
        } else {
            self.last
        };
        Ok((value, Position { last: value, called: true, logged: self.logged }))
    }

    /// Whether handing out `value` (which follows `before`) needs a new durable position
    /// first: it passes the one logged, or a CYCLE wrapped back below it.
    pub(crate) fn needs_log(&self, def: &SequenceDef, value: i64, before: &Position) -> bool {
        let wrapped = before.called && if def.increment > 0 { value <= before.last } else { value >= before.last };
        wrapped || if def.increment > 0 { value >= self.logged } else { value <= self.logged }
    }

    /// The value to make durable before handing out `value`: [`LOG_AHEAD`] steps on,
    /// within the sequence's bounds.
    pub(crate) fn log_ahead(def: &SequenceDef, value: i64) -> i64 {
        let ahead = value.saturating_add(def.increment.saturating_mul(LOG_AHEAD - 1));
        ahead.clamp(def.min, def.max)
    }

    /// The durable form: the position a restart goes on from.
    pub(crate) fn encode(last: i64, called: bool) -> Vec<u8> {
        let mut out = last.to_be_bytes().to_vec();
        out.push(called as u8);
        out
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Position> {
        let (last, called) = bytes.split_at_checked(8).ok_or_else(|| Error::corrupt("sequence position"))?;
        let last = i64::from_be_bytes(last.try_into().map_err(|_| Error::corrupt("sequence position"))?);
        Ok(Position { last, called: called.first() == Some(&1), logged: last })
    }
}

/// The key of a sequence's definition.
pub(crate) fn def_key(name: &str) -> Vec<u8> {
    Key::Meta(&format!("sequence/{name}")).encode()
}

/// The key of a sequence's durable position, by its `uid`.
pub(crate) fn position_key(uid: u64) -> Vec<u8> {
    Key::Meta(&format!("seqpos/{uid:016x}")).encode()
}

/// A fresh random `uid` (the standard library's per-process random hash keys, mixed with
/// a counter and the time).
pub(crate) fn fresh_uid() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_postgresql() {
        let up = SequenceDef::new("s", 23, 1);
        assert_eq!((up.min, up.max, up.start), (1, i32::MAX as i64, 1));
        let down = SequenceDef::new("s", 20, -2);
        assert_eq!((down.min, down.max, down.start), (i64::MIN, -1, -1));
        assert!(up.validate().is_ok() && down.validate().is_ok());
        assert!(SequenceDef { increment: 0, ..up.clone() }.validate().is_err());
        assert!(SequenceDef { start: 0, ..up.clone() }.validate().is_err());
        assert!(SequenceDef { max: i64::MAX, ..up }.validate().is_err());
    }

    #[test]
    fn positions_advance_cycle_and_stop_at_the_bounds() {
        let def = SequenceDef { max: 3, ..SequenceDef::new("s", 20, 1) };
        let mut p = Position::fresh(&def);
        let mut got = vec![];
        for _ in 0..3 {
            let (v, next) = p.advance(&def).unwrap();
            got.push(v);
            p = next;
        }
        assert_eq!(got, [1, 2, 3]);
        assert!(
            matches!(p.advance(&def), Err(Error::SequenceLimit(m)) if m.contains("maximum value of sequence \"s\" (3)"))
        );
        let cycling = SequenceDef { cycle: true, ..def };
        assert_eq!(p.advance(&cycling).unwrap().0, 1);
    }

    #[test]
    fn logging_runs_ahead_within_bounds() {
        let def = SequenceDef::new("s", 20, 1);
        assert_eq!(Position::log_ahead(&def, 1), 32);
        let small = SequenceDef { max: 10, ..def };
        assert_eq!(Position::log_ahead(&small, 5), 10);
        let p = Position::decode(&Position::encode(7, true)).unwrap();
        assert_eq!((p.last, p.called), (7, true));
    }
}
