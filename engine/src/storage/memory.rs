//! The in-memory backend, for `:memory:` databases and tests: a `BTreeMap` under a lock,
//! with snapshots from [`Overlay`]. Nothing is ever written to disk.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::RwLock;

use super::{Direction, Durability, KeyRange, Overlay, PlainStore, Status, WriteBatch};
use crate::error::Result;

/// The in-memory backend.
pub type MemoryStorage = Overlay<MemoryStore>;

impl MemoryStorage {
    pub fn new_memory() -> Self {
        Overlay::new(MemoryStore::default())
    }
}

/// A plain ordered map in memory.
#[derive(Default)]
pub struct MemoryStore {
    map: RwLock<BTreeMap<Vec<u8>, Arc<[u8]>>>,
}

impl PlainStore for MemoryStore {
    type Bytes = Arc<[u8]>;

    fn get(&self, key: &[u8]) -> Result<Option<Arc<[u8]>>> {
        Ok(self.map.read().get(key).cloned())
    }

    fn scan_chunk(&self, range: &KeyRange, direction: Direction, limit: usize) -> Result<Vec<(Arc<[u8]>, Arc<[u8]>)>> {
        if super::range_is_empty(range) {
            return Ok(Vec::new());
        }
        let map = self.map.read();
        let iter = map.range::<[u8], _>((range.0.as_ref().map(Vec::as_slice), range.1.as_ref().map(Vec::as_slice)));
        let pair = |(k, v): (&Vec<u8>, &Arc<[u8]>)| (Arc::from(k.as_slice()), v.clone());
        Ok(match direction {
            Direction::Forward => iter.take(limit).map(pair).collect(),
            Direction::Reverse => iter.rev().take(limit).map(pair).collect(),
        })
    }

    fn apply(&self, batch: &WriteBatch, _: Durability) -> Result<()> {
        let mut map = self.map.write();
        for (key, value) in &batch.ops {
            match value {
                Some(value) => map.insert(key.clone(), Arc::from(value.as_slice())),
                None => map.remove(key),
            };
        }
        Ok(())
    }

    fn flush(&self) -> Result<()> {
        Ok(())
    }

    fn status(&self) -> Result<Status> {
        Ok(Status { backend: "memory", disk_bytes: 0 })
    }
}
