//! Splits workload e's cost: raw redb single-insert durable commits against the engine's.
//! `cargo run --release -p braid-benches --example commit_probe`

use std::time::Instant;

use braid_benches::{braid, sqlite};
use braid_engine::{Backend, Synchronous};
use redb::TableDefinition;

const T: TableDefinition<&[u8], &[u8]> = TableDefinition::new("t");
const N: i64 = 2000;

fn main() {
    for round in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let db = redb::Database::create(dir.path().join("raw.redb")).unwrap();
        let start = Instant::now();
        for i in 0..N {
            let txn = db.begin_write().unwrap();
            txn.open_table(T).unwrap().insert(i.to_be_bytes().as_slice(), [7u8; 60].as_slice()).unwrap();
            txn.commit().unwrap();
        }
        let raw = N as f64 / start.elapsed().as_secs_f64();
        let start = Instant::now();
        for i in N..2 * N {
            let mut txn = db.begin_write().unwrap();
            txn.set_durability(redb::Durability::None).unwrap();
            txn.open_table(T).unwrap().insert(i.to_be_bytes().as_slice(), [7u8; 60].as_slice()).unwrap();
            txn.commit().unwrap();
        }
        let lazy = N as f64 / start.elapsed().as_secs_f64();
        println!("round {round}: raw redb non-durable commits {lazy:.0}/s");

        let dir = tempfile::tempdir().unwrap();
        let db = braid::open(dir.path(), Backend::Redb, Synchronous::Full);
        let t = braid::create(&db);
        let start = Instant::now();
        braid::durable_commits(&db, &t, 1..=N);
        let engine = N as f64 / start.elapsed().as_secs_f64();

        let dir = tempfile::tempdir().unwrap();
        let conn = sqlite::open(&dir.path().join("t.db"), "FULL");
        let start = Instant::now();
        sqlite::durable_commits(&conn, 1..=N);
        let lite = N as f64 / start.elapsed().as_secs_f64();
        println!("round {round}: raw redb {raw:.0}/s, engine {engine:.0}/s, sqlite FULL {lite:.0}/s");
    }
}
