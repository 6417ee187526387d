//! ORDER BY through an index: a sort whose keys are a table's rowid, or the leading
//! columns of one of its btree indexes, all ascending or all descending, reads the table in
//! that order and sorts nothing. Under a LIMIT the scan then stops after a few rows.
//!
//! Keys sort NULL lowest, so a scan gives NULLs first ascending and last descending.
//! PostgreSQL's default is the other way round; the first column's NULLs are one range of
//! the index, so the scan reads them as a range of their own, before or after the others
//! ([`IndexRange::All`]). A later column's NULLs are interleaved with its group's other
//! entries: it must sort as the keys do, or hold no NULLs (NOT NULL).

use std::ops::Bound;

use braid_engine::{DataType, TableDef};

use super::bottom_up;
use crate::plan::{Expr, IndexRange, Plan, SortKey};

pub(super) fn use_index_order(plan: Plan) -> Plan {
    bottom_up(plan, &mut |p| match p {
        Plan::Sort { input, keys } => match ordered(*input, &keys) {
            (plan, true) => plan,
            (input, false) => Plan::Sort { input: Box::new(input), keys },
        },
        other => other,
    })
}

/// The sort's input reading in key order (`true`), or the input unchanged (`false`).
fn ordered(input: Plan, keys: &[SortKey]) -> (Plan, bool) {
    let Some(descending) = uniform_direction(keys) else { return (input, false) };
    let Plan::Project { input: below, exprs } = input else { return (input, false) };
    // The table columns the keys name, through the projection.
    let columns: Option<Vec<usize>> = keys
        .iter()
        .map(|k| match &k.expr {
            Expr::Column { depth: 0, index, .. } => match exprs.get(*index) {
                Some(Expr::Column { depth: 0, index, .. }) => Some(*index),
                _ => None,
            },
            _ => None,
        })
        .collect();
    let rebuilt = |below: Plan, exprs| Plan::Project { input: Box::new(below), exprs };
    let Some(columns) = columns else { return (rebuilt(*below, exprs), false) };
    let nulls_first: Vec<bool> = keys.iter().map(|k| k.nulls_first).collect();
    let (below, done) = reorder(*below, &columns, descending, &nulls_first);
    (rebuilt(below, exprs), done)
}

/// `Some(descending)` when every key sorts the same way.
fn uniform_direction(keys: &[SortKey]) -> Option<bool> {
    let descending = keys.first()?.descending;
    keys.iter().all(|k| k.descending == descending).then_some(descending)
}

/// A full scan (possibly under a filter) turned into one in `columns` order, each column's
/// NULLs placed as `nulls_first` says (`true`), or the plan unchanged (`false`).
fn reorder(plan: Plan, columns: &[usize], descending: bool, nulls_first: &[bool]) -> (Plan, bool) {
    match plan {
        Plan::Filter { input, predicate } => {
            let (p, done) = reorder(*input, columns, descending, nulls_first);
            (Plan::Filter { input: Box::new(p), predicate }, done)
        }
        Plan::Scan { table, alias, rowids, reverse: false, read } => {
            let full = matches!(rowids, (Bound::Unbounded, Bound::Unbounded));
            if is_rowid(&table, columns) {
                return (Plan::Scan { table, alias, rowids, reverse: descending, read }, true);
            }
            // The order an index scan gives a column's NULLs (lowest), or any if it has none.
            // (The rowid, one past the columns, is never NULL.)
            let native =
                |i: usize| table.columns.get(columns[i]).is_none_or(|c| !c.nullable) || nulls_first[i] != descending;
            let later_columns_fit = (1..columns.len()).all(native);
            match index_for(&table, columns).filter(|_| full && later_columns_fit) {
                Some(index) => {
                    let range = if native(0) {
                        IndexRange::Range { equal: vec![], lower: Bound::Unbounded, upper: Bound::Unbounded }
                    } else {
                        IndexRange::All { nulls_first: nulls_first[0] }
                    };
                    (Plan::IndexScan { table, alias, index, range, reverse: descending, read }, true)
                }
                None => (Plan::Scan { table, alias, rowids, reverse: false, read }, false),
            }
        }
        other => (other, false),
    }
}

fn is_rowid(table: &TableDef, columns: &[usize]) -> bool {
    matches!(columns, [c] if *c == table.columns.len() || table.rowid_alias == Some(*c as u32))
}

/// A btree index whose leading columns are `columns`, of types whose index order is SQL's.
fn index_for(table: &TableDef, columns: &[usize]) -> Option<String> {
    let sortable = |c: usize| matches!(table.columns[c].data_type, DataType::Integer | DataType::Real | DataType::Text);
    table
        .indexes
        .iter()
        .find(|i| {
            !i.is_derived()
                && i.columns.len() >= columns.len()
                && i.columns.iter().zip(columns).all(|(&a, &b)| a as usize == b)
                && columns.iter().all(|&c| sortable(c))
        })
        .map(|i| i.name.clone())
}
