//! Read snapshots for stores that have none (memory, sled), from an in-memory undo log.
//!
//! A [`PlainStore`] keeps only the latest value of each key. [`Overlay`] wraps one and adds
//! snapshots by remembering, for each commit, the values it overwrote — but only while a
//! snapshot older than that commit is alive:
//!
//! ```text
//!  commits:        c1          c2          c3
//!  key k:   "a" ───────► "b" ───────► "b" ───────► deleted
//!  undo:           (k,c1)="a"              (k,c3)="b"
//!  snapshot at version 0 reads k: first undo entry of k after 0 → (k,c1) = "a"
//!  snapshot at version 2 reads k: first undo entry of k after 2 → (k,c3) = "b"
//!  snapshot at version 3 reads k: no undo entry after 3 → the store: absent
//! ```
//!
//! So a snapshot at version `v` sees, for each key, the old value of the *first* commit
//! after `v` that changed it, or else the store's current value. The undo log and the store
//! are read under one read lock, and commits apply to the store and log under the write
//! lock, so each read sees a consistent pair. Scans read the store in chunks, each chunk and
//! its slice of the undo log under one lock, so a long scan never blocks commits for long.
//!
//! Undo entries are dropped as soon as no live snapshot is older than their commit; with no
//! snapshot open, commits record nothing. The log lives in memory only: snapshots do not
//! outlive the process, so nothing of it needs to be durable.
//!
//! Cost: a point read is one store lookup plus, only when the undo log is non-empty, one
//! `BTreeMap` seek. Memory grows with the data overwritten while old snapshots stay open.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use super::{Direction, Durability, KeyRange, Snapshot, Status, Storage, WriteBatch, range_contains};
use crate::error::Result;

/// How many store entries a scan reads per lock acquisition.
const SCAN_CHUNK: usize = 256;
/// The first chunk's size: chunks start small and double up to [`SCAN_CHUNK`], so that a
/// scan stopped after a few entries (LIMIT, an index lookup) copies a few, not 256
/// (`ORDER BY … LIMIT 10` through an index on memory: 18k/s with 256 from the start).
const FIRST_CHUNK: usize = 16;

/// An ordered store without snapshots: the latest value of each key only.
pub trait PlainStore: Send + Sync + 'static {
    /// Cheaply clonable bytes.
    type Bytes: AsRef<[u8]> + Clone + From<Vec<u8>> + Send + Sync + 'static;

    fn get(&self, key: &[u8]) -> Result<Option<Self::Bytes>>;

    /// Up to `limit` entries of `range` in `direction`.
    fn scan_chunk(
        &self,
        range: &KeyRange,
        direction: Direction,
        limit: usize,
    ) -> Result<Vec<(Self::Bytes, Self::Bytes)>>;

    /// Applies the batch atomically, pushed to disk if `durability` is `Full`.
    fn apply(&self, batch: &WriteBatch, durability: Durability) -> Result<()>;

    fn flush(&self) -> Result<()>;

    fn status(&self) -> Result<Status>;
}

/// A [`PlainStore`] with snapshots.
pub struct Overlay<P: PlainStore> {
    inner: Arc<Inner<P>>,
}

impl<P: PlainStore> Clone for Overlay<P> {
    fn clone(&self) -> Self {
        Overlay { inner: self.inner.clone() }
    }
}

struct Inner<P: PlainStore> {
    store: P,
    /// Guards the pair (store contents, undo log): commits hold it for writing.
    undo: RwLock<UndoLog<P::Bytes>>,
    /// Versions of the live snapshots, with a count of each.
    live: Mutex<BTreeMap<u64, usize>>,
}

struct UndoLog<B> {
    /// Batches applied so far.
    version: u64,
    /// `(key, commit version)` → the key's value before that commit.
    entries: BTreeMap<(Vec<u8>, u64), Option<B>>,
    /// Commit version → the keys it logged, for garbage collection.
    by_commit: BTreeMap<u64, Vec<Vec<u8>>>,
}

impl<B: Clone> UndoLog<B> {
    /// What a snapshot at `version` sees instead of the store's value, if anything.
    fn lookup(&self, key: &[u8], version: u64) -> Option<Option<B>> {
        if self.entries.is_empty() {
            return None;
        }
        let from = (key.to_vec(), version + 1);
        let ((k, _), old) = self.entries.range(from..).next()?;
        (k.as_slice() == key).then(|| old.clone())
    }

    /// For every key in `[lo, hi]` changed after `version`: the value the snapshot sees.
    fn overrides(&self, lo: Bound<&[u8]>, hi: Bound<&[u8]>, version: u64) -> BTreeMap<Vec<u8>, Option<B>> {
        let mut out = BTreeMap::new();
        if self.entries.is_empty() {
            return out;
        }
        let start = match lo {
            Bound::Included(k) | Bound::Excluded(k) => Bound::Included((k.to_vec(), 0)),
            Bound::Unbounded => Bound::Unbounded,
        };
        for ((key, commit), old) in self.entries.range((start, Bound::Unbounded)) {
            let past_end = match hi {
                Bound::Included(h) => key.as_slice() > h,
                Bound::Excluded(h) => key.as_slice() >= h,
                Bound::Unbounded => false,
            };
            if past_end {
                break;
            }
            if matches!(lo, Bound::Excluded(l) if key.as_slice() == l) || *commit <= version {
                continue;
            }
            // Entries of one key come in commit order: the first after `version` wins.
            out.entry(key.clone()).or_insert_with(|| old.clone());
        }
        out
    }

    /// Drops entries no live snapshot can need: those of commits at or before the oldest one.
    fn collect_garbage(&mut self, oldest_live: Option<u64>) {
        let keep_after = oldest_live.unwrap_or(u64::MAX);
        while let Some(entry) = self.by_commit.first_entry() {
            if *entry.key() > keep_after {
                break;
            }
            let (commit, keys) = entry.remove_entry();
            for key in keys {
                self.entries.remove(&(key, commit));
            }
        }
    }
}

impl<P: PlainStore> Overlay<P> {
    pub fn new(store: P) -> Self {
        let undo = UndoLog { version: 0, entries: BTreeMap::new(), by_commit: BTreeMap::new() };
        Overlay { inner: Arc::new(Inner { store, undo: RwLock::new(undo), live: Mutex::new(BTreeMap::new()) }) }
    }

    pub fn store(&self) -> &P {
        &self.inner.store
    }
}

impl<P: PlainStore> Storage for Overlay<P> {
    type Snapshot = OverlaySnapshot<P>;

    fn snapshot(&self) -> Result<OverlaySnapshot<P>> {
        // The read lock keeps commits out while the version is read and registered.
        let undo = self.inner.undo.read();
        let version = undo.version;
        *self.inner.live.lock().entry(version).or_default() += 1;
        drop(undo);
        Ok(OverlaySnapshot { inner: self.inner.clone(), version })
    }

    fn apply(&self, batch: &WriteBatch, durability: Durability) -> Result<()> {
        let inner = &*self.inner;
        let mut undo = inner.undo.write();
        let commit = undo.version + 1;
        let oldest_live = inner.live.lock().keys().next().copied();
        if oldest_live.is_some() {
            // Someone may read the past: remember what this batch overwrites, first write
            // of each key only (that is the value before the batch).
            let mut logged = Vec::new();
            for (key, _) in &batch.ops {
                if let std::collections::btree_map::Entry::Vacant(slot) = undo.entries.entry((key.clone(), commit)) {
                    slot.insert(inner.store.get(key)?);
                    logged.push(key.clone());
                }
            }
            undo.by_commit.insert(commit, logged);
        }
        if let Err(err) = inner.store.apply(batch, durability) {
            // The store is unchanged: forget what was logged for this commit.
            for key in undo.by_commit.remove(&commit).unwrap_or_default() {
                undo.entries.remove(&(key, commit));
            }
            return Err(err);
        }
        undo.version = commit;
        undo.collect_garbage(oldest_live);
        Ok(())
    }

    fn flush(&self) -> Result<()> {
        self.inner.store.flush()
    }

    fn status(&self) -> Result<Status> {
        self.inner.store.status()
    }
}

/// A snapshot of an [`Overlay`]: a version number, resolved against the undo log on read.
pub struct OverlaySnapshot<P: PlainStore> {
    inner: Arc<Inner<P>>,
    version: u64,
}

impl<P: PlainStore> Drop for OverlaySnapshot<P> {
    fn drop(&mut self) {
        let () = {
            let mut live = self.inner.live.lock();
            let Some(count) = live.get_mut(&self.version) else { return };
            *count -= 1;
            if *count > 0 {
                return;
            }
            live.remove(&self.version);
            // Only the oldest snapshot pins history that nobody else needs.
            if live.keys().next().is_some_and(|&oldest| oldest < self.version) {
                return;
            }
        };
        // Reads pay for a non-empty log: drop what no snapshot needs now, not at the next
        // commit, which may never come.
        if !self.inner.undo.read().entries.is_empty() {
            // Recompute the oldest snapshot under the undo lock (the order `snapshot` and
            // `apply` take them in): one registered since `oldest_after` was read may already
            // own entries of a commit applied meanwhile.
            let mut undo = self.inner.undo.write();
            let oldest = self.inner.live.lock().keys().next().copied();
            undo.collect_garbage(oldest);
        }
    }
}

impl<P: PlainStore> Snapshot for OverlaySnapshot<P> {
    type Bytes = P::Bytes;
    type Scan = OverlayScan<P>;

    fn get(&self, key: &[u8]) -> Result<Option<P::Bytes>> {
        let undo = self.inner.undo.read();
        match undo.lookup(key, self.version) {
            Some(old) => Ok(old),
            None => self.inner.store.get(key),
        }
    }

    fn scan(&self, range: KeyRange, direction: Direction) -> Result<OverlayScan<P>> {
        Ok(OverlayScan {
            snapshot: OverlaySnapshot { inner: self.inner.clone(), version: self.version },
            range,
            direction,
            buffer: std::collections::VecDeque::new(),
            chunk: FIRST_CHUNK,
            done: false,
        })
        .inspect(|scan| *scan.snapshot.inner.live.lock().entry(scan.snapshot.version).or_default() += 1)
    }
}

/// A scan over an [`OverlaySnapshot`], read chunk by chunk.
pub struct OverlayScan<P: PlainStore> {
    /// Its own registration keeps the undo entries alive while the scan runs.
    snapshot: OverlaySnapshot<P>,
    /// What is left to read.
    range: KeyRange,
    direction: Direction,
    buffer: std::collections::VecDeque<(P::Bytes, P::Bytes)>,
    /// The next chunk's size.
    chunk: usize,
    done: bool,
}

impl<P: PlainStore> OverlayScan<P> {
    /// Reads the next chunk of the store and merges the undo log's view of the same keys.
    fn fill(&mut self) -> Result<()> {
        let inner = &*self.snapshot.inner;
        let undo = inner.undo.read();
        let chunk = inner.store.scan_chunk(&self.range, self.direction, self.chunk)?;
        let exhausted = chunk.len() < self.chunk;
        self.chunk = (self.chunk * 2).min(SCAN_CHUNK);
        // The key interval this chunk covers, in key order.
        let reached = chunk.last().map(|(k, _)| k.as_ref().to_vec());
        let (lo, hi): (Bound<&[u8]>, Bound<&[u8]>) = match (self.direction, &reached, exhausted) {
            (_, _, true) | (_, None, _) => (bound_ref(&self.range.0), bound_ref(&self.range.1)),
            (Direction::Forward, Some(r), false) => (bound_ref(&self.range.0), Bound::Included(r)),
            (Direction::Reverse, Some(r), false) => (Bound::Included(r), bound_ref(&self.range.1)),
        };
        let mut overrides = undo.overrides(lo, hi, self.snapshot.version);
        drop(undo);
        overrides.retain(|k, _| range_contains(&self.range, k));

        if overrides.is_empty() {
            // Nothing committed since the snapshot touched these keys: the chunk as read.
            self.buffer.extend(chunk);
            self.advance(exhausted, reached);
            return Ok(());
        }
        let mut merged: BTreeMap<Vec<u8>, P::Bytes> = BTreeMap::new();
        for (k, v) in chunk {
            let key = k.as_ref().to_vec();
            match overrides.remove(&key) {
                Some(Some(old)) => merged.insert(key, old),
                Some(None) => None,
                None => merged.insert(key, v),
            };
        }
        for (k, old) in overrides {
            if let Some(old) = old {
                merged.insert(k, old);
            }
        }
        match self.direction {
            Direction::Forward => self.buffer.extend(merged.into_iter().map(|(k, v)| (k.into(), v))),
            Direction::Reverse => self.buffer.extend(merged.into_iter().rev().map(|(k, v)| (k.into(), v))),
        }
        self.advance(exhausted, reached);
        Ok(())
    }

    /// Moves the range past the chunk just read, or ends the scan.
    fn advance(&mut self, exhausted: bool, reached: Option<Vec<u8>>) {
        match (exhausted, reached) {
            (false, Some(r)) => match self.direction {
                Direction::Forward => self.range.0 = Bound::Excluded(r),
                Direction::Reverse => self.range.1 = Bound::Excluded(r),
            },
            _ => self.done = true,
        }
    }
}

fn bound_ref(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    b.as_ref().map(Vec::as_slice)
}

impl<P: PlainStore> super::LendingScan for OverlayScan<P> {
    fn next_with<R>(&mut self, f: impl FnOnce(&[u8], &[u8]) -> Result<R>) -> Option<Result<R>> {
        super::lend_next(self, f)
    }
}

impl<P: PlainStore> Iterator for OverlayScan<P> {
    type Item = Result<(P::Bytes, P::Bytes)>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.buffer.is_empty() && !self.done {
            if let Err(err) = self.fill() {
                self.done = true;
                return Some(Err(err));
            }
        }
        self.buffer.pop_front().map(Ok)
    }
}
