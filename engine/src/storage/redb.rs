//! The default on-disk backend: redb, a copy-on-write B-tree with native read snapshots.
//!
//! The whole key space is one redb table of `&[u8] → &[u8]`. A [`RedbSnapshot`] is an open
//! redb read transaction's table handle: it pins the tree's root, so it sees exactly the
//! batches committed before it was taken, and reads borrow pages without copying
//! ([`RedbBytes`]). A [`Durability::Full`] batch is made durable by the write-ahead log
//! (`wal.rs`: one append and one `fdatasync`) and applied to redb with `Durability::None`;
//! `Deferred` batches go to redb with `None` directly. [`Storage::flush`] is a checkpoint: a
//! durable redb commit, then an empty log.

use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

use parking_lot::Mutex;
use redb::{ReadableDatabase, TableDefinition};

use super::wal::{CHECKPOINT_BYTES, Wal};

use super::{Direction, Durability, KeyRange, LendingScan, Snapshot, Status, Storage, WriteBatch};
use crate::error::{Error, Result};

const DATA: TableDefinition<&[u8], &[u8]> = TableDefinition::new("braid");

/// The redb backend.
#[derive(Clone)]
pub struct RedbStorage {
    db: Arc<Guarded>,
    path: std::path::PathBuf,
    wal: Arc<Mutex<Wal>>,
}

impl RedbStorage {
    /// Opens (creating if needed) the redb file at `path`.
    pub fn open(path: impl AsRef<Path>, cache_bytes: Option<usize>) -> Result<Self> {
        let path = path.as_ref();
        let mut builder = redb::Database::builder();
        if let Some(bytes) = cache_bytes {
            builder.set_cache_size(bytes);
        }
        // redb may panic on some forms of page damage; every call into it is guarded so that
        // damage surfaces as a corruption error (see `guard`).
        let db = guard(|| {
            let db = Guarded(Some(builder.create(path)?));
            let txn = db.get().begin_write()?;
            txn.open_table(DATA)?;
            txn.commit()?;
            Ok(db)
        })?;
        let (wal, replay) = Wal::open(&path.with_extension("wal"))?;
        let storage = RedbStorage { db: Arc::new(db), path: path.to_path_buf(), wal: Arc::new(Mutex::new(wal)) };
        if !replay.is_empty() {
            tracing::info!(records = replay.len(), "replaying the write-ahead log");
            for batch in &replay {
                guard(|| storage.apply_unguarded(batch, Durability::Deferred))?;
            }
            storage.flush()?;
        }
        Ok(storage)
    }
}

/// A redb database whose drop (which writes allocator state, and can panic on a damaged
/// file) is guarded too.
struct Guarded(Option<redb::Database>);

impl Guarded {
    fn get(&self) -> &redb::Database {
        self.0.as_ref().expect("present until drop")
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        let db = self.0.take();
        if let Err(err) = guard(move || {
            drop(db);
            Ok(())
        }) {
            tracing::error!("closing the database: {err}");
        }
    }
}

/// Runs a redb call, turning a panic inside redb (which it can raise on damaged pages) into
/// a corruption error: bytes on disk must never crash the process.
fn guard<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(Error::corrupt(format!("redb failed on damaged data: {msg}")))
        }
    }
}

impl Storage for RedbStorage {
    type Snapshot = RedbSnapshot;

    fn snapshot(&self) -> Result<RedbSnapshot> {
        guard(|| {
            let txn = self.db.get().begin_read()?;
            Ok(RedbSnapshot { table: txn.open_table(DATA)? })
        })
    }

    fn apply(&self, batch: &WriteBatch, durability: Durability) -> Result<()> {
        if durability == Durability::Deferred {
            return guard(|| self.apply_unguarded(batch, Durability::Deferred));
        }
        let mut wal = self.wal.lock();
        let before = wal.len();
        wal.append(batch)?;
        if let Err(err) = guard(|| self.apply_unguarded(batch, Durability::Deferred)) {
            // redb refused it: the commit failed, so its record must not be replayed.
            wal.cut(before)?;
            return Err(err);
        }
        if wal.len() > CHECKPOINT_BYTES {
            self.checkpoint(&mut wal)?;
        }
        Ok(())
    }

    fn flush(&self) -> Result<()> {
        self.checkpoint(&mut self.wal.lock())
    }

    fn status(&self) -> Result<Status> {
        let disk_bytes = std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0) + self.wal.lock().len();
        Ok(Status { backend: "redb", disk_bytes })
    }
}

impl RedbStorage {
    /// Makes everything applied durable in redb itself, then empties the log. The caller
    /// holds the log's lock, so no record is appended in between.
    fn checkpoint(&self, wal: &mut Wal) -> Result<()> {
        guard(|| {
            let txn = self.db.get().begin_write()?;
            txn.commit()?;
            Ok(())
        })?;
        wal.truncate()
    }

    fn apply_unguarded(&self, batch: &WriteBatch, durability: Durability) -> Result<()> {
        let mut txn = self.db.get().begin_write()?;
        txn.set_durability(match durability {
            Durability::Full => redb::Durability::Immediate,
            Durability::Deferred => redb::Durability::None,
        })?;
        {
            let mut table = txn.open_table(DATA)?;
            for (key, value) in &batch.ops {
                match value {
                    Some(value) => table.insert(key.as_slice(), value.as_slice())?,
                    None => table.remove(key.as_slice())?,
                };
            }
        }
        txn.commit()?;
        Ok(())
    }
}

/// A redb read transaction, pinned.
pub struct RedbSnapshot {
    table: redb::ReadOnlyTable<&'static [u8], &'static [u8]>,
}

/// Bytes borrowed from a redb page.
pub struct RedbBytes(redb::AccessGuard<'static, &'static [u8]>);

impl RedbBytes {
    /// Wraps a guard, slicing the value once now (inside the caller's `guard`): redb slices
    /// lazily, and a damaged page panics at that point. Slicing is deterministic, so later
    /// `as_ref` calls on the same guard cannot panic once this one did not.
    fn checked(guard: redb::AccessGuard<'static, &'static [u8]>) -> Self {
        let _ = guard.value();
        RedbBytes(guard)
    }
}

impl AsRef<[u8]> for RedbBytes {
    fn as_ref(&self) -> &[u8] {
        self.0.value()
    }
}

impl Snapshot for RedbSnapshot {
    type Bytes = RedbBytes;
    type Scan = RedbScan;

    fn get(&self, key: &[u8]) -> Result<Option<RedbBytes>> {
        guard(|| Ok(self.table.get(key)?.map(RedbBytes::checked)))
    }

    fn scan(&self, range: KeyRange, direction: Direction) -> Result<RedbScan> {
        let (start, end) = if super::range_is_empty(&range) {
            (Bound::Included(Vec::new()), Bound::Excluded(Vec::new()))
        } else {
            range
        };
        let bounds = (start.as_ref().map(Vec::as_slice), end.as_ref().map(Vec::as_slice));
        let inner = guard(|| Ok(self.table.range::<&[u8]>(bounds)?))?;
        Ok(RedbScan { inner, direction, failed: false })
    }
}

/// A range scan over a redb snapshot.
pub struct RedbScan {
    inner: redb::Range<'static, &'static [u8], &'static [u8]>,
    direction: Direction,
    /// After an error the cursor cannot be trusted: the scan ends.
    failed: bool,
}

/// An entry's two page guards, as redb hands them out.
type Guards = (redb::AccessGuard<'static, &'static [u8]>, redb::AccessGuard<'static, &'static [u8]>);

impl RedbScan {
    /// Steps the cursor inside [`guard`] and hands the entry's page guards to `take` there.
    /// A failure of the cursor (or a panic) ends the scan.
    #[inline]
    fn step<R>(&mut self, take: impl FnOnce(Guards) -> R) -> Option<Result<R>> {
        if self.failed {
            return None;
        }
        let (inner, direction) = (&mut self.inner, self.direction);
        let item = guard(|| {
            let item = match direction {
                Direction::Forward => inner.next(),
                Direction::Reverse => inner.next_back(),
            };
            match item {
                None => Ok(None),
                Some(entry) => Ok(Some(take(entry?))),
            }
        });
        match item {
            Ok(item) => item.map(Ok),
            Err(err) => {
                self.failed = true;
                Some(Err(err))
            }
        }
    }

    /// The next entry's guards, each sliced once inside `guard` (see [`RedbBytes::checked`]).
    #[inline]
    fn next_guards(&mut self) -> Option<Result<Guards>> {
        self.step(|(k, v)| {
            let _ = (k.value(), v.value());
            (k, v)
        })
    }
}

impl LendingScan for RedbScan {
    /// The entry is lent from its page guards where redb left them: nothing is wrapped or
    /// moved up through the layers above (see [`LendingScan`]).
    ///
    /// `f` reads the entry inside [`guard`], where the cursor hands it out: its two page
    /// guards are not moved out and up (copied twice an entry, about 65 instructions an
    /// entry in `ORDER BY score LIMIT 10`, callgrind). A panic in `f`, which reads the
    /// entry's bytes, is then reported as damaged data too.
    #[inline]
    fn next_with<R>(&mut self, f: impl FnOnce(&[u8], &[u8]) -> Result<R>) -> Option<Result<R>> {
        // `f`'s own error leaves the cursor sound: the scan goes on.
        self.step(|(k, v)| f(k.value(), v.value())).map(|r| r.and_then(|r| r))
    }
}

impl Iterator for RedbScan {
    type Item = Result<(RedbBytes, RedbBytes)>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        // Already sliced by `next_guards`: wrapped as they are.
        Some(self.next_guards()?.map(|(k, v)| (RedbBytes(k), RedbBytes(v))))
    }
}
