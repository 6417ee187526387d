//! Bound expressions: names resolved to row positions, types known where it matters.
//!
//! The binder produces these from sqlparser's AST; nothing of the AST survives. A column
//! is a position in the input row (`depth` 0) or in the row of an enclosing query (`depth`
//! n, for correlated subqueries).

use std::fmt;
use std::sync::Arc;

use braid_engine::{DataType, Value};

use super::Plan;
use crate::functions::{AggregateFunction, ScalarFunction};
use crate::value::{Affinity, BinaryArith};

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
}

impl CmpOp {
    /// The operator with its operands swapped (`a < b` is `b > a`).
    pub fn flip(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::LtEq => CmpOp::GtEq,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::GtEq => CmpOp::LtEq,
            op => op,
        }
    }
}

/// Which pattern language an [`Expr::Like`] speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matching {
    /// PostgreSQL's LIKE (`~~`): `%` and `_`, letters compared exactly, backslash escape.
    Like,
    /// ILIKE (`~~*`): LIKE with letters compared after lower-casing, as PostgreSQL does.
    ILike,
    /// SQLite's GLOB: `*`, `?`, `[…]`, case-sensitive, no escape character.
    Glob,
}

impl Matching {
    /// The operator's keyword, for plans shown by EXPLAIN.
    pub fn keyword(self) -> &'static str {
        match self {
            Matching::Like => "LIKE",
            Matching::ILike => "ILIKE",
            Matching::Glob => "GLOB",
        }
    }
}

/// A window function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowFunction {
    RowNumber,
    Rank,
    DenseRank,
    /// `lag(x [, offset [, default]])`
    Lag,
    /// `lead(x [, offset [, default]])`
    Lead,
    FirstValue,
    LastValue,
    /// `nth_value(x, n)`: the n-th row of the frame.
    NthValue,
    /// `ntile(n)`: the bucket, 1 to n, of the row in its partition.
    Ntile,
    PercentRank,
    CumeDist,
    /// An aggregate over the frame.
    Aggregate(AggregateFunction),
}

impl WindowFunction {
    pub fn name(self) -> &'static str {
        match self {
            WindowFunction::RowNumber => "row_number",
            WindowFunction::Rank => "rank",
            WindowFunction::DenseRank => "dense_rank",
            WindowFunction::Lag => "lag",
            WindowFunction::Lead => "lead",
            WindowFunction::FirstValue => "first_value",
            WindowFunction::LastValue => "last_value",
            WindowFunction::NthValue => "nth_value",
            WindowFunction::Ntile => "ntile",
            WindowFunction::PercentRank => "percent_rank",
            WindowFunction::CumeDist => "cume_dist",
            WindowFunction::Aggregate(a) => a.name(),
        }
    }
}

/// One end of a window frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameBound {
    UnboundedPreceding,
    Preceding(u64),
    CurrentRow,
    Following(u64),
    UnboundedFollowing,
}

/// A window frame: ROWS counts rows; RANGE counts peers (rows equal in ORDER BY) as one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    pub rows: bool,
    pub start: FrameBound,
    pub end: FrameBound,
}

/// A window function call with its window, before the planner turns it into a column of a
/// Window node.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowCall {
    pub function: WindowFunction,
    pub args: Vec<Expr>,
    pub distinct: bool,
    pub partition_by: Vec<Expr>,
    pub order_by: Vec<super::SortKey>,
    pub frame: Frame,
}

/// A subquery inside an expression.
#[derive(Debug, Clone)]
pub struct Subquery {
    pub plan: Arc<Plan>,
    /// Refers to columns of enclosing queries, so it runs once per outer row; otherwise it
    /// runs once per statement and its result is cached under `id`.
    pub correlated: bool,
    pub id: usize,
}

/// An aggregate call, before the planner turns it into a column of an Aggregate node.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateCall {
    pub function: AggregateFunction,
    pub args: Vec<Expr>,
    pub distinct: bool,
    /// `FILTER (WHERE …)`: only rows for which it is true are aggregated.
    pub filter: Option<Box<Expr>>,
    /// `ORDER BY` inside the call: one direction per sort key, the keys being the last
    /// `order.len()` entries of `args` (see [`crate::functions::aggregate`]).
    pub order: Vec<crate::functions::KeyOrder>,
}

/// A statement parameter: `$n` / `?` by position (zero-based), `:name` by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    Position(usize),
    Name(Arc<str>),
}

/// An expression over a row. Equality is structural (the binder matches SELECT terms
/// against GROUP BY terms with it).
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Literal(Value),
    /// Column `index` of the row `depth` queries out (0: this query's input row).
    Column {
        depth: usize,
        index: usize,
        name: Arc<str>,
    },
    /// A parameter, read when the statement runs (so a prepared plan is reused).
    Param(Param),
    Not(Box<Expr>),
    Negate(Box<Expr>),
    BitNot(Box<Expr>),
    Arith(BinaryArith, Box<Expr>, Box<Expr>),
    Compare(CmpOp, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    /// `a IS b` (NULL-safe equality); `negated`: `IS NOT` / `IS DISTINCT FROM`.
    Is {
        left: Box<Expr>,
        right: Box<Expr>,
        negated: bool,
    },
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    Between {
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    InSubquery {
        expr: Box<Expr>,
        subquery: Subquery,
        negated: bool,
    },
    Exists {
        subquery: Subquery,
        negated: bool,
    },
    ScalarSubquery(Subquery),
    /// A pattern match: LIKE, ILIKE or GLOB (see [`Matching`]).
    Like {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        escape: Option<Box<Expr>>,
        negated: bool,
        matching: Matching,
    },
    Case {
        operand: Option<Box<Expr>>,
        whens: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
    },
    Cast(Box<Expr>, DataType),
    /// A conversion the binder inserts so that a comparison follows SQLite's affinity rules.
    Affinity(Box<Expr>, Affinity),
    Function(ScalarFunction, Vec<Expr>),
    /// Only between binding and planning: the planner replaces it with a column of the
    /// Aggregate node.
    Aggregate(Box<AggregateCall>),
    /// Only between binding and planning: becomes a column of a Window node.
    Window(Box<WindowCall>),
    /// A set-returning function in a SELECT list (`SELECT unnest(a) …`). Only between
    /// binding and planning: becomes a column of a ProjectSet node.
    SetFunction(crate::functions::TableFunction, Vec<Expr>),
}

impl Expr {
    pub fn column(index: usize, name: impl Into<Arc<str>>) -> Expr {
        Expr::Column { depth: 0, index, name: name.into() }
    }

    pub fn literal(v: impl Into<Value>) -> Expr {
        Expr::Literal(v.into())
    }

    /// Whether the expression reads no row, parameter or subquery: it can be folded.
    pub fn is_constant(&self) -> bool {
        let mut constant = true;
        self.walk(&mut |e| {
            if matches!(
                e,
                Expr::Column { .. }
                    | Expr::Param(_)
                    | Expr::InSubquery { .. }
                    | Expr::Exists { .. }
                    | Expr::ScalarSubquery(_)
                    | Expr::Aggregate(_)
                    | Expr::Window(_)
                    | Expr::SetFunction(..)
            ) || matches!(e, Expr::Function(f, _) if !f.is_deterministic())
            {
                constant = false;
            }
        });
        constant
    }

    /// Whether the expression holds an aggregate call (outside subqueries).
    pub fn has_aggregate(&self) -> bool {
        let mut found = false;
        self.walk(&mut |e| found |= matches!(e, Expr::Aggregate(_)));
        found
    }

    /// Whether the expression holds a window function call.
    pub fn has_window(&self) -> bool {
        let mut found = false;
        self.walk(&mut |e| found |= matches!(e, Expr::Window(_)));
        found
    }

    /// Whether the expression holds a set-returning function call.
    pub fn has_set_function(&self) -> bool {
        let mut found = false;
        self.walk(&mut |e| found |= matches!(e, Expr::SetFunction(..)));
        found
    }

    /// Whether the expression reads columns of this query's row (depth 0).
    pub fn reads_input(&self) -> bool {
        let mut found = false;
        self.walk(&mut |e| found |= matches!(e, Expr::Column { depth: 0, .. }));
        found
    }

    /// Visits this expression and every sub-expression (not into subqueries).
    pub fn walk(&self, f: &mut impl FnMut(&Expr)) {
        f(self);
        self.children().into_iter().for_each(|c| c.walk(f));
    }

    /// The direct sub-expressions.
    pub fn children(&self) -> Vec<&Expr> {
        match self {
            Expr::Literal(_) | Expr::Column { .. } | Expr::Param(_) | Expr::Exists { .. } | Expr::ScalarSubquery(_) => {
                vec![]
            }
            Expr::Not(e) | Expr::Negate(e) | Expr::BitNot(e) | Expr::Cast(e, _) | Expr::Affinity(e, _) => vec![e],
            Expr::IsNull { expr, .. } | Expr::InSubquery { expr, .. } => vec![expr],
            Expr::Arith(_, a, b) | Expr::Compare(_, a, b) | Expr::And(a, b) | Expr::Or(a, b) => vec![a, b],
            Expr::Is { left, right, .. } => vec![left, right],
            Expr::Between { expr, low, high, .. } => vec![expr, low, high],
            Expr::InList { expr, list, .. } => std::iter::once(&**expr).chain(list).collect(),
            Expr::Like { expr, pattern, escape, .. } => {
                let mut v: Vec<&Expr> = vec![expr, pattern];
                v.extend(escape.as_deref());
                v
            }
            Expr::Case { operand, whens, otherwise } => {
                let mut v: Vec<&Expr> = operand.as_deref().into_iter().collect();
                for (w, t) in whens {
                    v.push(w);
                    v.push(t);
                }
                v.extend(otherwise.as_deref());
                v
            }
            Expr::Function(_, args) | Expr::SetFunction(_, args) => args.iter().collect(),
            Expr::Aggregate(call) => call.args.iter().chain(call.filter.as_deref()).collect(),
            Expr::Window(call) => {
                call.args.iter().chain(&call.partition_by).chain(call.order_by.iter().map(|k| &k.expr)).collect()
            }
        }
    }

    /// Rewrites the expression bottom-up (children first, then the node), not into
    /// subqueries.
    pub fn transform(self, f: &mut impl FnMut(Expr) -> Expr) -> Expr {
        fn t(mut e: Box<Expr>, f: &mut impl FnMut(Expr) -> Expr) -> Box<Expr> {
            // Reuses the box: transform the value in place.
            let inner = std::mem::replace(&mut *e, Expr::Literal(Value::Null));
            *e = inner.transform(f);
            e
        }
        let node = match self {
            Expr::Not(e) => Expr::Not(t(e, f)),
            Expr::Negate(e) => Expr::Negate(t(e, f)),
            Expr::BitNot(e) => Expr::BitNot(t(e, f)),
            Expr::Cast(e, ty) => Expr::Cast(t(e, f), ty),
            Expr::Affinity(e, a) => Expr::Affinity(t(e, f), a),
            Expr::IsNull { expr, negated } => Expr::IsNull { expr: t(expr, f), negated },
            Expr::InSubquery { expr, subquery, negated } => Expr::InSubquery { expr: t(expr, f), subquery, negated },
            Expr::Arith(op, a, b) => Expr::Arith(op, t(a, f), t(b, f)),
            Expr::Compare(op, a, b) => Expr::Compare(op, t(a, f), t(b, f)),
            Expr::And(a, b) => Expr::And(t(a, f), t(b, f)),
            Expr::Or(a, b) => Expr::Or(t(a, f), t(b, f)),
            Expr::Is { left, right, negated } => Expr::Is { left: t(left, f), right: t(right, f), negated },
            Expr::Between { expr, low, high, negated } => {
                Expr::Between { expr: t(expr, f), low: t(low, f), high: t(high, f), negated }
            }
            Expr::InList { expr, list, negated } => {
                let expr = t(expr, f);
                Expr::InList { expr, list: list.into_iter().map(|e| e.transform(f)).collect(), negated }
            }
            Expr::Like { expr, pattern, escape, negated, matching } => {
                let (expr, pattern) = (t(expr, f), t(pattern, f));
                Expr::Like { expr, pattern, escape: escape.map(|e| t(e, f)), negated, matching }
            }
            Expr::Case { operand, whens, otherwise } => Expr::Case {
                operand: operand.map(|o| t(o, f)),
                whens: whens.into_iter().map(|(w, r)| (w.transform(f), r.transform(f))).collect(),
                otherwise: otherwise.map(|o| t(o, f)),
            },
            Expr::Function(func, args) => Expr::Function(func, args.into_iter().map(|e| e.transform(f)).collect()),
            Expr::SetFunction(func, args) => {
                Expr::SetFunction(func, args.into_iter().map(|e| e.transform(f)).collect())
            }
            Expr::Aggregate(mut call) => {
                call.args = std::mem::take(&mut call.args).into_iter().map(|e| e.transform(f)).collect();
                call.filter = call.filter.take().map(|e| t(e, f));
                Expr::Aggregate(call)
            }
            Expr::Window(mut call) => {
                call.args = std::mem::take(&mut call.args).into_iter().map(|e| e.transform(f)).collect();
                call.partition_by =
                    std::mem::take(&mut call.partition_by).into_iter().map(|e| e.transform(f)).collect();
                for k in &mut call.order_by {
                    k.expr = std::mem::replace(&mut k.expr, Expr::Literal(Value::Null)).transform(f);
                }
                Expr::Window(call)
            }
            leaf => leaf,
        };
        f(node)
    }

    /// Splits a conjunction into its terms.
    pub fn conjuncts(self) -> Vec<Expr> {
        match self {
            Expr::And(a, b) => {
                let mut v = a.conjuncts();
                v.extend(b.conjuncts());
                v
            }
            e => vec![e],
        }
    }

    /// Joins terms with AND (`None` for no terms).
    pub fn and_all(terms: impl IntoIterator<Item = Expr>) -> Option<Expr> {
        terms.into_iter().reduce(|a, b| Expr::And(Box::new(a), Box::new(b)))
    }
}

/// Subqueries are equal when they are the same subquery of the statement.
impl PartialEq for Subquery {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl fmt::Display for CmpOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CmpOp::Eq => "=",
            CmpOp::NotEq => "<>",
            CmpOp::Lt => "<",
            CmpOp::LtEq => "<=",
            CmpOp::Gt => ">",
            CmpOp::GtEq => ">=",
        })
    }
}

fn list(f: &mut fmt::Formatter<'_>, items: &[Expr]) -> fmt::Result {
    for (i, e) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{e}")?;
    }
    Ok(())
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let not = |negated: &bool| if *negated { "NOT " } else { "" };
        match self {
            Expr::Literal(v) => write!(f, "{v}"),
            Expr::Function(ScalarFunction::IntegerResult, args) if args.len() == 1 => write!(f, "{}", args[0]),
            Expr::Column { depth: 0, name, .. } => write!(f, "{name}"),
            Expr::Column { depth, name, .. } => write!(f, "outer{depth}.{name}"),
            Expr::Param(Param::Position(i)) => write!(f, "${}", i + 1),
            Expr::Param(Param::Name(n)) => write!(f, ":{n}"),
            Expr::Not(e) => write!(f, "NOT {e}"),
            Expr::Negate(e) => write!(f, "-{e}"),
            Expr::BitNot(e) => write!(f, "~{e}"),
            Expr::Arith(op, a, b) => write!(f, "({a} {} {b})", op.symbol()),
            Expr::Compare(op, a, b) => write!(f, "{a} {op} {b}"),
            Expr::And(a, b) => write!(f, "({a} AND {b})"),
            Expr::Or(a, b) => write!(f, "({a} OR {b})"),
            Expr::Is { left, right, negated } => write!(f, "{left} IS {}{right}", not(negated)),
            Expr::IsNull { expr, negated } => write!(f, "{expr} IS {}NULL", not(negated)),
            Expr::Between { expr, low, high, negated } => write!(f, "{expr} {}BETWEEN {low} AND {high}", not(negated)),
            Expr::InList { expr, list: items, negated } => {
                write!(f, "{expr} {}IN (", not(negated))?;
                list(f, items)?;
                f.write_str(")")
            }
            Expr::InSubquery { expr, subquery, negated } => {
                write!(f, "{expr} {}IN (subquery {})", not(negated), subquery.id)
            }
            Expr::Exists { subquery, negated } => write!(f, "{}EXISTS (subquery {})", not(negated), subquery.id),
            Expr::ScalarSubquery(s) => write!(f, "(subquery {})", s.id),
            Expr::Like { expr, pattern, negated, matching, .. } => {
                write!(f, "{expr} {}{} {pattern}", not(negated), matching.keyword())
            }
            Expr::Case { operand, whens, otherwise } => {
                f.write_str("CASE")?;
                if let Some(o) = operand {
                    write!(f, " {o}")?;
                }
                for (w, t) in whens {
                    write!(f, " WHEN {w} THEN {t}")?;
                }
                if let Some(e) = otherwise {
                    write!(f, " ELSE {e}")?;
                }
                f.write_str(" END")
            }
            Expr::Cast(e, t) => write!(f, "CAST({e} AS {t})"),
            Expr::Affinity(e, _) => write!(f, "{e}"),
            Expr::Function(func, args) => {
                write!(f, "{}(", func.name())?;
                list(f, args)?;
                f.write_str(")")
            }
            Expr::SetFunction(func, args) => {
                write!(f, "{}(", func.name())?;
                list(f, args)?;
                f.write_str(")")
            }
            Expr::Aggregate(call) if call.args.is_empty() => write!(f, "{}(*)", call.function.name()),
            Expr::Aggregate(call) => {
                write!(f, "{}({}", call.function.name(), if call.distinct { "DISTINCT " } else { "" })?;
                list(f, &call.args)?;
                f.write_str(")")
            }
            Expr::Window(call) => {
                write!(f, "{}(", call.function.name())?;
                list(f, &call.args)?;
                f.write_str(") OVER (")?;
                if !call.partition_by.is_empty() {
                    f.write_str("PARTITION BY ")?;
                    list(f, &call.partition_by)?;
                }
                if !call.order_by.is_empty() {
                    let keys: Vec<Expr> = call.order_by.iter().map(|k| k.expr.clone()).collect();
                    f.write_str(if call.partition_by.is_empty() { "ORDER BY " } else { " ORDER BY " })?;
                    list(f, &keys)?;
                }
                f.write_str(")")
            }
        }
    }
}
