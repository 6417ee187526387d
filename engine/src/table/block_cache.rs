//! A shared cache of row blocks, consistent with every snapshot.
//!
//! A point read through redb walks the B-tree: one page-cache lookup per level plus a key
//! search in each page, about three quarters of a point read's time here (profiled). This
//! cache keeps recently read blocks in a hash map, so a warm point read is one hash lookup
//! and a binary search in the block.
//!
//! # Why a cached block is never stale for the snapshot that reads it
//!
//! [`RowBlocks`](super::RowBlocks) numbers its applies. A snapshot records the number
//! `c` *before* it opens the store's snapshot. Each cached block carries a tag `t`: the
//! apply count at which it was read. Applies (only the commit leader makes them) go in three
//! steps:
//!
//! 1. under the state lock: mark an apply in progress and *drop* every block it will write;
//! 2. write to the store (this may take an fsync; no lock held);
//! 3. under the state lock: count the apply, clear the in-progress mark.
//!
//! A reader fills the cache only under the state lock, when no apply is in progress and
//! the count still equals its own `c`, tagging the block `c`. A reader uses a cached block
//! only if `t <= c`. Then:
//! - a block written by an apply counted at or before `c` was dropped in that apply's
//!   step 1, and could only be refilled afterwards with a tag of at least that apply's
//!   number; so a block tagged `t <= c` reflects every write up to `c`;
//! - a block written by a later apply (even one the store's snapshot happens to include)
//!   was dropped before that apply wrote, and any refill carries a tag above `c`: the
//!   reader misses and reads its own store snapshot.
//!
//! Blocks are evicted arbitrarily when a shard is over its share of the byte budget.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

const SHARDS: usize = 16;

/// Default byte budget of the block cache.
pub const DEFAULT_BLOCK_CACHE_BYTES: usize = 256 << 20;

/// `(table, block number)`.
pub(crate) type BlockId = (u64, i64);

/// Multiply-xorshift hashing of the two integers of a [`BlockId`]: SipHash would cost more
/// than the rest of a cache hit.
#[derive(Default)]
pub(crate) struct BlockIdHasher(u64);

impl Hasher for BlockIdHasher {
    fn finish(&self) -> u64 {
        let x = self.0.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        x ^ (x >> 29)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ b as u64).wrapping_mul(0x100_0000_01B3);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0xBF58_476D_1CE4_E5B9).rotate_left(31);
    }

    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }
}

struct Cached {
    tag: u64,
    bytes: Arc<[u8]>,
}

#[derive(Default)]
struct Shard {
    map: HashMap<BlockId, Cached, BuildHasherDefault<BlockIdHasher>>,
    bytes: usize,
}

struct ApplyState {
    /// Applies counted so far.
    applied: u64,
    in_progress: bool,
}

/// The cache and the apply counter it is checked against.
pub(crate) struct BlockCache {
    shards: Vec<Mutex<Shard>>,
    state: RwLock<ApplyState>,
    shard_budget: usize,
}

impl BlockCache {
    pub fn new(budget_bytes: usize) -> Self {
        BlockCache {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            state: RwLock::new(ApplyState { applied: 0, in_progress: false }),
            shard_budget: budget_bytes / SHARDS,
        }
    }

    fn shard(&self, id: &BlockId) -> &Mutex<Shard> {
        let mut h = BlockIdHasher::default();
        h.write_u64(id.0);
        h.write_i64(id.1);
        &self.shards[(h.finish() >> 56) as usize % SHARDS]
    }

    /// The count a new snapshot records (read *before* the store's snapshot is opened).
    pub fn applied(&self) -> u64 {
        self.state.read().applied
    }

    /// A cached block that is valid for a snapshot that recorded `applied`.
    #[inline]
    pub fn get(&self, id: &BlockId, applied: u64) -> Option<Arc<[u8]>> {
        let shard = self.shard(id).lock();
        shard.map.get(id).filter(|c| c.tag <= applied).map(|c| c.bytes.clone())
    }

    /// Offers a block read from a snapshot that recorded `applied`; kept only if no apply
    /// has happened or started since.
    pub fn fill(&self, id: BlockId, bytes: &[u8], applied: u64) -> Arc<[u8]> {
        let bytes: Arc<[u8]> = Arc::from(bytes);
        if self.shard_budget == 0 {
            return bytes;
        }
        let state = self.state.read();
        if state.in_progress || state.applied != applied {
            return bytes;
        }
        let mut shard = self.shard(&id).lock();
        while shard.bytes + bytes.len() > self.shard_budget {
            let Some(victim) = shard.map.keys().next().copied() else { break };
            if let Some(old) = shard.map.remove(&victim) {
                shard.bytes -= old.bytes.len();
            }
        }
        shard.bytes += bytes.len();
        if let Some(old) = shard.map.insert(id, Cached { tag: applied, bytes: bytes.clone() }) {
            shard.bytes -= old.bytes.len();
        }
        drop(state);
        bytes
    }

    /// Step 1 of an apply: drop the blocks it writes, and hold off fills until it is counted.
    pub fn begin_apply(&self, written: impl Iterator<Item = BlockId>) {
        let mut state = self.state.write();
        state.in_progress = true;
        for id in written {
            let mut shard = self.shard(&id).lock();
            if let Some(old) = shard.map.remove(&id) {
                shard.bytes -= old.bytes.len();
            }
        }
        drop(state);
    }

    /// Step 3 of an apply: count it if it reached the store.
    pub fn end_apply(&self, applied: bool) {
        let mut state = self.state.write();
        if applied {
            state.applied += 1;
        }
        state.in_progress = false;
    }
}
