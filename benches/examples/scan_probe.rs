//! Splits workload c's cost: raw redb iteration, the engine's scan, and row validation.
//! `cargo run --release -p braid-benches --example scan_probe`

use std::time::Instant;

use braid_benches::{braid, rows};
use braid_engine::{ArchivedValue, Backend, Synchronous};
use redb::{ReadableDatabase, TableDefinition};

const T: TableDefinition<&[u8], &[u8]> = TableDefinition::new("braid");

fn main() {
    let n = braid_benches::n();
    let dir = tempfile::tempdir().unwrap();
    {
        let db = braid::open(dir.path(), Backend::Redb, Synchronous::Normal);
        let t = braid::create(&db);
        braid::bulk_insert(&db, &t, rows(n, 0));
        db.flush().unwrap();
        let rounds = std::env::var("PROBE_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(3);
        for _ in 0..rounds {
            let tx = db.begin_read_only().unwrap();
            let start = Instant::now();
            let c = tx.scan(&t, ..).unwrap().count();
            let scan = start.elapsed();
            let start = Instant::now();
            let mut sum = 0.0;
            for r in tx.scan(&t, ..).unwrap() {
                sum += r.unwrap().column(2).unwrap().and_then(ArchivedValue::as_f64).unwrap();
            }
            let validated = start.elapsed();
            println!(
                "engine scan: {:.1}M rows/s; with rkyv access: {:.1}M rows/s ({c} rows, sum {sum:.0})",
                c as f64 / scan.as_secs_f64() / 1e6,
                c as f64 / validated.as_secs_f64() / 1e6
            );
        }
    }
    let db = redb::Database::open(dir.path().join("data.redb")).unwrap();
    let txn = db.begin_read().unwrap();
    let table = txn.open_table(T).unwrap();
    for _ in 0..3 {
        let start = Instant::now();
        let mut bytes = 0usize;
        let mut count = 0;
        for item in table.range::<&[u8]>(..).unwrap() {
            let (k, v) = item.unwrap();
            bytes += k.value().len() + v.value().len();
            count += 1;
        }
        println!(
            "raw redb range: {:.1}M rows/s ({count} rows, {bytes} bytes)",
            count as f64 / start.elapsed().as_secs_f64() / 1e6
        );
    }
}
