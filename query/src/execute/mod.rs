//! Execution: runs a bound statement in a transaction.
//!
//! Queries are optimized, built into operators and pulled batch by batch. Writes first
//! read every row they will change (so `INSERT INTO t SELECT … FROM t` sees only what was
//! there before it), then apply them through the engine, which keeps indexes in step and
//! checks NOT NULL and UNIQUE. DDL goes straight to the engine's catalog.

mod context;
mod ddl;
mod eval;
mod foreign_keys;
pub(crate) mod interrupt;
pub(crate) mod like;
mod operators;
mod schema;
mod write;

use braid_engine::{Txn, Value};

use std::collections::HashMap;
use std::sync::Arc;

use self::context::{Ctx, NodeStats, Row, Shared};
use crate::connection::ParamValues;
use crate::error::Result;
use crate::optimize;
use crate::plan::{Plan, Statement};
use crate::rows::ResultRows;
use crate::session::Session;
use crate::value::zone::Zone;

/// What a statement produced.
#[derive(Debug)]
pub(crate) enum Outcome {
    Rows { columns: Arc<[String]>, rows: ResultRows },
    Changed(u64),
    Done,
}

/// Optimizes the plans of a bound statement (once per prepared statement), constants
/// folded in the session's time zone `zone`.
pub(crate) fn prepare(statement: Statement, txn: &Txn, zone: Zone) -> Statement {
    match statement {
        Statement::Query { plan, columns } => Statement::Query { plan: optimize::optimize(plan, txn, zone), columns },
        Statement::Insert { table, source, conflict, upsert, returning, checks, foreign_keys } => {
            let source = optimize::optimize(source, txn, zone);
            Statement::Insert { table, source, conflict, upsert, returning, checks, foreign_keys }
        }
        Statement::Update { table, source, assignments, conflict, returning, checks, foreign_keys } => {
            let source = optimize::optimize(source, txn, zone);
            Statement::Update { table, source, assignments, conflict, returning, checks, foreign_keys }
        }
        Statement::Delete { table, source, returning, foreign_keys } => {
            Statement::Delete { table, source: optimize::optimize(source, txn, zone), returning, foreign_keys }
        }
        Statement::Explain { statement, analyze } => {
            Statement::Explain { statement: Box::new(prepare(*statement, txn, zone)), analyze }
        }
        other => other,
    }
}

/// Runs a prepared statement.
pub(crate) fn run(statement: &Statement, txn: &mut Txn, params: &ParamValues, session: &Session) -> Result<Outcome> {
    match statement {
        Statement::Query { plan, columns } => {
            let rows = query_rows(plan, txn, params, session)?;
            Ok(Outcome::Rows { columns: columns.clone(), rows })
        }
        Statement::Insert { .. } | Statement::Update { .. } | Statement::Delete { .. } => {
            write::run(statement, txn, params, session)
        }
        Statement::Explain { statement, analyze } => {
            let text = match statement.as_ref() {
                Statement::Query { plan, .. } if *analyze => analyze_query(plan, txn, params, session)?,
                Statement::Query { plan, .. } => plan.to_string(),
                other => format!("{other:?}\n"),
            };
            let rows = text.lines().map(|l| vec![Value::Text(l.to_string())]).collect();
            Ok(Outcome::Rows { columns: Arc::from(["QUERY PLAN".to_string()]), rows: ResultRows::Nested(rows) })
        }
        Statement::Noop => Ok(Outcome::Done),
        Statement::Transaction(_) => Ok(Outcome::Done),
        ddl_statement => ddl::run(ddl_statement, txn, params, session),
    }
}

/// [`run`], with parameters given to this execution alone: a single-row INSERT moves them
/// into its row.
pub(crate) fn run_given(
    statement: &Statement,
    txn: &mut Txn,
    params: ParamValues,
    session: &Session,
) -> Result<Outcome> {
    match statement {
        Statement::Insert { .. } => write::run_given(statement, txn, params, session),
        _ => run(statement, txn, &params, session),
    }
}

/// Evaluates an expression that reads no row; `None` if that fails. Functions of the
/// session are not constant (`is_deterministic`), so a detached session serves, in the
/// time zone `zone` (what `'2024-07-01'::timestamptz` is read in).
pub(crate) fn eval_constant(e: &crate::plan::Expr, txn: &Txn, zone: Zone) -> Option<Value> {
    let (shared, params, session) = (Shared::default(), ParamValues::default(), Session::detached(zone));
    eval::eval(e, &[], &Ctx::new(txn, &params, &session, &shared)).ok()
}

/// EXPLAIN ANALYZE: runs the query, then prints the plan with each node's rows and time
/// (the time includes the nodes below it).
fn analyze_query(plan: &Plan, txn: &Txn, params: &ParamValues, session: &Session) -> Result<String> {
    let shared = Shared { stats: Some(Default::default()), ..Default::default() };
    let start = std::time::Instant::now();
    let rows = operators::build(plan, &Ctx::new(txn, params, session, &shared))?.collect()?.len();
    let total = start.elapsed();
    let stats = shared.stats.map(|s| s.into_inner()).unwrap_or_default();
    let mut out = String::new();
    annotate(plan, 0, &stats, &mut out);
    out.push_str(&format!("{rows} rows in {total:.3?}\n"));
    Ok(out)
}

/// One line per plan node, indented, with its statistics.
fn annotate(plan: &Plan, depth: usize, stats: &HashMap<usize, NodeStats>, out: &mut String) {
    let s = stats.get(&(plan as *const Plan as usize)).copied().unwrap_or_default();
    let runs = if s.runs > 1 { format!(" loops={}", s.runs) } else { String::new() };
    let line = format!("{} (rows={} time={:.3?}{runs})", plan.describe(), s.rows, s.time);
    out.push_str(&format!("{:indent$}{line}\n", "", indent = depth * 2));
    plan.inputs().into_iter().for_each(|p| annotate(p, depth + 1, stats, out));
}

/// Runs a statement's query plan to completion: through the fused pipeline when the plan
/// is one it runs (see `operators::flat`), else through the operators.
fn query_rows(plan: &Plan, txn: &Txn, params: &ParamValues, session: &Session) -> Result<ResultRows> {
    let shared = Shared::default();
    let ctx = Ctx::new(txn, params, session, &shared);
    if let Some((width, values)) = operators::collect_flat(plan, &ctx)? {
        return Ok(ResultRows::Flat { width, values });
    }
    Ok(ResultRows::Nested(operators::build(plan, &ctx)?.collect()?))
}

/// Runs a query plan to completion.
pub(crate) fn query(plan: &Plan, txn: &Txn, params: &ParamValues, session: &Session) -> Result<Vec<Row>> {
    let shared = Shared::default();
    let ctx = Ctx::new(txn, params, session, &shared);
    operators::build(plan, &ctx)?.collect()
}

/// The key of `row` (a table's columns) in an expression or partial index: `None` when the
/// `predicate` leaves the row out, else the `parts` evaluated (none: the `columns`). The
/// SQL is immutable (checked when the index was made), so no session or parameter counts:
/// it runs in a fresh default session, the way PostgreSQL evaluates index expressions
/// outside any query.
pub(crate) fn index_key(
    txn: &Txn,
    parts: &[crate::plan::Expr],
    predicate: Option<&crate::plan::Expr>,
    columns: &[u32],
    row: &[Value],
) -> Result<Option<Vec<Value>>> {
    static SESSION: std::sync::LazyLock<Session> = std::sync::LazyLock::new(Session::default);
    let (params, shared) = (ParamValues::default(), Shared::default());
    let ctx = Ctx::new(txn, &params, &SESSION, &shared);
    // The row as a table scope sees it: its columns, then its rowid (not known here).
    let mut row = row.to_vec();
    row.push(Value::Null);
    if let Some(predicate) = predicate
        && crate::value::truthy(&eval::eval(predicate, &row, &ctx)?) != Some(true)
    {
        return Ok(None);
    }
    if parts.is_empty() {
        return Ok(Some(columns.iter().map(|&c| row[c as usize].clone()).collect()));
    }
    parts.iter().map(|e| eval::eval(e, &row, &ctx)).collect::<Result<_>>().map(Some)
}
