//! Row blocks: rows stored packed, 32 to a storage entry, beneath MVCC.
//!
//! Above this layer every row is its own logical key, `Row(table, rowid)`: transactions
//! buffer rows, conflicts are detected per row, scans merge per row. [`RowBlocks`] is a
//! [`Storage`] adapter that stores those keys packed into *blocks* of 32 rowid-contiguous
//! rows, `RowBlock(table, rowid >> 5)`, and unpacks them on read. Every other key passes
//! through unchanged.
//!
//! # Why
//!
//! With one storage entry per row, redb iterates about 9.5M entries/s and inserts about
//! 1.7M/s on this machine kind, below what SQLite reaches on the same workloads (its
//! B-tree leaves hold many rows each). Packing rows amortises the store's per-entry cost
//! (cursor step, page guard, key compare) over 32 rows, as SQLite's leaf pages do, while a
//! point read stays one storage lookup plus a binary search over at most 32 entries.
//!
//! # Block format
//!
//! ```text
//! +--------+-----------+---------------------------------------+-------------------+
//! | format | count u16 | count × (rowid i64 LE, end u32 LE)     | row bytes …       |
//! +--------+-----------+---------------------------------------+-------------------+
//!    1 B       2 B                 12 B each, rowid ascending     row i = [end(i-1), end(i))
//! ```
//!
//! Each row keeps its own encoding (`encoding::row`), so a reader validates only the row
//! it reads. Every offset is bounds-checked: a damaged block is [`Error::Corruption`].
//!
//! # Writes
//!
//! `apply` receives logical batches from the commit leader, which is the only writer, so
//! it can read the *latest* version of each touched block, merge the batch's rows into it
//! and write the block back, all inside the one atomic batch of the group commit.
//! Concurrent transactions inserting into one block therefore do not conflict: their rows
//! are different logical keys. The cost is write amplification for single-row updates
//! (a block is rewritten, about 2–3 KiB for rows of 75 bytes); bulk writes touch each block
//! once.

use std::ops::{Bound, Range};
use std::rc::Rc;
use std::sync::Arc;

use super::block_cache::{BlockCache, BlockId, DEFAULT_BLOCK_CACHE_BYTES};

use crate::encoding::keycode::prefix_end;
use crate::error::{Error, Result};
use crate::keys::{Key, ROW, decode_row_key, row_key_array, row_key_parts};
use crate::storage::{
    Direction, Durability, KeyRange, LendingScan, Snapshot, Status, Storage, WriteBatch, range_contains,
    range_starts_by,
};

/// Rows per block is `1 << BLOCK_SHIFT`.
pub const BLOCK_SHIFT: u32 = 5;
const BLOCK_FORMAT: u8 = 1;
const HEADER: usize = 3;
const ENTRY: usize = 12;

/// A [`Storage`] that packs row keys into blocks (see the module doc).
#[derive(Clone)]
pub struct RowBlocks<S: Storage> {
    inner: S,
    /// Off: every key passes through, one entry per row. A store is always read the way
    /// it was written, so this is fixed per backend (see `Database::with_storage`).
    packed: bool,
    /// Recently read blocks, for point reads (see `block_cache.rs`).
    cache: Arc<BlockCache>,
}

impl<S: Storage> RowBlocks<S> {
    /// Packs rows into blocks, with a block cache of the default size.
    pub fn new(inner: S) -> Self {
        Self::with_cache(inner, DEFAULT_BLOCK_CACHE_BYTES)
    }

    /// Packs rows into blocks, with a block cache of `cache_bytes` (0: none).
    pub fn with_cache(inner: S, cache_bytes: usize) -> Self {
        RowBlocks { inner, packed: true, cache: Arc::new(BlockCache::new(cache_bytes)) }
    }

    /// Stores one entry per row (no packing, no cache).
    pub fn unpacked(inner: S) -> Self {
        RowBlocks { inner, packed: false, cache: Arc::new(BlockCache::new(0)) }
    }

    pub fn is_packed(&self) -> bool {
        self.packed
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }
}

fn block_key(table: u64, rowid: i64) -> Vec<u8> {
    Key::RowBlock { table, block: rowid >> BLOCK_SHIFT }.encode()
}

/// A block, parsed just enough to find rows in it.
struct BlockView<'a> {
    entries: &'a [u8],
    data: &'a [u8],
    /// Offset of `data` in the block.
    data_start: usize,
}

impl<'a> BlockView<'a> {
    #[inline]
    fn parse(block: &'a [u8]) -> Result<Self> {
        let corrupt = || Error::corrupt("damaged row block header");
        if block.first() != Some(&BLOCK_FORMAT) {
            return Err(Error::corrupt(format!("unknown row block format {:?}", block.first())));
        }
        let count =
            u16::from_le_bytes(block.get(1..3).ok_or_else(corrupt)?.try_into().map_err(|_| corrupt())?) as usize;
        let data_start = HEADER + count * ENTRY;
        let entries = block.get(HEADER..data_start).ok_or_else(corrupt)?;
        Ok(BlockView { entries, data: &block[data_start..], data_start })
    }

    #[inline]
    fn len(&self) -> usize {
        self.entries.len() / ENTRY
    }

    #[inline]
    fn rowid(&self, i: usize) -> i64 {
        i64::from_le_bytes(self.entries[i * ENTRY..i * ENTRY + 8].try_into().expect("8 bytes"))
    }

    #[inline]
    fn end(&self, i: usize) -> usize {
        u32::from_le_bytes(self.entries[i * ENTRY + 8..i * ENTRY + 12].try_into().expect("4 bytes")) as usize
    }

    /// Where row `i`'s bytes lie in the block.
    #[inline]
    fn row_range(&self, i: usize) -> Result<Range<usize>> {
        let start = if i == 0 { 0 } else { self.end(i - 1) };
        let end = self.end(i);
        if start > end || end > self.data.len() {
            return Err(Error::corrupt("row block offsets out of range"));
        }
        Ok(self.data_start + start..self.data_start + end)
    }

    fn row(&self, i: usize) -> Result<&'a [u8]> {
        let r = self.row_range(i)?;
        Ok(&self.data[r.start - self.data_start..r.end - self.data_start])
    }

    fn find(&self, rowid: i64) -> Option<usize> {
        // A block's rowids are usually consecutive (rowids come from a counter, and a block
        // holds 32 of them): look first where the rowid would then be. On a block just read
        // from memory that is one load where the binary search made five, each waiting for
        // the last (point reads over 1M rows, sql_probe: +10% per CPU second).
        let n = self.len();
        if let Some(first) = (n > 0).then(|| self.rowid(0))
            && let Ok(guess) = usize::try_from(rowid.wrapping_sub(first))
            && guess < n
            && self.rowid(guess) == rowid
        {
            return Some(guess);
        }
        let (mut lo, mut hi) = (0, n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.rowid(mid).cmp(&rowid) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }
}

/// Writes a block from rows in ascending rowid order.
fn encode_block(rows: &[(i64, &[u8])]) -> Result<Vec<u8>> {
    let data_len: usize = rows.iter().map(|(_, r)| r.len()).sum();
    if data_len > u32::MAX as usize {
        return Err(Error::invalid("rows too large for one block"));
    }
    let mut out = Vec::with_capacity(HEADER + rows.len() * ENTRY + data_len);
    out.push(BLOCK_FORMAT);
    out.extend_from_slice(&(rows.len() as u16).to_le_bytes());
    let mut end = 0u32;
    for (rowid, row) in rows {
        end += row.len() as u32;
        out.extend_from_slice(&rowid.to_le_bytes());
        out.extend_from_slice(&end.to_le_bytes());
    }
    for (_, row) in rows {
        out.extend_from_slice(row);
    }
    Ok(out)
}

/// Merges sorted row writes into a block's rows; `None` if the block ends up empty.
fn merge_block(existing: Option<&[u8]>, writes: &[(i64, Option<&[u8]>)]) -> Result<Option<Vec<u8>>> {
    let view = existing.map(BlockView::parse).transpose()?;
    let mut rows: Vec<(i64, &[u8])> = Vec::with_capacity(view.as_ref().map_or(0, |v| v.len()) + writes.len());
    let (mut i, n) = (0, view.as_ref().map_or(0, |v| v.len()));
    let mut w = writes.iter().peekable();
    while i < n || w.peek().is_some() {
        let stored = view.as_ref().filter(|_| i < n).map(|v| v.rowid(i));
        match (stored, w.peek()) {
            (Some(s), Some(&&(r, _))) if s < r => {
                rows.push((s, view.as_ref().expect("i < n").row(i)?));
                i += 1;
            }
            (Some(s), None) => {
                rows.push((s, view.as_ref().expect("i < n").row(i)?));
                i += 1;
            }
            (stored, Some(&&(r, value))) => {
                w.next();
                // Later writes of one rowid win (a batch never holds two, but stay correct).
                if w.peek().is_some_and(|&&(next, _)| next == r) {
                    continue;
                }
                if stored == Some(r) {
                    i += 1;
                }
                if let Some(value) = value {
                    rows.push((r, value));
                }
            }
            (None, None) => unreachable!("loop condition"),
        }
    }
    if rows.is_empty() { Ok(None) } else { encode_block(&rows).map(Some) }
}

impl<S: Storage> Storage for RowBlocks<S> {
    type Snapshot = BlockSnapshot<S::Snapshot>;

    fn snapshot(&self) -> Result<Self::Snapshot> {
        // The count first, then the store's snapshot (the order `block_cache.rs` relies on).
        let applied = self.cache.applied();
        Ok(BlockSnapshot { inner: self.inner.snapshot()?, packed: self.packed, cache: self.cache.clone(), applied })
    }

    fn apply(&self, batch: &WriteBatch, durability: Durability) -> Result<()> {
        if !self.packed {
            return self.inner.apply(batch, durability);
        }
        let mut physical = WriteBatch::new();
        let mut row_writes: Vec<(u64, i64, Option<&[u8]>)> = Vec::new();
        for (key, value) in &batch.ops {
            match row_key_parts(key) {
                Some((table, rowid)) => row_writes.push((table, rowid, value.as_deref())),
                None if key.first() == Some(&ROW) => {
                    return Err(Error::invalid("malformed row key: row keys are tag, table and rowid"));
                }
                None => physical.ops.push((key.clone(), value.clone())),
            }
        }
        if !row_writes.is_empty() {
            // Stable, and linear on the already-sorted batches of single transactions.
            row_writes.sort_by_key(|&(table, rowid, _)| (table, rowid));
            let snapshot = self.inner.snapshot()?;
            let mut writes = Vec::new();
            for group in row_writes.chunk_by(|a, b| a.0 == b.0 && a.1 >> BLOCK_SHIFT == b.1 >> BLOCK_SHIFT) {
                let key = block_key(group[0].0, group[0].1);
                writes.clear();
                writes.extend(group.iter().map(|&(_, rowid, value)| (rowid, value)));
                let existing = snapshot.get(&key)?;
                let merged = merge_block(existing.as_ref().map(AsRef::as_ref), &writes)?;
                physical.ops.push((key, merged));
            }
            // Release the snapshot before applying: stores without native snapshots keep
            // history for every live one.
            drop(snapshot);
            let written = row_writes
                .chunk_by(|a, b| a.0 == b.0 && a.1 >> BLOCK_SHIFT == b.1 >> BLOCK_SHIFT)
                .map(|g| (g[0].0, g[0].1 >> BLOCK_SHIFT));
            self.cache.begin_apply(written);
            let result = self.inner.apply(&physical, durability);
            self.cache.end_apply(result.is_ok());
            return result;
        }
        self.inner.apply(&physical, durability)
    }

    fn flush(&self) -> Result<()> {
        self.inner.flush()
    }

    fn status(&self) -> Result<Status> {
        self.inner.status()
    }
}

/// A snapshot that reads row keys out of blocks.
pub struct BlockSnapshot<T> {
    inner: T,
    packed: bool,
    cache: Arc<BlockCache>,
    /// The cache's apply count when this snapshot was taken.
    applied: u64,
}

/// Bytes read through [`RowBlocks`]: a passed-through value, a row inside a block, or a
/// row key made on the fly.
///
/// Store bytes can be large (a redb page guard is 96 bytes), and scans move every item
/// through several iterator layers, so the large variants are boxed: items stay 32 bytes.
pub enum BlockBytes<B> {
    Stored(Box<B>),
    /// A row within a block read by a point lookup (shared with the block cache).
    Cached {
        block: Arc<[u8]>,
        start: u32,
        end: u32,
    },
    /// A row within a block shared by the rows of a scan (copied out of the store once).
    SharedRow {
        block: Rc<B>,
        start: u32,
        end: u32,
    },
    Key(RowKeyBuf),
}

/// A row key built on the fly, laid out so that its table id and rowid sit at 8-byte
/// boundaries: it is copied through several iterator layers and read back as integers, and
/// misaligned copies of a 17-byte array stalled store-to-load forwarding (profiled: most of
/// `RowScan::next`).
#[derive(Clone, Copy)]
#[repr(C, align(8))]
pub struct RowKeyBuf {
    /// Seven bytes of padding, then the key's 17 bytes.
    bytes: [u8; 24],
}

impl RowKeyBuf {
    #[inline]
    fn new(table: u64, rowid: i64) -> Self {
        let mut bytes = [0u8; 24];
        bytes[7..24].copy_from_slice(&row_key_array(table, rowid));
        RowKeyBuf { bytes }
    }

    #[inline]
    fn as_bytes(&self) -> &[u8] {
        &self.bytes[7..]
    }
}

impl<B: AsRef<[u8]>> AsRef<[u8]> for BlockBytes<B> {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        match self {
            BlockBytes::Stored(b) => (**b).as_ref(),
            // Ranges were checked against these very bytes when the value was made.
            BlockBytes::Cached { block, start, end } => block.get(*start as usize..*end as usize).unwrap_or_default(),
            BlockBytes::SharedRow { block, start, end } => {
                (**block).as_ref().get(*start as usize..*end as usize).unwrap_or_default()
            }
            BlockBytes::Key(k) => k.as_bytes(),
        }
    }
}

impl<T: Snapshot> Snapshot for BlockSnapshot<T> {
    type Bytes = BlockBytes<T::Bytes>;
    type Scan = BlockScan<T>;

    #[inline]
    fn get(&self, key: &[u8]) -> Result<Option<Self::Bytes>> {
        let Some((table, rowid)) = row_key_parts(key).filter(|_| self.packed) else {
            return Ok(self.inner.get(key)?.map(|b| BlockBytes::Stored(Box::new(b))));
        };
        let id: BlockId = (table, rowid >> BLOCK_SHIFT);
        let block = match self.cache.get(&id, self.applied) {
            Some(block) => block,
            None => {
                let Some(stored) = self.inner.get(&block_key(table, rowid))? else { return Ok(None) };
                self.cache.fill(id, stored.as_ref(), self.applied)
            }
        };
        let view = BlockView::parse(&block)?;
        let Some(i) = view.find(rowid) else { return Ok(None) };
        let range = view.row_range(i)?;
        let (start, end) = (range.start as u32, range.end as u32);
        Ok(Some(BlockBytes::Cached { block, start, end }))
    }

    fn scan(&self, range: KeyRange, direction: Direction) -> Result<Self::Scan> {
        let widened = match self.packed {
            true => (physical_bound(&range.0, true), physical_bound(&range.1, false)),
            false => (None, None),
        };
        // A range that needs no widening is the store's range as it is: its entries, and
        // the rows of its blocks, need no check (and the range is not copied).
        let (physical, logical) = match widened {
            (None, None) => (range, None),
            (lo, hi) => {
                let physical = (lo.unwrap_or_else(|| range.0.clone()), hi.unwrap_or_else(|| range.1.clone()));
                (physical, Some(range))
            }
        };
        let rows_possible = self.packed && may_hold_rows(&physical);
        let inner = self.inner.scan(physical, direction)?;
        Ok(BlockScan {
            inner,
            range: logical,
            direction,
            block: None,
            packed: self.packed,
            rows_possible,
            failed: false,
        })
    }
}

/// Maps a bound on logical keys to one on physical keys that covers at least the same rows;
/// `None` when the bound serves as it is.
fn physical_bound(bound: &Bound<Vec<u8>>, is_start: bool) -> Option<Bound<Vec<u8>>> {
    let (Bound::Included(key) | Bound::Excluded(key)) = bound else { return None };
    if key.first() != Some(&ROW) || key.len() <= 9 {
        // Outside the row region, or a prefix of whole tables: blocks, and every row in
        // them, compare with it exactly as their rows do (a block's key starts with its
        // rows' tag and table).
        return None;
    }
    if let Some((table, rowid)) = row_key_parts(key) {
        return Some(Bound::Included(block_key(table, rowid)));
    }
    // Part of a rowid, or trailing bytes: widen to the whole table; rows are filtered after.
    let table = key[..9].to_vec();
    Some(if is_start { Bound::Included(table) } else { prefix_end(&table).map_or(Bound::Unbounded, Bound::Excluded) })
}

/// Whether a physical range can hold row blocks (keys tagged [`ROW`]); when it cannot (an
/// index's range, a catalog's), every entry of a scan passes through unchanged.
fn may_hold_rows(range: &KeyRange) -> bool {
    let starts_after = match &range.0 {
        Bound::Included(s) | Bound::Excluded(s) => s.first().is_some_and(|&tag| tag > ROW),
        Bound::Unbounded => false,
    };
    let ends_before = match &range.1 {
        Bound::Included(e) => e.first().is_none_or(|&tag| tag < ROW),
        Bound::Excluded(e) => e.as_slice() <= [ROW].as_slice(),
        Bound::Unbounded => false,
    };
    !starts_after && !ends_before
}

/// The number of leading indexes in `0..n` for which `pred` holds (`pred` must hold for a
/// prefix and fail after it).
fn partition_point(n: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if pred(mid) { lo = mid + 1 } else { hi = mid }
    }
    lo
}

/// A scan that unpacks blocks into rows, filtered to the logical range.
pub struct BlockScan<T: Snapshot> {
    inner: T::Scan,
    /// The logical range, when the store's range is wider (`None`: they are the same, and
    /// every entry and row the store returns is in range).
    range: Option<KeyRange>,
    direction: Direction,
    /// The block being unpacked: its bytes, table, entries left (front..back).
    block: Option<OpenBlock<T::Bytes>>,
    packed: bool,
    /// Whether the store's range can hold row blocks (see [`may_hold_rows`]).
    rows_possible: bool,
    failed: bool,
}

struct OpenBlock<B> {
    bytes: Rc<B>,
    table: u64,
    /// In-range rows not yet returned, as entry indexes `front..back`: read from the block
    /// as they are returned, so opening a block allocates nothing.
    front: usize,
    back: usize,
}

impl<B: AsRef<[u8]>> OpenBlock<B> {
    /// Entry `i`: its rowid and the byte range of its row.
    fn row(&self, i: usize) -> Result<(i64, Range<usize>)> {
        let view = BlockView::parse((*self.bytes).as_ref())?;
        Ok((view.rowid(i), view.row_range(i)?))
    }
}

/// The most of a block [`prefetch`] asks for: a block of large rows would otherwise flush
/// a good part of the first-level cache.
const PREFETCH_BYTES: usize = 8 << 10;

/// Asks the CPU to start loading `bytes` (up to [`PREFETCH_BYTES`]) into its cache.
///
/// A scan reads a block's rows one after another, and a block just read from the store is
/// usually not in cache: each row's first access then waited for memory in turn (three
/// quarters of a range sum's time in row access sat on one load, `perf annotate`). Asking
/// for every cache line of the rows up front lets those loads overlap.
#[inline]
fn prefetch(bytes: &[u8]) {
    #[cfg(target_arch = "x86_64")]
    for line in bytes[..bytes.len().min(PREFETCH_BYTES)].chunks(64) {
        // SAFETY: a prefetch is only a hint: it never faults and reads nothing into the
        // program (and this address lies in `bytes`). A chunk that straddles two cache
        // lines leaves the second to the next chunk, or to the hardware at the end.
        unsafe { std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(line.as_ptr().cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = bytes;
}

/// One step of a [`BlockScan`]: a row out of a block, or an entry passed through.
enum Step<B> {
    Row { table: u64, rowid: i64, value: BlockBytes<B> },
    Passed(B, B),
}

impl<T: Snapshot> BlockScan<T> {
    /// The next row of the open block within the range, if any.
    #[inline]
    fn next_in_block(&mut self) -> Result<Option<Step<T::Bytes>>> {
        let Some(open) = self.block.as_mut().filter(|b| b.front < b.back) else {
            self.block = None;
            return Ok(None);
        };
        let i = match self.direction {
            Direction::Forward => {
                open.front += 1;
                open.front - 1
            }
            Direction::Reverse => {
                open.back -= 1;
                open.back
            }
        };
        let (rowid, range) = open.row(i)?;
        let (start, end) = (range.start as u32, range.end as u32);
        let value = BlockBytes::SharedRow { block: open.bytes.clone(), start, end };
        Ok(Some(Step::Row { table: open.table, rowid, value }))
    }

    /// Opens a block: keeps its bytes (copied out of the store once) and narrows its
    /// entries to those whose keys lie in the logical range (rows in a block are sorted, so
    /// the in-range rows are one contiguous window).
    fn open_block(&mut self, table: u64, stored: T::Bytes) -> Result<()> {
        let bytes = Rc::new(stored);
        // Before the header is read, so that the header's load overlaps the rows'.
        prefetch((*bytes).as_ref());
        let view = BlockView::parse((*bytes).as_ref())?;
        let n = view.len();
        let key = |i: usize| row_key_array(table, view.rowid(i));
        let (lo, hi) = match &self.range {
            None => (0, n),
            Some(range) => {
                // Most blocks of a long scan lie wholly inside it: two comparisons, not two
                // searches.
                let lo = if n > 0 && range_starts_by(range, &key(0)) {
                    0
                } else {
                    partition_point(n, |i| !range_starts_by(range, &key(i)))
                };
                let hi = if lo < n && range_contains(range, &key(n - 1)) {
                    n
                } else {
                    lo + partition_point(n - lo, |j| range_contains(range, &key(lo + j)))
                };
                (lo, hi)
            }
        };
        self.block = Some(OpenBlock { bytes, table, front: lo, back: hi });
        Ok(())
    }

    #[inline]
    fn step(&mut self) -> Result<Option<Step<T::Bytes>>> {
        loop {
            if let Some(row) = self.next_in_block()? {
                return Ok(Some(row));
            }
            let Some((key, value)) = self.inner.next().transpose()? else { return Ok(None) };
            if !self.packed || key.as_ref().first() != Some(&ROW) {
                if self.range.as_ref().is_none_or(|range| range_contains(range, key.as_ref())) {
                    return Ok(Some(Step::Passed(key, value)));
                }
                continue;
            }
            let (table, _) = row_key_parts(key.as_ref()).ok_or_else(|| Error::corrupt("malformed row block key"))?;
            self.open_block(table, value)?;
        }
    }

    /// Ends the scan at its first error.
    #[inline]
    fn fused<R>(&mut self, step: impl FnOnce(&mut Self) -> Result<Option<R>>) -> Option<Result<R>> {
        if self.failed {
            return None;
        }
        match step(self) {
            Ok(item) => item.map(Ok),
            Err(err) => {
                self.failed = true;
                Some(Err(err))
            }
        }
    }

    /// [`LendingScan::next_with`] for a scan whose range holds no row blocks: the store's
    /// entries in range, lent as they are.
    #[inline]
    fn pass_with<R>(&mut self, f: impl FnOnce(&[u8], &[u8]) -> Result<R>) -> Option<Result<R>> {
        if self.failed {
            return None;
        }
        let (range, mut f) = (&self.range, Some(f));
        loop {
            let entry = self.inner.next_with(|key, value| match range {
                Some(range) if !range_contains(range, key) => Ok(None),
                _ => (f.take().expect("called at most once"))(key, value).map(Some),
            });
            match entry {
                None => return None,
                Some(Ok(None)) => continue,
                Some(Ok(Some(r))) => return Some(Ok(r)),
                Some(Err(err)) => {
                    self.failed = true;
                    return Some(Err(err));
                }
            }
        }
    }

    /// Calls `f` with each remaining row's rowid and bytes, in scan order.
    ///
    /// Unlike [`Self::next_row`], a block's header is read once and its rows are lent in
    /// place rather than as shared handles: a scan that reads every row (an aggregate over a
    /// range) then spends nothing per row beyond `f` (the per-row header parse and handle
    /// were a third of a range sum, profiled). The scan ends at the first error.
    pub fn for_each_row<E: From<Error>>(
        &mut self,
        mut f: impl FnMut(i64, &[u8]) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let result = self.visit_rows(&mut f);
        self.failed |= result.is_err();
        result
    }

    fn visit_rows<E: From<Error>>(
        &mut self,
        f: &mut impl FnMut(i64, &[u8]) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        while !self.failed {
            if let Some(open) = self.block.take() {
                let view = BlockView::parse((*open.bytes).as_ref())?;
                let mut visit = |i: usize| -> std::result::Result<(), E> { f(view.rowid(i), view.row(i)?) };
                match self.direction {
                    Direction::Forward => (open.front..open.back).try_for_each(&mut visit)?,
                    Direction::Reverse => (open.front..open.back).rev().try_for_each(&mut visit)?,
                }
            }
            // Opens the next block (its first row comes back here, the rest stay open).
            match self.next_row() {
                None => break,
                Some(row) => {
                    let (rowid, value) = row?;
                    f(rowid, value.as_ref())?;
                }
            }
        }
        Ok(())
    }

    /// The next row as its rowid and bytes, for a scan within one table's rows.
    ///
    /// Unlike [`Iterator::next`] it makes no key for a row read out of a block, only for
    /// the scan to decode it again: a range sum spent a fifth of its time on that.
    #[inline]
    pub fn next_row(&mut self) -> Option<Result<(i64, BlockBytes<T::Bytes>)>> {
        self.fused(|scan| {
            Ok(match scan.step()? {
                None => None,
                Some(Step::Row { rowid, value, .. }) => Some((rowid, value)),
                Some(Step::Passed(key, value)) => {
                    let (_, rowid) = decode_row_key(key.as_ref())?;
                    Some((rowid, BlockBytes::Stored(Box::new(value))))
                }
            })
        })
    }
}

impl<T: Snapshot> LendingScan for BlockScan<T> {
    /// The next entry, handed to `f` as its key and value bytes: nothing is boxed or copied
    /// (an index scan reads one entry per row it finds, and boxing the store's two handles,
    /// 96 bytes each for redb, was a third of an entry's cost). A scan that meets no row
    /// blocks lends the store's entries straight through (see [`LendingScan`]).
    #[inline]
    fn next_with<R>(&mut self, f: impl FnOnce(&[u8], &[u8]) -> Result<R>) -> Option<Result<R>> {
        if !self.rows_possible {
            return self.pass_with(f);
        }
        self.fused(|scan| match scan.step()? {
            None => Ok(None),
            Some(Step::Passed(key, value)) => f(key.as_ref(), value.as_ref()).map(Some),
            Some(Step::Row { table, rowid, value }) => {
                f(RowKeyBuf::new(table, rowid).as_bytes(), value.as_ref()).map(Some)
            }
        })
    }
}

impl<T: Snapshot> Iterator for BlockScan<T> {
    type Item = Result<(BlockBytes<T::Bytes>, BlockBytes<T::Bytes>)>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.fused(|scan| {
            Ok(scan.step()?.map(|step| match step {
                Step::Row { table, rowid, value } => (BlockBytes::Key(RowKeyBuf::new(table, rowid)), value),
                Step::Passed(key, value) => (BlockBytes::Stored(Box::new(key)), BlockBytes::Stored(Box::new(value))),
            }))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::ops::Bound;

    use proptest::prelude::*;

    use super::*;
    use crate::storage::MemoryStorage;
    use crate::storage::mirror::Mirror;

    /// A scan lends entries straight through only when its range cannot hold a row block:
    /// a range that reaches into the row region, at either end or across it, must not be
    /// read that way (its blocks would be handed out as entries).
    #[test]
    fn may_hold_rows_only_when_the_range_meets_the_row_region() {
        let key = |bytes: &[u8]| bytes.to_vec();
        let cases = [
            ((Bound::Included(key(&[ROW + 1, 0])), Bound::Unbounded), false),
            ((Bound::Excluded(key(&[ROW + 1])), Bound::Excluded(key(&[ROW + 2]))), false),
            ((Bound::Unbounded, Bound::Excluded(key(&[ROW]))), false),
            ((Bound::Unbounded, Bound::Included(key(&[ROW - 1, 0xff]))), false),
            ((Bound::Unbounded, Bound::Included(key(&[]))), false),
            ((Bound::Unbounded, Bound::Included(key(&[ROW]))), true),
            ((Bound::Unbounded, Bound::Excluded(key(&[ROW, 0]))), true),
            ((Bound::Included(key(&[ROW, 5])), Bound::Excluded(key(&[ROW, 6]))), true),
            ((Bound::Included(key(&[ROW - 1])), Bound::Excluded(key(&[ROW + 1]))), true),
            ((Bound::Excluded(key(&[ROW, 0xff])), Bound::Unbounded), true),
            ((Bound::Unbounded, Bound::Unbounded), true),
        ];
        for (range, expected) in cases {
            assert_eq!(may_hold_rows(&range), expected, "{range:?}");
        }
    }

    /// `find` looks first where a rowid would be if the block's rowids were consecutive;
    /// blocks with gaps (deletes, explicit rowids) and extreme rowids must still be found
    /// by the search behind that guess, and absent rowids not found.
    #[test]
    fn find_locates_rows_in_consecutive_and_gapped_blocks() {
        let cases: [&[i64]; 4] =
            [&[32, 33, 34, 35], &[1, 2, 5, 9, 30], &[i64::MIN, -1, 0, i64::MAX], &[i64::MAX - 1, i64::MAX]];
        for rowids in cases {
            let rows: Vec<(i64, &[u8])> = rowids.iter().map(|&r| (r, b"x".as_slice())).collect();
            let block = encode_block(&rows).unwrap();
            let view = BlockView::parse(&block).unwrap();
            for (i, &r) in rowids.iter().enumerate() {
                assert_eq!(view.find(r), Some(i), "{rowids:?}: {r}");
            }
            for r in [3, 4, 31, 36, -2, i64::MIN + 1, i64::MAX - 2] {
                assert_eq!(view.find(r), rowids.iter().position(|&x| x == r), "{rowids:?}: {r}");
            }
        }
    }

    fn key(k: &KeyChoice) -> Vec<u8> {
        match k {
            KeyChoice::Row(t, r) => Key::Row { table: *t, rowid: *r }.encode(),
            KeyChoice::Meta(n) => Key::Meta(&format!("m{n}")).encode(),
            KeyChoice::Index(n) => Key::Index { index: 1, values: &[crate::Value::Integer(*n)], rowid: None }.encode(),
        }
    }

    #[derive(Debug, Clone)]
    enum KeyChoice {
        Row(u64, i64),
        Meta(u8),
        Index(i64),
    }

    fn key_choice() -> impl Strategy<Value = KeyChoice> {
        prop_oneof![
            6 => (0u64..3, -70i64..70).prop_map(|(t, r)| KeyChoice::Row(t, r)),
            1 => (0u8..4).prop_map(KeyChoice::Meta),
            1 => (0i64..4).prop_map(KeyChoice::Index),
        ]
    }

    /// A bound: a whole key, a truncated key (prefix scans, odd lengths), or none.
    fn bound() -> impl Strategy<Value = Bound<Vec<u8>>> {
        (key_choice(), 0usize..20, 0u8..3).prop_map(|(k, cut, kind)| {
            let mut k = key(&k);
            if cut < k.len() && cut > 0 && cut % 3 == 0 {
                k.truncate(cut);
            }
            match kind {
                0 => Bound::Included(k),
                1 => Bound::Excluded(k),
                _ => Bound::Unbounded,
            }
        })
    }

    #[derive(Debug, Clone)]
    enum Op {
        Batch(Vec<(KeyChoice, Option<u8>)>),
        Get(KeyChoice),
        Scan(Bound<Vec<u8>>, Bound<Vec<u8>>, bool),
        /// Keep a snapshot, to read through after later batches (stale cache hits show here).
        Hold,
        GetHeld(prop::sample::Index, KeyChoice),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => proptest::collection::vec((key_choice(), proptest::option::of(any::<u8>())), 1..40).prop_map(Op::Batch),
            2 => key_choice().prop_map(Op::Get),
            2 => (bound(), bound(), any::<bool>()).prop_map(|(a, b, r)| Op::Scan(a, b, r)),
            1 => Just(Op::Hold),
            3 => (any::<prop::sample::Index>(), key_choice()).prop_map(|(i, k)| Op::GetHeld(i, k)),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Blocks are invisible: every read equals that of a plain store (the mirror asserts).
        #[test]
        fn blocks_read_like_a_plain_store(ops in proptest::collection::vec(op(), 1..40), packed: bool, tiny_cache: bool) {
            let blocks = match (packed, tiny_cache) {
                (false, _) => RowBlocks::unpacked(MemoryStorage::new_memory()),
                // A budget of a few blocks per shard: eviction on nearly every fill.
                (true, true) => RowBlocks::with_cache(MemoryStorage::new_memory(), 16 * 64),
                (true, false) => RowBlocks::new(MemoryStorage::new_memory()),
            };
            let store = Mirror::new(blocks, MemoryStorage::new_memory());
            let mut held = Vec::new();
            for op in ops {
                match op {
                    Op::Batch(writes) => {
                        let mut batch = WriteBatch::new();
                        let mut seen = std::collections::BTreeSet::new();
                        for (k, v) in writes {
                            // One write per key per batch, as MVCC produces.
                            let k = key(&k);
                            if seen.insert(k.clone()) {
                                batch.ops.push((k, v.map(|v| vec![v; (v % 7) as usize + 1])));
                            }
                        }
                        batch.ops.sort();
                        store.apply(&batch, Durability::Deferred).unwrap();
                    }
                    Op::Get(k) => { store.snapshot().unwrap().get(&key(&k)).unwrap(); }
                    Op::Hold => held.push(store.snapshot().unwrap()),
                    Op::GetHeld(i, k) if !held.is_empty() => { held[i.index(held.len())].get(&key(&k)).unwrap(); }
                    Op::GetHeld(..) => {}
                    Op::Scan(a, b, reverse) => {
                        let range = (a, b);
                        if !crate::storage::range_is_empty(&range) {
                            let dir = if reverse { Direction::Reverse } else { Direction::Forward };
                            store.snapshot().unwrap().scan(range, dir).unwrap().for_each(drop);
                        }
                    }
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(100))]

        /// Rows lent block by block are the rows the iterator returns, in the same order.
        #[test]
        fn for_each_row_reads_what_next_row_reads(
            rows in proptest::collection::btree_set((0u64..3, -100i64..100), 0..200),
            bounds in (0u64..3, -110i64..110, -110i64..110),
            reverse: bool,
            packed: bool,
        ) {
            let store = if packed { RowBlocks::new(MemoryStorage::new_memory()) } else { RowBlocks::unpacked(MemoryStorage::new_memory()) };
            let mut batch = WriteBatch::new();
            for &(table, rowid) in &rows {
                batch.set(Key::Row { table, rowid }.encode(), rowid.to_le_bytes().to_vec());
            }
            store.apply(&batch, Durability::Deferred).unwrap();
            let (table, a, b) = bounds;
            let range = crate::table::rowid_range(table, a..=b);
            let dir = if reverse { Direction::Reverse } else { Direction::Forward };
            let snap = store.snapshot().unwrap();
            let mut scan = snap.scan(range.clone(), dir).unwrap();
            let expected: Vec<(i64, Vec<u8>)> =
                std::iter::from_fn(|| scan.next_row()).map(|r| r.map(|(id, v)| (id, v.as_ref().to_vec())).unwrap()).collect();
            let mut lent = Vec::new();
            snap.scan(range, dir).unwrap().for_each_row(|id, bytes| -> Result<()> {
                lent.push((id, bytes.to_vec()));
                Ok(())
            }).unwrap();
            prop_assert_eq!(lent, expected);
        }
    }

    #[test]
    fn a_block_holds_32_contiguous_rows() {
        let store = RowBlocks::new(MemoryStorage::new_memory());
        let mut batch = WriteBatch::new();
        for rowid in 0..64 {
            batch.set(Key::Row { table: 1, rowid }.encode(), vec![rowid as u8]);
        }
        store.apply(&batch, Durability::Deferred).unwrap();
        let physical = store.inner().snapshot().unwrap();
        let entries = physical.scan((Bound::Unbounded, Bound::Unbounded), Direction::Forward).unwrap().count();
        assert_eq!(entries, 2);
    }

    #[test]
    fn damaged_blocks_are_corruption() {
        let store = RowBlocks::new(MemoryStorage::new_memory());
        let mut batch = WriteBatch::new();
        batch.set(block_key(1, 0), vec![BLOCK_FORMAT, 5, 0, 1, 2]);
        store.inner().apply(&batch, Durability::Deferred).unwrap();
        let snap = store.snapshot().unwrap();
        assert!(snap.get(&Key::Row { table: 1, rowid: 0 }.encode()).err().unwrap().is_corruption());
        let first = snap.scan((Bound::Unbounded, Bound::Unbounded), Direction::Forward).unwrap().next().unwrap();
        assert!(first.err().unwrap().is_corruption());
    }
}
