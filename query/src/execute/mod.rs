//! Execution: runs a bound statement in a transaction.
//!
//! Queries are optimized, built into operators and pulled batch by batch. Writes first
//! read every row they will change (so `INSERT INTO t SELECT … FROM t` sees only what was
//! there before it), then apply them through the engine, which keeps indexes in step and
//! checks NOT NULL and UNIQUE. DDL goes straight to the engine's catalog.

mod context;
mod ddl;
mod eval;
mod like;
mod operators;
mod write;

use braid_engine::{Txn, Value};

use self::context::{Ctx, Row, Shared};
use crate::connection::ParamValues;
use crate::error::Result;
use crate::optimize;
use crate::plan::Statement;

/// What a statement produced.
#[derive(Debug)]
pub(crate) enum Outcome {
    Rows { columns: Vec<String>, rows: Vec<Vec<Value>> },
    Changed(u64),
    Done,
}

/// Runs a bound statement.
pub(crate) fn run(statement: &Statement, txn: &mut Txn, _params: &ParamValues) -> Result<Outcome> {
    match statement {
        Statement::Query { plan, columns } => {
            let plan = optimize::optimize(plan.clone(), txn);
            let rows = query(&plan, txn)?;
            Ok(Outcome::Rows { columns: columns.clone(), rows })
        }
        Statement::Insert { .. } | Statement::Update { .. } | Statement::Delete { .. } => write::run(statement, txn),
        Statement::Explain { statement, analyze } => {
            let text = match statement.as_ref() {
                Statement::Query { plan, .. } => {
                    let plan = optimize::optimize(plan.clone(), txn);
                    if *analyze {
                        let start = std::time::Instant::now();
                        let rows = query(&plan, txn)?.len();
                        format!("{plan}({rows} rows in {:.3?})\n", start.elapsed())
                    } else {
                        plan.to_string()
                    }
                }
                other => format!("{other:?}\n"),
            };
            let rows = text.lines().map(|l| vec![Value::Text(l.to_string())]).collect();
            Ok(Outcome::Rows { columns: vec!["QUERY PLAN".into()], rows })
        }
        Statement::Noop => Ok(Outcome::Done),
        Statement::Transaction(_) => Ok(Outcome::Done),
        ddl_statement => ddl::run(ddl_statement, txn),
    }
}

/// Evaluates an expression that reads no row; `None` if that fails.
pub(crate) fn eval_constant(e: &crate::plan::Expr, txn: &Txn) -> Option<Value> {
    let shared = Shared::default();
    eval::eval(e, &[], &Ctx::new(txn, &shared)).ok()
}

/// Runs a query plan to completion.
pub(crate) fn query(plan: &crate::plan::Plan, txn: &Txn) -> Result<Vec<Row>> {
    let shared = Shared::default();
    let ctx = Ctx::new(txn, &shared);
    operators::build(plan, &ctx)?.collect()
}
