//! Static types: what a statement returns and takes, known before it runs.
//!
//! Values are typed at run time (SQLite's semantics), but most places in a plan can have
//! only one type: a table column holds only its declared type, a comparison is BOOLEAN,
//! `length()` is INTEGER, `||` is TEXT, `count(*)` is INTEGER. The PostgreSQL protocol needs
//! these types at Describe time, before execution, because drivers choose their decoders
//! from them; an embedding application can use them the same way.
//!
//! Inference works over a small lattice ([`Inferred`]): a NULL literal fits any type, two
//! branches of one type keep it, INTEGER beside REAL widens to REAL (an integer converts to a
//! real without loss in the range that matters), and anything else is [`Inferred::Any`],
//! which callers see as `None` ("no single type": the server sends such columns as text).
//!
//! Parameter types come from where a parameter stands: beside a column or typed expression
//! in a comparison, BETWEEN, IN or arithmetic, as an INSERT value or an UPDATE assignment
//! (the target column's type), in a CAST (the target type), in LIMIT / OFFSET (INTEGER),
//! as a LIKE pattern (TEXT). A parameter nothing constrains is `None`.

use std::collections::HashMap;

use braid_engine::DataType;

use super::{AggregateCall, Expr, IndexRange, Param, Plan, Statement, WindowCall, WindowFunction};
use crate::functions::AggregateFunction;
use crate::functions::ScalarFunction;
use crate::value::BinaryArith;

/// A column's or an expression's type as inference sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Inferred {
    /// Only NULL: fits any type.
    Null,
    Known(DataType),
    /// More than one type is possible.
    Any,
}

use Inferred::{Any, Known, Null};

impl Inferred {
    /// The type of a value that may come from either side.
    fn or(self, other: Inferred) -> Inferred {
        match (self, other) {
            (Null, x) | (x, Null) => x,
            (Known(a), Known(b)) if a == b => Known(a),
            (Known(DataType::Integer), Known(DataType::Real)) | (Known(DataType::Real), Known(DataType::Integer)) => {
                Known(DataType::Real)
            }
            // PostgreSQL's numeric category: integer < numeric < double precision.
            (Known(DataType::Integer), Known(DataType::Numeric))
            | (Known(DataType::Numeric), Known(DataType::Integer)) => Known(DataType::Numeric),
            (Known(DataType::Real), Known(DataType::Numeric)) | (Known(DataType::Numeric), Known(DataType::Real)) => {
                Known(DataType::Real)
            }
            _ => Any,
        }
    }

    fn known(self) -> Option<DataType> {
        match self {
            Known(t) => Some(t),
            Null | Any => None,
        }
    }
}

/// The static description of a statement: its parameters' and its result columns' types.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Description {
    /// One entry per positional parameter (`$1` / `?` first): its type, if one is implied.
    pub params: Vec<Option<DataType>>,
    /// The result columns (empty for a statement that returns no rows): name and type.
    pub columns: Vec<(String, Option<DataType>)>,
    /// The declared type (`integer`, `varchar(20)`, …) of each result column that passes a
    /// table column's values on unchanged; `None`, or missing at the end, where there is
    /// none. Its storage type is always the column's type above.
    pub declared: Vec<Option<braid_engine::DeclaredType>>,
    /// The declared type each parameter takes from the column it is compared with or
    /// stored into (`id = $1` on an `integer` column: `integer`), where there is one; its
    /// storage type is the parameter's type above, where that is known.
    pub params_declared: Vec<Option<braid_engine::DeclaredType>>,
}

impl Description {
    /// The declared type of parameter `i` (from 0), if it has one.
    pub fn param_declared(&self, i: usize) -> Option<braid_engine::DeclaredType> {
        self.params_declared.get(i).copied().flatten()
    }

    /// The declared type of result column `i`, if it has one.
    pub fn declared(&self, i: usize) -> Option<braid_engine::DeclaredType> {
        self.declared.get(i).copied().flatten()
    }
}

impl Statement {
    /// What this statement takes and returns, before it runs.
    pub fn describe(&self) -> Description {
        let mut cx = Context::default();
        let columns = match self {
            Statement::Query { plan, columns } => zip_names(columns, cx.plan(plan)),
            Statement::Insert { table, source, returning, .. } => {
                let types: Vec<_> = table.columns.iter().map(|c| Known(c.data_type)).collect();
                cx.targets(source, &types);
                cx.plan(source);
                cx.returning(returning, &types)
            }
            Statement::Update { table, source, assignments, returning, .. } => {
                let input = cx.plan(source);
                for (column, expr) in assignments {
                    cx.expr(expr, &input);
                    cx.constrain(expr, Known(table.columns[*column].data_type));
                }
                let types: Vec<_> = table.columns.iter().map(|c| Known(c.data_type)).collect();
                cx.returning(returning, &types)
            }
            Statement::Delete { source, returning, .. } => {
                let input = cx.plan(source);
                cx.returning(returning, &input)
            }
            Statement::Explain { .. } => vec![("QUERY PLAN".to_string(), Some(DataType::Text))],
            _ => vec![],
        };
        let count = cx.params.keys().map(|&i| i + 1).max().unwrap_or(0).max(cx.max_param);
        let params: Vec<Option<DataType>> = (0..count).map(|i| cx.params.get(&i).and_then(|t| t.known())).collect();
        let found = super::declared::params(self);
        let params_declared = params
            .iter()
            .enumerate()
            .map(|(i, t)| {
                // Over what inference found, or where it found nothing.
                found.get(&i).copied().filter(|d| t.is_none_or(|t| crate::value::declared::storage(*d) == t))
            })
            .collect();
        let declared = self.declared_columns();
        // A declared type stands only over the storage type inference found.
        let declared = columns
            .iter()
            .zip(declared)
            .map(|((_, t), d)| d.filter(|d| Some(crate::value::declared::storage(*d)) == *t))
            .collect();
        Description { params, columns, declared, params_declared }
    }

    /// The declared types of the result columns (see [`super::declared`]).
    fn declared_columns(&self) -> Vec<Option<braid_engine::DeclaredType>> {
        use super::declared;
        let returning = |returning: &Option<(Vec<Expr>, Vec<String>)>, row: Vec<_>| match returning {
            Some((exprs, _)) => exprs.iter().map(|e| declared::expr(e, &row)).collect(),
            None => vec![],
        };
        match self {
            Statement::Query { plan, .. } => declared::columns(plan).unwrap_or_default(),
            Statement::Insert { table, returning: r, .. }
            | Statement::Update { table, returning: r, .. }
            | Statement::Delete { table, returning: r, .. } => returning(r, declared::table_row(table)),
            _ => vec![],
        }
    }
}

/// Calls `note` with each expression of an INSERT's `source` that becomes a column of the
/// new rows, and what `row` (one entry per table column) says of that column; expressions
/// under a projection are followed to the VALUES they read. `unknown`: what a column no
/// projection names is.
pub(super) fn insert_targets<T: Copy>(source: &Plan, row: &[T], unknown: T, note: &mut dyn FnMut(&Expr, T)) {
    match source {
        Plan::Values { rows, .. } => {
            for values in rows {
                values.iter().zip(row).for_each(|(e, &t)| note(e, t));
            }
        }
        Plan::Project { input, exprs } => {
            let mut below = vec![unknown; input.width()];
            for (e, &t) in exprs.iter().zip(row) {
                note(e, t);
                if let Expr::Column { depth: 0, index, .. } = e
                    && let Some(slot) = below.get_mut(*index)
                {
                    *slot = t;
                }
            }
            insert_targets(input, &below, unknown, note);
        }
        Plan::With { input, .. } | Plan::Limit { input, .. } | Plan::Sort { input, .. } | Plan::Distinct { input } => {
            insert_targets(input, row, unknown, note)
        }
        _ => {}
    }
}

/// The type of expression `e` over the rows of `input`, if it has one.
pub(crate) fn expr_type(input: &Plan, e: &Expr) -> Option<DataType> {
    let mut cx = Context::default();
    let row = cx.plan(input);
    cx.expr(e, &row).known()
}

impl Plan {
    /// The type of each output column, `None` where no single type is certain.
    pub fn column_types(&self) -> Vec<Option<DataType>> {
        Context::default().plan(self).into_iter().map(Inferred::known).collect()
    }
}

fn zip_names(names: &[String], types: Vec<Inferred>) -> Vec<(String, Option<DataType>)> {
    names.iter().cloned().zip(types.into_iter().map(Inferred::known)).collect()
}

/// The state of one inference: CTE column types by id, and what the parameters must be.
#[derive(Default)]
struct Context {
    ctes: HashMap<usize, Vec<Inferred>>,
    params: HashMap<usize, Inferred>,
    /// One past the highest parameter position seen, constrained or not.
    max_param: usize,
}

impl Context {
    /// The output types of `plan`, noting parameter constraints on the way.
    fn plan(&mut self, plan: &Plan) -> Vec<Inferred> {
        match plan {
            Plan::Values { rows, width } => {
                let mut types = vec![Null; *width];
                for row in rows {
                    for (t, e) in types.iter_mut().zip(row) {
                        *t = t.or(self.expr(e, &[]));
                    }
                }
                types
            }
            Plan::Scan { table, rowids, .. } => {
                for bound in [&rowids.0, &rowids.1] {
                    if let std::ops::Bound::Included(e) | std::ops::Bound::Excluded(e) = bound {
                        self.constrain(e, Known(DataType::Integer));
                    }
                }
                table_row(table)
            }
            Plan::IndexScan { table, range, .. } => {
                let exprs: Vec<&Expr> = match range {
                    IndexRange::Range { equal, lower, upper } => {
                        let bounds = [lower, upper].into_iter().filter_map(|b| match b {
                            std::ops::Bound::Included(e) | std::ops::Bound::Excluded(e) => Some(e),
                            std::ops::Bound::Unbounded => None,
                        });
                        equal.iter().chain(bounds).collect()
                    }
                    IndexRange::In(values) => values.iter().collect(),
                    IndexRange::All { .. } => vec![],
                };
                for e in exprs {
                    self.expr(e, &[]);
                }
                table_row(table)
            }
            Plan::Filter { input, predicate } => {
                let types = self.plan(input);
                self.expr(predicate, &types);
                types
            }
            Plan::Project { input, exprs } => {
                let types = self.plan(input);
                exprs.iter().map(|e| self.expr(e, &types)).collect()
            }
            Plan::Aggregate { input, group_by, aggregates } => {
                let types = self.plan(input);
                let mut out: Vec<_> = group_by.iter().map(|e| self.expr(e, &types)).collect();
                out.extend(aggregates.iter().map(|a| self.aggregate(a, &types)));
                out
            }
            Plan::NestedLoopJoin { left, right, on, .. } => {
                let mut types = self.plan(left);
                types.extend(self.plan(right));
                if let Some(on) = on {
                    self.expr(on, &types);
                }
                types
            }
            Plan::HashJoin { left, right, left_keys, right_keys, residual, .. } => {
                let l = self.plan(left);
                let r = self.plan(right);
                left_keys.iter().for_each(|e| _ = self.expr(e, &l));
                right_keys.iter().for_each(|e| _ = self.expr(e, &r));
                let mut types = l;
                types.extend(r);
                if let Some(residual) = residual {
                    self.expr(residual, &types);
                }
                types
            }
            Plan::Sort { input, keys } => {
                let types = self.plan(input);
                keys.iter().for_each(|k| _ = self.expr(&k.expr, &types));
                types
            }
            Plan::ProjectSet { input, calls } => {
                let mut types = self.plan(input);
                for (f, args) in calls {
                    args.iter().for_each(|a| _ = self.expr(a, &types));
                    types.push(Known(f.column_type()));
                }
                types
            }
            Plan::Window { input, calls } => {
                let mut types = self.plan(input);
                let added: Vec<_> = calls.iter().map(|c| self.window(c, &types)).collect();
                types.extend(added);
                types
            }
            Plan::Limit { input, limit, offset } => {
                for e in limit.iter().chain(offset) {
                    self.constrain(e, Known(DataType::Integer));
                }
                self.plan(input)
            }
            Plan::TopN { input, keys, limit, offset } => {
                for e in std::iter::once(limit).chain(offset) {
                    self.constrain(e, Known(DataType::Integer));
                }
                let types = self.plan(input);
                keys.iter().for_each(|k| _ = self.expr(&k.expr, &types));
                types
            }
            Plan::Distinct { input } => self.plan(input),
            Plan::SetOp { left, right, .. } => {
                let l = self.plan(left);
                let r = self.plan(right);
                l.into_iter().zip(r).map(|(a, b)| a.or(b)).collect()
            }
            Plan::CteRef { id, width, .. } => self.ctes.get(id).cloned().unwrap_or_else(|| vec![Any; *width]),
            Plan::SystemScan { table, .. } => {
                table.columns.iter().map(|(_, t)| Known(*t)).chain([Known(DataType::Integer)]).collect()
            }
            Plan::TableFunction { function, args, width, ordinality } => {
                args.iter().for_each(|e| _ = self.expr(e, &[]));
                let mut types = vec![Known(function.column_type()); *width - *ordinality as usize];
                types.extend(ordinality.then_some(Known(DataType::Integer)));
                types
            }
            Plan::With { ctes, input } => {
                for cte in ctes {
                    let mut types = self.plan(&cte.plan);
                    if let Some((recursive, _)) = &cte.recursive {
                        // The recursive part reads the first part's types; what it adds
                        // may widen them.
                        self.ctes.insert(cte.id, types.clone());
                        let more = self.plan(recursive);
                        types = types.into_iter().zip(more).map(|(a, b)| a.or(b)).collect();
                    }
                    if let Some(limit) = &cte.limit {
                        self.constrain(limit, Known(DataType::Integer));
                    }
                    self.ctes.insert(cte.id, types);
                }
                self.plan(input)
            }
        }
    }

    /// The columns `RETURNING` gives, over the rows of `input`.
    fn returning(
        &mut self,
        returning: &Option<(Vec<Expr>, Vec<String>)>,
        input: &[Inferred],
    ) -> Vec<(String, Option<DataType>)> {
        let Some((exprs, names)) = returning else { return vec![] };
        let types = exprs.iter().map(|e| self.expr(e, input)).collect();
        zip_names(names, types)
    }

    /// Notes that the parameters an INSERT's source puts in each column must have that
    /// column's type, following the source's projections down to its VALUES rows.
    fn targets(&mut self, source: &Plan, types: &[Inferred]) {
        insert_targets(source, types, Any, &mut |e, t| self.constrain(e, t));
    }

    /// If `expr` is a parameter (under conversions that keep its value), it must be `ty`.
    fn constrain(&mut self, expr: &Expr, ty: Inferred) {
        match expr {
            Expr::Param(Param::Position(i)) => {
                self.max_param = self.max_param.max(i + 1);
                if matches!(ty, Known(_)) {
                    let slot = self.params.entry(*i).or_insert(Null);
                    *slot = slot.or(ty);
                }
            }
            Expr::Affinity(inner, _) => self.constrain(inner, ty),
            Expr::Function(ScalarFunction::Likely, args) if args.len() == 1 => self.constrain(&args[0], ty),
            _ => {}
        }
    }

    /// Constrains each parameter among `exprs` to the type of the others.
    fn unify(&mut self, exprs: &[&Expr], input: &[Inferred]) -> Inferred {
        let types: Vec<Inferred> = exprs.iter().map(|e| self.expr(e, input)).collect();
        let common = types.iter().filter(|t| **t != Any).fold(Null, |a, &b| a.or(b));
        if let Known(_) = common {
            for e in exprs {
                self.constrain(e, common);
            }
        }
        common
    }

    /// The type of `expr` over a row of `input` types, noting parameter constraints.
    fn expr(&mut self, expr: &Expr, input: &[Inferred]) -> Inferred {
        use DataType::{Boolean, Integer, Real, Text};
        match expr {
            Expr::Literal(v) => v.data_type().map_or(Null, Known),
            Expr::Column { depth: 0, index, .. } => input.get(*index).copied().unwrap_or(Any),
            Expr::Column { .. } => Any,
            Expr::Param(Param::Position(i)) => {
                self.max_param = self.max_param.max(i + 1);
                self.params.get(i).copied().unwrap_or(Any)
            }
            Expr::Param(Param::Name(_)) => Any,
            Expr::Not(e) => {
                self.expr(e, input);
                Known(Boolean)
            }
            Expr::Negate(e) => match self.expr(e, input) {
                t @ Known(Integer | Real | DataType::Numeric) => t,
                Null => Null,
                _ => Any,
            },
            Expr::BitNot(e) => {
                self.expr(e, input);
                Known(Integer)
            }
            Expr::Arith(op, a, b) => self.arith(*op, a, b, input),
            Expr::Compare(_, a, b) | Expr::Is { left: a, right: b, .. } => {
                self.unify(&[a, b], input);
                Known(Boolean)
            }
            Expr::And(a, b) | Expr::Or(a, b) => {
                self.expr(a, input);
                self.expr(b, input);
                Known(Boolean)
            }
            Expr::IsNull { expr, .. } => {
                self.expr(expr, input);
                Known(Boolean)
            }
            Expr::Between { expr, low, high, .. } => {
                self.unify(&[expr, low, high], input);
                Known(Boolean)
            }
            Expr::InList { expr, list, .. } => {
                let mut all: Vec<&Expr> = vec![expr];
                all.extend(list);
                self.unify(&all, input);
                Known(Boolean)
            }
            Expr::InSubquery { expr, subquery, .. } => {
                self.expr(expr, input);
                if let Some(&first) = self.plan(&subquery.plan).first() {
                    self.constrain(expr, first);
                }
                Known(Boolean)
            }
            Expr::Exists { subquery, .. } => {
                self.plan(&subquery.plan);
                Known(Boolean)
            }
            Expr::ScalarSubquery(subquery) => self.plan(&subquery.plan).first().copied().unwrap_or(Null),
            Expr::Like { expr, pattern, escape, .. } => {
                for e in std::iter::once(&**expr).chain(std::iter::once(&**pattern)).chain(escape.as_deref()) {
                    self.expr(e, input);
                    self.constrain(e, Known(Text));
                }
                Known(Boolean)
            }
            Expr::Case { operand, whens, otherwise } => {
                if let Some(operand) = operand {
                    let mut tests: Vec<&Expr> = vec![operand];
                    tests.extend(whens.iter().map(|(w, _)| w));
                    self.unify(&tests, input);
                } else {
                    whens.iter().for_each(|(w, _)| _ = self.expr(w, input));
                }
                let mut results: Vec<&Expr> = whens.iter().map(|(_, t)| t).collect();
                results.extend(otherwise.as_deref());
                // Without ELSE a CASE may be NULL, which fits any type.
                self.unify(&results, input)
            }
            Expr::Cast(e, ty) => {
                self.expr(e, input);
                self.constrain(e, Known(*ty));
                Known(*ty)
            }
            Expr::Affinity(e, _) => self.expr(e, input),
            Expr::Function(f, args) => self.function(*f, args, input),
            Expr::Aggregate(call) => self.aggregate(call, input),
            Expr::Window(call) => self.window(call, input),
            Expr::SetFunction(f, args) => {
                args.iter().for_each(|a| _ = self.expr(a, input));
                Known(f.column_type())
            }
        }
    }

    fn arith(&mut self, op: BinaryArith, a: &Expr, b: &Expr, input: &[Inferred]) -> Inferred {
        use DataType::{Integer, Text};
        match op {
            BinaryArith::Concat => {
                for e in [a, b] {
                    self.expr(e, input);
                    self.constrain(e, Known(Text));
                }
                Known(Text)
            }
            BinaryArith::BitAnd | BinaryArith::BitOr | BinaryArith::ShiftLeft | BinaryArith::ShiftRight => {
                for e in [a, b] {
                    self.expr(e, input);
                    self.constrain(e, Known(Integer));
                }
                Known(Integer)
            }
            _ => {
                // Dates and times: PostgreSQL's operators on timestamps and intervals.
                use BinaryArith::{Add, Div, Mul, Sub};
                use DataType::{Interval, Timestamp};
                match (op, self.expr(a, input), self.expr(b, input)) {
                    (Sub, Known(Timestamp), Known(Timestamp)) | (Sub, Known(DataType::Time), Known(DataType::Time)) => {
                        return Known(Interval);
                    }
                    (Add | Sub, Known(DataType::Time), Known(Interval) | Known(Text))
                    | (Add, Known(Interval), Known(DataType::Time)) => return Known(DataType::Time),
                    (Add | Sub, Known(Timestamp), Known(Interval) | Known(Text))
                    | (Add, Known(Interval), Known(Timestamp)) => return Known(Timestamp),
                    (Add | Sub, Known(Interval), Known(Interval)) | (Mul | Div, Known(Interval), _) => {
                        return Known(Interval);
                    }
                    (Mul, _, Known(Interval)) => return Known(Interval),
                    _ => {}
                }
                self.arith_numbers(a, b, input)
            }
        }
    }

    /// The type of arithmetic on numbers: the wider of the two.
    fn arith_numbers(&mut self, a: &Expr, b: &Expr, input: &[Inferred]) -> Inferred {
        use DataType::{Integer, Real};
        match self.unify(&[a, b], input) {
            t @ Known(Integer | Real | DataType::Numeric) => t,
            Null => Null,
            _ => Any,
        }
    }

    fn function(&mut self, f: ScalarFunction, args: &[Expr], input: &[Inferred]) -> Inferred {
        use DataType::{Blob, Integer, Real, Text};
        use ScalarFunction as F;
        let types: Vec<Inferred> = args.iter().map(|e| self.expr(e, input)).collect();
        let first = types.first().copied().unwrap_or(Null);
        match f {
            F::Sign if first == Known(DataType::Numeric) => first,
            F::Length | F::Instr | F::Unicode | F::Sign | F::Random => Known(Integer),
            F::Lower
            | F::Upper
            | F::Substr
            | F::Trim
            | F::Ltrim
            | F::Rtrim
            | F::Replace
            | F::TypeOf
            | F::Hex
            | F::Char
            | F::Concat
            | F::Quote
            | F::Version
            | F::ConcatWs => {
                if matches!(f, F::Lower | F::Upper | F::Trim | F::Ltrim | F::Rtrim | F::Replace) {
                    args.iter().for_each(|e| self.constrain(e, Known(Text)));
                }
                if f == F::Substr && first == Known(Blob) { Known(Blob) } else { Known(Text) }
            }
            F::ZeroBlob | F::Unhex => Known(Blob),
            F::CurrentSetting
            | F::SetConfig
            | F::CurrentUser
            | F::SessionUser
            | F::CurrentDatabase
            | F::CurrentSchema
            | F::CurrentSchemas
            | F::QuoteIdent
            | F::EncodingToChar
            | F::Description
            | F::FormatType
            | F::GetExpr => Known(Text),
            F::ArrayLength | F::ArrayLower | F::Cardinality => Known(Integer),
            F::Nextval | F::Currval | F::Setval | F::Lastval => Known(Integer),
            F::SequenceColumn => Any,
            F::RelationSize | F::IndexesSize | F::TotalRelationSize | F::DatabaseSize => Known(Integer),
            F::BackendPid | F::ToRegType | F::ToRegClass | F::RegClass | F::RegType | F::RegNamespace => Known(Integer),
            F::Now | F::ClockTimestamp | F::CurrentDate => Known(DataType::Timestamp),
            F::IsVisible
            | F::TableIsVisible
            | F::HasPrivilege(_)
            | F::RegexMatch
            | F::InRecovery
            | F::ArrayContains
            | F::Publishable => Known(DataType::Boolean),
            F::Time(t) => Known(t.returns(types.get(1).copied().and_then(Inferred::known))),
            F::Json(j) => match j.returns() {
                crate::functions::JsonReturns::Json(_) | crate::functions::JsonReturns::Text => Known(Text),
                crate::functions::JsonReturns::Integer => Known(Integer),
                crate::functions::JsonReturns::Boolean => Known(DataType::Boolean),
            },
            F::RegClassName
            | F::RegTypeName
            | F::RegNamespaceName
            | F::SizePretty
            | F::Subscript
            | F::RegProc
            | F::QuoteLiteral
            | F::GetViewDef
            | F::TablespaceLocation
            | F::SerialSequence
            | F::FunctionInfo
            | F::GetUserById
            | F::ArrayToString
            | F::ArrayIn
            | F::ArrayRemove
            | F::AclDefault
            | F::GetTriggerDef
            | F::GetIndexDef
            | F::GetConstraintDef => Known(Text),
            F::Round | F::Trunc | F::Ceil | F::Floor if first == Known(DataType::Numeric) => first,
            F::Round | F::Trunc | F::Ceil | F::Floor => Known(Real),
            F::NumericTypmod => Known(DataType::Numeric),
            F::Int4 | F::Int2 | F::IntegerResult => Known(Integer),
            F::Uuid | F::PgTypeOf => Known(Text),
            F::Abs => match first {
                Known(Integer | Real | DataType::Numeric) | Null => first,
                _ => Any,
            },
            F::Likely | F::NullIf => first,
            F::Coalesce | F::IfNull | F::Greatest | F::Least => {
                let refs: Vec<&Expr> = args.iter().collect();
                self.unify(&refs, input)
            }
            F::Iif => {
                let refs: Vec<&Expr> = args.iter().skip(1).collect();
                self.unify(&refs, input)
            }
        }
    }

    fn aggregate(&mut self, call: &AggregateCall, input: &[Inferred]) -> Inferred {
        let types: Vec<Inferred> = call.args.iter().map(|e| self.expr(e, input)).collect();
        if let Some(filter) = &call.filter {
            self.expr(filter, input);
        }
        aggregate_type(call.function, types.first().copied().unwrap_or(Null))
    }

    fn window(&mut self, call: &WindowCall, input: &[Inferred]) -> Inferred {
        use DataType::{Integer, Real};
        let types: Vec<Inferred> = call.args.iter().map(|e| self.expr(e, input)).collect();
        call.partition_by.iter().for_each(|e| _ = self.expr(e, input));
        call.order_by.iter().for_each(|k| _ = self.expr(&k.expr, input));
        let first = types.first().copied().unwrap_or(Null);
        match call.function {
            WindowFunction::RowNumber | WindowFunction::Rank | WindowFunction::DenseRank | WindowFunction::Ntile => {
                Known(Integer)
            }
            WindowFunction::PercentRank | WindowFunction::CumeDist => Known(Real),
            WindowFunction::Lag | WindowFunction::Lead => first.or(types.get(2).copied().unwrap_or(Null)),
            WindowFunction::FirstValue | WindowFunction::LastValue | WindowFunction::NthValue => first,
            WindowFunction::Aggregate(f) => aggregate_type(f, first),
        }
    }
}

/// The result type of aggregate `f` over values of type `arg`.
fn aggregate_type(f: AggregateFunction, arg: Inferred) -> Inferred {
    use DataType::{Integer, Real, Text};
    match f {
        AggregateFunction::Count => Known(Integer),
        AggregateFunction::Avg if matches!(arg, Known(DataType::Numeric | DataType::Interval)) => arg,
        AggregateFunction::Avg if arg == Known(Integer) => Known(DataType::Numeric),
        AggregateFunction::Total | AggregateFunction::Avg => Known(Real),
        AggregateFunction::Sum => match arg {
            Known(Integer) => Known(Integer),
            Known(DataType::Numeric | DataType::Interval) => arg,
            Known(Real) | Null => Known(Real),
            // sum() of text that looks like numbers is a number of either kind.
            _ => Any,
        },
        AggregateFunction::Min | AggregateFunction::Max | AggregateFunction::AnyValue => arg,
        AggregateFunction::GroupConcat | AggregateFunction::ArrayAgg | AggregateFunction::ArrayOf => Known(Text),
        AggregateFunction::BoolAnd | AggregateFunction::BoolOr => Known(DataType::Boolean),
        AggregateFunction::JsonAgg(_) | AggregateFunction::JsonObjectAgg(_) => Known(Text),
    }
}

/// A table row as scans produce it: the columns, then the rowid.
fn table_row(table: &braid_engine::TableDef) -> Vec<Inferred> {
    table.columns.iter().map(|c| Known(c.data_type)).chain(std::iter::once(Known(DataType::Integer))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lattice_widens_integer_to_real_and_gives_up_on_mixed() {
        assert_eq!(Null.or(Known(DataType::Text)), Known(DataType::Text));
        assert_eq!(Known(DataType::Integer).or(Known(DataType::Real)), Known(DataType::Real));
        assert_eq!(Known(DataType::Integer).or(Known(DataType::Text)), Any);
        assert_eq!(Any.or(Null), Any);
    }

    #[test]
    fn sum_of_integers_is_an_integer_and_of_reals_a_real() {
        assert_eq!(aggregate_type(AggregateFunction::Sum, Known(DataType::Integer)), Known(DataType::Integer));
        assert_eq!(aggregate_type(AggregateFunction::Sum, Known(DataType::Real)), Known(DataType::Real));
        assert_eq!(aggregate_type(AggregateFunction::Sum, Known(DataType::Text)), Any);
    }
}
