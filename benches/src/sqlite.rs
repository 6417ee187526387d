//! The workloads on SQLite (rusqlite, bundled), as the peer scripts run it: file database,
//! `journal_mode=WAL`, prepared statements.

use std::path::Path;

use rusqlite::Connection;

use crate::Row;

/// Opens a fresh database file with `synchronous` = `NORMAL` or `FULL`.
pub fn open(path: &Path, synchronous: &str) -> Connection {
    let conn = Connection::open(path).expect("open sqlite");
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", synchronous).unwrap();
    conn.execute_batch("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score DOUBLE, ts BIGINT)").unwrap();
    conn
}

pub fn bulk_insert(conn: &mut Connection, rows: impl Iterator<Item = Row>) {
    let tx = conn.transaction().unwrap();
    {
        let mut stmt = tx.prepare_cached("INSERT INTO t VALUES (?1, ?2, ?3, ?4)").unwrap();
        for r in rows {
            stmt.execute(rusqlite::params![r.id, r.name, r.score, r.ts]).unwrap();
        }
    }
    tx.commit().unwrap();
}

fn lookups(conn: &Connection, ids: &[i64]) -> f64 {
    let mut stmt = conn.prepare_cached("SELECT name, score, ts FROM t WHERE id = ?1").unwrap();
    let mut check = 0.0;
    for &id in ids {
        check += stmt
            .query_row([id], |r| {
                let name: String = r.get(0)?;
                Ok(r.get::<_, f64>(1)? + r.get::<_, i64>(2)? as f64 + name.len() as f64)
            })
            .unwrap();
    }
    check
}

/// Workload b inside one read transaction.
pub fn point_reads(conn: &Connection, ids: &[i64]) -> f64 {
    conn.execute_batch("BEGIN").unwrap();
    let check = lookups(conn, ids);
    conn.execute_batch("COMMIT").unwrap();
    check
}

/// Workload b, autocommit.
pub fn point_reads_autocommit(conn: &Connection, ids: &[i64]) -> f64 {
    lookups(conn, ids)
}

pub fn range_sums(conn: &Connection, starts: &[i64], len: i64) -> (f64, u64) {
    let mut stmt = conn.prepare_cached("SELECT SUM(score), COUNT(*) FROM t WHERE id BETWEEN ?1 AND ?2").unwrap();
    let (mut sum, mut count) = (0.0, 0u64);
    for &s in starts {
        let (s2, c): (f64, i64) = stmt.query_row([s, s + len - 1], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        sum += s2;
        count += c as u64;
    }
    (sum, count)
}

pub fn durable_commits(conn: &Connection, ids: impl Iterator<Item = i64>) {
    let mut stmt = conn.prepare_cached("INSERT INTO t VALUES (?1, ?2, 0.5, ?1)").unwrap();
    for id in ids {
        stmt.execute(rusqlite::params![id, format!("name-{id:08}")]).unwrap();
    }
}
