//! Where the SQL layer's time goes on its hottest paths, for profiling one at a time:
//! bulk INSERT in one transaction (workload a), point SELECTs by INTEGER PRIMARY KEY (workload
//! b, one read transaction), 1% range SUMs (workload c), `ORDER BY score LIMIT 10` (t), the
//! time-series GROUP BY (d) and the join with aggregation (j), through prepared statements of
//! the `braid` API.
//!
//! `PROBE=a|b|c|t|d|j cargo run --release -p braid-benches --example sql_probe` (`BRAID_BENCH_N` rows,
//! `PROBE_BACKEND=redb|memory`, `PROBE_OPS` queries per round for b and t), then e.g.
//! `perf record -g` or `valgrind --tool=callgrind` on the binary.

use std::time::Instant;

use braid::Backend;
use braid_benches::{SplitMix64, rows, sql};

/// This thread's time on a CPU so far, in seconds (Linux's schedstat): throughput per CPU
/// second stays comparable while other work shares the machine's cores.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(f64::NAN, |ns| ns as f64 / 1e9)
}

/// Runs `work` and prints `count` per wall-clock second and per CPU second.
fn timed<T>(label: &str, count: u64, work: impl FnOnce() -> T) -> T {
    let (start, cpu) = (Instant::now(), cpu_seconds());
    let out = work();
    let (secs, cpu) = (start.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    println!(
        "{label}: {:.0}k per second, {:.0}k per CPU second ({count} in {secs:.2} s)",
        count as f64 / secs / 1e3,
        count as f64 / cpu / 1e3
    );
    out
}

fn main() {
    let n = braid_benches::n();
    let backend = match std::env::var("PROBE_BACKEND").as_deref() {
        Ok("memory") => Backend::Memory,
        _ => Backend::Redb,
    };
    let probe = std::env::var("PROBE").unwrap_or_else(|_| "b".into());
    if probe == "a" {
        for run in 0..3 {
            let dir = tempfile::tempdir().unwrap();
            let (_db, mut conn) = sql::braid::open(dir.path(), backend);
            timed("a: rows", n, || sql::braid::bulk_insert(&mut conn, rows(n, run)));
        }
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (_db, mut conn) = sql::braid::open(dir.path(), backend);
    if probe == "d" || probe == "j" {
        let query = if probe == "d" {
            sql::braid::load_points(&mut conn, sql::points(n, 0));
            sql::POINTS_GROUP_BY
        } else {
            sql::braid::load_join(&mut conn, sql::facts(n));
            sql::JOIN_GROUP_BY
        };
        let mut stmt = conn.prepare(query).unwrap();
        for _ in 0..5 {
            let groups = timed(&format!("{probe}: rows"), n, || stmt.query(()).unwrap().count());
            println!("  ({groups} groups)");
        }
        return;
    }
    sql::braid::bulk_insert(&mut conn, rows(n, 0));
    if probe == "t" {
        conn.execute(sql::CREATE_SCORE_INDEX, ()).unwrap();
    }
    let mut rng = SplitMix64::new(7);
    let ops = |default: u64| std::env::var("PROBE_OPS").ok().and_then(|s| s.parse().ok()).unwrap_or(default);
    for _ in 0..3 {
        let (start, cpu) = (Instant::now(), cpu_seconds());
        let (ops, check) = match probe.as_str() {
            "t" => {
                let mut stmt = conn.prepare(sql::TOP_N).unwrap();
                let mut check = 0;
                for _ in 0..ops(100_000) {
                    check += sql::braid::top_n(&mut stmt)[0];
                }
                (ops(100_000), check as f64)
            }
            "c" => {
                let len = (n / 100) as i64;
                let starts: Vec<i64> = (0..3000).map(|_| rng.next_id(n - len as u64 + 1)).collect();
                let (sum, rows) = sql::braid::range_sums(&mut conn, &starts, len);
                (rows, sum)
            }
            _ => {
                let ids: Vec<i64> = (0..ops(500_000)).map(|_| rng.next_id(n)).collect();
                (ids.len() as u64, sql::braid::point_reads(&mut conn, &ids))
            }
        };
        let (secs, cpu) = (start.elapsed().as_secs_f64(), cpu_seconds() - cpu);
        println!(
            "{probe}: {:.0}k per second, {:.0}k per CPU second ({ops} in {secs:.2} s, check {check:.0})",
            ops as f64 / secs / 1e3,
            ops as f64 / cpu / 1e3
        );
    }
}
