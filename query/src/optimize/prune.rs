//! Projection pushdown: a table scan decodes only the columns something above it reads.
//!
//! Walks the plan top-down carrying the set of columns each node's output must provide;
//! every node adds what its own expressions read and maps the set onto its inputs. A scan
//! then validates and copies out only those columns (text and blobs are the costly ones).
//! Expressions holding subqueries need every column: a correlated subquery reads its outer
//! row by position, and which positions is not tracked here.

use std::collections::BTreeSet;

use crate::plan::{Expr, Plan};

type Needed = BTreeSet<usize>;

pub(super) fn prune(plan: Plan) -> Plan {
    let all = (0..plan.width()).collect();
    with_needed(plan, &all)
}

/// Adds the columns `e` reads to `needed`; false if it holds a subquery (all are needed).
fn reads(e: &Expr, needed: &mut Needed) -> bool {
    let mut plain = true;
    e.walk(&mut |x| match x {
        Expr::Column { depth: 0, index, .. } => {
            needed.insert(*index);
        }
        Expr::InSubquery { .. } | Expr::Exists { .. } | Expr::ScalarSubquery(_) => plain = false,
        _ => {}
    });
    plain
}

/// The columns of a `width`-wide input that `exprs` read (all of them if any holds a
/// subquery), plus `extra`.
fn input_needs<'e>(exprs: impl IntoIterator<Item = &'e Expr>, width: usize, extra: &Needed) -> Needed {
    let mut needed = extra.clone();
    for e in exprs {
        if !reads(e, &mut needed) {
            return (0..width).collect();
        }
    }
    needed
}

fn with_needed(plan: Plan, needed: &Needed) -> Plan {
    match plan {
        Plan::Scan { table, alias, rowids, reverse, read: _ } => {
            let read = needed.iter().copied().filter(|&c| c < table.columns.len()).collect();
            Plan::Scan { table, alias, rowids, reverse, read: Some(read) }
        }
        Plan::IndexScan { table, alias, index, range, reverse, read: _ } => {
            let read = needed.iter().copied().filter(|&c| c < table.columns.len()).collect();
            Plan::IndexScan { table, alias, index, range, reverse, read: Some(read) }
        }
        Plan::Filter { input, predicate } => {
            let n = input_needs([&predicate], input.width(), needed);
            Plan::Filter { input: Box::new(with_needed(*input, &n)), predicate }
        }
        Plan::Project { input, exprs } => {
            // Only the expressions whose outputs are read matter.
            let used = exprs.iter().enumerate().filter(|(i, _)| needed.contains(i)).map(|(_, e)| e);
            let n = input_needs(used, input.width(), &Needed::new());
            Plan::Project { input: Box::new(with_needed(*input, &n)), exprs }
        }
        Plan::Sort { input, keys } => {
            let n = input_needs(keys.iter().map(|k| &k.expr), input.width(), needed);
            Plan::Sort { input: Box::new(with_needed(*input, &n)), keys }
        }
        Plan::TopN { input, keys, limit, offset } => {
            let n = input_needs(keys.iter().map(|k| &k.expr), input.width(), needed);
            Plan::TopN { input: Box::new(with_needed(*input, &n)), keys, limit, offset }
        }
        Plan::Window { input, calls } => {
            let width = input.width();
            let below: Needed = needed.iter().copied().filter(|&c| c < width).collect();
            let exprs = calls
                .iter()
                .flat_map(|c| c.args.iter().chain(&c.partition_by).chain(c.order_by.iter().map(|k| &k.expr)));
            let n = input_needs(exprs, width, &below);
            Plan::Window { input: Box::new(with_needed(*input, &n)), calls }
        }
        Plan::ProjectSet { input, calls } => {
            let width = input.width();
            let below: Needed = needed.iter().copied().filter(|&c| c < width).collect();
            let n = input_needs(calls.iter().flat_map(|(_, args)| args), width, &below);
            Plan::ProjectSet { input: Box::new(with_needed(*input, &n)), calls }
        }
        Plan::Limit { input, limit, offset } => {
            Plan::Limit { input: Box::new(with_needed(*input, needed)), limit, offset }
        }
        Plan::Aggregate { input, group_by, aggregates } => {
            let exprs = group_by.iter().chain(aggregates.iter().flat_map(|a| a.args.iter().chain(a.filter.as_deref())));
            let n = input_needs(exprs, input.width(), &Needed::new());
            Plan::Aggregate { input: Box::new(with_needed(*input, &n)), group_by, aggregates }
        }
        Plan::NestedLoopJoin { left, right, kind, on } => {
            let lw = left.width();
            let n = input_needs(on.iter(), lw + right.width(), needed);
            let (l, r) = split(&n, lw);
            Plan::NestedLoopJoin {
                left: Box::new(with_needed(*left, &l)),
                right: Box::new(with_needed(*right, &r)),
                kind,
                on,
            }
        }
        Plan::HashJoin { left, right, kind, left_keys, right_keys, residual } => {
            let lw = left.width();
            let n = input_needs(residual.iter(), lw + right.width(), needed);
            let (mut l, mut r) = split(&n, lw);
            l = input_needs(&left_keys, lw, &l);
            r = input_needs(&right_keys, right.width(), &r);
            let (left, right) = (Box::new(with_needed(*left, &l)), Box::new(with_needed(*right, &r)));
            Plan::HashJoin { left, right, kind, left_keys, right_keys, residual }
        }
        // Distinct and set operations compare whole rows; CTE plans feed references that
        // are not tracked: everything below them keeps every column.
        other => other.map_inputs(&mut |p| {
            let all = (0..p.width()).collect();
            with_needed(p, &all)
        }),
    }
}

/// Splits the columns of a join's row into its left and right inputs' columns.
fn split(needed: &Needed, left_width: usize) -> (Needed, Needed) {
    let left = needed.iter().copied().filter(|&c| c < left_width).collect();
    let right = needed.iter().copied().filter(|&c| c >= left_width).map(|c| c - left_width).collect();
    (left, right)
}
