//! Identity projections removed: a Project that passes every input column through in
//! order, and only those, is its input.
//!
//! `INSERT INTO t VALUES (…)` binds to a projection of the VALUES row onto the table's
//! columns; when the VALUES list every column in table order, that projection copies each
//! row (and clones each text value) for nothing: a tenth of a bulk insert (profiled).

use super::bottom_up;
use crate::plan::{Expr, Plan};

pub(super) fn remove(plan: Plan) -> Plan {
    bottom_up(plan, &mut |p| match p {
        Plan::Project { input, exprs } if is_identity(&exprs, input.width()) => *input,
        other => other,
    })
}

fn is_identity(exprs: &[Expr], width: usize) -> bool {
    exprs.len() == width
        && exprs.iter().enumerate().all(|(i, e)| matches!(e, Expr::Column { depth: 0, index, .. } if *index == i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_projections_of_every_column_in_order_go() {
        let values = || Plan::Values { rows: vec![vec![Expr::literal(1), Expr::literal(2)]], width: 2 };
        let project = |exprs| Plan::Project { input: Box::new(values()), exprs };
        let (a, b) = (Expr::column(0, "a"), Expr::column(1, "b"));
        assert!(matches!(remove(project(vec![a.clone(), b.clone()])), Plan::Values { .. }));
        assert!(matches!(remove(project(vec![b.clone(), a.clone()])), Plan::Project { .. }));
        assert!(matches!(remove(project(vec![a.clone()])), Plan::Project { .. }));
        assert!(matches!(remove(project(vec![a.clone(), b.clone(), a])), Plan::Project { .. }));
    }
}
