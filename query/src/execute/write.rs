//! INSERT, UPDATE and DELETE.

use braid_engine::{TableDef, Txn, Value};

use super::context::{Ctx, Row, Shared};
use super::eval::eval;
use super::{Outcome, operators};
use crate::connection::ParamValues;
use crate::error::{Error, Result};
use crate::plan::{Conflict, Expr, Statement};
use crate::value::coerce_for_column;

/// Runs a write statement.
pub(super) fn run(statement: &Statement, txn: &mut Txn, params: &ParamValues) -> Result<Outcome> {
    let (table, source) = match statement {
        Statement::Insert { table, source, .. }
        | Statement::Update { table, source, .. }
        | Statement::Delete { table, source, .. } => (table, source),
        _ => unreachable!("write::run is called for writes"),
    };
    let shared = Shared::default();
    // Read everything first; the writes below must not see their own effects.
    let (rows, updates) = {
        let ctx = Ctx::new(txn, params, &shared);
        let rows = operators::build(source, &ctx)?.collect()?;
        let updates = match statement {
            Statement::Update { assignments, .. } => Some(new_rows(table, &rows, assignments, &ctx)?),
            _ => None,
        };
        (rows, updates)
    };
    let mut changed = 0u64;
    let mut written: Vec<Row> = vec![];
    match statement {
        Statement::Insert { conflict, .. } => {
            for row in rows {
                let row = coerce_row(table, row)?;
                if let Some(rowid) = insert(txn, table, row.clone(), *conflict)? {
                    changed += 1;
                    written.push(with_rowid(row, rowid));
                }
            }
        }
        Statement::Update { conflict, .. } => {
            for (old, new) in rows.iter().zip(updates.expect("computed for updates")) {
                let rowid = rowid_of(old)?;
                let new = coerce_row(table, new)?;
                match txn.update(table, rowid, new.clone()) {
                    Ok(_) => {
                        changed += 1;
                        written.push(with_rowid(new, rowid));
                    }
                    Err(braid_engine::Error::Constraint(_)) if *conflict == Conflict::Ignore => {}
                    Err(braid_engine::Error::Constraint(_)) if *conflict == Conflict::Replace => {
                        remove_conflicts(txn, table, &new, Some(rowid))?;
                        txn.update(table, rowid, new.clone())?;
                        changed += 1;
                        written.push(with_rowid(new, rowid));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Statement::Delete { .. } => {
            for row in rows {
                if txn.delete(table, rowid_of(&row)?)? {
                    changed += 1;
                    written.push(row);
                }
            }
        }
        _ => unreachable!("matched above"),
    }
    let returning = match statement {
        Statement::Insert { returning, .. }
        | Statement::Update { returning, .. }
        | Statement::Delete { returning, .. } => returning,
        _ => &None,
    };
    match returning {
        None => Ok(Outcome::Changed(changed)),
        Some((exprs, columns)) => {
            let ctx = Ctx::new(txn, params, &shared);
            let rows = written
                .iter()
                .map(|row| exprs.iter().map(|e| eval(e, row, &ctx)).collect::<Result<Row>>())
                .collect::<Result<_>>()?;
            Ok(Outcome::Rows { columns: columns.clone(), rows })
        }
    }
}

fn with_rowid(mut row: Row, rowid: i64) -> Row {
    row.push(Value::Integer(rowid));
    row
}

/// The rowid at the end of a scanned row.
fn rowid_of(row: &[Value]) -> Result<i64> {
    match row.last() {
        Some(Value::Integer(r)) => Ok(*r),
        _ => Err(Error::invalid("internal error: a scanned row has no rowid")),
    }
}

/// The new values of updated rows, computed from the old ones.
fn new_rows(table: &TableDef, rows: &[Row], assignments: &[(usize, Expr)], ctx: &Ctx) -> Result<Vec<Row>> {
    rows.iter()
        .map(|old| {
            let mut new: Row = old[..table.columns.len()].to_vec();
            for (column, e) in assignments {
                new[*column] = eval(e, old, ctx)?;
            }
            Ok(new)
        })
        .collect()
}

/// Converts each value to its column's type (SQLite's affinity, where it gives one).
fn coerce_row(table: &TableDef, row: Row) -> Result<Row> {
    row.into_iter()
        .zip(&table.columns)
        .map(|(v, c)| coerce_for_column(v, c.data_type, &format!("{}.{}", table.name, c.name)))
        .collect()
}

/// Inserts a row under a conflict policy; `None` when the row was skipped.
fn insert(txn: &mut Txn, table: &TableDef, row: Row, conflict: Conflict) -> Result<Option<i64>> {
    if conflict == Conflict::Replace {
        remove_conflicts(txn, table, &row, None)?;
    }
    match txn.insert(table, row) {
        Ok(rowid) => Ok(Some(rowid)),
        Err(braid_engine::Error::Constraint(_)) if conflict == Conflict::Ignore => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Deletes the rows that `row` would collide with: the same rowid, or the same values in
/// a unique index (NULLs never collide). `keep` is the row being updated.
fn remove_conflicts(txn: &mut Txn, table: &TableDef, row: &[Value], keep: Option<i64>) -> Result<()> {
    let mut victims = vec![];
    if let Some(alias) = table.rowid_alias
        && let Value::Integer(rowid) = row[alias as usize]
        && txn.get(table, rowid)?.is_some()
    {
        victims.push(rowid);
    }
    for index in table.indexes.iter().filter(|i| i.unique) {
        let values: Vec<Value> = index.columns.iter().map(|&c| row[c as usize].clone()).collect();
        if values.iter().any(Value::is_null) {
            continue;
        }
        victims.extend(txn.index_lookup(table, &index.name, &values)?);
    }
    victims.sort_unstable();
    victims.dedup();
    for rowid in victims.into_iter().filter(|r| Some(*r) != keep) {
        txn.delete(table, rowid)?;
    }
    Ok(())
}
