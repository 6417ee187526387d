//! Plans: what a statement does, as a tree of our own types.
//!
//! The binder turns a parsed statement into a [`Statement`]; queries become a [`Plan`],
//! a tree of relational operators whose leaves read tables. The optimizer rewrites plans
//! (`optimize/`); the executor runs them (`execute/`), one operator per node.
//! `Display` of a plan is the EXPLAIN text, one node per line, children indented.

pub(crate) mod declared;
mod expr;
pub mod foreign_keys;
mod statement;
mod types;

use std::fmt;
use std::ops::Bound;
use std::sync::Arc;

use braid_engine::TableDef;

pub use self::expr::{
    AggregateCall, CmpOp, Expr, Frame, FrameBound, Matching, Param, Subquery, WindowCall, WindowFunction,
};
pub use self::statement::{
    AlterOp, ColumnChange, Conflict, Grant, GrantObjects, RoleOptions, SequenceChange, Statement, TransactionOp, Upsert,
};
pub use self::types::Description;
pub(crate) use self::types::expr_type;

/// How two inputs are joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    Inner,
    Left,
    Right,
    Full,
}

/// A compound-select operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOp {
    Union,
    Intersect,
    Except,
}

/// One ORDER BY term: an expression over the input row.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    pub expr: Expr,
    pub descending: bool,
    pub nulls_first: bool,
}

/// Which entries of an index a scan reads.
#[derive(Debug, Clone)]
pub enum IndexRange {
    /// Entries whose leading columns equal these values, or lie between two bounds on the
    /// next column after them.
    Range { equal: Vec<Expr>, lower: Bound<Expr>, upper: Bound<Expr> },
    /// Entries whose first column equals any of the values (IN lists).
    In(Vec<Expr>),
    /// Every entry, the first column's NULLs read before (`nulls_first`) or after the
    /// others whichever way the scan runs: PostgreSQL's NULL placement in ORDER BY, which
    /// the key order (NULL lowest) gives only to DESC NULLS LAST and ASC NULLS FIRST.
    All { nulls_first: bool },
}

/// A relational operator tree. Every node produces rows of a fixed width.
#[derive(Debug, Clone)]
pub enum Plan {
    /// Literal rows (`VALUES`, or one empty row for a SELECT without FROM).
    Values {
        rows: Vec<Vec<Expr>>,
        width: usize,
    },
    /// The rows of a set-returning function in FROM (`generate_series`, `unnest`), its
    /// arguments evaluated when the scan starts. `WITH ORDINALITY` appends each row's
    /// number, from 1 (it is counted in `width`).
    TableFunction {
        function: crate::functions::TableFunction,
        args: Vec<Expr>,
        width: usize,
        ordinality: bool,
    },
    /// Rows of a table in rowid order: its columns, then the rowid. With `read`, only
    /// those columns are decoded; the others are NULL (nothing above reads them).
    Scan {
        table: Arc<TableDef>,
        alias: Arc<str>,
        rowids: (Bound<Expr>, Bound<Expr>),
        reverse: bool,
        read: Option<Vec<usize>>,
    },
    /// Rows of a table found through an index: its columns, then the rowid.
    IndexScan {
        table: Arc<TableDef>,
        alias: Arc<str>,
        index: String,
        range: IndexRange,
        reverse: bool,
        read: Option<Vec<usize>>,
    },
    /// Rows of a system catalog (`pg_catalog.*`, `information_schema.*`), made when the
    /// scan starts from the catalog the transaction sees; `views` are the views with their
    /// columns, worked out by the binder (a plan is made again when the schema changes).
    SystemScan {
        table: &'static crate::source::SystemTable,
        alias: Arc<str>,
        views: Arc<[crate::source::ViewInfo]>,
    },
    Filter {
        input: Box<Plan>,
        predicate: Expr,
    },
    Project {
        input: Box<Plan>,
        exprs: Vec<Expr>,
    },
    /// Groups by `group_by` and outputs the group values, then one column per aggregate.
    Aggregate {
        input: Box<Plan>,
        group_by: Vec<Expr>,
        aggregates: Vec<AggregateCall>,
    },
    NestedLoopJoin {
        left: Box<Plan>,
        right: Box<Plan>,
        kind: JoinKind,
        on: Option<Expr>,
    },
    /// An equi-join: builds a hash table on the right input's keys.
    HashJoin {
        left: Box<Plan>,
        right: Box<Plan>,
        kind: JoinKind,
        left_keys: Vec<Expr>,
        right_keys: Vec<Expr>,
        residual: Option<Expr>,
    },
    Sort {
        input: Box<Plan>,
        keys: Vec<SortKey>,
    },
    /// Set-returning functions of a SELECT list: for each input row, the calls' values side
    /// by side, one output row per value of the longest (the others padded with NULL), each
    /// the input row with one column per call appended. A row whose calls all return
    /// nothing is dropped, as in PostgreSQL.
    ProjectSet {
        input: Box<Plan>,
        calls: Vec<(crate::functions::TableFunction, Vec<Expr>)>,
    },
    /// Appends one column per window function call to each input row.
    Window {
        input: Box<Plan>,
        calls: Vec<WindowCall>,
    },
    /// Keeps the first `limit` rows after skipping `offset` (both constant expressions).
    Limit {
        input: Box<Plan>,
        limit: Option<Expr>,
        offset: Option<Expr>,
    },
    /// The first `limit` rows in `keys` order, without sorting everything.
    TopN {
        input: Box<Plan>,
        keys: Vec<SortKey>,
        limit: Expr,
        offset: Option<Expr>,
    },
    Distinct {
        input: Box<Plan>,
    },
    SetOp {
        op: SetOp,
        all: bool,
        left: Box<Plan>,
        right: Box<Plan>,
    },
    /// A named common table expression's rows, computed once per statement.
    CteRef {
        id: usize,
        name: Arc<str>,
        width: usize,
    },
    /// Defines CTEs for its input: each computed before use. `recursive` CTEs iterate.
    With {
        ctes: Vec<Cte>,
        input: Box<Plan>,
    },
}

/// A common table expression.
#[derive(Debug, Clone)]
pub struct Cte {
    pub id: usize,
    pub name: Arc<str>,
    /// The whole query, or for a recursive CTE its non-recursive part.
    pub plan: Plan,
    /// The recursive part, reading the rows of the previous step through `CteRef { id }`.
    pub recursive: Option<(Plan, bool)>,
    /// A recursive CTE's LIMIT: recursion stops once it has produced this many rows.
    pub limit: Option<Expr>,
}

impl Plan {
    /// The number of columns each row has.
    pub fn width(&self) -> usize {
        match self {
            Plan::Values { width, .. } | Plan::CteRef { width, .. } | Plan::TableFunction { width, .. } => *width,
            // The columns, then `tableoid`.
            Plan::SystemScan { table, .. } => table.columns.len() + 1,
            Plan::Scan { table, .. } | Plan::IndexScan { table, .. } => table.columns.len() + 1,
            Plan::Filter { input, .. }
            | Plan::Sort { input, .. }
            | Plan::Limit { input, .. }
            | Plan::TopN { input, .. }
            | Plan::Distinct { input }
            | Plan::With { input, .. } => input.width(),
            Plan::Project { exprs, .. } => exprs.len(),
            Plan::Window { input, calls } => input.width() + calls.len(),
            Plan::ProjectSet { input, calls } => input.width() + calls.len(),
            Plan::Aggregate { group_by, aggregates, .. } => group_by.len() + aggregates.len(),
            Plan::NestedLoopJoin { left, right, .. } | Plan::HashJoin { left, right, .. } => {
                left.width() + right.width()
            }
            Plan::SetOp { left, .. } => left.width(),
        }
    }

    /// The direct inputs.
    pub fn inputs(&self) -> Vec<&Plan> {
        match self {
            Plan::Values { .. }
            | Plan::TableFunction { .. }
            | Plan::Scan { .. }
            | Plan::IndexScan { .. }
            | Plan::CteRef { .. }
            | Plan::SystemScan { .. } => vec![],
            Plan::Filter { input, .. }
            | Plan::Project { input, .. }
            | Plan::Aggregate { input, .. }
            | Plan::Sort { input, .. }
            | Plan::Window { input, .. }
            | Plan::ProjectSet { input, .. }
            | Plan::Limit { input, .. }
            | Plan::TopN { input, .. }
            | Plan::Distinct { input } => vec![input],
            Plan::With { ctes, input } => {
                let mut v: Vec<&Plan> = Vec::new();
                for c in ctes {
                    v.push(&c.plan);
                    if let Some((r, _)) = &c.recursive {
                        v.push(r);
                    }
                }
                v.push(input);
                v
            }
            Plan::NestedLoopJoin { left, right, .. }
            | Plan::HashJoin { left, right, .. }
            | Plan::SetOp { left, right, .. } => {
                vec![left, right]
            }
        }
    }

    /// The one-line description of this node (without its inputs).
    pub fn describe(&self) -> String {
        let exprs = |es: &[Expr]| es.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(", ");
        let keys = |ks: &[SortKey]| {
            ks.iter()
                .map(|k| format!("{}{}", k.expr, if k.descending { " DESC" } else { "" }))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let bound = |b: &Bound<Expr>, open: &str, closed: &str| match b {
            Bound::Included(e) => format!("{closed}{e}"),
            Bound::Excluded(e) => format!("{open}{e}"),
            Bound::Unbounded => String::new(),
        };
        match self {
            Plan::Values { rows, width } => format!("Values: {} rows of {width} columns", rows.len()),
            Plan::Scan { table, alias, rowids, reverse, read } => {
                let mut s = format!("Scan: {}", table.name);
                if **alias != *table.name {
                    s += &format!(" AS {alias}");
                }
                if !matches!(rowids, (Bound::Unbounded, Bound::Unbounded)) {
                    s += &format!(" rowid {} .. {}", bound(&rowids.0, ">", ">="), bound(&rowids.1, "<", "<="));
                }
                if *reverse {
                    s += " reverse";
                }
                s + &read_columns(table, read)
            }
            Plan::IndexScan { table, alias, index, range, reverse, read } => {
                let mut s = format!("IndexScan: {}", table.name);
                if **alias != *table.name {
                    s += &format!(" AS {alias}");
                }
                s += &format!(" USING {index}");
                match range {
                    IndexRange::In(values) => s += &format!(" IN ({})", exprs(values)),
                    IndexRange::All { nulls_first: true } => s += " nulls first",
                    IndexRange::All { nulls_first: false } => s += " nulls last",
                    IndexRange::Range { equal, lower, upper } => {
                        if !equal.is_empty() {
                            s += &format!(" = ({})", exprs(equal));
                        }
                        let (lo, hi) = (bound(lower, ">", ">="), bound(upper, "<", "<="));
                        if !lo.is_empty() || !hi.is_empty() {
                            s += &format!(" range {lo} .. {hi}");
                        }
                    }
                }
                if *reverse {
                    s += " reverse";
                }
                s + &read_columns(table, read)
            }
            Plan::Filter { predicate, .. } => format!("Filter: {predicate}"),
            Plan::Project { exprs: es, .. } => format!("Project: {}", exprs(es)),
            Plan::Aggregate { group_by, aggregates, .. } => {
                let aggs: Vec<String> =
                    aggregates.iter().map(|a| Expr::Aggregate(Box::new(a.clone())).to_string()).collect();
                let mut s = format!("Aggregate: {}", aggs.join(", "));
                if !group_by.is_empty() {
                    s += &format!(" GROUP BY {}", exprs(group_by));
                }
                s
            }
            Plan::NestedLoopJoin { kind, on, .. } => {
                let mut s = format!("NestedLoopJoin: {kind:?}");
                if let Some(on) = on {
                    s += &format!(" ON {on}");
                }
                s
            }
            Plan::HashJoin { kind, left_keys, right_keys, residual, .. } => {
                let mut s = format!("HashJoin: {kind:?} ({}) = ({})", exprs(left_keys), exprs(right_keys));
                if let Some(r) = residual {
                    s += &format!(" AND {r}");
                }
                s
            }
            Plan::Sort { keys: ks, .. } => format!("Sort: {}", keys(ks)),
            Plan::Window { calls, .. } => {
                let calls: Vec<String> = calls.iter().map(|c| Expr::Window(Box::new(c.clone())).to_string()).collect();
                format!("Window: {}", calls.join(", "))
            }
            Plan::ProjectSet { calls, .. } => {
                let calls: Vec<String> =
                    calls.iter().map(|(f, args)| Expr::SetFunction(*f, args.clone()).to_string()).collect();
                format!("ProjectSet: {}", calls.join(", "))
            }
            Plan::Limit { limit, offset, .. } => {
                let mut s = "Limit:".to_string();
                if let Some(l) = limit {
                    s += &format!(" {l}");
                }
                if let Some(o) = offset {
                    s += &format!(" OFFSET {o}");
                }
                s
            }
            Plan::TopN { keys: ks, limit, offset, .. } => {
                let mut s = format!("TopN: {limit} BY {}", keys(ks));
                if let Some(o) = offset {
                    s += &format!(" OFFSET {o}");
                }
                s
            }
            Plan::Distinct { .. } => "Distinct".to_string(),
            Plan::SetOp { op, all, .. } => format!("{op:?}{}", if *all { " ALL" } else { "" }),
            Plan::CteRef { name, .. } => format!("CteScan: {name}"),
            Plan::TableFunction { function, args, .. } => {
                format!("FunctionScan: {}({} arguments)", function.name(), args.len())
            }
            Plan::SystemScan { table, .. } => format!("SystemScan: {}", table.qualified_name()),
            Plan::With { ctes, .. } => {
                let names: Vec<String> = ctes
                    .iter()
                    .map(|c| format!("{}{}", c.name, if c.recursive.is_some() { " (recursive)" } else { "" }))
                    .collect();
                format!("With: {}", names.join(", "))
            }
        }
    }

    fn fmt_indented(&self, f: &mut fmt::Formatter<'_>, depth: usize) -> fmt::Result {
        writeln!(f, "{:indent$}{}", "", self.describe(), indent = depth * 2)?;
        self.inputs().into_iter().try_for_each(|p| p.fmt_indented(f, depth + 1))
    }
}

/// ` read (a, b)` when a scan decodes only some columns.
fn read_columns(table: &TableDef, read: &Option<Vec<usize>>) -> String {
    match read {
        Some(cols) => {
            let names: Vec<&str> = cols.iter().filter_map(|&c| table.columns.get(c)).map(|c| c.name.as_str()).collect();
            format!(" read ({})", names.join(", "))
        }
        None => String::new(),
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_indented(f, 0)
    }
}

impl Plan {
    /// Rebuilds this node with `f` applied to each direct input.
    pub fn map_inputs(self, f: &mut impl FnMut(Plan) -> Plan) -> Plan {
        let mut b = |p: Box<Plan>| Box::new(f(*p));
        match self {
            Plan::Filter { input, predicate } => Plan::Filter { input: b(input), predicate },
            Plan::Project { input, exprs } => Plan::Project { input: b(input), exprs },
            Plan::Aggregate { input, group_by, aggregates } => {
                Plan::Aggregate { input: b(input), group_by, aggregates }
            }
            Plan::Sort { input, keys } => Plan::Sort { input: b(input), keys },
            Plan::Window { input, calls } => Plan::Window { input: b(input), calls },
            Plan::ProjectSet { input, calls } => Plan::ProjectSet { input: b(input), calls },
            Plan::Limit { input, limit, offset } => Plan::Limit { input: b(input), limit, offset },
            Plan::TopN { input, keys, limit, offset } => Plan::TopN { input: b(input), keys, limit, offset },
            Plan::Distinct { input } => Plan::Distinct { input: b(input) },
            Plan::NestedLoopJoin { left, right, kind, on } => {
                let left = b(left);
                Plan::NestedLoopJoin { left, right: b(right), kind, on }
            }
            Plan::HashJoin { left, right, kind, left_keys, right_keys, residual } => {
                let left = b(left);
                Plan::HashJoin { left, right: b(right), kind, left_keys, right_keys, residual }
            }
            Plan::SetOp { op, all, left, right } => {
                let left = b(left);
                Plan::SetOp { op, all, left, right: b(right) }
            }
            Plan::With { ctes, input } => {
                let ctes = ctes
                    .into_iter()
                    .map(|c| Cte { plan: f(c.plan), recursive: c.recursive.map(|(p, all)| (f(p), all)), ..c })
                    .collect();
                Plan::With { ctes, input: Box::new(f(*input)) }
            }
            leaf => leaf,
        }
    }

    /// Rebuilds this node with `f` applied to each of its own expressions.
    pub fn map_exprs(self, f: &mut impl FnMut(Expr) -> Expr) -> Plan {
        let mut all = |v: Vec<Expr>| v.into_iter().map(&mut *f).collect::<Vec<_>>();
        match self {
            Plan::Values { rows, width } => Plan::Values { rows: rows.into_iter().map(&mut all).collect(), width },
            Plan::TableFunction { function, args, width, ordinality } => {
                Plan::TableFunction { function, args: all(args), width, ordinality }
            }
            Plan::Filter { input, predicate } => Plan::Filter { input, predicate: f(predicate) },
            Plan::Project { input, exprs } => Plan::Project { input, exprs: all(exprs) },
            Plan::ProjectSet { input, calls } => {
                Plan::ProjectSet { input, calls: calls.into_iter().map(|(func, args)| (func, all(args))).collect() }
            }
            Plan::Aggregate { input, group_by, aggregates } => {
                let group_by = all(group_by);
                let aggregates = aggregates
                    .into_iter()
                    .map(|a| AggregateCall {
                        args: a.args.into_iter().map(&mut *f).collect(),
                        filter: a.filter.map(|x| Box::new(f(*x))),
                        ..a
                    })
                    .collect();
                Plan::Aggregate { input, group_by, aggregates }
            }
            Plan::NestedLoopJoin { left, right, kind, on } => Plan::NestedLoopJoin { left, right, kind, on: on.map(f) },
            Plan::Sort { input, keys } => {
                Plan::Sort { input, keys: keys.into_iter().map(|k| SortKey { expr: f(k.expr), ..k }).collect() }
            }
            Plan::Limit { input, limit, offset } => {
                Plan::Limit { input, limit: limit.map(&mut *f), offset: offset.map(f) }
            }
            other => other,
        }
    }
}

/// Rewrites a correlated subquery's references to the row of the query that holds it
/// (`depth` 1 at the subquery's top, one more per nesting level) through `map`.
pub fn remap_outer(s: Subquery, map: &mut dyn FnMut(usize) -> usize) -> Subquery {
    let plan = remap_plan((*s.plan).clone(), 1, map);
    Subquery { plan: std::sync::Arc::new(plan), ..s }
}

fn remap_plan(plan: Plan, level: usize, map: &mut dyn FnMut(usize) -> usize) -> Plan {
    let plan = plan.map_inputs(&mut |p| remap_plan(p, level, map));
    plan.map_exprs(&mut |e| remap_expr(e, level, map))
}

fn remap_expr(e: Expr, level: usize, map: &mut dyn FnMut(usize) -> usize) -> Expr {
    let nested = |s: Subquery, map: &mut dyn FnMut(usize) -> usize| {
        let plan = remap_plan((*s.plan).clone(), level + 1, map);
        Subquery { plan: std::sync::Arc::new(plan), ..s }
    };
    e.transform(&mut |x| match x {
        Expr::Column { depth, index, name } if depth == level => Expr::Column { depth, index: map(index), name },
        Expr::InSubquery { expr, subquery, negated } => {
            Expr::InSubquery { expr, subquery: nested(subquery, map), negated }
        }
        Expr::Exists { subquery, negated } => Expr::Exists { subquery: nested(subquery, map), negated },
        Expr::ScalarSubquery(subquery) => Expr::ScalarSubquery(nested(subquery, map)),
        other => other,
    })
}
