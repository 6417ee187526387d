//! Issue 3's workloads through SQL: Braid's SQL layer (crate `braid`) against SQLite
//! (rusqlite prepared statements), with the same statements on both sides.
//!
//! The engine-level benches ([`crate::braid`]) measure storage; these measure what a user
//! of the library sees: parsing, binding, planning (prepared statements included), the
//! executor, and result rows handed back as values. The statements are the peer scripts'
//! (`shared/bench/README.md`) where they define one:
//! - **a** bulk insert of table `t` in one transaction, one prepared INSERT per row;
//! - **b** point `SELECT name, score, ts FROM t WHERE id = ?`, autocommit and in one `BEGIN`;
//! - **c** `SELECT SUM(score), COUNT(*) FROM t WHERE id BETWEEN ? AND ?` over 1% ranges;
//! - **d** the time-series GROUP BY of [`POINTS_GROUP_BY`] over [`points`];
//! - **join** [`JOIN_GROUP_BY`]: N [`facts`] against [`DIMS`] [`dims`], grouped by category;
//! - **top-N** [`TOP_N`]: `ORDER BY score LIMIT 10` with an index on `score`.
//!
//! Statements are prepared on both engines: once per batch for b and c (as issue 2's SQLite
//! side does), and once per benchmark for the single-query workloads (d, join, top-N),
//! whose functions take the prepared statement. Each query function returns what it read,
//! or a small checksum of it, so that both engines can be checked to agree before anything
//! is timed, and so that no result is left unread.

use crate::{Row, SplitMix64};

/// Table `t`, as the peer scripts declare it.
pub const CREATE_T: &str = "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score DOUBLE, ts BIGINT)";
pub const INSERT_T: &str = "INSERT INTO t VALUES (?1, ?2, ?3, ?4)";
pub const POINT: &str = "SELECT name, score, ts FROM t WHERE id = ?1";
pub const RANGE_SUM: &str = "SELECT SUM(score), COUNT(*) FROM t WHERE id BETWEEN ?1 AND ?2";
/// The secondary index the top-N query can read in order.
pub const CREATE_SCORE_INDEX: &str = "CREATE INDEX t_score ON t (score)";
pub const TOP_N: &str = "SELECT id, name, score FROM t ORDER BY score LIMIT 10";

/// Workload d's table: `points(ts BIGINT, host_id INTEGER, value DOUBLE)`.
pub const CREATE_POINTS: &str = "CREATE TABLE points (ts BIGINT, host_id INTEGER, value DOUBLE)";
pub const INSERT_POINT: &str = "INSERT INTO points VALUES (?1, ?2, ?3)";
/// Workload d's query: every point read, 166,700 groups at N = 1M.
pub const POINTS_GROUP_BY: &str = "SELECT host_id, ts - (ts % 60000) AS bucket, avg(value) FROM points \
     GROUP BY host_id, ts - (ts % 60000)";

/// The join's tables: N facts, each referring to one of [`DIMS`] dimension rows.
pub const CREATE_FACTS: &str = "CREATE TABLE facts (id INTEGER PRIMARY KEY, dim_id INTEGER, amount DOUBLE)";
pub const CREATE_DIMS: &str = "CREATE TABLE dims (id INTEGER PRIMARY KEY, category TEXT)";
pub const INSERT_FACT: &str = "INSERT INTO facts VALUES (?1, ?2, ?3)";
pub const INSERT_DIM: &str = "INSERT INTO dims VALUES (?1, ?2)";
pub const JOIN_GROUP_BY: &str =
    "SELECT d.category, SUM(f.amount) FROM facts f JOIN dims d ON f.dim_id = d.id GROUP BY d.category";

/// Hosts in workload d.
pub const HOSTS: i64 = 100;
/// Rows of the join's dimension table.
pub const DIMS: i64 = 10_000;
/// Distinct categories among the dimension rows.
pub const CATEGORIES: i64 = 100;

/// One point of workload d.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub ts: i64,
    pub host_id: i64,
    pub value: f64,
}

/// Workload d's N points for run `run`: point i in 0..N has `host_id = i % 100`,
/// `ts = 1.7e12 + (i / 100)·10,000`, `value = host_id + u` (splitmix64, seed 42 + run).
pub fn points(n: u64, run: u64) -> impl Iterator<Item = Point> {
    let mut rng = SplitMix64::new(42 + run);
    (0..n as i64).map(move |i| {
        let host_id = i % HOSTS;
        Point { ts: 1_700_000_000_000 + (i / HOSTS) * 10_000, host_id, value: host_id as f64 + rng.next_f64() }
    })
}

/// The groups workload d's query returns for N points.
pub fn points_groups(n: u64) -> u64 {
    (0..HOSTS as u64)
        .filter(|&h| h < n)
        .map(|h| {
            let per_host = (n - h).div_ceil(HOSTS as u64);
            // Every host's first point is at ts 1.7e12, a multiple of 60 s; points are 10 s apart.
            (per_host - 1) * 10_000 / 60_000 + 1
        })
        .sum()
}

/// One row of the join's fact table.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub id: i64,
    pub dim_id: i64,
    pub amount: f64,
}

/// The N facts: `id` in 1..=N, `dim_id` uniform in [1, DIMS], `amount = 100·u`
/// (splitmix64, seed 43).
pub fn facts(n: u64) -> impl Iterator<Item = Fact> {
    let mut rng = SplitMix64::new(43);
    (1..=n as i64).map(move |id| Fact { id, dim_id: rng.next_id(DIMS as u64), amount: 100.0 * rng.next_f64() })
}

/// The dimension rows: `(id, category)`, id in 1..=DIMS, category `cat-{id % 100:02}`.
pub fn dims() -> impl Iterator<Item = (i64, String)> {
    (1..=DIMS).map(|id| (id, format!("cat-{:02}", id % CATEGORIES)))
}

/// What a point-read batch read: the sum over rows of `score + ts + len(name)`.
pub type PointCheck = f64;
/// Rows seen and their sum of the summed column.
pub type SumCheck = (f64, u64);
/// Result rows seen, sum of an integer column and of a real one.
pub type GroupCheck = (u64, i64, f64);

/// Whether two floating sums agree: summation order may differ between engines.
pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// The workloads on Braid's SQL layer.
pub mod braid {
    use std::path::Path;

    use ::braid::{Backend, Connection, Database, OpenOptions, Statement, Synchronous};

    use super::*;

    /// Opens a fresh database (`synchronous = normal`) with an empty table `t`, and a
    /// connection to it.
    pub fn open(dir: &Path, backend: Backend) -> (Database, Connection) {
        let options = OpenOptions { backend, synchronous: Synchronous::Normal, cache_bytes: None };
        let db = Database::open_with(dir, options).expect("open braid");
        let mut conn = db.connect();
        conn.execute(CREATE_T, ()).unwrap();
        (db, conn)
    }

    /// Workload a: `rows` into `t` in one transaction, one prepared INSERT per row.
    pub fn bulk_insert(conn: &mut Connection, rows: impl Iterator<Item = Row>) {
        let mut tx = conn.transaction().unwrap();
        {
            let mut stmt = tx.prepare(INSERT_T).unwrap();
            for r in rows {
                stmt.execute((r.id, &r.name, r.score, r.ts)).unwrap();
            }
        }
        tx.commit().unwrap();
    }

    fn lookups(conn: &mut Connection, ids: &[i64]) -> PointCheck {
        let mut stmt = conn.prepare(POINT).unwrap();
        let mut check = 0.0;
        for &id in ids {
            let row = stmt.query([id]).unwrap().next().expect("row exists").unwrap();
            let name: String = row.get(0).unwrap();
            check += row.get::<f64>(1).unwrap() + row.get::<i64>(2).unwrap() as f64 + name.len() as f64;
        }
        check
    }

    /// Workload b inside one transaction (`BEGIN … COMMIT`, as on SQLite).
    pub fn point_reads(conn: &mut Connection, ids: &[i64]) -> PointCheck {
        conn.execute_batch("BEGIN").unwrap();
        let check = lookups(conn, ids);
        conn.execute_batch("COMMIT").unwrap();
        check
    }

    /// Workload b, autocommit: each lookup in its own read transaction.
    pub fn point_reads_autocommit(conn: &mut Connection, ids: &[i64]) -> PointCheck {
        lookups(conn, ids)
    }

    /// Workload c: the range sum over each `[s, s + len - 1]`, autocommit.
    pub fn range_sums(conn: &mut Connection, starts: &[i64], len: i64) -> SumCheck {
        let mut stmt = conn.prepare(RANGE_SUM).unwrap();
        let (mut sum, mut count) = (0.0, 0);
        for &s in starts {
            let row = stmt.query([s, s + len - 1]).unwrap().next().expect("one row").unwrap();
            sum += row.get::<f64>(0).unwrap();
            count += row.get::<i64>(1).unwrap() as u64;
        }
        (sum, count)
    }

    /// Runs a query without parameters and sums its columns `int_col` and `real_col`.
    fn group_check(stmt: &mut Statement, int_col: usize, real_col: usize) -> GroupCheck {
        let (mut rows, mut ints, mut reals) = (0, 0, 0.0);
        for row in stmt.query(()).unwrap() {
            let row = row.unwrap();
            ints += row.get::<i64>(int_col).unwrap();
            reals += row.get::<f64>(real_col).unwrap();
            rows += 1;
        }
        (rows, ints, reals)
    }

    /// Workload d's table, filled with `points` in one transaction.
    pub fn load_points(conn: &mut Connection, points: impl Iterator<Item = Point>) {
        conn.execute(CREATE_POINTS, ()).unwrap();
        let mut tx = conn.transaction().unwrap();
        {
            let mut stmt = tx.prepare(INSERT_POINT).unwrap();
            for p in points {
                stmt.execute((p.ts, p.host_id, p.value)).unwrap();
            }
        }
        tx.commit().unwrap();
    }

    /// Workload d's query: groups, sum of buckets, sum of averages.
    pub fn points_group_by(stmt: &mut Statement) -> GroupCheck {
        group_check(stmt, 1, 2)
    }

    /// Every group of workload d's query, sorted by (host, bucket).
    pub fn points_groups(stmt: &mut Statement) -> Vec<(i64, i64, f64)> {
        let rows = stmt.query(()).unwrap();
        let mut out: Vec<_> =
            rows.map(|r| r.unwrap()).map(|r| (r.get(0).unwrap(), r.get(1).unwrap(), r.get(2).unwrap())).collect();
        out.sort_by_key(|&(h, b, _)| (h, b));
        out
    }

    /// The join's two tables, each filled in one transaction.
    pub fn load_join(conn: &mut Connection, facts: impl Iterator<Item = Fact>) {
        conn.execute_batch(&format!("{CREATE_FACTS}; {CREATE_DIMS}")).unwrap();
        let mut tx = conn.transaction().unwrap();
        {
            let mut stmt = tx.prepare(INSERT_DIM).unwrap();
            for (id, category) in dims() {
                stmt.execute((id, category)).unwrap();
            }
        }
        {
            let mut stmt = tx.prepare(INSERT_FACT).unwrap();
            for f in facts {
                stmt.execute((f.id, f.dim_id, f.amount)).unwrap();
            }
        }
        tx.commit().unwrap();
    }

    /// The join: each category and its total, sorted by category.
    pub fn join_group_by(stmt: &mut Statement) -> Vec<(String, f64)> {
        let rows = stmt.query(()).unwrap();
        let mut out: Vec<(String, f64)> =
            rows.map(|r| r.unwrap()).map(|r| (r.get(0).unwrap(), r.get(1).unwrap())).collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The top-N query: the ids it returned, in order.
    pub fn top_n(stmt: &mut Statement) -> Vec<i64> {
        stmt.query(()).unwrap().map(|r| r.unwrap().get(0).unwrap()).collect()
    }
}

/// The same statements on SQLite, through rusqlite's prepared statements. Table `t` is
/// opened and loaded by [`crate::sqlite`].
pub mod sqlite {
    use rusqlite::{Connection, Statement};

    use super::*;

    // Workloads a–c run the same statements as issue 2's SQLite side.
    pub use crate::sqlite::{bulk_insert, open, point_reads, point_reads_autocommit, range_sums};

    fn group_check(stmt: &mut Statement, int_col: usize, real_col: usize) -> GroupCheck {
        let mut rows = stmt.query([]).unwrap();
        let (mut n, mut ints, mut reals) = (0, 0, 0.0);
        while let Some(row) = rows.next().unwrap() {
            ints += row.get::<_, i64>(int_col).unwrap();
            reals += row.get::<_, f64>(real_col).unwrap();
            n += 1;
        }
        (n, ints, reals)
    }

    pub fn load_points(conn: &mut Connection, points: impl Iterator<Item = Point>) {
        conn.execute_batch(CREATE_POINTS).unwrap();
        let tx = conn.transaction().unwrap();
        {
            let mut stmt = tx.prepare_cached(INSERT_POINT).unwrap();
            for p in points {
                stmt.execute(rusqlite::params![p.ts, p.host_id, p.value]).unwrap();
            }
        }
        tx.commit().unwrap();
    }

    pub fn points_group_by(stmt: &mut Statement) -> GroupCheck {
        group_check(stmt, 1, 2)
    }

    pub fn points_groups(stmt: &mut Statement) -> Vec<(i64, i64, f64)> {
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap();
        let mut out: Vec<_> = rows.map(Result::unwrap).collect();
        out.sort_by_key(|&(h, b, _)| (h, b));
        out
    }

    pub fn load_join(conn: &mut Connection, facts: impl Iterator<Item = Fact>) {
        conn.execute_batch(&format!("{CREATE_FACTS}; {CREATE_DIMS}")).unwrap();
        let tx = conn.transaction().unwrap();
        {
            let mut stmt = tx.prepare_cached(INSERT_DIM).unwrap();
            for (id, category) in dims() {
                stmt.execute(rusqlite::params![id, category]).unwrap();
            }
            let mut stmt = tx.prepare_cached(INSERT_FACT).unwrap();
            for f in facts {
                stmt.execute(rusqlite::params![f.id, f.dim_id, f.amount]).unwrap();
            }
        }
        tx.commit().unwrap();
    }

    pub fn join_group_by(stmt: &mut Statement) -> Vec<(String, f64)> {
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        let mut out: Vec<(String, f64)> = rows.map(Result::unwrap).collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    pub fn top_n(stmt: &mut Statement) -> Vec<i64> {
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    }
}
