//! Row locks: what `SELECT … FOR UPDATE`, UPDATE and DELETE hold until their transaction
//! ends, so that a second writer of a row waits for the first instead of racing it.
//!
//! # Model
//!
//! A lock is on a row, `(table id, rowid)`, in one of two modes: **share** (`FOR SHARE`,
//! `FOR KEY SHARE`: many holders) or **exclusive** (`FOR UPDATE`, `FOR NO KEY UPDATE`,
//! UPDATE, DELETE: one holder, and no share holders). A transaction that asks for a lock
//! another one holds in a conflicting mode either waits until that one ends (its commit is
//! published or it rolls back), gives up at once (`NOWAIT`: [`Error::LockNotAvailable`]),
//! or passes the row over (`SKIP LOCKED`). Readers take no locks: they read their snapshot
//! and never wait.
//!
//! Locks live in memory only. A lock belongs to a transaction and goes when it ends, so a
//! crash or a dropped connection leaves nothing behind; nothing about a lock is written.
//!
//! # Deadlocks
//!
//! A waiter records whom it waits for. Before it sleeps, it follows those edges of the
//! wait-for graph; a path back to itself is a deadlock, and the transaction about to close
//! the cycle is the victim ([`Error::Deadlock`], PostgreSQL's 40P01). Every cycle is found
//! by the last of its members to start waiting, so no cycle is ever slept in, and no
//! background detector is needed.
//!
//! # Why one mutex
//!
//! Acquiring and releasing are a hash-map operation each under one lock, held for a few
//! hundred nanoseconds; releases wake sleepers with one condition variable. Row writes are
//! far costlier than that (each is buffered, encoded and validated), so this table is not
//! where concurrent writers queue. Sharding by row would make deadlock detection reach
//! across shards; it can come when a profile asks for it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::error::{Error, Result};

/// A transaction's identity in the lock table.
pub type Owner = u64;

/// A locked row: its table's id and its rowid.
pub type RowId = (u64, i64);

/// How strongly a row is locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// Many holders at once; excludes exclusive holders (`FOR SHARE`, `FOR KEY SHARE`).
    Share,
    /// One holder (`FOR UPDATE`, `FOR NO KEY UPDATE`, UPDATE, DELETE).
    Exclusive,
}

/// What to do when a row is locked by another transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockWait {
    /// Wait until it is free, for at most this long if given (`lock_timeout`).
    Block(Option<Duration>),
    /// Fail at once with [`Error::LockNotAvailable`] (`NOWAIT`).
    NoWait,
    /// Report the row as skipped (`SKIP LOCKED`).
    Skip,
}

/// What became of a lock request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locked {
    /// Granted without waiting.
    Granted,
    /// Granted after waiting for another transaction to end: the row may have changed.
    AfterWait,
    /// Held by another transaction, and the request said to skip it.
    Skipped,
    /// Held by another transaction, and this thread may not sleep (see [`BlockingWait`]):
    /// not granted. The caller goes on without the lock; its writes are still validated at
    /// commit (first committer wins), as they were before row locks.
    NotHeld,
}

/// How a thread that is about to sleep on a lock runs the sleep: the server's async runtime
/// must hand its other connections to another thread first (`tokio::task::block_in_place`),
/// or a waiting statement would stall the connection it waits for. It runs the wait and
/// returns true, or returns false where this thread may not sleep (a single-threaded
/// runtime serving other connections): the request is then [`Locked::NotHeld`]. Set once
/// per process; unset, the wait simply blocks the calling thread.
pub type BlockingWait = fn(&mut dyn FnMut()) -> bool;

static BLOCKING_WAIT: std::sync::OnceLock<BlockingWait> = std::sync::OnceLock::new();

/// Installs the process's [`BlockingWait`]; the first call wins.
pub fn set_blocking_wait(wrap: BlockingWait) {
    let _ = BLOCKING_WAIT.set(wrap);
}

/// The holders of one row's lock.
#[derive(Debug, Default)]
struct Holders {
    exclusive: Option<Owner>,
    shared: Vec<Owner>,
}

impl Holders {
    /// The holders other than `me` whose locks conflict with `mode`.
    fn blocking(&self, me: Owner, mode: LockMode) -> Vec<Owner> {
        let mut out: Vec<Owner> = self.exclusive.iter().copied().filter(|&o| o != me).collect();
        if mode == LockMode::Exclusive {
            out.extend(self.shared.iter().copied().filter(|&o| o != me));
        }
        out
    }

    fn is_empty(&self) -> bool {
        self.exclusive.is_none() && self.shared.is_empty()
    }
}

#[derive(Debug, Default)]
struct State {
    rows: HashMap<RowId, Holders>,
    /// The rows each transaction holds a lock on, for its release.
    held: HashMap<Owner, Vec<RowId>>,
    /// The wait-for graph: each waiting transaction and the holders it waits for.
    waiting: HashMap<Owner, Vec<Owner>>,
}

impl State {
    /// Whether `from` waits, directly or through others, for `target`.
    fn reaches(&self, from: &[Owner], target: Owner) -> bool {
        let mut stack: Vec<Owner> = from.to_vec();
        let mut seen: Vec<Owner> = Vec::new();
        while let Some(o) = stack.pop() {
            if o == target {
                return true;
            }
            if seen.contains(&o) {
                continue;
            }
            seen.push(o);
            if let Some(next) = self.waiting.get(&o) {
                stack.extend(next);
            }
        }
        false
    }

    fn grant(&mut self, owner: Owner, row: RowId, mode: LockMode) {
        let holders = self.rows.entry(row).or_default();
        let had = holders.exclusive == Some(owner) || holders.shared.contains(&owner);
        match mode {
            LockMode::Exclusive => {
                holders.shared.retain(|&o| o != owner);
                holders.exclusive = Some(owner);
            }
            LockMode::Share if holders.exclusive == Some(owner) => {}
            LockMode::Share => {
                if !holders.shared.contains(&owner) {
                    holders.shared.push(owner);
                }
            }
        }
        if !had {
            self.held.entry(owner).or_default().push(row);
        }
    }
}

/// The row locks of one database (see the module doc).
#[derive(Default)]
pub struct LockTable {
    state: Mutex<State>,
    /// Signalled whenever a transaction's locks are released.
    released: Condvar,
}

impl LockTable {
    /// Locks `row` for `owner` in `mode`. A lock already held in the mode (or a stronger
    /// one) is granted at once; a share lock is upgraded to exclusive when asked for.
    pub fn lock(&self, owner: Owner, row: RowId, mode: LockMode, wait: LockWait) -> Result<Locked> {
        {
            let mut state = self.state.lock();
            if state.rows.get(&row).is_none_or(|h| h.blocking(owner, mode).is_empty()) {
                state.grant(owner, row, mode);
                return Ok(Locked::Granted);
            }
        }
        let mut outcome = Ok(Locked::NotHeld);
        let mut waiting = || outcome = self.wait_for(owner, row, mode, wait);
        match BLOCKING_WAIT.get() {
            Some(wrap) if matches!(wait, LockWait::Block(_)) => {
                wrap(&mut waiting);
            }
            _ => waiting(),
        }
        outcome
    }

    /// [`lock`](Self::lock) of a row that was held: waits as `wait` says.
    fn wait_for(&self, owner: Owner, row: RowId, mode: LockMode, wait: LockWait) -> Result<Locked> {
        let mut state = self.state.lock();
        let mut waited = false;
        let deadline = match wait {
            LockWait::Block(Some(timeout)) => Some(Instant::now() + timeout),
            _ => None,
        };
        loop {
            let blocking = state.rows.get(&row).map(|h| h.blocking(owner, mode)).unwrap_or_default();
            if blocking.is_empty() {
                state.waiting.remove(&owner);
                state.grant(owner, row, mode);
                return Ok(if waited { Locked::AfterWait } else { Locked::Granted });
            }
            match wait {
                LockWait::NoWait => {
                    state.waiting.remove(&owner);
                    return Err(Error::LockNotAvailable);
                }
                LockWait::Skip => {
                    state.waiting.remove(&owner);
                    return Ok(Locked::Skipped);
                }
                LockWait::Block(_) => {}
            }
            if state.reaches(&blocking, owner) {
                state.waiting.remove(&owner);
                return Err(Error::Deadlock);
            }
            state.waiting.insert(owner, blocking);
            waited = true;
            match deadline {
                Some(deadline) => {
                    if self.released.wait_until(&mut state, deadline).timed_out() {
                        state.waiting.remove(&owner);
                        return Err(Error::LockTimeout);
                    }
                }
                None => self.released.wait(&mut state),
            }
        }
    }

    /// Releases every lock `owner` holds and wakes the transactions waiting for them.
    pub fn release_all(&self, owner: Owner) {
        let mut state = self.state.lock();
        state.waiting.remove(&owner);
        let Some(rows) = state.held.remove(&owner) else { return };
        for row in rows {
            if let Some(holders) = state.rows.get_mut(&row) {
                if holders.exclusive == Some(owner) {
                    holders.exclusive = None;
                }
                holders.shared.retain(|&o| o != owner);
                if holders.is_empty() {
                    state.rows.remove(&row);
                }
            }
        }
        drop(state);
        self.released.notify_all();
    }

    /// How many rows `owner` holds locks on.
    #[cfg(test)]
    pub fn held_by(&self, owner: Owner) -> usize {
        self.state.lock().held.get(&owner).map_or(0, Vec::len)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    const ROW: RowId = (1, 1);
    const FOREVER: LockWait = LockWait::Block(None);

    #[test]
    fn share_locks_coexist_and_exclude_an_exclusive_one() {
        let t = LockTable::default();
        assert_eq!(t.lock(1, ROW, LockMode::Share, FOREVER).unwrap(), Locked::Granted);
        assert_eq!(t.lock(2, ROW, LockMode::Share, FOREVER).unwrap(), Locked::Granted);
        assert_eq!(t.lock(3, ROW, LockMode::Exclusive, LockWait::Skip).unwrap(), Locked::Skipped);
        assert!(matches!(t.lock(3, ROW, LockMode::Exclusive, LockWait::NoWait), Err(Error::LockNotAvailable)));
        t.release_all(1);
        t.release_all(2);
        assert_eq!(t.lock(3, ROW, LockMode::Exclusive, LockWait::NoWait).unwrap(), Locked::Granted);
        assert_eq!(t.lock(1, ROW, LockMode::Share, LockWait::Skip).unwrap(), Locked::Skipped);
        // Its own lock again, in either mode, is granted at once.
        assert_eq!(t.lock(3, ROW, LockMode::Share, LockWait::NoWait).unwrap(), Locked::Granted);
        assert_eq!(t.lock(3, ROW, LockMode::Exclusive, LockWait::NoWait).unwrap(), Locked::Granted);
        assert_eq!(t.held_by(3), 1);
        t.release_all(3);
        assert_eq!(t.held_by(3), 0);
        assert!(t.state.lock().rows.is_empty());
    }

    #[test]
    fn a_waiter_runs_when_the_holder_ends() {
        let t = Arc::new(LockTable::default());
        t.lock(1, ROW, LockMode::Exclusive, FOREVER).unwrap();
        let got = Arc::new(AtomicBool::new(false));
        let waiter = {
            let (t, got) = (t.clone(), got.clone());
            std::thread::spawn(move || {
                assert_eq!(t.lock(2, ROW, LockMode::Exclusive, FOREVER).unwrap(), Locked::AfterWait);
                got.store(true, Ordering::SeqCst);
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        assert!(!got.load(Ordering::SeqCst), "the row is still held");
        t.release_all(1);
        waiter.join().unwrap();
        assert!(got.load(Ordering::SeqCst));
    }

    #[test]
    fn a_wait_gives_up_after_the_timeout() {
        let t = LockTable::default();
        t.lock(1, ROW, LockMode::Exclusive, FOREVER).unwrap();
        let wait = LockWait::Block(Some(Duration::from_millis(30)));
        assert!(matches!(t.lock(2, ROW, LockMode::Share, wait), Err(Error::LockTimeout)));
        assert!(t.state.lock().waiting.is_empty());
    }

    #[test]
    fn the_transaction_closing_a_cycle_is_the_deadlock_victim() {
        let t = Arc::new(LockTable::default());
        let (a, b) = ((1, 1), (1, 2));
        t.lock(1, a, LockMode::Exclusive, FOREVER).unwrap();
        t.lock(2, b, LockMode::Exclusive, FOREVER).unwrap();
        let first = {
            let t = t.clone();
            std::thread::spawn(move || t.lock(1, b, LockMode::Exclusive, FOREVER))
        };
        // Let transaction 1 start waiting for 2.
        while !t.state.lock().waiting.contains_key(&1) {
            std::thread::yield_now();
        }
        assert!(matches!(t.lock(2, a, LockMode::Exclusive, FOREVER), Err(Error::Deadlock)));
        t.release_all(2);
        assert_eq!(first.join().unwrap().unwrap(), Locked::AfterWait, "the survivor gets its lock");
    }
}
