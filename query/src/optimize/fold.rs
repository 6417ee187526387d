//! Constant folding: subexpressions that read no row become literals, once per statement
//! instead of once per row. A subexpression whose evaluation fails is left alone, so the
//! error surfaces only if a row ever needs it (as in SQLite).

use std::sync::Arc;

use braid_engine::Txn;

use super::bottom_up;
use crate::execute::eval_constant;
use crate::plan::{Expr, Plan, Subquery};

pub(super) fn fold(plan: Plan, txn: &Txn) -> Plan {
    bottom_up(plan, &mut |p| p.map_exprs(&mut |e| fold_expr(e, txn)))
}

pub(super) fn fold_expr(e: Expr, txn: &Txn) -> Expr {
    e.transform(&mut |node| match node {
        Expr::Literal(_) => node,
        // A literal would lose the `date` / `integer` / `uuid` the call's result is declared as.
        Expr::Function(f, _) if f.declared_result().is_some() => node,
        Expr::InSubquery { expr, subquery, negated } => {
            Expr::InSubquery { expr, subquery: optimized(subquery, txn), negated }
        }
        Expr::Exists { subquery, negated } => Expr::Exists { subquery: optimized(subquery, txn), negated },
        Expr::ScalarSubquery(subquery) => Expr::ScalarSubquery(optimized(subquery, txn)),
        n if n.is_constant() => match eval_constant(&n, txn) {
            Some(v) => Expr::Literal(v),
            None => n,
        },
        n => n,
    })
}

fn optimized(s: Subquery, txn: &Txn) -> Subquery {
    Subquery { plan: Arc::new(super::optimize((*s.plan).clone(), txn)), ..s }
}
