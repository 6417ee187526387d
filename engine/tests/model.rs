//! Model test: random sequences of begin / set / delete / get / scan / commit / rollback /
//! reopen, run against the engine and against a plain `BTreeMap` model that predicts every
//! read, every conflict and what survives a reopen. On every backend.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use braid_engine::mvcc::{Transaction, TransactionManager};
use braid_engine::storage::{AnyStorage, Backend, Direction};
use braid_engine::{Error, Synchronous};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Begin,
    Set(usize, u8, u8),
    Delete(usize, u8),
    Get(usize, u8),
    Scan(usize, u8, u8, bool),
    Commit(usize),
    Rollback(usize),
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    let t = 0usize..4;
    let k = 0u8..16;
    prop_oneof![
        2 => Just(Op::Begin),
        4 => (t.clone(), k.clone(), any::<u8>()).prop_map(|(t, k, v)| Op::Set(t, k, v)),
        2 => (t.clone(), k.clone()).prop_map(|(t, k)| Op::Delete(t, k)),
        3 => (t.clone(), k.clone()).prop_map(|(t, k)| Op::Get(t, k)),
        2 => (t.clone(), k.clone(), k, any::<bool>()).prop_map(|(t, a, b, r)| Op::Scan(t, a, b, r)),
        2 => t.clone().prop_map(Op::Commit),
        1 => t.prop_map(Op::Rollback),
        1 => Just(Op::Reopen),
    ]
}

type Map = BTreeMap<u8, u8>;

/// What the model knows of an open transaction.
struct ModelTxn {
    snapshot: Map,
    writes: BTreeMap<u8, Option<u8>>,
    /// The model's commit count when it began.
    start: u64,
}

impl ModelTxn {
    fn view(&self) -> Map {
        let mut view = self.snapshot.clone();
        for (k, v) in &self.writes {
            match v {
                Some(v) => view.insert(*k, *v),
                None => view.remove(k),
            };
        }
        view
    }
}

fn run(backend: Backend, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let open = || TransactionManager::new(AnyStorage::open(backend, dir.path(), None).unwrap(), Synchronous::Normal);
    let mut manager = open();
    let mut committed = Map::new();
    let mut commits = 0u64;
    let mut last_write: BTreeMap<u8, u64> = BTreeMap::new();
    let mut txns: Vec<(Transaction<AnyStorage>, ModelTxn)> = Vec::new();

    for op in ops {
        match op {
            Op::Begin if txns.len() < 4 => {
                let model = ModelTxn { snapshot: committed.clone(), writes: BTreeMap::new(), start: commits };
                txns.push((manager.begin().unwrap(), model));
            }
            Op::Set(i, k, v) if i < txns.len() => {
                txns[i].0.set(vec![k], vec![v]).unwrap();
                txns[i].1.writes.insert(k, Some(v));
            }
            Op::Delete(i, k) if i < txns.len() => {
                txns[i].0.delete(vec![k]).unwrap();
                txns[i].1.writes.insert(k, None);
            }
            Op::Get(i, k) if i < txns.len() => {
                let got = txns[i].0.get(&[k]).unwrap().map(|v| v[0]);
                prop_assert_eq!(got, txns[i].1.view().get(&k).copied());
            }
            Op::Scan(i, a, b, reverse) if i < txns.len() => {
                let (lo, hi) = (a.min(b), a.max(b));
                let dir = if reverse { Direction::Reverse } else { Direction::Forward };
                let range = (Bound::Included(vec![lo]), Bound::Excluded(vec![hi]));
                let got: Vec<(u8, u8)> =
                    txns[i].0.scan(range, dir).unwrap().map(|r| r.map(|(k, v)| (k[0], v[0])).unwrap()).collect();
                let mut want: Vec<(u8, u8)> = txns[i].1.view().range(lo..hi).map(|(k, v)| (*k, *v)).collect();
                if reverse {
                    want.reverse();
                }
                prop_assert_eq!(got, want);
            }
            Op::Commit(i) if i < txns.len() => {
                let (txn, model) = txns.remove(i);
                let writes: BTreeSet<u8> = model.writes.keys().copied().collect();
                let conflict = writes.iter().any(|k| last_write.get(k).is_some_and(|&c| c > model.start));
                let result = txn.commit();
                if conflict {
                    prop_assert_eq!(result, Err(Error::Serialization));
                } else {
                    prop_assert!(result.is_ok(), "{:?}", result);
                    if !writes.is_empty() {
                        commits += 1;
                        for k in writes {
                            last_write.insert(k, commits);
                        }
                        committed = {
                            let mut m = model;
                            m.snapshot = committed.clone();
                            m.view()
                        };
                    }
                }
            }
            Op::Rollback(i) if i < txns.len() => txns.remove(i).0.rollback(),
            Op::Reopen if backend != Backend::Memory => {
                txns.clear();
                drop(manager);
                manager = open();
                last_write.clear();
            }
            _ => {}
        }
    }
    // Everything committed is there, and nothing else.
    let txn = manager.begin_read_only().unwrap();
    let all: Map = txn
        .scan((Bound::Unbounded, Bound::Unbounded), Direction::Forward)
        .unwrap()
        .map(|r| r.map(|(k, v)| (k[0], v[0])).unwrap())
        .collect();
    prop_assert_eq!(all, committed);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn memory_matches_model(ops in proptest::collection::vec(op(), 1..60)) {
        run(Backend::Memory, ops)?;
    }

    #[test]
    fn redb_matches_model(ops in proptest::collection::vec(op(), 1..60)) {
        run(Backend::Redb, ops)?;
    }

    #[test]
    fn sled_matches_model(ops in proptest::collection::vec(op(), 1..60)) {
        run(Backend::Sled, ops)?;
    }
}
