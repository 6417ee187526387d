//! Secondary indexes: one trait, several strategies.
//!
//! An index maps the values of some columns to the rowids of the rows holding them. It is
//! a *candidate filter*: readers fetch the rows it names and recheck their predicate, so a
//! strategy only has to be complete (never miss a row), not exact.
//!
//! Strategies: [`BTreeIndex`] (ordered; equality, ranges, ORDER BY). Hash and bitmap
//! strategies come later behind the same [`Index`] trait and [`crate::catalog::IndexKind`].

mod btree;

use std::ops::Bound;

pub use self::btree::{BTreeIndex, IndexScan, Rowids};

use crate::catalog::{IndexDef, IndexKind};
use crate::error::Result;
use crate::mvcc::Transaction;
use crate::storage::{Direction, Storage};
use crate::types::Value;

/// What every index strategy does.
pub trait Index {
    /// Adds the entry `values → rowid`; a unique index refuses a second row with the same
    /// non-NULL values ([`crate::Error::Constraint`]).
    fn insert<S: Storage>(&self, txn: &mut Transaction<S>, values: &[Value], rowid: i64) -> Result<()>;

    /// Fails with [`crate::Error::Constraint`] if inserting `values` would violate the index
    /// (a unique index already holding the same non-NULL values); writes nothing.
    fn check<S: Storage>(&self, txn: &Transaction<S>, values: &[Value]) -> Result<()>;

    /// Removes the entry `values → rowid`.
    fn remove<S: Storage>(&self, txn: &mut Transaction<S>, values: &[Value], rowid: i64) -> Result<()>;

    /// Entries whose values lie between the bounds. A bound may name fewer values than the
    /// index has columns: it then bounds that prefix (`[a]` includes every `(a, …)`).
    fn scan<'t, S: Storage>(
        &self,
        txn: &'t Transaction<S>,
        lower: Bound<&[Value]>,
        upper: Bound<&[Value]>,
        direction: Direction,
    ) -> Result<IndexScan<'t, S>>;
}

/// The index implementation for a definition.
pub fn open(def: &IndexDef) -> BTreeIndex<'_> {
    match def.kind {
        IndexKind::BTree => BTreeIndex::new(def),
    }
}
