//! Snapshot isolation, one test per anomaly, on every backend.
//!
//! Prevented: dirty write, dirty read, lost update, fuzzy read, phantom read.
//! Allowed (documented in `mvcc/mod.rs`): write skew.

use std::ops::Bound;

use braid_engine::mvcc::TransactionManager;
use braid_engine::storage::{AnyStorage, Backend, Direction};
use braid_engine::{Error, Synchronous};

fn managers() -> Vec<(TransactionManager<AnyStorage>, tempfile::TempDir)> {
    [Backend::Memory, Backend::Redb, Backend::Sled]
        .into_iter()
        .map(|b| {
            let dir = tempfile::tempdir().unwrap();
            let storage = AnyStorage::open(b, dir.path(), None).unwrap();
            (TransactionManager::new(storage, Synchronous::Off), dir)
        })
        .collect()
}

fn get<S: braid_engine::storage::Storage>(t: &braid_engine::mvcc::Transaction<S>, k: &str) -> Option<String> {
    t.get(k.as_bytes()).unwrap().map(|v| String::from_utf8(v.to_vec()).unwrap())
}

fn put(m: &TransactionManager<AnyStorage>, k: &str, v: &str) {
    let mut t = m.begin().unwrap();
    t.set(k.into(), v.into()).unwrap();
    t.commit().unwrap();
}

#[test]
fn anomaly_dirty_write() {
    for (m, _dir) in managers() {
        let mut t1 = m.begin().unwrap();
        let mut t2 = m.begin().unwrap();
        t1.set(b"x".to_vec(), b"t1".to_vec()).unwrap();
        t2.set(b"x".to_vec(), b"t2".to_vec()).unwrap();
        t1.commit().unwrap();
        assert_eq!(t2.commit(), Err(Error::Serialization));
        assert_eq!(get(&m.begin().unwrap(), "x").as_deref(), Some("t1"));
    }
}

#[test]
fn anomaly_dirty_read() {
    for (m, _dir) in managers() {
        let mut t1 = m.begin().unwrap();
        t1.set(b"x".to_vec(), b"uncommitted".to_vec()).unwrap();
        let t2 = m.begin().unwrap();
        assert_eq!(get(&t2, "x"), None);
        // Not even after t1 commits: t2 reads its snapshot.
        t1.commit().unwrap();
        assert_eq!(get(&t2, "x"), None);
        assert_eq!(get(&m.begin().unwrap(), "x").as_deref(), Some("uncommitted"));
    }
}

#[test]
fn anomaly_lost_update() {
    for (m, _dir) in managers() {
        put(&m, "counter", "0");
        let mut t1 = m.begin().unwrap();
        let mut t2 = m.begin().unwrap();
        for t in [&mut t1, &mut t2] {
            let n: i64 = get(t, "counter").unwrap().parse().unwrap();
            t.set(b"counter".to_vec(), (n + 1).to_string().into_bytes()).unwrap();
        }
        t1.commit().unwrap();
        let err = t2.commit().unwrap_err();
        assert!(err.is_retryable(), "{err}");
        assert_eq!(get(&m.begin().unwrap(), "counter").as_deref(), Some("1"));
    }
}

#[test]
fn anomaly_fuzzy_read() {
    for (m, _dir) in managers() {
        put(&m, "x", "before");
        let t1 = m.begin().unwrap();
        assert_eq!(get(&t1, "x").as_deref(), Some("before"));
        put(&m, "x", "after");
        let mut t3 = m.begin().unwrap();
        t3.delete(b"x".to_vec()).unwrap();
        t3.commit().unwrap();
        assert_eq!(get(&t1, "x").as_deref(), Some("before"));
    }
}

#[test]
fn anomaly_phantom_read() {
    for (m, _dir) in managers() {
        put(&m, "row/1", "a");
        put(&m, "row/3", "c");
        let t1 = m.begin_read_only().unwrap();
        let keys = |t: &braid_engine::mvcc::Transaction<AnyStorage>| -> Vec<Vec<u8>> {
            t.scan_prefix(b"row/").unwrap().map(|r| r.unwrap().0.to_vec()).collect()
        };
        let before = keys(&t1);
        put(&m, "row/2", "b");
        let mut t2 = m.begin().unwrap();
        t2.delete(b"row/1".to_vec()).unwrap();
        t2.commit().unwrap();
        assert_eq!(keys(&t1), before);
        let reverse: Vec<Vec<u8>> = t1
            .scan((Bound::Unbounded, Bound::Unbounded), Direction::Reverse)
            .unwrap()
            .map(|r| r.unwrap().0.to_vec())
            .collect();
        assert_eq!(reverse, before.iter().rev().cloned().collect::<Vec<_>>());
    }
}

/// Write skew is allowed under snapshot isolation: two doctors on call each see the other
/// on call and go off call; both commit because they write different keys.
#[test]
fn anomaly_write_skew_is_allowed() {
    for (m, _dir) in managers() {
        put(&m, "alice", "on");
        put(&m, "bob", "on");
        let mut t1 = m.begin().unwrap();
        let mut t2 = m.begin().unwrap();
        assert_eq!(get(&t1, "bob").as_deref(), Some("on"));
        assert_eq!(get(&t2, "alice").as_deref(), Some("on"));
        t1.set(b"alice".to_vec(), b"off".to_vec()).unwrap();
        t2.set(b"bob".to_vec(), b"off".to_vec()).unwrap();
        t1.commit().unwrap();
        t2.commit().unwrap();
        let t = m.begin().unwrap();
        assert_eq!((get(&t, "alice").as_deref(), get(&t, "bob").as_deref()), (Some("off"), Some("off")));
    }
}

/// Read-only transactions that begin between two commits share one snapshot: each still
/// sees exactly the commits published before it began, whichever reader opened it.
#[test]
fn readers_sharing_a_snapshot_see_what_was_published_when_they_began() {
    for (m, _dir) in managers() {
        put(&m, "x", "1");
        let r1 = m.begin_read_only().unwrap();
        let r2 = m.begin_read_only().unwrap();
        put(&m, "x", "2");
        let r3 = m.begin_read_only().unwrap();
        // A commit that is applied while readers hold the old snapshot.
        let mut w = m.begin().unwrap();
        w.set(b"y".to_vec(), b"new".to_vec()).unwrap();
        let r4 = m.begin_read_only().unwrap();
        w.commit().unwrap();
        let r5 = m.begin_read_only().unwrap();
        drop(r1);
        assert_eq!(get(&r2, "x").as_deref(), Some("1"));
        assert_eq!((get(&r3, "x").as_deref(), get(&r3, "y")), (Some("2"), None));
        assert_eq!(get(&r4, "y"), None);
        assert_eq!((get(&r5, "x").as_deref(), get(&r5, "y").as_deref()), (Some("2"), Some("new")));
        // Readers still read after every other reader of their snapshot is gone.
        drop((r2, r3, r5));
        assert_eq!(get(&r4, "x").as_deref(), Some("2"));
    }
}

#[test]
fn read_your_own_writes_in_gets_and_scans() {
    for (m, _dir) in managers() {
        put(&m, "a", "1");
        put(&m, "c", "3");
        let mut t = m.begin().unwrap();
        t.set(b"b".to_vec(), b"2".to_vec()).unwrap();
        t.delete(b"c".to_vec()).unwrap();
        t.set(b"a".to_vec(), b"one".to_vec()).unwrap();
        assert_eq!(get(&t, "a").as_deref(), Some("one"));
        assert_eq!(get(&t, "c"), None);
        let all: Vec<(Vec<u8>, Vec<u8>)> = t
            .scan((Bound::Unbounded, Bound::Unbounded), Direction::Forward)
            .unwrap()
            .map(|r| r.map(|(k, v)| (k.to_vec(), v.to_vec())).unwrap())
            .collect();
        assert_eq!(all, vec![(b"a".to_vec(), b"one".to_vec()), (b"b".to_vec(), b"2".to_vec())]);
    }
}

#[test]
fn read_only_transactions_refuse_writes() {
    for (m, _dir) in managers() {
        let mut t = m.begin_read_only().unwrap();
        assert_eq!(t.set(b"x".to_vec(), b"y".to_vec()), Err(Error::ReadOnly));
    }
}

#[test]
fn rollback_and_drop_discard_writes() {
    for (m, _dir) in managers() {
        let mut t = m.begin().unwrap();
        t.set(b"x".to_vec(), b"1".to_vec()).unwrap();
        t.rollback();
        {
            let mut t = m.begin().unwrap();
            t.set(b"y".to_vec(), b"1".to_vec()).unwrap();
        }
        let t = m.begin().unwrap();
        assert_eq!((get(&t, "x"), get(&t, "y")), (None, None));
    }
}

#[test]
fn inverted_ranges_are_empty_not_panics() {
    for (m, _dir) in managers() {
        put(&m, "k", "v");
        let mut t = m.begin().unwrap();
        t.set(b"m".to_vec(), b"v".to_vec()).unwrap();
        for range in [
            (Bound::Included(b"z".to_vec()), Bound::Included(b"a".to_vec())),
            (Bound::Excluded(b"k".to_vec()), Bound::Excluded(b"k".to_vec())),
            (Bound::Included(b"k".to_vec()), Bound::Excluded(b"k".to_vec())),
        ] {
            for dir in [Direction::Forward, Direction::Reverse] {
                assert_eq!(t.scan(range.clone(), dir).unwrap().count(), 0);
            }
        }
    }
}
