//! Inner-join order by estimated size: a hash join builds its table on the smaller input,
//! and a nested-loop join materialises the smaller one, swapping the inputs when the plan
//! has them the other way round (a projection above restores the column order).
//!
//! Sizes are estimates: a table's largest rowid (one seek; rowids mostly count rows),
//! scaled by fixed selectivities for filters and index lookups. They only need to tell a
//! small input from a large one.

use braid_engine::Txn;

use super::bottom_up;
use crate::plan::{Expr, IndexRange, JoinKind, Plan};

/// How much smaller the left input must look before the inputs are swapped.
const SWAP_RATIO: f64 = 2.0;

pub(super) fn order_joins(plan: Plan, txn: &Txn) -> Plan {
    bottom_up(plan, &mut |p| match p {
        Plan::HashJoin { left, right, kind: JoinKind::Inner, left_keys, right_keys, residual }
            if estimate(&right, txn) > SWAP_RATIO * estimate(&left, txn) =>
        {
            let (lw, rw) = (left.width(), right.width());
            let join = Plan::HashJoin {
                left: right,
                right: left,
                kind: JoinKind::Inner,
                left_keys: right_keys,
                right_keys: left_keys,
                residual: residual.map(|r| swap_sides(r, lw, rw)),
            };
            restore_order(join, lw, rw)
        }
        Plan::NestedLoopJoin { left, right, kind: JoinKind::Inner, on }
            if estimate(&right, txn) > SWAP_RATIO * estimate(&left, txn) =>
        {
            let (lw, rw) = (left.width(), right.width());
            let on = on.map(|e| swap_sides(e, lw, rw));
            restore_order(Plan::NestedLoopJoin { left: right, right: left, kind: JoinKind::Inner, on }, lw, rw)
        }
        other => other,
    })
}

/// Rewrites an expression over `left ++ right` to read `right ++ left`.
fn swap_sides(e: Expr, lw: usize, rw: usize) -> Expr {
    e.transform(&mut |x| match x {
        Expr::Column { depth: 0, index, name } => {
            let index = if index < lw { index + rw } else { index - lw };
            Expr::Column { depth: 0, index, name }
        }
        other => other,
    })
}

/// A projection from `right ++ left` back to `left ++ right`.
fn restore_order(join: Plan, lw: usize, rw: usize) -> Plan {
    let exprs = (0..lw)
        .map(|i| Expr::column(rw + i, format!("#{i}")))
        .chain((0..rw).map(|i| Expr::column(i, format!("#{}", lw + i))));
    Plan::Project { input: Box::new(join), exprs: exprs.collect() }
}

/// Estimated rows out of a plan.
fn estimate(plan: &Plan, txn: &Txn) -> f64 {
    let table_rows =
        |t: &braid_engine::TableDef| txn.max_rowid(t).ok().flatten().map_or(0.0, |r| r.max(0) as f64).max(1.0);
    match plan {
        Plan::Values { rows, .. } => rows.len() as f64,
        Plan::Scan { table, rowids: (std::ops::Bound::Unbounded, std::ops::Bound::Unbounded), .. } => table_rows(table),
        Plan::Scan { table, rowids: (std::ops::Bound::Included(a), std::ops::Bound::Included(b)), .. } if a == b => {
            table_rows(table).min(1.0)
        }
        Plan::Scan { table, .. } => table_rows(table) * 0.25,
        Plan::IndexScan { table, range, .. } => {
            let n = table_rows(table);
            match range {
                IndexRange::In(values) => (n * 0.01 * values.len() as f64).max(values.len() as f64),
                IndexRange::Range { equal, .. } if !equal.is_empty() => (n * 0.01).max(1.0),
                IndexRange::Range { .. } => n * 0.25,
                IndexRange::All { .. } => n,
            }
        }
        Plan::Filter { input, .. } => estimate(input, txn) * 0.5,
        Plan::Aggregate { input, group_by, .. } if group_by.is_empty() => 1.0_f64.min(estimate(input, txn)),
        Plan::Aggregate { input, .. } => estimate(input, txn) * 0.1,
        Plan::Limit { input, limit: Some(Expr::Literal(braid_engine::Value::Integer(n))), .. }
        | Plan::TopN { input, limit: Expr::Literal(braid_engine::Value::Integer(n)), .. } => {
            estimate(input, txn).min(*n as f64)
        }
        Plan::NestedLoopJoin { left, right, on: None, .. } => estimate(left, txn) * estimate(right, txn),
        Plan::NestedLoopJoin { left, right, .. } => estimate(left, txn) * estimate(right, txn) * 0.1,
        Plan::HashJoin { left, right, .. } => estimate(left, txn).max(estimate(right, txn)),
        Plan::SetOp { left, right, .. } => estimate(left, txn) + estimate(right, txn),
        Plan::CteRef { .. } | Plan::SystemScan { .. } | Plan::TableFunction { .. } => 100.0,
        other => other.inputs().first().map_or(1.0, |p| estimate(p, txn)),
    }
}
