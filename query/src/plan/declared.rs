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

/// The declared types parameters take from what they are compared with or stored into, by
/// position: `id = $1` on an `integer` column makes `$1` an `int4`, as PostgreSQL infers
/// it, so that a driver that sends what the server describes (tokio-postgres, asyncpg)
/// sends an `int4`. Found through filters, join conditions, the bounds of rowid and index
/// scans (where the optimizer has moved a comparison), INSERT values and UPDATE
/// assignments. A parameter given two different declared types gets neither.
pub fn params(statement: &super::Statement) -> HashMap<usize, DeclaredType> {
    use super::Statement;
    let mut found = Params::default();
    match statement {
        Statement::Query { plan, .. } | Statement::Delete { source: plan, .. } => found.plan(plan),
        Statement::Insert { table, source, .. } => {
            super::types::insert_targets(source, &table_row(table), None, &mut |e, t| found.note(e, t));
            found.plan(source);
        }
        Statement::Update { table, source, assignments, .. } => {
            found.plan(source);
            let input = columns(source).unwrap_or_default();
            for (column, e) in assignments {
                found.note(e, table.columns[*column].declared);
                found.expr(e, &input);
            }
        }
        _ => {}
    }
    found.types.into_iter().filter_map(|(i, t)| Some((i, t?))).collect()
}

#[derive(Default)]
struct Params {
    /// `None`: two different types were found.
    types: HashMap<usize, Option<DeclaredType>>,
}

impl Params {
    /// If `e` is a parameter, it takes `declared`.
    fn note(&mut self, e: &Expr, declared: Option<DeclaredType>) {
        use crate::value::declared as d;
        // The types a parameter is read as on the wire (`types::decode` in the server).
        let Some(declared) = declared.filter(|t| {
            matches!(
                t.oid,
                d::INT2
                    | d::INT4
                    | d::FLOAT4
                    | d::VARCHAR
                    | d::BPCHAR
                    | d::DATE
                    | d::TIMESTAMP
                    | d::UUID
                    | d::JSON
                    | d::JSONB
            )
        }) else {
            return;
        };
        match e {
            Expr::Param(super::Param::Position(i)) => {
                let slot = self.types.entry(*i).or_insert(Some(declared));
                if *slot != Some(declared) {
                    *slot = None;
                }
            }
            Expr::Affinity(inner, _) => self.note(inner, Some(declared)),
            // Text compared with a uuid is read as one (`bind::expr`).
            Expr::Function(ScalarFunction::Uuid, args) if declared.oid == d::UUID && args.len() == 1 => {
                self.note(&args[0], Some(declared))
            }
            _ => {}
        }
    }

    fn plan(&mut self, plan: &Plan) {
        let bound = |b: &std::ops::Bound<Expr>| match b {
            std::ops::Bound::Included(e) | std::ops::Bound::Excluded(e) => Some(e.clone()),
            std::ops::Bound::Unbounded => None,
        };
        match plan {
            Plan::Scan { table, rowids, .. } => {
                let alias = table.rowid_alias.and_then(|c| table.columns[c as usize].declared);
                for e in [bound(&rowids.0), bound(&rowids.1)].into_iter().flatten() {
                    self.note(&e, alias);
                }
            }
            Plan::IndexScan { table, index, range, .. } => {
                let Some(def) = table.index(index) else { return };
                let column = |i: usize| def.columns.get(i).and_then(|&c| table.columns[c as usize].declared);
                match range {
                    super::IndexRange::Range { equal, lower, upper } => {
                        for (i, e) in equal.iter().enumerate() {
                            self.note(e, column(i));
                        }
                        for e in [bound(lower), bound(upper)].into_iter().flatten() {
                            self.note(&e, column(equal.len()));
                        }
                    }
                    super::IndexRange::In(values) => values.iter().for_each(|e| self.note(e, column(0))),
                    super::IndexRange::All { .. } => {}
                }
            }
            Plan::Filter { input, predicate } => {
                self.expr(predicate, &columns(input).unwrap_or_default());
                self.plan(input);
            }
            Plan::Project { input, exprs } => {
                let row = columns(input).unwrap_or_default();
                exprs.iter().for_each(|e| self.expr(e, &row));
                self.plan(input);
            }
            Plan::NestedLoopJoin { left, right, on: condition, .. }
            | Plan::HashJoin { left, right, residual: condition, .. } => {
                if let Some(condition) = condition {
                    let mut row = columns(left).unwrap_or_else(|| vec![None; left.width()]);
                    row.extend(columns(right).unwrap_or_default());
                    self.expr(condition, &row);
                }
                self.plan(left);
                self.plan(right);
            }
            Plan::Aggregate { input, .. }
            | Plan::Sort { input, .. }
            | Plan::Limit { input, .. }
            | Plan::TopN { input, .. }
            | Plan::Distinct { input }
            | Plan::Window { input, .. }
            | Plan::ProjectSet { input, .. } => self.plan(input),
            Plan::SetOp { left, right, .. } => {
                self.plan(left);
                self.plan(right);
            }
            Plan::With { ctes, input } => {
                for cte in ctes {
                    self.plan(&cte.plan);
                }
                self.plan(input);
            }
            Plan::Values { .. } | Plan::TableFunction { .. } | Plan::SystemScan { .. } | Plan::CteRef { .. } => {}
        }
    }

    /// Comparisons in `e`, over rows of `row`, and the plans of its subqueries.
    fn expr(&mut self, e: &Expr, row: &[Option<DeclaredType>]) {
        match e {
            Expr::Compare(_, a, b) => {
                self.note(a, expr(b, row));
                self.note(b, expr(a, row));
            }
            Expr::InList { expr: x, list, .. } => {
                let t = expr(x, row);
                list.iter().for_each(|item| self.note(item, t));
            }
            Expr::Between { expr: x, low, high, .. } => {
                let t = expr(x, row);
                self.note(low, t);
                self.note(high, t);
            }
            Expr::ScalarSubquery(s) | Expr::Exists { subquery: s, .. } | Expr::InSubquery { subquery: s, .. } => {
                self.plan(&s.plan)
            }
            _ => {}
        }
        for child in e.children() {
            self.expr(child, row);
        }
    }
}
