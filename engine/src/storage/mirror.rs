//! A test tool: two backends run side by side, every read compared.
//!
//! [`Mirror`] applies each batch to both stores and asserts that every get and every scan
//! returns the same bytes from both, so any test run on a mirror is also a differential
//! test of the two backends. It panics on a mismatch — it exists to fail tests loudly, and is
//! never used by the database itself.

use super::{Direction, Durability, KeyRange, Snapshot, Status, Storage, WriteBatch};
use crate::error::Result;

/// Two stores that must agree.
#[derive(Clone)]
pub struct Mirror<A: Storage, B: Storage> {
    pub a: A,
    pub b: B,
}

impl<A: Storage, B: Storage> Mirror<A, B> {
    pub fn new(a: A, b: B) -> Self {
        Mirror { a, b }
    }
}

impl<A: Storage, B: Storage> Storage for Mirror<A, B> {
    type Snapshot = MirrorSnapshot<A::Snapshot, B::Snapshot>;

    fn snapshot(&self) -> Result<Self::Snapshot> {
        Ok(MirrorSnapshot { a: self.a.snapshot()?, b: self.b.snapshot()? })
    }

    fn apply(&self, batch: &WriteBatch, durability: Durability) -> Result<()> {
        let ra = self.a.apply(batch, durability);
        let rb = self.b.apply(batch, durability);
        assert_eq!(ra, rb, "mirror: apply results differ");
        ra
    }

    fn flush(&self) -> Result<()> {
        self.a.flush()?;
        self.b.flush()
    }

    fn status(&self) -> Result<Status> {
        self.a.status()
    }
}

/// Snapshots of both stores, taken one after the other (callers must not commit between).
pub struct MirrorSnapshot<A, B> {
    a: A,
    b: B,
}

impl<A: Snapshot, B: Snapshot> Snapshot for MirrorSnapshot<A, B> {
    type Bytes = Vec<u8>;
    type Scan = std::vec::IntoIter<Result<(Vec<u8>, Vec<u8>)>>;

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let a = self.a.get(key)?.map(|v| v.as_ref().to_vec());
        let b = self.b.get(key)?.map(|v| v.as_ref().to_vec());
        assert_eq!(a, b, "mirror: get({}) differs", super::super::encoding::format::bytes(key));
        Ok(a)
    }

    fn scan(&self, range: KeyRange, direction: Direction) -> Result<Self::Scan> {
        let a = collect(&self.a, range.clone(), direction)?;
        let b = collect(&self.b, range, direction)?;
        assert_eq!(a, b, "mirror: scan differs");
        Ok(a.into_iter().map(Ok).collect::<Vec<_>>().into_iter())
    }
}

fn collect<S: Snapshot>(s: &S, range: KeyRange, direction: Direction) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    s.scan(range, direction)?.map(|item| item.map(|(k, v)| (k.as_ref().to_vec(), v.as_ref().to_vec()))).collect()
}
