//! The storage layer: an ordered byte key-value space with read snapshots and atomic
//! write batches. Everything above it (MVCC, catalog, tables, indexes) speaks only the
//! [`Storage`] trait.
//!
//! The trait is deliberately small — snapshot, apply a batch, flush, status — because every
//! backend must implement all of it and pass the same conformance tests:
//!
//! | backend                   | snapshots             | durability                     |
//! |---------------------------|-----------------------|--------------------------------|
//! | [`RedbStorage`] (default) | native (redb read txn)| redb `Immediate` / `None`      |
//! | [`MemoryStorage`]         | [`Overlay`] undo log  | none (`:memory:`)              |
//! | [`SledStorage`]           | [`Overlay`] undo log  | `flush()` after the batch      |
//!
//! Snapshots are how the MVCC layer gets isolation without versioned keys: a transaction
//! reads from one snapshot plus its own write buffer, so a point read stays one storage
//! lookup (see `mvcc.rs`). Backends without native snapshots (memory, sled) get them from
//! [`Overlay`], which keeps the values that newer commits overwrote for as long as an older
//! snapshot is alive.
//!
//! [`AnyStorage`] picks a backend at run time; hot paths stay generic over `Storage`.

mod any;
mod memory;
pub mod mirror;
mod overlay;
mod redb;
mod sled;
mod wal;

use std::ops::Bound;

pub use self::any::{AnyBytes, AnyScan, AnySnapshot, AnyStorage, Backend};
pub use self::memory::{MemoryStorage, MemoryStore};
pub use self::overlay::{Overlay, OverlayScan, OverlaySnapshot, PlainStore};
pub use self::redb::{RedbBytes, RedbScan, RedbSnapshot, RedbStorage};
pub use self::sled::{SledStorage, SledStore};

use crate::error::Result;

/// How hard a write batch is pushed to disk before `apply` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// On disk (fsync) before returning.
    #[default]
    Full,
    /// Applied and readable, but flushed later: a crash may lose it, never half of it.
    Deferred,
}

/// Which way a scan walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Forward,
    Reverse,
}

/// A range of keys, as two bounds.
pub type KeyRange = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// The range of every key that starts with `prefix`.
pub fn prefix_range(prefix: &[u8]) -> KeyRange {
    let end = match crate::encoding::keycode::prefix_end(prefix) {
        Some(end) => Bound::Excluded(end),
        None => Bound::Unbounded,
    };
    (Bound::Included(prefix.to_vec()), end)
}

/// Whether `key` is at or past the start of `range`.
pub fn range_starts_by(range: &KeyRange, key: &[u8]) -> bool {
    match &range.0 {
        Bound::Included(s) => key >= s.as_slice(),
        Bound::Excluded(s) => key > s.as_slice(),
        Bound::Unbounded => true,
    }
}

/// Whether `key` lies within `range`.
pub fn range_contains(range: &KeyRange, key: &[u8]) -> bool {
    let above = range_starts_by(range, key);
    let below = match &range.1 {
        Bound::Included(e) => key <= e.as_slice(),
        Bound::Excluded(e) => key < e.as_slice(),
        Bound::Unbounded => true,
    };
    above && below
}

/// Whether no key can lie within `range` (start above end, or an empty half-open range).
/// `BTreeMap::range` panics on such ranges, so scans check this first.
pub fn range_is_empty(range: &KeyRange) -> bool {
    match (&range.0, &range.1) {
        (Bound::Included(s), Bound::Included(e)) => s > e,
        (Bound::Included(s) | Bound::Excluded(s), Bound::Excluded(e)) | (Bound::Excluded(s), Bound::Included(e)) => {
            s >= e
        }
        _ => false,
    }
}

/// One write: `Some(value)` sets the key, `None` deletes it.
pub type WriteOp = (Vec<u8>, Option<Vec<u8>>);

/// Writes applied atomically: all or nothing, in order (a later write to the same key wins).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct WriteBatch {
    pub ops: Vec<WriteOp>,
}

impl WriteBatch {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.ops.push((key, Some(value)));
    }

    pub fn delete(&mut self, key: Vec<u8>) {
        self.ops.push((key, None));
    }

    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
}

/// What a store reports about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The backend's name: `redb`, `memory` or `sled`.
    pub backend: &'static str,
    /// Bytes the store occupies on disk (0 in memory).
    pub disk_bytes: u64,
}

/// An ordered byte key-value store with read snapshots and atomic batches.
pub trait Storage: Send + Sync + 'static {
    type Snapshot: Snapshot;

    /// A consistent view of every batch applied so far. Later batches are not seen by it.
    fn snapshot(&self) -> Result<Self::Snapshot>;

    /// Applies the batch atomically. A crash leaves all of it or none of it.
    fn apply(&self, batch: &WriteBatch, durability: Durability) -> Result<()>;

    /// Makes every batch applied so far durable.
    fn flush(&self) -> Result<()>;

    fn status(&self) -> Result<Status>;
}

/// A read-only, consistent view of a store.
pub trait Snapshot: Send + Sync + 'static {
    /// Bytes handed out by the store; read in place where the backend allows.
    type Bytes: AsRef<[u8]>;
    type Scan: Iterator<Item = Result<(Self::Bytes, Self::Bytes)>> + LendingScan;

    fn get(&self, key: &[u8]) -> Result<Option<Self::Bytes>>;

    /// The entries in `range`, in key order (`Forward`) or reverse key order (`Reverse`).
    fn scan(&self, range: KeyRange, direction: Direction) -> Result<Self::Scan>;
}

/// A scan that can lend its next entry's bytes to a closure instead of handing out owned
/// handles to them.
///
/// An index scan reads one entry per row it finds and wants only a few bytes of each: on
/// redb, moving the entry's two page guards (96 bytes each) out through the layers above,
/// then dropping them there, cost about half of an entry's 1,000 instructions (`sql_probe`,
/// `PROBE=t`). Lent in place, the guards never leave the backend.
pub trait LendingScan {
    /// Calls `f` with the next entry's key and value; `None` once the scan is done.
    fn next_with<R>(&mut self, f: impl FnOnce(&[u8], &[u8]) -> Result<R>) -> Option<Result<R>>;
}

/// [`LendingScan::next_with`] for a scan that owns its entries anyway.
pub(crate) fn lend_next<B: AsRef<[u8]>, R>(
    scan: &mut impl Iterator<Item = Result<(B, B)>>,
    f: impl FnOnce(&[u8], &[u8]) -> Result<R>,
) -> Option<Result<R>> {
    scan.next().map(|entry| entry.and_then(|(k, v)| f(k.as_ref(), v.as_ref())))
}

impl LendingScan for std::vec::IntoIter<Result<(Vec<u8>, Vec<u8>)>> {
    fn next_with<R>(&mut self, f: impl FnOnce(&[u8], &[u8]) -> Result<R>) -> Option<Result<R>> {
        lend_next(self, f)
    }
}

#[cfg(test)]
mod conformance;
