//! Transactions: snapshot isolation with many concurrent writers, by optimistic
//! concurrency over storage snapshots.
//!
//! # How it works
//!
//! ```text
//!  begin ──► start = last published commit version; snapshot = storage.snapshot()
//!  get   ──► own write buffer, else the snapshot            (one storage lookup)
//!  scan  ──► snapshot scan merged with the write buffer
//!  set   ──► write buffer only: nothing reaches storage before commit
//!  commit──► group commit: validate ─► one storage batch, one fsync ─► publish version
//! ```
//!
//! A transaction never writes to storage until it commits, so nothing of an uncommitted or
//! crashed transaction can be seen: there is nothing to see. At commit it is *validated*:
//! if any commit published after its start wrote a key it also writes, it fails with
//! [`Error::Serialization`] (first committer wins) and the caller retries. Winners are
//! applied as one atomic storage batch; transactions that commit at the same moment share a
//! batch and a flush (see [`commit`]).
//!
//! # Isolation level: snapshot isolation
//!
//! Prevented (each has a test named after it in `tests/isolation.rs`):
//! - dirty write — two uncommitted writes to one key: the later committer aborts;
//! - dirty read — uncommitted writes are invisible to others;
//! - lost update — read-modify-write races: the later committer aborts;
//! - fuzzy (non-repeatable) read — a key reads the same throughout a transaction;
//! - phantom read — a range scan returns the same keys throughout a transaction.
//!
//! Where a transaction's writes rely on what it *read* (a table definition, or every row
//! an index is built from), it declares the range with `Transaction::depend_on`, and a
//! newer write inside it is a conflict as well.
//!
//! Allowed, as in every snapshot-isolation database: **write skew**. Two transactions that
//! each read what the other writes, and write disjoint keys, both commit (the classic: two
//! doctors each check that another is on call, and both go off call). Applications that
//! need to rule it out write a common key (materialise the conflict), as in PostgreSQL's
//! REPEATABLE READ.
//!
//! # Why not versioned keys
//!
//! The classic alternative (toydb's `mvcc.rs`) stores every version under `key@version`:
//! every write is doubled and every point read becomes a seek. Here a point read is one
//! storage get and a write is one storage put; the backend's snapshots do the versioning.

mod buffer;
mod commit;
mod locks;
mod scan;
mod transaction;

pub use self::commit::Synchronous;
pub use self::locks::{BlockingWait, LockMode, LockWait, Locked, set_blocking_wait};
pub use self::scan::{ReadBytes, Scan};
pub use self::transaction::{Transaction, TransactionManager};
