//! Tables: rows keyed by rowid, and what a row must satisfy to be stored.
//!
//! A row lives under the logical key `Row(table_id, rowid)` as an rkyv archive of all its
//! column values; [`RowBlocks`], beneath MVCC, stores rows packed 32 to a storage entry.
//! The rowid is an `i64` (as in SQLite, so an INTEGER PRIMARY KEY may be negative); an
//! INTEGER PRIMARY KEY column *is* the rowid, stored in the key and, for simple reads, in
//! the row too.
//!
//! Rowids for new rows come from a per-table in-memory counter ([`RowidAllocator`]),
//! initialised from the largest stored rowid. A counter in the key space would make every
//! pair of concurrent inserters into one table conflict; the in-memory counter lets them
//! commit side by side. Rowids of rolled-back inserts are not reused in this process
//! (as PostgreSQL sequences); after a restart the counter restarts from the largest rowid.

mod block_cache;
mod blocks;
mod rowid;
mod rows;

pub use self::block_cache::DEFAULT_BLOCK_CACHE_BYTES;
pub use self::blocks::{BLOCK_SHIFT, BlockBytes, BlockScan, BlockSnapshot, RowBlocks};
pub use self::rowid::RowidAllocator;
pub use self::rows::{RowRef, RowScan, RowView, rowid_range};

use crate::catalog::TableDef;
use crate::error::{ConstraintKind, Error, Result};
use crate::types::{DataType, Value};

/// Checks a row against its table: arity, types and NOT NULL. Integers given for REAL
/// columns become reals (SQLite's REAL affinity); no other conversion happens here.
pub fn validate_row(def: &TableDef, row: &mut [Value]) -> Result<()> {
    if row.len() != def.columns.len() {
        return Err(Error::invalid(format!(
            "table \"{}\" has {} columns but {} values were given",
            def.name,
            def.columns.len(),
            row.len()
        )));
    }
    for (i, (column, value)) in def.columns.iter().zip(row.iter_mut()).enumerate() {
        // NULL in the rowid alias means "assign one" (insert) or "keep it" (update): it is
        // never stored, whatever the column's NOT NULL says (`id SERIAL NOT NULL`).
        let alias = def.rowid_alias == Some(i as u32);
        match (column.data_type, &*value) {
            (_, Value::Null) if !column.nullable && !alias => {
                return Err(Error::constraint(
                    ConstraintKind::NotNull,
                    format!(
                        "null value in column \"{}\" of relation \"{}\" violates not-null constraint",
                        column.name,
                        crate::error::bare(&def.name)
                    ),
                ));
            }
            (_, Value::Null) => {}
            (DataType::Real, Value::Integer(i)) => *value = Value::Real(*i as f64),
            (DataType::Numeric, Value::Integer(i)) => *value = Value::Numeric((*i).into()),
            (want, v) if v.data_type() == Some(want) => {}
            (want, v) => {
                return Err(Error::invalid(format!(
                    "column {}.{} is {want}, but the value {v} is {}",
                    def.name,
                    column.name,
                    v.data_type().map_or("NULL".to_string(), |t| t.to_string())
                )));
            }
        }
    }
    Ok(())
}
