//! Constant folding: subexpressions that read no row become literals, once per statement
//! instead of once per row. A subexpression whose evaluation fails is left alone, so the
//! error surfaces only if a row ever needs it (as in SQLite).

use std::sync::Arc;

use braid_engine::Txn;

use super::bottom_up;
use crate::execute::eval_constant;
use crate::plan::{Expr, Plan, Subquery};
use crate::value::declared;
use crate::value::zone::Zone;

pub(super) fn fold(plan: Plan, txn: &Txn, zone: Zone) -> Plan {
    bottom_up(plan, &mut |p| p.map_exprs(&mut |e| fold_expr(e, txn, zone)))
}

pub(super) fn fold_expr(e: Expr, txn: &Txn, zone: Zone) -> Expr {
    e.transform(&mut |node| match node {
        Expr::Literal(_) => node,
        // A literal would lose the `date` / `integer` / `uuid` the call's result is declared as
        // (a `timestamptz` is what a bare timestamp is taken for: that one folds).
        Expr::Function(f, _) if f.declared_result().is_some_and(|oid| oid != declared::TIMESTAMPTZ) => node,
        Expr::InSubquery { expr, subquery, negated } => {
            Expr::InSubquery { expr, subquery: optimized(subquery, txn, zone), negated }
        }
        Expr::Exists { subquery, negated } => Expr::Exists { subquery: optimized(subquery, txn, zone), negated },
        Expr::ScalarSubquery(subquery) => Expr::ScalarSubquery(optimized(subquery, txn, zone)),
        n if n.is_constant() => match eval_constant(&n, txn, zone) {
            Some(v) => Expr::Literal(v),
            None => n,
        },
        n => n,
    })
}

fn optimized(s: Subquery, txn: &Txn, zone: Zone) -> Subquery {
    Subquery { plan: Arc::new(super::optimize((*s.plan).clone(), txn, zone)), ..s }
}
