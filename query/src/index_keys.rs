//! Entries of expression and partial indexes, computed for the engine.
//!
//! The engine writes every index entry itself, on every write path, but an index keyed by
//! `lower(email)` or holding only the rows `WHERE deleted_at IS NULL` is defined in SQL,
//! which only this layer can evaluate. [`SqlIndexKeys`] is what the engine calls for such an
//! index: it binds the index's SQL once per index (by id, rebound when the text changes, as
//! a rebuilt table keeps its index names but not their ids) and evaluates it per row.

use std::collections::HashMap;
use std::sync::Arc;

use braid_engine::{IndexDef, IndexKeys, TableDef, Txn, Value};
use std::sync::Mutex;

use crate::error::Error;
use crate::plan::Expr;

/// An expression or partial index's key parts and predicate, bound over its table's rows
/// (for the optimizer, which matches them against a query's WHERE).
pub(crate) fn definition(txn: &Txn, table: &TableDef, index: &IndexDef) -> crate::Result<(Vec<Expr>, Option<Expr>)> {
    crate::bind::ddl::index_definition(txn, table, &index.expressions, index.predicate.as_deref())
}

/// An index's SQL, bound over its table's rows.
struct Bound {
    /// What it was bound from (a changed definition is bound again).
    expressions: Vec<String>,
    predicate: Option<String>,
    parts: Vec<Expr>,
    filter: Option<Expr>,
}

/// The engine's [`IndexKeys`] for every database the query layer opens.
#[derive(Default)]
pub(crate) struct SqlIndexKeys {
    bound: Mutex<HashMap<u64, Arc<Bound>>>,
}

impl SqlIndexKeys {
    fn bound(&self, txn: &Txn, table: &TableDef, index: &IndexDef) -> crate::Result<Arc<Bound>> {
        if let Some(b) = self.bound.lock().unwrap_or_else(|e| e.into_inner()).get(&index.id)
            && b.expressions == index.expressions
            && b.predicate == index.predicate
        {
            return Ok(b.clone());
        }
        let (parts, filter) =
            crate::bind::ddl::index_definition(txn, table, &index.expressions, index.predicate.as_deref())?;
        let b = Arc::new(Bound {
            expressions: index.expressions.clone(),
            predicate: index.predicate.clone(),
            parts,
            filter,
        });
        self.bound.lock().unwrap_or_else(|e| e.into_inner()).insert(index.id, b.clone());
        Ok(b)
    }
}

impl IndexKeys<braid_engine::storage::AnyStorage> for SqlIndexKeys {
    fn key(
        &self,
        txn: &Txn,
        table: &TableDef,
        index: &IndexDef,
        row: &[Value],
    ) -> braid_engine::Result<Option<Vec<Value>>> {
        let key = self
            .bound(txn, table, index)
            .and_then(|b| crate::execute::index_key(txn, &b.parts, b.filter.as_ref(), &index.columns, row));
        key.map_err(|e: Error| braid_engine::Error::Expression {
            sqlstate: e.sqlstate().to_string(),
            message: e.to_string(),
        })
    }
}
