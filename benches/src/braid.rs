//! The workloads on the Braid engine API.

use std::path::Path;

use braid_engine::{ArchivedValue, Backend, ColumnDef, DataType, Database, Options, Synchronous, TableDef, Value};

use crate::Row;

/// Opens a fresh database for a workload.
pub fn open(dir: &Path, backend: Backend, synchronous: Synchronous) -> Database {
    Database::open_with(dir, Options { backend, synchronous, cache_bytes: None }).expect("open braid")
}

fn table_def() -> TableDef {
    TableDef::new(
        "t",
        vec![
            ColumnDef::new("id", DataType::Integer),
            ColumnDef::new("name", DataType::Text),
            ColumnDef::new("score", DataType::Real),
            ColumnDef::new("ts", DataType::Integer),
        ],
    )
    .primary_key(&["id"])
    .expect("id exists")
}

/// Creates table `t`.
pub fn create(db: &Database) -> TableDef {
    let mut tx = db.begin().unwrap();
    let t = tx.create_table(table_def()).unwrap();
    tx.commit().unwrap();
    t
}

/// Workload a: every row in one transaction.
pub fn bulk_insert(db: &Database, t: &TableDef, rows: impl Iterator<Item = Row>) {
    let mut tx = db.begin().unwrap();
    for r in rows {
        tx.insert(t, vec![Value::Integer(r.id), Value::Text(r.name), Value::Real(r.score), Value::Integer(r.ts)])
            .unwrap();
    }
    tx.commit().unwrap();
}

/// Workload b: point lookups inside one read transaction; returns a checksum.
pub fn point_reads(db: &Database, t: &TableDef, ids: &[i64]) -> f64 {
    let tx = db.begin_read_only().unwrap();
    let mut check = 0.0;
    for &id in ids {
        let row = tx.get_ref(t, id).unwrap().expect("row exists");
        let row = row.archived().unwrap();
        let name = row[1].as_str().unwrap().to_owned();
        check += row[2].as_f64().unwrap() + row[3].as_i64().unwrap() as f64 + name.len() as f64;
    }
    check
}

/// Workload b, autocommit: each lookup in its own read transaction.
pub fn point_reads_autocommit(db: &Database, t: &TableDef, ids: &[i64]) -> f64 {
    ids.iter().map(|&id| point_reads(db, t, &[id])).sum()
}

/// Workload c: `SUM(score), COUNT(*)` over each range `[s, s + len - 1]`.
pub fn range_sums(db: &Database, t: &TableDef, starts: &[i64], len: i64) -> (f64, u64) {
    let tx = db.begin_read_only().unwrap();
    let (mut sum, mut count) = (0.0, 0);
    for &s in starts {
        for row in tx.scan(t, s..=s + len - 1).unwrap() {
            let row = row.unwrap();
            if let Some(score) = row.column(2).unwrap().and_then(ArchivedValue::as_f64) {
                sum += score;
            }
            count += 1;
        }
    }
    (sum, count)
}

/// Workload e: single-row autocommit inserts, ids `ids`.
pub fn durable_commits(db: &Database, t: &TableDef, ids: impl Iterator<Item = i64>) {
    for id in ids {
        let mut tx = db.begin().unwrap();
        tx.insert(
            t,
            vec![Value::Integer(id), Value::Text(format!("name-{id:08}")), Value::Real(0.5), Value::Integer(id)],
        )
        .unwrap();
        tx.commit().unwrap();
    }
}
