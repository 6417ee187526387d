//! Concurrency: 8 threads move money between 100 accounts for a few seconds. Every
//! snapshot, taken at any moment, sees the same total; so does the end. Serialization
//! failures are retried, as an application would.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use braid_engine::{Backend, ColumnDef, DataType, Database, Options, Synchronous, TableDef, Value};

const ACCOUNTS: i64 = 100;
const INITIAL: i64 = 1_000;

fn total(db: &Database, t: &TableDef) -> i64 {
    let tx = db.begin_read_only().unwrap();
    tx.scan(t, ..).unwrap().map(|r| r.unwrap().archived().unwrap()[1].as_i64().unwrap()).sum()
}

fn run(backend: Backend, seconds: u64) {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(
        Database::open_with(dir.path(), Options { backend, synchronous: Synchronous::Normal, cache_bytes: None })
            .unwrap(),
    );
    let mut tx = db.begin().unwrap();
    let t = tx
        .create_table(
            TableDef::new(
                "accounts",
                vec![ColumnDef::new("id", DataType::Integer), ColumnDef::new("balance", DataType::Integer).not_null()],
            )
            .primary_key(&["id"])
            .unwrap(),
        )
        .unwrap();
    for id in 1..=ACCOUNTS {
        tx.insert(&t, vec![Value::Integer(id), Value::Integer(INITIAL)]).unwrap();
    }
    tx.commit().unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let (commits, conflicts) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let workers: Vec<_> = (0..8u64)
        .map(|w| {
            let (db, t, stop, commits, conflicts) =
                (db.clone(), t.clone(), stop.clone(), commits.clone(), conflicts.clone());
            std::thread::spawn(move || {
                let mut x = w * 7919 + 1;
                while !stop.load(Ordering::Relaxed) {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let (from, to, amount) = ((x % 100) as i64 + 1, ((x >> 8) % 100) as i64 + 1, (x >> 16) as i64 % 50);
                    let mut tx = db.begin().unwrap();
                    let balance = |tx: &braid_engine::Txn, id| match tx.get(&t, id).unwrap().unwrap()[1] {
                        Value::Integer(b) => b,
                        ref v => panic!("balance {v}"),
                    };
                    let (a, b) = (balance(&tx, from), balance(&tx, to));
                    // Two transfers that lock the same accounts in opposite orders deadlock;
                    // one of them is the victim, and retries as after a conflict.
                    let b = if from == to { a - amount } else { b };
                    let written = tx
                        .update(&t, from, vec![Value::Integer(from), Value::Integer(a - amount)])
                        .and_then(|_| tx.update(&t, to, vec![Value::Integer(to), Value::Integer(b + amount)]));
                    let outcome = written.and_then(|_| tx.commit());
                    match outcome {
                        Ok(_) => commits.fetch_add(1, Ordering::Relaxed),
                        Err(e) if e.is_retryable() => conflicts.fetch_add(1, Ordering::Relaxed),
                        Err(e) => panic!("{e}"),
                    };
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut snapshots = 0;
    while Instant::now() < deadline {
        assert_eq!(total(&db, &t), ACCOUNTS * INITIAL, "a snapshot saw money appear or vanish");
        snapshots += 1;
    }
    stop.store(true, Ordering::Relaxed);
    workers.into_iter().for_each(|w| w.join().unwrap());
    assert_eq!(total(&db, &t), ACCOUNTS * INITIAL);
    let (commits, conflicts) = (commits.load(Ordering::Relaxed), conflicts.load(Ordering::Relaxed));
    println!(
        "{backend:?}: {commits} transfers committed, {conflicts} retried conflicts, {snapshots} snapshots checked"
    );
    assert!(commits > 100, "too few transfers committed: {commits}");
}

#[test]
fn transfers_keep_the_total_on_redb() {
    run(Backend::Redb, 3);
}

#[test]
fn transfers_keep_the_total_in_memory() {
    run(Backend::Memory, 2);
}

#[test]
fn transfers_keep_the_total_on_sled() {
    run(Backend::Sled, 2);
}
