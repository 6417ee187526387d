//! Where the SQL layer's time goes on its hottest paths, for profiling one at a time:
//! point SELECTs by INTEGER PRIMARY KEY (workload b, one read transaction) and 1% range
//! SUMs (workload c), through a prepared statement of the `braid` API.
//!
//! `PROBE=b|c cargo run --release -p braid-benches --example sql_probe` (`BRAID_BENCH_N` rows,
//! `PROBE_BACKEND=redb|memory`), then e.g. `perf record -g` on the binary.

use std::time::Instant;

use braid::Backend;
use braid_benches::{SplitMix64, rows, sql};

fn main() {
    let n = braid_benches::n();
    let backend = match std::env::var("PROBE_BACKEND").as_deref() {
        Ok("memory") => Backend::Memory,
        _ => Backend::Redb,
    };
    let probe = std::env::var("PROBE").unwrap_or_else(|_| "b".into());
    let dir = tempfile::tempdir().unwrap();
    let (_db, mut conn) = sql::braid::open(dir.path(), backend);
    sql::braid::bulk_insert(&mut conn, rows(n, 0));
    let mut rng = SplitMix64::new(7);
    for _ in 0..3 {
        let start = Instant::now();
        let (ops, check) = match probe.as_str() {
            "c" => {
                let len = (n / 100) as i64;
                let starts: Vec<i64> = (0..3000).map(|_| rng.next_id(n - len as u64 + 1)).collect();
                let (sum, rows) = sql::braid::range_sums(&mut conn, &starts, len);
                (rows, sum)
            }
            _ => {
                let ids: Vec<i64> = (0..500_000).map(|_| rng.next_id(n)).collect();
                (ids.len() as u64, sql::braid::point_reads(&mut conn, &ids))
            }
        };
        let secs = start.elapsed().as_secs_f64();
        println!("{probe}: {:.0}k per second ({ops} in {secs:.2} s, check {check:.0})", ops as f64 / secs / 1e3);
    }
}
