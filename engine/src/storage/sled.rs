//! The sled backend: selectable, not the default (DESIGN.md has the measurements: 7–9×
//! slower inserts than SQLite here, and unclean-shutdown corruption reported upstream).
//!
//! sled keeps only the latest value of each key and has no snapshots, so [`Overlay`] adds
//! them. Batches go through `Tree::apply_batch`, which sled applies atomically; under
//! [`Durability::Full`] the batch is followed by `flush()`, sled's fsync. Deferred batches
//! reach disk with sled's own background flush (every 500 ms by default).

use std::path::Path;

use super::{Direction, Durability, KeyRange, Overlay, PlainStore, Status, WriteBatch};
use crate::error::Result;

/// The sled backend.
pub type SledStorage = Overlay<SledStore>;

impl SledStorage {
    /// Opens (creating if needed) a sled database in the directory `path`.
    pub fn open_sled(path: impl AsRef<Path>, cache_bytes: Option<u64>) -> Result<Self> {
        let mut config = sled::Config::new().path(path.as_ref());
        if let Some(bytes) = cache_bytes {
            config = config.cache_capacity(bytes);
        }
        // sled's background flusher holds the directory lock for a moment after the last
        // handle is dropped, so an immediate reopen in the same process can find it taken.
        // sled reports it as an `io::Error` whose kind is not `WouldBlock`; only its message
        // says "could not acquire lock". Waits up to 30 s: on a loaded 2-core machine a
        // crash test's reopen once found the lock still held after 5.
        let locked = |e: &std::io::Error| {
            e.kind() == std::io::ErrorKind::WouldBlock || e.to_string().contains("could not acquire lock")
        };
        let mut attempts = 0;
        let db = loop {
            match config.open() {
                Err(sled::Error::Io(e)) if locked(&e) && attempts < 3000 => {
                    attempts += 1;
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                other => break other?,
            }
        };
        Ok(Overlay::new(SledStore { db }))
    }
}

/// A sled database, used as a plain ordered map.
pub struct SledStore {
    db: sled::Db,
}

impl PlainStore for SledStore {
    type Bytes = sled::IVec;

    fn get(&self, key: &[u8]) -> Result<Option<sled::IVec>> {
        Ok(self.db.get(key)?)
    }

    fn scan_chunk(
        &self,
        range: &KeyRange,
        direction: Direction,
        limit: usize,
    ) -> Result<Vec<(sled::IVec, sled::IVec)>> {
        if super::range_is_empty(range) {
            return Ok(Vec::new());
        }
        let iter =
            self.db.range::<&[u8], _>((range.0.as_ref().map(Vec::as_slice), range.1.as_ref().map(Vec::as_slice)));
        let items: Vec<_> = match direction {
            Direction::Forward => iter.take(limit).collect(),
            Direction::Reverse => iter.rev().take(limit).collect(),
        };
        Ok(items.into_iter().collect::<Result<_, _>>()?)
    }

    fn apply(&self, batch: &WriteBatch, durability: Durability) -> Result<()> {
        let mut sled_batch = sled::Batch::default();
        for (key, value) in &batch.ops {
            match value {
                Some(value) => sled_batch.insert(key.as_slice(), value.as_slice()),
                None => sled_batch.remove(key.as_slice()),
            }
        }
        self.db.apply_batch(sled_batch)?;
        if durability == Durability::Full {
            self.db.flush()?;
        }
        Ok(())
    }

    fn flush(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }

    fn status(&self) -> Result<Status> {
        Ok(Status { backend: "sled", disk_bytes: self.db.size_on_disk()? })
    }
}
