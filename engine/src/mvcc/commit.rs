//! The commit pipeline: validation, group commit and durability.
//!
//! # Group commit
//!
//! Committers queue up; the first one in becomes the *leader*. The leader takes every
//! request queued so far, validates each, applies all winners as **one** storage batch with
//! **one** flush, publishes the new version and wakes the others. While it waits on the
//! disk, the next committers queue behind it and become the next group, so under
//! `synchronous = full` eight concurrent committers pay for about one fsync each round
//! instead of eight. Leadership passes to the oldest waiter after each round, so no thread
//! serves others for long.
//!
//! # Validation
//!
//! The log of recent commits keeps each group's write batches (shared, not copied) for as
//! long as an active transaction started before it. A transaction conflicts if a logged
//! group newer than its start, or an earlier winner of its own group, wrote one of its keys.
//! Batches are sorted by key (they come from the write buffer's `BTreeMap`), so an
//! intersection is a binary search per key of the smaller batch.

use std::collections::VecDeque;
use std::sync::Arc;

use parking_lot::{Condvar, Mutex};

use crate::error::{Error, Result};
use crate::storage::{Durability, WriteBatch};

/// When a commit is on disk — SQLite's `PRAGMA synchronous`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Synchronous {
    /// A commit returns after its writes are on disk (fsync), shared with concurrent
    /// committers (group commit).
    #[default]
    Full,
    /// A commit returns once applied; a background flush puts it on disk within
    /// [`NORMAL_FLUSH_INTERVAL`]. A crash may lose the last interval's commits, never part
    /// of one.
    Normal,
    /// Commits reach disk when the database is closed or the store decides to. A crash may
    /// lose any commit made since the last flush, never part of one.
    Off,
}

/// How stale a commit may be on disk under [`Synchronous::Normal`].
pub const NORMAL_FLUSH_INTERVAL: std::time::Duration = std::time::Duration::from_millis(100);

impl std::str::FromStr for Synchronous {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "full" | "2" => Ok(Synchronous::Full),
            "normal" | "1" => Ok(Synchronous::Normal),
            "off" | "0" => Ok(Synchronous::Off),
            other => Err(Error::invalid(format!("synchronous must be full, normal or off, not {other:?}"))),
        }
    }
}

impl Synchronous {
    pub(crate) fn durability(self) -> Durability {
        match self {
            Synchronous::Full => Durability::Full,
            Synchronous::Normal | Synchronous::Off => Durability::Deferred,
        }
    }
}

/// One transaction asking to commit.
pub(crate) struct Request {
    pub start: u64,
    pub batch: Arc<WriteBatch>,
    /// Key ranges `[start, end)` this transaction relied on: a newer write inside any of them
    /// is a conflict too (see `Transaction::depend_on`).
    pub depends: Vec<(Vec<u8>, Vec<u8>)>,
    pub slot: Arc<Slot>,
}

/// Where a committer waits for its outcome.
#[derive(Default)]
pub(crate) struct Slot {
    state: Mutex<SlotState>,
    ready: Condvar,
}

#[derive(Default)]
enum SlotState {
    #[default]
    Waiting,
    /// Become the leader of the next group.
    Lead,
    Done(Result<u64>),
}

impl Slot {
    fn set(&self, state: SlotState) {
        *self.state.lock() = state;
        self.ready.notify_one();
    }

    /// Waits until the slot is no longer `Waiting`; takes the state.
    fn wait(&self) -> SlotState {
        let mut state = self.state.lock();
        while matches!(*state, SlotState::Waiting) {
            self.ready.wait(&mut state);
        }
        std::mem::take(&mut *state)
    }
}

/// The queue of committers and the leader's state.
#[derive(Default)]
pub(crate) struct CommitQueue {
    queue: Mutex<Queue>,
    /// Only the leader touches the log, so this lock is never contended.
    log: Mutex<VecDeque<(u64, Vec<Arc<WriteBatch>>)>>,
}

#[derive(Default)]
struct Queue {
    pending: Vec<Request>,
    leader: bool,
}

/// What the leader needs from the transaction manager.
pub(crate) trait GroupApplier {
    /// The last published version.
    fn published(&self) -> u64;
    /// Writes the group's batch to storage.
    fn apply(&self, batch: &WriteBatch) -> Result<()>;
    /// Makes `version` visible to new transactions; returns the oldest start of an active
    /// transaction other than the committing ones, whose starts are `committing` (they are
    /// done with the log of commits, though still registered until they return).
    fn publish(&self, version: u64, committing: &[u64]) -> Option<u64>;
}

impl CommitQueue {
    /// How many commit groups the log holds.
    #[cfg(test)]
    pub fn logged(&self) -> usize {
        self.log.lock().len()
    }

    /// Commits `request` (possibly together with others); returns its commit version.
    pub fn commit(&self, request: Request, applier: &impl GroupApplier) -> Result<u64> {
        let slot = request.slot.clone();
        {
            let mut queue = self.queue.lock();
            queue.pending.push(request);
            if queue.leader {
                drop(queue);
                match slot.wait() {
                    SlotState::Done(result) => return result,
                    SlotState::Lead => {}
                    SlotState::Waiting => unreachable!("wait returns only when not waiting"),
                }
            } else {
                queue.leader = true;
            }
        }
        self.lead(&slot, applier);
        match slot.wait() {
            SlotState::Done(result) => result,
            _ => unreachable!("the leader's own request is done when it stops leading"),
        }
    }

    /// Runs groups until our own request is done, then hands leadership on.
    fn lead(&self, own: &Arc<Slot>, applier: &impl GroupApplier) {
        loop {
            let group = std::mem::take(&mut self.queue.lock().pending);
            let own_done = group.iter().any(|r| Arc::ptr_eq(&r.slot, own));
            self.run_group(group, applier);
            let mut queue = self.queue.lock();
            if queue.pending.is_empty() {
                queue.leader = false;
                return;
            }
            if own_done {
                queue.pending[0].slot.set(SlotState::Lead);
                return;
            }
        }
    }

    fn run_group(&self, group: Vec<Request>, applier: &impl GroupApplier) {
        let mut log = self.log.lock();
        let mut winners: Vec<Request> = Vec::with_capacity(group.len());
        for request in group {
            let conflict = log
                .iter()
                .filter(|(version, _)| *version > request.start)
                .flat_map(|(_, batches)| batches)
                .chain(winners.iter().map(|w| &w.batch))
                .any(|other| intersects(&request.batch, other) || touches(&request.depends, other));
            if conflict {
                request.slot.set(SlotState::Done(Err(Error::Serialization)));
            } else {
                winners.push(request);
            }
        }
        if winners.is_empty() {
            return;
        }
        let version = applier.published() + 1;
        let applied = if let [only] = winners.as_slice() {
            applier.apply(&only.batch)
        } else {
            let mut all = WriteBatch::new();
            for w in &winners {
                all.ops.extend(w.batch.ops.iter().cloned());
            }
            applier.apply(&all)
        };
        if let Err(err) = applied {
            if winners.len() == 1 {
                winners[0].slot.set(SlotState::Done(Err(err)));
                return;
            }
            // One bad batch must not fail the others: apply each alone, in order. They
            // write disjoint keys (validated above), so each stands on its own.
            drop(log);
            for w in winners {
                self.run_group(vec![w], applier);
            }
            return;
        }
        log.push_back((version, winners.iter().map(|w| w.batch.clone()).collect()));
        let committing: Vec<u64> = winners.iter().map(|w| w.start).collect();
        let oldest_active = applier.publish(version, &committing);
        // Keep only what an active transaction may still conflict with.
        let keep_after = oldest_active.unwrap_or(version);
        while log.front().is_some_and(|(v, _)| *v <= keep_after) {
            log.pop_front();
        }
        drop(log);
        for w in winners {
            w.slot.set(SlotState::Done(Ok(version)));
        }
    }
}

/// Whether a key-sorted batch writes inside any of the ranges.
fn touches(ranges: &[(Vec<u8>, Vec<u8>)], batch: &WriteBatch) -> bool {
    ranges.iter().any(|(start, end)| {
        let i = batch.ops.partition_point(|(k, _)| k < start);
        batch.ops.get(i).is_some_and(|(k, _)| k < end)
    })
}

/// Whether two key-sorted batches write a common key.
fn intersects(a: &WriteBatch, b: &WriteBatch) -> bool {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if small.is_empty() || large.is_empty() {
        return false;
    }
    // Disjoint key ranges are the common case: check the ends first.
    let (s_first, s_last) = (&small.ops[0].0, &small.ops[small.len() - 1].0);
    let (l_first, l_last) = (&large.ops[0].0, &large.ops[large.len() - 1].0);
    if s_last < l_first || l_last < s_first {
        return false;
    }
    small.ops.iter().any(|(k, _)| large.ops.binary_search_by(|(lk, _)| lk.cmp(k)).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(keys: &[&[u8]]) -> WriteBatch {
        WriteBatch { ops: keys.iter().map(|k| (k.to_vec(), None)).collect() }
    }

    #[test]
    fn ranges_touched_by_a_sorted_batch() {
        let b = batch(&[b"b", b"d"]);
        assert!(touches(&[(b"a".to_vec(), b"c".to_vec())], &b));
        assert!(touches(&[(b"d".to_vec(), b"d\0".to_vec())], &b));
        assert!(!touches(&[(b"c".to_vec(), b"d".to_vec())], &b));
        assert!(!touches(&[(b"e".to_vec(), b"z".to_vec())], &b));
    }

    #[test]
    fn intersection_of_sorted_batches() {
        assert!(intersects(&batch(&[b"a", b"c"]), &batch(&[b"b", b"c", b"d"])));
        assert!(!intersects(&batch(&[b"a", b"c"]), &batch(&[b"b", b"d"])));
        assert!(!intersects(&batch(&[b"a"]), &batch(&[b"b"])));
        assert!(!intersects(&batch(&[]), &batch(&[b"b"])));
    }
}
