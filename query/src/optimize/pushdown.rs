//! Predicate pushdown: WHERE and ON terms move to the lowest node that has every column they
//! read, so fewer rows flow through joins; join equalities become hash joins.
//!
//! Terms holding subqueries stay where the binder put them: a correlated subquery reads the
//! row of the node that evaluates it by position.

use crate::plan::{CmpOp, Expr, JoinKind, Plan};

pub(super) fn pushdown(plan: Plan) -> Plan {
    match plan {
        Plan::Filter { input, predicate } => push_terms(*input, predicate.conjuncts()),
        Plan::NestedLoopJoin { .. } => push_terms(plan, vec![]),
        other => other.map_inputs(&mut pushdown),
    }
}

/// The range of this query's columns an expression reads (`None`: none), and whether it
/// holds a subquery.
fn footprint(e: &Expr) -> (Option<(usize, usize)>, bool) {
    let mut range: Option<(usize, usize)> = None;
    let mut subquery = false;
    e.walk(&mut |x| match x {
        Expr::Column { depth: 0, index, .. } => {
            range = Some(range.map_or((*index, *index), |(lo, hi)| (lo.min(*index), hi.max(*index))));
        }
        Expr::InSubquery { .. } | Expr::Exists { .. } | Expr::ScalarSubquery(_) => subquery = true,
        _ => {}
    });
    (range, subquery)
}

/// Moves an expression's columns down by `by` (from a join's row to its right input's).
fn shift(e: Expr, by: usize) -> Expr {
    e.transform(&mut |x| match x {
        Expr::Column { depth: 0, index, name } => Expr::Column { depth: 0, index: index - by, name },
        other => other,
    })
}

fn filter(input: Plan, terms: Vec<Expr>) -> Plan {
    match Expr::and_all(terms) {
        Some(predicate) => Plan::Filter { input: Box::new(input), predicate },
        None => input,
    }
}

/// Places `terms` (over `input`'s row) as low in `input` as they can go.
fn push_terms(input: Plan, mut terms: Vec<Expr>) -> Plan {
    match input {
        Plan::Filter { input, predicate } => {
            terms.extend(predicate.conjuncts());
            push_terms(*input, terms)
        }
        Plan::NestedLoopJoin { left, right, kind: kind @ (JoinKind::Inner | JoinKind::Left), on } => {
            let lw = left.width();
            let (mut to_left, mut to_right, mut in_join, mut above) = (vec![], vec![], vec![], vec![]);
            // WHERE terms: of an inner join anything may move; of a left join only terms on
            // the left (the others must see the NULL-extended rows).
            for t in terms {
                match footprint(&t) {
                    (_, true) => above.push(t),
                    (None, false) => to_left.push(t),
                    (Some((_, hi)), false) if hi < lw => to_left.push(t),
                    (Some((lo, _)), false) if lo >= lw && kind == JoinKind::Inner => to_right.push(shift(t, lw)),
                    _ if kind == JoinKind::Inner => in_join.push(t),
                    _ => above.push(t),
                }
            }
            // ON terms: a left join keeps the left-only ones in the join (they decide
            // matches, not which left rows appear).
            for t in on.map(Expr::conjuncts).unwrap_or_default() {
                match footprint(&t) {
                    (Some((lo, _)), false) if lo >= lw => to_right.push(shift(t, lw)),
                    (Some((_, hi)), false) if hi < lw && kind == JoinKind::Inner => to_left.push(t),
                    (None, false) if kind == JoinKind::Inner => to_left.push(t),
                    _ => in_join.push(t),
                }
            }
            let left = push_terms(*left, to_left);
            let right = push_terms(*right, to_right);
            filter(join(left, right, kind, lw, in_join), above)
        }
        Plan::NestedLoopJoin { left, right, kind, on } => {
            let join =
                Plan::NestedLoopJoin { left: Box::new(pushdown(*left)), right: Box::new(pushdown(*right)), kind, on };
            filter(join, terms)
        }
        other => filter(other.map_inputs(&mut pushdown), terms),
    }
}

/// A join on `terms`: a hash join when some are equalities between the two sides.
fn join(left: Plan, right: Plan, kind: JoinKind, lw: usize, terms: Vec<Expr>) -> Plan {
    let (mut left_keys, mut right_keys, mut residual) = (vec![], vec![], vec![]);
    for t in terms {
        if let Expr::Compare(CmpOp::Eq, a, b) = &t {
            let side = |e: &Expr| match footprint(e) {
                (Some((_, hi)), false) if hi < lw => Some(true),
                (Some((lo, _)), false) if lo >= lw => Some(false),
                _ => None,
            };
            match (side(a), side(b)) {
                (Some(true), Some(false)) => {
                    left_keys.push((**a).clone());
                    right_keys.push(shift((**b).clone(), lw));
                    continue;
                }
                (Some(false), Some(true)) => {
                    left_keys.push((**b).clone());
                    right_keys.push(shift((**a).clone(), lw));
                    continue;
                }
                _ => {}
            }
        }
        residual.push(t);
    }
    let (left, right) = (Box::new(left), Box::new(right));
    if left_keys.is_empty() {
        return Plan::NestedLoopJoin { left, right, kind, on: Expr::and_all(residual) };
    }
    Plan::HashJoin { left, right, kind, left_keys, right_keys, residual: Expr::and_all(residual) }
}
