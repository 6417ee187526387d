//! Issue 3's SQL benchmarks: Braid's SQL layer on redb (the default) and on memory, against
//! SQLite (rusqlite prepared statements), in the same run. The workloads and statements are
//! in [`braid_benches::sql`].
//!
//! Run: `cargo bench -p braid-benches --bench sql -- --warm-up-time 1 --measurement-time 5`
//! (set `BRAID_BENCH_N` to shrink N). Each engine's database is loaded once, on first use
//! and outside the timed loop (workload a times the load itself, on a fresh database per
//! iteration), and each Braid database's answers are checked against SQLite's before
//! anything is timed on it. Criterion prints each engine's throughput; ratios are Braid ÷
//! SQLite from one run.

use std::time::{Duration, Instant};

use braid::{Backend, Connection, Statement};
use braid_benches::sql::{self, GroupCheck, close};
use braid_benches::{SplitMix64, n, rows};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use tempfile::TempDir;

const BRAIDS: [(Backend, &str); 2] = [(Backend::Redb, "braid-redb"), (Backend::Memory, "braid-memory")];

/// Point lookups per timed batch (workload b).
const LOOKUPS: usize = 200_000;
/// Range scans per timed batch (workload c).
const RANGES: usize = 100;

/// The databases one or more groups read: each engine's is loaded on first use, outside
/// the timed loop, so that a filtered run loads only what it times; a Braid database is
/// checked against SQLite's answers when loaded, before anything on it is timed.
struct Fixture<'a> {
    /// Loads (and indexes) a fresh database that already has table `t`.
    load_braid: &'a dyn Fn(&mut Connection),
    load_sqlite: &'a dyn Fn(&mut rusqlite::Connection),
    /// Asserts that a loaded Braid database (named by the `&str`) answers as SQLite does.
    check: &'a dyn Fn(&mut Connection, &rusqlite::Connection, &str),
    /// Each of [`BRAIDS`], once loaded: a connection, and the directory to remove.
    braids: [Option<(Connection, TempDir)>; BRAIDS.len()],
    sqlite: Option<(rusqlite::Connection, TempDir)>,
}

impl<'a> Fixture<'a> {
    fn new(
        load_braid: &'a dyn Fn(&mut Connection),
        load_sqlite: &'a dyn Fn(&mut rusqlite::Connection),
        check: &'a dyn Fn(&mut Connection, &rusqlite::Connection, &str),
    ) -> Self {
        Fixture { load_braid, load_sqlite, check, braids: [None, None], sqlite: None }
    }

    /// SQLite's database (WAL, `synchronous = NORMAL`), loaded on first use.
    fn sqlite(&mut self) -> &rusqlite::Connection {
        &self
            .sqlite
            .get_or_insert_with(|| {
                let dir = tempfile::tempdir().unwrap();
                let mut conn = sql::sqlite::open(&dir.path().join("t.db"), "NORMAL");
                (self.load_sqlite)(&mut conn);
                (conn, dir)
            })
            .0
    }

    /// Braid's database on backend `BRAIDS[i]`, loaded and checked on first use.
    fn braid(&mut self, i: usize) -> &mut Connection {
        if self.braids[i].is_none() {
            let (backend, name) = BRAIDS[i];
            let dir = tempfile::tempdir().unwrap();
            let (_, mut conn) = sql::braid::open(dir.path(), backend);
            (self.load_braid)(&mut conn);
            conn.database().expect("an embedded connection").flush().unwrap();
            self.sqlite();
            (self.check)(&mut conn, &self.sqlite.as_ref().expect("loaded above").0, name);
            self.braids[i] = Some((conn, dir));
        }
        &mut self.braids[i].as_mut().expect("loaded above").0
    }
}

/// A group whose every iteration is long enough to time alone: ten samples, flat sampling.
fn group<'c>(c: &'c mut Criterion, name: &str, elements: u64) -> BenchmarkGroup<'c, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10).sampling_mode(SamplingMode::Flat).throughput(Throughput::Elements(elements));
    g
}

/// Times `on_braid` on every Braid backend and `on_sqlite` on SQLite, in one group.
fn compare<T>(
    c: &mut Criterion,
    name: &str,
    elements: u64,
    fixture: &mut Fixture,
    mut on_braid: impl FnMut(&mut Connection) -> T,
    mut on_sqlite: impl FnMut(&rusqlite::Connection) -> T,
) {
    let mut g = group(c, name, elements);
    for (i, (_, braid)) in BRAIDS.into_iter().enumerate() {
        g.bench_function(braid, |b| {
            let conn = fixture.braid(i);
            b.iter(|| on_braid(conn))
        });
    }
    g.bench_function("sqlite", |b| {
        let conn = fixture.sqlite();
        b.iter(|| on_sqlite(conn))
    });
    g.finish();
}

/// Times one query per iteration, `sql` prepared once per benchmark on each engine.
fn compare_prepared<T>(
    c: &mut Criterion,
    name: &str,
    elements: u64,
    fixture: &mut Fixture,
    sql: &str,
    mut on_braid: impl FnMut(&mut Statement) -> T,
    mut on_sqlite: impl FnMut(&mut rusqlite::Statement) -> T,
) {
    let mut g = group(c, name, elements);
    for (i, (_, braid)) in BRAIDS.into_iter().enumerate() {
        g.bench_function(braid, |b| {
            let mut stmt = fixture.braid(i).prepare(sql).unwrap();
            b.iter(|| on_braid(&mut stmt))
        });
    }
    g.bench_function("sqlite", |b| {
        let mut stmt = fixture.sqlite().prepare(sql).unwrap();
        b.iter(|| on_sqlite(&mut stmt))
    });
    g.finish();
}

/// Workload a: N rows into a fresh table `t`, in one transaction, one prepared INSERT each.
fn a_bulk_insert(c: &mut Criterion) {
    let n = n();
    let mut g = group(c, "sql_a_bulk_insert", n);
    for (backend, name) in BRAIDS {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for run in 0..iters {
                    let dir = tempfile::tempdir().unwrap();
                    let (_, mut conn) = sql::braid::open(dir.path(), backend);
                    let start = Instant::now();
                    sql::braid::bulk_insert(&mut conn, rows(n, run));
                    total += start.elapsed();
                }
                total
            })
        });
    }
    g.bench_function("sqlite", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for run in 0..iters {
                let dir = tempfile::tempdir().unwrap();
                let mut conn = sql::sqlite::open(&dir.path().join("t.db"), "NORMAL");
                let start = Instant::now();
                sql::sqlite::bulk_insert(&mut conn, rows(n, run));
                total += start.elapsed();
            }
            total
        })
    });
    g.finish();
}

/// Workloads b, c and top-N on one loaded table `t` (with an index on `score`) per engine.
fn t_reads(c: &mut Criterion) {
    let n = n();
    let mut rng = SplitMix64::new(7);
    let ids: Vec<i64> = (0..LOOKUPS).map(|_| rng.next_id(n)).collect();
    let len = (n / 100) as i64;
    let mut rng = SplitMix64::new(11);
    let starts: Vec<i64> = (0..RANGES).map(|_| rng.next_id(n - len as u64 + 1)).collect();

    let load_braid = |conn: &mut Connection| {
        sql::braid::bulk_insert(conn, rows(n, 0));
        conn.execute(sql::CREATE_SCORE_INDEX, ()).unwrap();
    };
    let load_sqlite = |conn: &mut rusqlite::Connection| {
        sql::sqlite::bulk_insert(conn, rows(n, 0));
        conn.execute_batch(sql::CREATE_SCORE_INDEX).unwrap();
    };
    let check = |conn: &mut Connection, lite: &rusqlite::Connection, name: &str| {
        let want = sql::sqlite::range_sums(lite, &[1], n as i64);
        let got = sql::braid::range_sums(conn, &[1], n as i64);
        assert!(want.1 == n && got.1 == n && close(got.0, want.0), "{name}: table {got:?}, SQLite {want:?}");
        let want = sql::sqlite::point_reads(lite, &ids);
        let got = sql::braid::point_reads(conn, &ids);
        assert!(close(got, want), "{name}: point reads {got}, SQLite {want}");
        let got = sql::braid::point_reads_autocommit(conn, &ids);
        assert!(close(got, want), "{name}: autocommit point reads {got}, SQLite {want}");
        let want = sql::sqlite::range_sums(lite, &starts, len);
        let got = sql::braid::range_sums(conn, &starts, len);
        assert!(want.1 == RANGES as u64 * len as u64, "SQLite ranges {want:?}");
        assert!(got.1 == want.1 && close(got.0, want.0), "{name}: ranges {got:?}, SQLite {want:?}");
        let want = sql::sqlite::top_n(&mut lite.prepare(sql::TOP_N).unwrap());
        assert_eq!(want.len(), 10);
        assert_eq!(sql::braid::top_n(&mut conn.prepare(sql::TOP_N).unwrap()), want, "{name}: top-N");
    };
    let mut t = Fixture::new(&load_braid, &load_sqlite, &check);

    let lookups = LOOKUPS as u64;
    compare(
        c,
        "sql_b_point_read_one_txn",
        lookups,
        &mut t,
        |conn| sql::braid::point_reads(conn, &ids),
        |lite| sql::sqlite::point_reads(lite, &ids),
    );
    compare(
        c,
        "sql_b_point_read_autocommit",
        lookups,
        &mut t,
        |conn| sql::braid::point_reads_autocommit(conn, &ids),
        |lite| sql::sqlite::point_reads_autocommit(lite, &ids),
    );
    compare(
        c,
        "sql_c_range_sum",
        RANGES as u64 * len as u64,
        &mut t,
        |conn| sql::braid::range_sums(conn, &starts, len),
        |lite| sql::sqlite::range_sums(lite, &starts, len),
    );
    compare_prepared(c, "sql_top_n_order_by_index", 1, &mut t, sql::TOP_N, sql::braid::top_n, sql::sqlite::top_n);
}

/// Workload d's GROUP BY host and 60 s bucket, every point read.
fn d_group_by(c: &mut Criterion) {
    let n = n();
    let groups = sql::points_groups(n);
    let load_braid = |conn: &mut Connection| sql::braid::load_points(conn, sql::points(n, 0));
    let load_sqlite = |conn: &mut rusqlite::Connection| sql::sqlite::load_points(conn, sql::points(n, 0));
    let check = |conn: &mut Connection, lite: &rusqlite::Connection, name: &str| {
        let want = sql::sqlite::points_groups(&mut lite.prepare(sql::POINTS_GROUP_BY).unwrap());
        let got = sql::braid::points_groups(&mut conn.prepare(sql::POINTS_GROUP_BY).unwrap());
        assert_eq!(want.len() as u64, groups, "SQLite groups");
        assert_eq!(got.len(), want.len(), "{name}: groups");
        for (g, w) in got.iter().zip(&want) {
            assert!(g.0 == w.0 && g.1 == w.1 && close(g.2, w.2), "{name}: group {g:?}, SQLite {w:?}");
        }
    };
    let mut points = Fixture::new(&load_braid, &load_sqlite, &check);

    let all_groups = |got: GroupCheck| assert_eq!(got.0, groups);
    compare_prepared(
        c,
        "sql_d_group_by",
        n,
        &mut points,
        sql::POINTS_GROUP_BY,
        |stmt| all_groups(sql::braid::points_group_by(stmt)),
        |stmt| all_groups(sql::sqlite::points_group_by(stmt)),
    );
}

/// The N × 10,000 equi-join, aggregated by category.
fn join_group_by(c: &mut Criterion) {
    let n = n();
    let load_braid = |conn: &mut Connection| sql::braid::load_join(conn, sql::facts(n));
    let load_sqlite = |conn: &mut rusqlite::Connection| sql::sqlite::load_join(conn, sql::facts(n));
    let check = |conn: &mut Connection, lite: &rusqlite::Connection, name: &str| {
        let want = sql::sqlite::join_group_by(&mut lite.prepare(sql::JOIN_GROUP_BY).unwrap());
        let got = sql::braid::join_group_by(&mut conn.prepare(sql::JOIN_GROUP_BY).unwrap());
        assert_eq!(want.len() as i64, sql::CATEGORIES, "SQLite categories");
        assert_eq!(got.len(), want.len(), "{name}: categories");
        for (g, w) in got.iter().zip(&want) {
            assert!(g.0 == w.0 && close(g.1, w.1), "{name}: category {g:?}, SQLite {w:?}");
        }
    };
    let mut join = Fixture::new(&load_braid, &load_sqlite, &check);

    compare_prepared(
        c,
        "sql_join_group_by",
        n,
        &mut join,
        sql::JOIN_GROUP_BY,
        sql::braid::join_group_by,
        sql::sqlite::join_group_by,
    );
}

criterion_group!(benches, a_bulk_insert, t_reads, d_group_by, join_group_by);
criterion_main!(benches);
