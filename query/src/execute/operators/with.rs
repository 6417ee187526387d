//! Common table expressions: computed once, before the query that reads them; recursive
//! ones by iterating their recursive part over the rows of the previous step.

use std::rc::Rc;

use super::super::context::{Ctx, Row};
use super::build;
use crate::error::{Error, Result};
use crate::plan::Cte;
use crate::value::GroupKey;

/// A recursive CTE that produces more rows than this is assumed to run forever.
const MAX_RECURSIVE_ROWS: usize = 10_000_000;

/// Computes every CTE into the statement's shared state.
pub(super) fn compute(ctes: &[Cte], ctx: &Ctx) -> Result<()> {
    for cte in ctes {
        let rows = build(&cte.plan, ctx)?.collect()?;
        let rows = match &cte.recursive {
            None => rows,
            Some((step, all)) => {
                let limit = super::basic::count(cte.limit.as_ref(), ctx, "LIMIT")?.map_or(usize::MAX, |l| l as usize);
                recurse(cte, step, *all, rows, limit, ctx)?
            }
        };
        ctx.shared.ctes.borrow_mut().insert(cte.id, Rc::new(rows));
    }
    Ok(())
}

fn recurse(
    cte: &Cte,
    step: &crate::plan::Plan,
    all: bool,
    base: Vec<Row>,
    limit: usize,
    ctx: &Ctx,
) -> Result<Vec<Row>> {
    let mut seen = crate::value::GroupSet::default();
    let mut result = vec![];
    let mut working = vec![];
    for row in base {
        if all || seen.insert(GroupKey(row.clone())) {
            working.push(row.clone());
            result.push(row);
        }
    }
    while !working.is_empty() && result.len() < limit {
        super::super::interrupt::check()?;
        ctx.shared.ctes.borrow_mut().insert(cte.id, Rc::new(std::mem::take(&mut working)));
        for row in build(step, ctx)?.collect()? {
            if all || seen.insert(GroupKey(row.clone())) {
                working.push(row.clone());
                result.push(row);
            }
        }
        if result.len() > MAX_RECURSIVE_ROWS {
            return Err(Error::invalid(format!(
                "recursive query {} produced more than {MAX_RECURSIVE_ROWS} rows",
                cte.name
            )));
        }
    }
    result.truncate(limit);
    Ok(result)
}
