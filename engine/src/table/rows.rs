//! Reading rows in place: [`RowRef`] and [`RowScan`].

use std::ops::{Bound, RangeBounds};

use crate::encoding::row::{self, ArchivedRow};
use crate::error::Result;
use crate::keys::{Key, decode_row_key};
use crate::mvcc::{ReadBytes, Scan};
use crate::storage::{KeyRange, Snapshot};
use crate::table::blocks::{BlockBytes, BlockScan, BlockSnapshot};
use crate::types::{ArchivedValue, Value};

/// A stored row, not yet decoded.
pub struct RowRef<'t, B> {
    pub rowid: i64,
    bytes: ReadBytes<'t, B>,
}

impl<'t, B: AsRef<[u8]>> RowRef<'t, B> {
    pub(crate) fn new(rowid: i64, bytes: ReadBytes<'t, B>) -> Self {
        RowRef { rowid, bytes }
    }

    /// The row's bytes, lent for reading.
    #[inline]
    pub fn view(&self) -> RowView<'_> {
        RowView { rowid: self.rowid, bytes: self.bytes.as_ref() }
    }

    /// The row, validated and read in place.
    #[inline]
    pub fn archived(&self) -> Result<&ArchivedRow> {
        row::access(self.bytes.as_ref())
    }

    /// One column, read in place; only that column is validated (`None` past the row's end).
    #[inline]
    pub fn column(&self, i: usize) -> Result<Option<&ArchivedValue>> {
        self.view().column(i)
    }

    /// The row copied out into owned values.
    pub fn values(&self) -> Result<Vec<Value>> {
        self.view().values()
    }
}

/// A stored row's bytes, borrowed from wherever they lie (a block being scanned, a
/// transaction's buffer), not yet decoded.
#[derive(Clone, Copy)]
pub struct RowView<'a> {
    pub rowid: i64,
    bytes: &'a [u8],
}

impl<'a> RowView<'a> {
    /// One column, read in place; only that column is validated (`None` past the row's end).
    #[inline]
    pub fn column(&self, i: usize) -> Result<Option<&'a ArchivedValue>> {
        row::access_column(self.bytes, i)
    }

    /// The row copied out into owned values.
    pub fn values(&self) -> Result<Vec<Value>> {
        row::decode(self.bytes)
    }
}

/// The rows of a table in rowid order (or reverse), read through the row blocks of a
/// snapshot of `T`.
pub struct RowScan<'t, T: Snapshot> {
    source: RowSource<'t, T>,
}

enum RowSource<'t, T: Snapshot> {
    /// The transaction wrote nothing in the range: rows come straight from the blocks.
    Stored(BlockScan<T>),
    /// Rows merged with the transaction's own writes, by key.
    Merged(Scan<'t, BlockSnapshot<T>>),
}

impl<'t, T: Snapshot> RowScan<'t, T> {
    pub(crate) fn new(scan: Scan<'t, BlockSnapshot<T>>) -> Self {
        let source = match scan.into_stored() {
            Ok(stored) => RowSource::Stored(stored),
            Err(merged) => RowSource::Merged(merged),
        };
        RowScan { source }
    }
}

impl<T: Snapshot> RowScan<'_, T> {
    /// Calls `f` with each remaining row, in scan order, without a handle per row (see
    /// [`BlockScan::for_each_row`]); the scan ends at the first error.
    pub fn for_each_row<E: From<crate::Error>>(
        &mut self,
        mut f: impl FnMut(RowView<'_>) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        match &mut self.source {
            RowSource::Stored(scan) => scan.for_each_row(|rowid, bytes| f(RowView { rowid, bytes })),
            RowSource::Merged(scan) => scan.try_for_each(|entry| {
                let (key, value) = entry?;
                let (_, rowid) = decode_row_key(&key)?;
                f(RowView { rowid, bytes: value.as_ref() })
            }),
        }
    }
}

impl<'t, T: Snapshot> Iterator for RowScan<'t, T> {
    type Item = Result<RowRef<'t, BlockBytes<T::Bytes>>>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.source {
            RowSource::Stored(scan) => {
                Some(scan.next_row()?.map(|(rowid, value)| RowRef::new(rowid, ReadBytes::Stored(value))))
            }
            RowSource::Merged(scan) => Some(scan.next()?.and_then(|(key, value)| {
                let (_, rowid) = decode_row_key(&key)?;
                Ok(RowRef::new(rowid, value))
            })),
        }
    }
}

/// The key range of rows `rowids` of `table`.
pub fn rowid_range(table: u64, rowids: impl RangeBounds<i64>) -> KeyRange {
    let key = |rowid| Key::Row { table, rowid }.encode();
    let start = match rowids.start_bound() {
        Bound::Included(&r) => Bound::Included(key(r)),
        Bound::Excluded(&r) => Bound::Excluded(key(r)),
        Bound::Unbounded => Bound::Included(key(i64::MIN)),
    };
    let end = match rowids.end_bound() {
        Bound::Included(&r) => Bound::Included(key(r)),
        Bound::Excluded(&r) => Bound::Excluded(key(r)),
        Bound::Unbounded => Bound::Included(key(i64::MAX)),
    };
    (start, end)
}
