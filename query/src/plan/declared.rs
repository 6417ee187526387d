//! Which result columns carry a table column's declared type (`integer`, `varchar(20)`,
//! `date`, …; see [`crate::value::declared`]) out of a query unchanged.
//!
//! A column keeps its declared type through what moves values without computing new ones:
//! filters, sorts, limits, DISTINCT, joins, a projection or GROUP BY key that names the
//! column, `min` / `max` of it, and set operations whose branches agree. Anything computed
//! (`i + 1`, `sum(i)`, a cast) has only the storage type [`super::types`] infers, which the
//! server reports as that type's PostgreSQL type (`int8`, `float8`, `text`, …).
//!
//! This runs apart from type inference on purpose: it may only narrow what inference found
//! (a declared type is kept only when its storage type is the inferred one), so a node it
//! does not know costs a more general type on the wire, never a wrong one.

use std::collections::HashMap;

use braid_engine::DeclaredType;

use super::{Expr, Plan};
use crate::functions::{AggregateFunction, JsonReturns, ScalarFunction};

/// The declared types of a plan's output columns; `None` where a column has none, or for a
/// whole plan this pass does not follow (the caller pads to the plan's width).
pub fn columns(plan: &Plan) -> Option<Vec<Option<DeclaredType>>> {
    Pass::default().plan(plan)
}

/// The declared type an expression over rows of `input` carries out, if it only reads a
/// column of this query's row.
pub fn expr(e: &Expr, input: &[Option<DeclaredType>]) -> Option<DeclaredType> {
    use crate::value::declared as d;
    let plain = |oid| Some(DeclaredType { oid, typmod: -1 });
    let int4 = |e: &Expr| matches!(expr(e, input), Some(DeclaredType { oid: d::INT4 | d::INT2, .. }));
    match e {
        Expr::Column { depth: 0, index, .. } => input.get(*index).copied().flatten(),
        // PostgreSQL's `integer`: a literal that fits, and arithmetic of integers. (Braid
        // computes in 64 bits: a result past `integer` prints in text but does not fit the
        // binary `int4`, where PostgreSQL would have raised 22003.)
        Expr::Literal(braid_engine::Value::Integer(i)) if i32::try_from(*i).is_ok() => plain(d::INT4),
        Expr::Negate(x) if int4(x) => plain(d::INT4),
        Expr::Arith(
            crate::value::BinaryArith::Add
            | crate::value::BinaryArith::Sub
            | crate::value::BinaryArith::Mul
            | crate::value::BinaryArith::Div
            | crate::value::BinaryArith::Rem,
            a,
            b,
        ) if int4(a) && int4(b) => plain(d::INT4),
        Expr::Function(f, _) if let Some(oid) = f.declared_result() => plain(oid),
        // `ARRAY(SELECT …)` and a scalar subquery of a column: its one column's type.
        Expr::ScalarSubquery(s) => columns(&s.plan)?.first().copied().flatten(),
        // A JSON function's `json` / `jsonb` result, so that drivers decode documents.
        Expr::Function(ScalarFunction::Json(f), _) => match f.returns() {
            JsonReturns::Json(kind) => Some(DeclaredType { oid: kind.oid(), typmod: -1 }),
            _ => None,
        },
        _ => None,
    }
}

/// The declared types of a table's scanned rows: its columns, then the rowid.
pub fn table_row(table: &braid_engine::TableDef) -> Vec<Option<DeclaredType>> {
    table.columns.iter().map(|c| c.declared).chain(std::iter::once(None)).collect()
}

#[derive(Default)]
struct Pass {
    ctes: HashMap<usize, Vec<Option<DeclaredType>>>,
}

impl Pass {
    fn plan(&mut self, plan: &Plan) -> Option<Vec<Option<DeclaredType>>> {
        Some(match plan {
            Plan::Scan { table, .. } | Plan::IndexScan { table, .. } => table_row(table),
            Plan::Filter { input, .. }
            | Plan::Sort { input, .. }
            | Plan::Limit { input, .. }
            | Plan::TopN { input, .. }
            | Plan::Distinct { input } => self.plan(input)?,
            Plan::Project { input, exprs } => {
                let input = self.plan(input).unwrap_or_default();
                exprs.iter().map(|e| expr(e, &input)).collect()
            }
            Plan::Aggregate { input, group_by, aggregates } => {
                let plan_input = input;
                let input = self.plan(input).unwrap_or_default();
                let mut out: Vec<_> = group_by.iter().map(|e| expr(e, &input)).collect();
                out.extend(aggregates.iter().map(|a| match (a.function, a.args.first()) {
                    (AggregateFunction::Min | AggregateFunction::Max, Some(arg)) => expr(arg, &input),
                    (AggregateFunction::ArrayAgg | AggregateFunction::ArrayOf, Some(arg)) => {
                        let element = expr(arg, &input)
                            .or_else(|| {
                                super::types::expr_type(plan_input, arg).map(crate::value::declared::of_storage)
                            })
                            .unwrap_or(crate::value::declared::of_storage(braid_engine::DataType::Text));
                        let text = crate::value::declared::of_storage(braid_engine::DataType::Text);
                        crate::value::declared::array_of(element).or_else(|| crate::value::declared::array_of(text))
                    }
                    (AggregateFunction::JsonAgg(kind) | AggregateFunction::JsonObjectAgg(kind), _) => {
                        Some(DeclaredType { oid: kind.oid(), typmod: -1 })
                    }
                    _ => None,
                }));
                out
            }
            Plan::NestedLoopJoin { left, right, .. } | Plan::HashJoin { left, right, .. } => {
                let mut out = self.plan(left)?;
                out.extend(self.plan(right)?);
                out
            }
            Plan::Window { input, calls } => {
                let mut out = self.plan(input)?;
                out.extend(calls.iter().map(|_| None));
                out
            }
            Plan::ProjectSet { input, calls } => {
                let mut out = self.plan(input)?;
                out.extend(calls.iter().map(|(f, _)| f.declared(0)));
                out
            }
            Plan::TableFunction { function, width, .. } => (0..*width).map(|i| function.declared(i)).collect(),
            Plan::SetOp { left, right, .. } => {
                let (l, r) = (self.plan(left)?, self.plan(right)?);
                l.into_iter().zip(r).map(|(a, b)| if a == b { a } else { None }).collect()
            }
            Plan::CteRef { id, .. } => self.ctes.get(id)?.clone(),
            Plan::With { ctes, input } => {
                for cte in ctes {
                    // A recursive CTE's later rows are computed: keep what both parts agree on.
                    let mut types = self.plan(&cte.plan);
                    if let (Some(found), Some((recursive, _))) = (&mut types, &cte.recursive) {
                        self.ctes.insert(cte.id, found.clone());
                        match self.plan(recursive) {
                            Some(more) => {
                                found.iter_mut().zip(more).filter(|(a, b)| **a != *b).for_each(|(a, _)| *a = None)
                            }
                            None => types = None,
                        }
                    }
                    match types {
                        Some(types) => self.ctes.insert(cte.id, types),
                        None => self.ctes.remove(&cte.id),
                    };
                }
                self.plan(input)?
            }
            // Their columns have no declared types.
            Plan::Values { .. } | Plan::SystemScan { .. } => vec![None; plan.width()],
        })
    }
}
