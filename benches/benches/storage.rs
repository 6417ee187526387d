//! Issue 2's storage benchmarks: Braid's engine API on redb (default), memory and sled,
//! against SQLite (rusqlite prepared statements), in the same run.
//!
//! Run: `cargo bench -p braid-benches --bench storage` (set `BRAID_BENCH_N` to shrink N).
//! Criterion prints each engine's throughput; ratios are Braid ÷ SQLite from one run.

use std::time::{Duration, Instant};

use braid_benches::{SplitMix64, braid, n, rows, sqlite};
use braid_engine::{Backend, Synchronous};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// sled ingests ~50k rows/s through batches: keep its N small enough to finish.
fn n_for(backend: Backend) -> u64 {
    if backend == Backend::Sled { n().min(100_000) } else { n() }
}

const BACKENDS: [(Backend, &str); 3] =
    [(Backend::Redb, "braid-redb"), (Backend::Memory, "braid-memory"), (Backend::Sled, "braid-sled")];

fn a_bulk_insert(c: &mut Criterion) {
    let mut g = c.benchmark_group("a_bulk_insert");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    for (backend, name) in BACKENDS {
        let n = n_for(backend);
        g.throughput(Throughput::Elements(n));
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for run in 0..iters {
                    let dir = tempfile::tempdir().unwrap();
                    let db = braid::open(dir.path(), backend, Synchronous::Normal);
                    let t = braid::create(&db);
                    let start = Instant::now();
                    braid::bulk_insert(&db, &t, rows(n, run));
                    total += start.elapsed();
                }
                total
            })
        });
    }
    g.throughput(Throughput::Elements(n()));
    g.bench_function("sqlite", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for run in 0..iters {
                let dir = tempfile::tempdir().unwrap();
                let mut conn = sqlite::open(&dir.path().join("t.db"), "NORMAL");
                let start = Instant::now();
                sqlite::bulk_insert(&mut conn, rows(n(), run));
                total += start.elapsed();
            }
            total
        })
    });
    g.finish();
}

fn random_ids(count: usize, n: u64) -> Vec<i64> {
    let mut rng = SplitMix64::new(7);
    (0..count).map(|_| rng.next_id(n)).collect()
}

/// Workloads b and c on one populated database per engine.
fn b_and_c_reads(c: &mut Criterion) {
    for (backend, name) in BACKENDS {
        let n = n_for(backend);
        let dir = tempfile::tempdir().unwrap();
        let db = braid::open(dir.path(), backend, Synchronous::Normal);
        let t = braid::create(&db);
        braid::bulk_insert(&db, &t, rows(n, 0));
        db.flush().unwrap();
        read_benches(
            c,
            name,
            n,
            |ids| braid::point_reads(&db, &t, ids),
            |ids| braid::point_reads_autocommit(&db, &t, ids),
            |s, len| braid::range_sums(&db, &t, s, len),
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let mut conn = sqlite::open(&dir.path().join("t.db"), "NORMAL");
    sqlite::bulk_insert(&mut conn, rows(n(), 0));
    read_benches(
        c,
        "sqlite",
        n(),
        |ids| sqlite::point_reads(&conn, ids),
        |ids| sqlite::point_reads_autocommit(&conn, ids),
        |s, len| sqlite::range_sums(&conn, s, len),
    );
}

fn read_benches(
    c: &mut Criterion,
    name: &str,
    n: u64,
    in_txn: impl Fn(&[i64]) -> f64,
    autocommit: impl Fn(&[i64]) -> f64,
    ranges: impl Fn(&[i64], i64) -> (f64, u64),
) {
    let ids = random_ids(200_000, n);
    let mut g = c.benchmark_group("b_point_read_one_txn");
    g.sample_size(10).throughput(Throughput::Elements(ids.len() as u64));
    g.bench_function(name, |b| b.iter(|| in_txn(&ids)));
    g.finish();

    let mut g = c.benchmark_group("b_point_read_autocommit");
    g.sample_size(10).throughput(Throughput::Elements(ids.len() as u64));
    g.bench_function(name, |b| b.iter(|| autocommit(&ids)));
    g.finish();

    let len = (n / 100) as i64;
    let mut rng = SplitMix64::new(11);
    let starts: Vec<i64> = (0..100).map(|_| rng.next_id(n - len as u64 + 1)).collect();
    let mut g = c.benchmark_group("c_range_sum");
    g.sample_size(10).throughput(Throughput::Elements(100 * len as u64));
    g.bench_function(name, |b| {
        b.iter(|| {
            let (_, count) = ranges(&starts, len);
            assert_eq!(count, 100 * len as u64);
        })
    });
    g.finish();
}

const COMMITS: u64 = 2000;

fn e_durable_commits(c: &mut Criterion) {
    let mut g = c.benchmark_group("e_durable_commits");
    g.sample_size(10).measurement_time(Duration::from_secs(10)).throughput(Throughput::Elements(COMMITS));
    for (backend, name) in [(Backend::Redb, "braid-redb"), (Backend::Sled, "braid-sled")] {
        for threads in [1u64, 8] {
            g.bench_function(format!("{name}/{threads}-committers"), |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let dir = tempfile::tempdir().unwrap();
                        let db = braid::open(dir.path(), backend, Synchronous::Full);
                        let t = braid::create(&db);
                        let per = COMMITS / threads;
                        let start = Instant::now();
                        std::thread::scope(|s| {
                            for th in 0..threads {
                                let (db, t) = (&db, &t);
                                s.spawn(move || {
                                    braid::durable_commits(db, t, (th * per + 1..=(th + 1) * per).map(|i| i as i64))
                                });
                            }
                        });
                        total += start.elapsed();
                    }
                    total
                })
            });
        }
    }
    g.bench_function("sqlite/1-committer", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let dir = tempfile::tempdir().unwrap();
                let conn = sqlite::open(&dir.path().join("t.db"), "FULL");
                let start = Instant::now();
                sqlite::durable_commits(&conn, 1..=COMMITS as i64);
                total += start.elapsed();
            }
            total
        })
    });
    g.finish();
}

criterion_group!(benches, a_bulk_insert, b_and_c_reads, e_durable_commits);
criterion_main!(benches);
