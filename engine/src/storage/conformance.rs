//! The conformance suite every backend must pass, and a model test against a `BTreeMap`.

use std::collections::BTreeMap;
use std::ops::Bound;

use proptest::prelude::*;

use super::mirror::Mirror;
use super::*;

fn backends() -> Vec<(&'static str, AnyStorage, tempfile::TempDir)> {
    [Backend::Memory, Backend::Redb, Backend::Sled]
        .into_iter()
        .map(|b| {
            let dir = tempfile::tempdir().unwrap();
            (format!("{b:?}").leak() as &str, AnyStorage::open(b, dir.path(), None).unwrap(), dir)
        })
        .collect()
}

fn set(s: &impl Storage, k: &[u8], v: &[u8]) {
    let mut b = WriteBatch::new();
    b.set(k.to_vec(), v.to_vec());
    s.apply(&b, Durability::Deferred).unwrap();
}

fn del(s: &impl Storage, k: &[u8]) {
    let mut b = WriteBatch::new();
    b.delete(k.to_vec());
    s.apply(&b, Durability::Deferred).unwrap();
}

fn get(snap: &impl Snapshot, k: &[u8]) -> Option<Vec<u8>> {
    snap.get(k).unwrap().map(|v| v.as_ref().to_vec())
}

fn keys(snap: &impl Snapshot, range: KeyRange, dir: Direction) -> Vec<Vec<u8>> {
    snap.scan(range, dir).unwrap().map(|r| r.unwrap().0.as_ref().to_vec()).collect()
}

const ALL: KeyRange = (Bound::Unbounded, Bound::Unbounded);

#[test]
fn get_set_delete() {
    for (name, s, _dir) in backends() {
        set(&s, b"a", b"1");
        set(&s, b"b", b"2");
        del(&s, b"a");
        let snap = s.snapshot().unwrap();
        assert_eq!(get(&snap, b"a"), None, "{name}");
        assert_eq!(get(&snap, b"b"), Some(b"2".to_vec()), "{name}");
    }
}

#[test]
fn scans_both_ways_with_bounds() {
    for (name, s, _dir) in backends() {
        for k in [&b"a"[..], b"b", b"ba", b"c", b"d"] {
            set(&s, k, k);
        }
        let snap = s.snapshot().unwrap();
        let range = (Bound::Excluded(b"a".to_vec()), Bound::Included(b"c".to_vec()));
        assert_eq!(keys(&snap, range.clone(), Direction::Forward), [&b"b"[..], b"ba", b"c"], "{name}");
        assert_eq!(keys(&snap, range, Direction::Reverse), [&b"c"[..], b"ba", b"b"], "{name}");
        assert_eq!(keys(&snap, prefix_range(b"b"), Direction::Forward), [&b"b"[..], b"ba"], "{name}");
    }
}

#[test]
fn snapshot_ignores_later_batches() {
    for (name, s, _dir) in backends() {
        set(&s, b"k1", b"old");
        set(&s, b"k2", b"old");
        let snap = s.snapshot().unwrap();
        set(&s, b"k1", b"new");
        del(&s, b"k2");
        set(&s, b"k3", b"new");
        assert_eq!(get(&snap, b"k1"), Some(b"old".to_vec()), "{name}");
        assert_eq!(get(&snap, b"k2"), Some(b"old".to_vec()), "{name}");
        assert_eq!(get(&snap, b"k3"), None, "{name}");
        assert_eq!(keys(&snap, ALL, Direction::Forward), [b"k1".to_vec(), b"k2".to_vec()], "{name}");
        assert_eq!(keys(&snap, ALL, Direction::Reverse), [b"k2".to_vec(), b"k1".to_vec()], "{name}");
        let now = s.snapshot().unwrap();
        assert_eq!(keys(&now, ALL, Direction::Forward), [b"k1".to_vec(), b"k3".to_vec()], "{name}");
    }
}

#[test]
fn long_scan_is_consistent_while_commits_run() {
    for (name, s, _dir) in backends() {
        for i in 0u32..2000 {
            set(&s, &i.to_be_bytes(), b"v0");
        }
        let snap = s.snapshot().unwrap();
        let scan = snap.scan(ALL, Direction::Forward).unwrap();
        let mut seen = 0u32;
        for item in scan {
            let (k, v) = item.unwrap();
            assert_eq!(k.as_ref(), seen.to_be_bytes(), "{name}");
            assert_eq!(v.as_ref(), b"v0", "{name}");
            // Rewrite, delete and insert ahead of and behind the scan.
            let ahead = (seen + 300) % 2000;
            set(&s, &ahead.to_be_bytes(), b"v1");
            del(&s, &((seen + 500) % 2000).to_be_bytes());
            set(&s, &(5000 + seen).to_be_bytes(), b"new");
            seen += 1;
        }
        assert_eq!(seen, 2000, "{name}");
    }
}

#[test]
fn reopen_keeps_flushed_data() {
    for backend in [Backend::Redb, Backend::Sled] {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = AnyStorage::open(backend, dir.path(), None).unwrap();
            set(&s, b"durable", b"yes");
            let mut b = WriteBatch::new();
            b.set(b"full".to_vec(), b"yes".to_vec());
            s.apply(&b, Durability::Full).unwrap();
        }
        let s = AnyStorage::open(backend, dir.path(), None).unwrap();
        let snap = s.snapshot().unwrap();
        assert_eq!(get(&snap, b"full"), Some(b"yes".to_vec()), "{backend:?}");
        assert_eq!(get(&snap, b"durable"), Some(b"yes".to_vec()), "{backend:?}");
    }
}

#[derive(Debug, Clone)]
enum Op {
    Set(u8, u8),
    Delete(u8),
    /// Take a snapshot and keep it (with a copy of the model at that moment).
    Snapshot,
    /// Check the snapshot at this index against its model.
    Check(prop::sample::Index, bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..32, any::<u8>()).prop_map(|(k, v)| Op::Set(k, v)),
        2 => (0u8..32).prop_map(Op::Delete),
        1 => Just(Op::Snapshot),
        2 => (any::<prop::sample::Index>(), any::<bool>()).prop_map(|(i, r)| Op::Check(i, r)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random batches and snapshots: every snapshot reads exactly its model, on a mirror of
    /// memory and redb, and on sled.
    #[test]
    fn snapshots_match_model(ops in proptest::collection::vec(op(), 1..80)) {
        let dir = tempfile::tempdir().unwrap();
        let store = Mirror::new(
            AnyStorage::open(Backend::Memory, dir.path(), None).unwrap(),
            Mirror::new(
                AnyStorage::open(Backend::Redb, dir.path(), None).unwrap(),
                AnyStorage::open(Backend::Sled, dir.path(), None).unwrap(),
            ),
        );
        let mut model: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        let mut snaps = Vec::new();
        for op in ops {
            match op {
                Op::Set(k, v) => { set(&store, &[k], &[v]); model.insert(vec![k], vec![v]); }
                Op::Delete(k) => { del(&store, &[k]); model.remove(&vec![k]); }
                Op::Snapshot => snaps.push((store.snapshot().unwrap(), model.clone())),
                Op::Check(i, reverse) if !snaps.is_empty() => {
                    let (snap, expect) = &snaps[i.index(snaps.len())];
                    let dir = if reverse { Direction::Reverse } else { Direction::Forward };
                    let got: Vec<(Vec<u8>, Vec<u8>)> = snap.scan(ALL, dir).unwrap().map(|r| r.unwrap()).collect();
                    let mut want: Vec<_> = expect.clone().into_iter().collect();
                    if reverse { want.reverse(); }
                    prop_assert_eq!(got, want);
                    for k in 0u8..32 {
                        prop_assert_eq!(get(snap, &[k]), expect.get(&vec![k]).cloned());
                    }
                }
                Op::Check(..) => {}
            }
        }
    }
}
