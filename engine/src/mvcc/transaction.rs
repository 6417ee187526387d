//! [`TransactionManager`] hands out [`Transaction`]s and owns the commit pipeline.

use std::collections::{BTreeMap, btree_map};
use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::Mutex;

use super::buffer::WriteBuffer;
use super::commit::{CommitQueue, GroupApplier, NORMAL_FLUSH_INTERVAL, Request, Slot, Synchronous};
use super::locks::{LockMode, LockTable, LockWait, Locked, Owner, RowId};
use super::scan::{ReadBytes, Scan};
use crate::error::{Error, Result};
use crate::storage::{Direction, KeyRange, Snapshot, Storage, WriteBatch, prefix_range, range_is_empty};

/// Begins transactions over one store and commits them.
pub struct TransactionManager<S: Storage> {
    shared: Arc<Shared<S>>,
    flusher: Option<Flusher>,
}

struct Shared<S: Storage> {
    storage: S,
    synchronous: Synchronous,
    /// The newest commit visible to new transactions.
    published: AtomicU64,
    /// Start versions of active read-write transactions, with a count of each. Publishing a
    /// version happens under this lock too, so a transaction's start and registration are
    /// atomic with respect to commits.
    active: Mutex<BTreeMap<u64, usize>>,
    commits: CommitQueue,
    /// Set by deferred commits, cleared by the flusher.
    dirty: AtomicBool,
    /// The snapshot read-only transactions share while no commit is published: the
    /// version it was taken at, and the snapshot. Opening a store's snapshot (a redb read
    /// transaction and its table) was 9% of an indexed `LIMIT 10` query; readers between
    /// two commits see the same data, so they can read the same snapshot. It is dropped
    /// when a commit is applied, so that it pins no old version of the store (redb's
    /// freed pages, the overlay's undo log) while writers work.
    readers: Mutex<Option<(u64, Arc<S::Snapshot>)>>,
    /// Row locks (see [`super::locks`]), and the last owner id handed out to a transaction
    /// that took one.
    locks: LockTable,
    owners: AtomicU64,
}

impl<S: Storage> GroupApplier for Shared<S> {
    fn published(&self) -> u64 {
        self.published.load(Ordering::Acquire)
    }

    fn apply(&self, batch: &WriteBatch) -> Result<()> {
        self.readers.lock().take();
        self.storage.apply(batch, self.synchronous.durability())?;
        if self.synchronous != Synchronous::Full {
            self.dirty.store(true, Ordering::Release);
        }
        Ok(())
    }

    fn publish(&self, version: u64, committing: &[u64]) -> Option<u64> {
        let active = self.active.lock();
        self.published.store(version, Ordering::Release);
        // A reader that began while the commit was applied may have shared a snapshot
        // under the old version; new readers must not.
        self.readers.lock().take();
        // Counting the committing transactions as active kept a bulk load's whole batch in
        // the log until the next commit.
        active
            .iter()
            .find(|&(start, &count)| count > committing.iter().filter(|&c| c == start).count())
            .map(|(&start, _)| start)
    }
}

/// The background thread that flushes deferred commits under `synchronous = normal`.
struct Flusher {
    stop: crossbeam::channel::Sender<()>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl<S: Storage> TransactionManager<S> {
    pub fn new(storage: S, synchronous: Synchronous) -> Self {
        let shared = Arc::new(Shared {
            storage,
            synchronous,
            published: AtomicU64::new(0),
            active: Mutex::new(BTreeMap::new()),
            commits: CommitQueue::default(),
            dirty: AtomicBool::new(false),
            readers: Mutex::new(None),
            locks: LockTable::default(),
            owners: AtomicU64::new(0),
        });
        let flusher = (synchronous == Synchronous::Normal).then(|| spawn_flusher(Arc::downgrade(&shared)));
        TransactionManager { shared, flusher }
    }

    pub fn storage(&self) -> &S {
        &self.shared.storage
    }

    pub fn synchronous(&self) -> Synchronous {
        self.shared.synchronous
    }

    /// Begins a read-write transaction.
    pub fn begin(&self) -> Result<Transaction<S>> {
        let start = {
            let mut active = self.shared.active.lock();
            let start = self.shared.published.load(Ordering::Acquire);
            *active.entry(start).or_default() += 1;
            start
        };
        // Taken after `start` was read, so it contains at least every commit up to `start`.
        // Containing a few more is safe: validation against them is merely conservative.
        let snapshot = match self.shared.storage.snapshot() {
            Ok(snapshot) => snapshot,
            Err(err) => {
                release(&self.shared, start);
                return Err(err);
            }
        };
        Ok(Transaction {
            shared: self.shared.clone(),
            snapshot: Some(Arc::new(snapshot)),
            start,
            read_only: false,
            writes: WriteBuffer::default(),
            depends: Vec::new(),
            open: true,
            owner: 0,
        })
    }

    /// Begins a read-only transaction. It takes no part in validation and never conflicts.
    pub fn begin_read_only(&self) -> Result<Transaction<S>> {
        let start = self.shared.published.load(Ordering::Acquire);
        let snapshot = {
            let mut readers = self.shared.readers.lock();
            match &*readers {
                Some((version, snapshot)) if *version == start => snapshot.clone(),
                _ => {
                    // Taken after `start` was read, as in `begin`.
                    let snapshot = Arc::new(self.shared.storage.snapshot()?);
                    *readers = Some((start, snapshot.clone()));
                    snapshot
                }
            }
        };
        Ok(Transaction {
            shared: self.shared.clone(),
            snapshot: Some(snapshot),
            start,
            read_only: true,
            writes: WriteBuffer::default(),
            depends: Vec::new(),
            open: true,
            owner: 0,
        })
    }

    /// Makes every commit so far durable, whatever the synchronous setting.
    pub fn flush(&self) -> Result<()> {
        self.shared.dirty.store(false, Ordering::Release);
        let result = self.shared.storage.flush();
        if result.is_err() {
            self.shared.dirty.store(true, Ordering::Release);
        }
        result
    }
}

impl<S: Storage> Drop for TransactionManager<S> {
    fn drop(&mut self) {
        if let Some(mut flusher) = self.flusher.take() {
            let _ = flusher.stop.send(());
            if let Some(thread) = flusher.thread.take() {
                let _ = thread.join();
            }
        }
        if self.shared.dirty.load(Ordering::Acquire)
            && let Err(err) = self.shared.storage.flush()
        {
            tracing::error!("flushing on close failed: {err}");
        }
    }
}

fn spawn_flusher<S: Storage>(shared: std::sync::Weak<Shared<S>>) -> Flusher {
    let (stop, stopped) = crossbeam::channel::bounded::<()>(1);
    let thread = std::thread::Builder::new()
        .name("braid-flusher".into())
        .spawn(move || {
            while let Err(crossbeam::channel::RecvTimeoutError::Timeout) = stopped.recv_timeout(NORMAL_FLUSH_INTERVAL) {
                let Some(shared) = shared.upgrade() else { return };
                if shared.dirty.swap(false, Ordering::AcqRel)
                    && let Err(err) = shared.storage.flush()
                {
                    shared.dirty.store(true, Ordering::Release);
                    tracing::error!("background flush failed: {err}");
                }
            }
        })
        .expect("spawning the flusher thread");
    Flusher { stop, thread: Some(thread) }
}

fn release<S: Storage>(shared: &Shared<S>, start: u64) {
    let mut active = shared.active.lock();
    if let btree_map::Entry::Occupied(mut e) = active.entry(start) {
        *e.get_mut() -= 1;
        if *e.get() == 0 {
            e.remove();
        }
    }
}

/// A transaction: a snapshot to read from and a buffer of its own writes.
///
/// Dropping it without [`commit`](Self::commit) rolls it back.
pub struct Transaction<S: Storage> {
    shared: Arc<Shared<S>>,
    /// Dropped at commit, before the writes are applied, so that a store whose snapshots
    /// cost something (the overlay's undo log) does not keep history for the committer.
    /// Shared by the read-only transactions that begin between two commits.
    snapshot: Option<Arc<S::Snapshot>>,
    start: u64,
    read_only: bool,
    /// Buffered writes: `None` is a delete. Sorted, which validation relies on.
    writes: WriteBuffer,
    /// Key ranges read and relied on (see `depend_on`).
    depends: Vec<(Vec<u8>, Vec<u8>)>,
    open: bool,
    /// This transaction's id in the lock table; 0 until it first locks a row, so that
    /// transactions that lock nothing pay nothing for locks.
    owner: Owner,
}

impl<S: Storage> Transaction<S> {
    /// The version of the snapshot this transaction reads.
    pub fn start_version(&self) -> u64 {
        self.start
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Reads a key: the transaction's own write if it made one, else its snapshot.
    #[inline]
    pub fn get(&self, key: &[u8]) -> Result<Option<ReadBytes<'_, <S::Snapshot as Snapshot>::Bytes>>> {
        if !self.writes.is_empty()
            && let Some(write) = self.writes.get(key)
        {
            return Ok(write.as_deref().map(ReadBytes::Buffered));
        }
        Ok(self.snapshot()?.get(key)?.map(ReadBytes::Stored))
    }

    /// Whether a key exists, as seen by this transaction.
    pub fn contains(&self, key: &[u8]) -> Result<bool> {
        Ok(self.get(key)?.is_some())
    }

    /// Buffers a write of `value` under `key`.
    pub fn set(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<()> {
        self.writable()?;
        self.writes.put(key, Some(value));
        Ok(())
    }

    /// Buffers a delete of `key` (deleting an absent key is not an error).
    pub fn delete(&mut self, key: Vec<u8>) -> Result<()> {
        self.writable()?;
        self.writes.put(key, None);
        Ok(())
    }

    #[inline]
    fn snapshot(&self) -> Result<&S::Snapshot> {
        self.snapshot.as_deref().ok_or_else(|| Error::Closed("the transaction has ended".into()))
    }

    fn writable(&self) -> Result<()> {
        if !self.open {
            return Err(Error::Closed("the transaction has ended".into()));
        }
        if self.read_only {
            return Err(Error::ReadOnly);
        }
        Ok(())
    }

    /// Opens a savepoint: [`rollback_to`](Self::rollback_to) it undoes the writes made
    /// after it (statement-level rollback, SQL `SAVEPOINT`). Close it with
    /// [`release`](Self::release); savepoints nest.
    pub fn savepoint(&mut self) -> usize {
        self.writes.savepoint()
    }

    /// Undoes the writes made since `savepoint`, which stays open. Read dependencies
    /// declared since stay (they can only make the commit more careful).
    pub fn rollback_to(&mut self, savepoint: usize) {
        self.writes.rollback_to(savepoint)
    }

    /// Closes `savepoint`, keeping its writes.
    pub fn release(&mut self, savepoint: usize) {
        self.writes.release(savepoint)
    }

    /// Declares that this transaction's writes rely on the keys in `[start, end)` not
    /// changing: if a transaction that committed after this one began wrote any key in the
    /// range, this one fails to commit with [`Error::Serialization`]. Writes conflict
    /// without this; it is for what was *read* (a table definition, a set of rows an index
    /// was built from), which snapshot isolation alone does not protect.
    pub fn depend_on(&mut self, start: Vec<u8>, end: Vec<u8>) {
        if self.depends.last().is_some_and(|(s, e)| *s == start && *e == end) {
            return;
        }
        self.depends.push((start, end));
    }

    /// Locks a row until this transaction ends (see [`super::locks`]): waits, gives up or
    /// skips, as `wait` says, while another transaction holds it in a conflicting mode.
    pub fn lock_row(&mut self, row: RowId, mode: LockMode, wait: LockWait) -> Result<Locked> {
        if !self.open {
            return Err(Error::Closed("the transaction has ended".into()));
        }
        if self.owner == 0 {
            self.owner = self.shared.owners.fetch_add(1, Ordering::Relaxed) + 1;
        }
        self.shared.locks.lock(self.owner, row, mode, wait)
    }

    /// Whether the newest committed value of `key` differs from this transaction's
    /// snapshot's: a commit made since it began wrote it.
    pub fn changed_since_start(&self, key: &[u8]) -> Result<bool> {
        let latest = self.shared.storage.snapshot()?;
        let now = latest.get(key)?;
        let then = self.snapshot()?.get(key)?;
        Ok(now.as_ref().map(|b| b.as_ref()) != then.as_ref().map(|b| b.as_ref()))
    }

    /// Scans `range` in `direction`, own writes included.
    pub fn scan(&self, range: KeyRange, direction: Direction) -> Result<Scan<'_, S::Snapshot>> {
        // An inverted range would panic in `BTreeMap::range`; this one is empty and legal.
        let range =
            if range_is_empty(&range) { (Bound::Included(Vec::new()), Bound::Excluded(Vec::new())) } else { range };
        let bounds: (Bound<&[u8]>, Bound<&[u8]>) =
            (range.0.as_ref().map(Vec::as_slice), range.1.as_ref().map(Vec::as_slice));
        let buffered = self.writes.range(bounds);
        // Merge only when this transaction wrote inside the range.
        let merge = !self.writes.is_empty() && buffered.clone().next().is_some();
        let stored = self.snapshot()?.scan(range, direction)?;
        Ok(Scan::new(stored, buffered, direction, merge))
    }

    /// Scans every key that starts with `prefix`, in key order.
    pub fn scan_prefix(&self, prefix: &[u8]) -> Result<Scan<'_, S::Snapshot>> {
        self.scan(prefix_range(prefix), Direction::Forward)
    }

    /// Commits: validates against commits made since this transaction began, then applies
    /// its writes atomically. Returns the commit version (the start version if there was
    /// nothing to write). On [`Error::Serialization`] nothing was written; retry the whole
    /// transaction.
    pub fn commit(mut self) -> Result<u64> {
        if !self.open {
            return Err(Error::Closed("the transaction has ended".into()));
        }
        self.open = false;
        if self.writes.is_empty() {
            self.finish();
            return Ok(self.start);
        }
        self.snapshot = None;
        let ops = std::mem::take(&mut self.writes).into_sorted();
        let request = Request {
            start: self.start,
            batch: Arc::new(WriteBatch { ops }),
            depends: std::mem::take(&mut self.depends),
            slot: Arc::new(Slot::default()),
        };
        let result = self.shared.commits.commit(request, &*self.shared);
        self.finish();
        result
    }

    /// Discards every write of this transaction.
    pub fn rollback(mut self) {
        self.finish();
    }

    /// Ends the transaction: its writes are dropped (applied already, on commit) and its
    /// locks released, after the commit is published, so a waiter that wakes reads it.
    fn finish(&mut self) {
        self.open = false;
        self.writes.clear();
        if self.owner != 0 {
            self.shared.locks.release_all(self.owner);
            self.owner = 0;
        }
        if !self.read_only {
            self.read_only = true; // release exactly once
            release(&self.shared, self.start);
        }
    }
}

impl<S: Storage> Drop for Transaction<S> {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::MemoryStorage;

    /// A committed batch stays in the log only while a transaction that started before it
    /// is still active: the committing transaction itself does not count.
    #[test]
    fn the_commit_log_keeps_batches_only_for_older_active_transactions() {
        let txns = TransactionManager::new(MemoryStorage::new_memory(), Synchronous::Off);
        let mut alone = txns.begin().unwrap();
        alone.set(b"a".to_vec(), b"1".to_vec()).unwrap();
        alone.commit().unwrap();
        assert_eq!(txns.shared.commits.logged(), 0);

        let older = txns.begin().unwrap();
        let mut writer = txns.begin().unwrap();
        writer.set(b"b".to_vec(), b"2".to_vec()).unwrap();
        writer.commit().unwrap();
        assert_eq!(txns.shared.commits.logged(), 1, "`older` may still conflict with it");
        drop(older);
        let mut next = txns.begin().unwrap();
        next.set(b"c".to_vec(), b"3".to_vec()).unwrap();
        next.commit().unwrap();
        assert_eq!(txns.shared.commits.logged(), 0);
    }
}
