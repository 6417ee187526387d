//! [`Connection`]: runs statements, and holds the transaction between them.
//!
//! Outside `BEGIN … COMMIT` every statement runs in its own transaction (autocommit):
//! queries in a read-only one, which never conflicts; writes in a read-write one that is
//! retried a few times when a concurrent writer wins a conflict, since nothing of it was
//! visible yet. Inside a transaction, a failed statement undoes only its own writes
//! (a savepoint around each statement) and the transaction stays open, as in SQLite.

use std::time::{Duration, Instant};

use braid_engine::{Txn, Value};

use crate::bind;
use crate::database::Database;
use crate::error::{Error, Result};
use crate::execute::interrupt::{self, InterruptHandle};
use crate::execute::{self, Outcome};
use crate::parse;
use crate::plan::Description;
use crate::plan::{Statement as Bound, TransactionOp};
use crate::rows::{Row, Rows};
use crate::value::ToValue;

/// How many times an autocommit write is retried after a serialization conflict.
const AUTOCOMMIT_RETRIES: usize = 8;

/// Statement parameters: positional (`$1`, `?`) and named (`:name`).
#[derive(Debug, Clone, Default)]
pub struct ParamValues {
    pub positional: Vec<Value>,
    pub named: Vec<(String, Value)>,
}

/// Anything that can be passed as statement parameters: `()`, arrays and slices of values,
/// tuples of Rust values, `Vec<Value>`, or named pairs `&[(":name", &value)]`.
pub trait Params {
    fn into_params(self) -> ParamValues;
}

impl Params for () {
    fn into_params(self) -> ParamValues {
        ParamValues::default()
    }
}

impl Params for Vec<Value> {
    fn into_params(self) -> ParamValues {
        ParamValues { positional: self, named: vec![] }
    }
}

impl Params for &[Value] {
    fn into_params(self) -> ParamValues {
        ParamValues { positional: self.to_vec(), named: vec![] }
    }
}

impl<T: ToValue, const N: usize> Params for [T; N] {
    fn into_params(self) -> ParamValues {
        ParamValues { positional: self.iter().map(ToValue::to_value).collect(), named: vec![] }
    }
}

impl Params for &[&dyn ToValue] {
    fn into_params(self) -> ParamValues {
        ParamValues { positional: self.iter().map(|v| v.to_value()).collect(), named: vec![] }
    }
}

impl Params for &[(&str, &dyn ToValue)] {
    fn into_params(self) -> ParamValues {
        let named = self.iter().map(|(n, v)| (n.trim_start_matches([':', '@', '$']).to_string(), v.to_value()));
        ParamValues { positional: vec![], named: named.collect() }
    }
}

macro_rules! tuple_params {
    ($($name:ident),+) => {
        impl<$($name: ToValue),+> Params for ($($name,)+) {
            #[allow(non_snake_case)]
            fn into_params(self) -> ParamValues {
                let ($($name,)+) = self;
                ParamValues { positional: vec![$($name.to_value()),+], named: vec![] }
            }
        }
    };
}

tuple_params!(A);
tuple_params!(A, B);
tuple_params!(A, B, C);
tuple_params!(A, B, C, D);
tuple_params!(A, B, C, D, E);
tuple_params!(A, B, C, D, E, F);
tuple_params!(A, B, C, D, E, F, G);
tuple_params!(A, B, C, D, E, F, G, H);

/// An explicit transaction and its savepoints.
struct OpenTxn {
    txn: Txn,
    /// Named savepoints, innermost last: the name and the engine savepoint.
    savepoints: Vec<(String, usize)>,
    /// Whether it ran DDL: its end changes the schema other plans were made for.
    ddl: bool,
    /// Begun by a SAVEPOINT outside a transaction: releasing that savepoint commits it.
    by_savepoint: bool,
}

/// A statement bound and optimized, and the schema generation it was planned against.
pub(crate) struct Planned {
    generation: u64,
    statement: Bound,
    /// What it takes and returns, worked out on first request.
    description: std::sync::OnceLock<std::sync::Arc<Description>>,
}

impl Planned {
    fn is_ddl(&self) -> bool {
        !matches!(
            self.statement,
            Bound::Query { .. }
                | Bound::Insert { .. }
                | Bound::Update { .. }
                | Bound::Delete { .. }
                | Bound::Explain { .. }
                | Bound::Noop
                | Bound::Transaction(_)
        )
    }
}

/// Forgets a plan made for an older schema.
fn drop_stale(cache: &mut Option<Planned>, generation: u64) {
    if cache.as_ref().is_some_and(|c| c.generation != generation) {
        *cache = None;
    }
}

/// The prepared form of `statement`: the cached one, or a new one (then cached).
fn prepared<'c>(
    cache: &'c mut Option<Planned>,
    statement: &parse::Parsed,
    txn: &Txn,
    generation: u64,
) -> Result<&'c Bound> {
    if cache.is_none() {
        let bound = execute::prepare(bind::bind(statement, txn)?, txn);
        *cache = Some(Planned { generation, statement: bound, description: std::sync::OnceLock::new() });
    }
    Ok(&cache.as_ref().expect("filled above").statement)
}

/// A connection to a [`Database`]: runs SQL, one statement at a time.
pub struct Connection {
    db: Database,
    txn: Option<OpenTxn>,
    interrupt: InterruptHandle,
    statement_timeout: Option<Duration>,
}

impl Connection {
    pub(crate) fn new(db: Database) -> Self {
        Connection { db, txn: None, interrupt: InterruptHandle::new(), statement_timeout: None }
    }

    /// The database this connection reads and writes.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// A handle that interrupts this connection's running statement from another thread.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        self.interrupt.clone()
    }

    /// Statements running longer than `timeout` stop with [`Error::Cancelled`] (`None`:
    /// no limit, the default).
    pub fn set_statement_timeout(&mut self, timeout: Option<Duration>) {
        self.statement_timeout = timeout;
    }

    /// Whether no explicit transaction is open.
    pub fn is_autocommit(&self) -> bool {
        self.txn.is_none()
    }

    /// Runs one or more `;`-separated statements; returns the rows changed by the last one
    /// (0 for statements that change no rows).
    pub fn execute(&mut self, sql: &str, params: impl Params) -> Result<u64> {
        let params = params.into_params();
        let mut changed = 0;
        for statement in parse::parse(sql)? {
            changed = match self.run(&statement, &params)? {
                Outcome::Changed(n) => n,
                Outcome::Rows { .. } | Outcome::Done => 0,
            };
        }
        Ok(changed)
    }

    /// Runs `;`-separated statements without parameters, discarding results.
    pub fn execute_batch(&mut self, sql: &str) -> Result<()> {
        self.execute(sql, ()).map(|_| ())
    }

    /// Runs a query and returns its rows. Statements before the last one in `sql` run too.
    pub fn query(&mut self, sql: &str, params: impl Params) -> Result<Rows> {
        let params = params.into_params();
        let statements = parse::parse(sql)?;
        let Some((last, before)) = statements.split_last() else {
            return Err(Error::invalid("no statement to run"));
        };
        for statement in before {
            self.run(statement, &params)?;
        }
        Ok(match self.run(last, &params)? {
            Outcome::Rows { columns, rows } => Rows::new(columns, rows),
            Outcome::Changed(_) | Outcome::Done => Rows::new(vec![], vec![]),
        })
    }

    /// Runs a query and hands its first row to `f`; no row is a `NotFound` error.
    pub fn query_row<T>(&mut self, sql: &str, params: impl Params, f: impl FnOnce(&Row) -> Result<T>) -> Result<T> {
        let row =
            self.query(sql, params)?.next().ok_or_else(|| Error::not_found("row", "the query returned no rows"))??;
        f(&row)
    }

    /// Parses a statement once, to run many times; its plan is made at the first run and
    /// reused until the schema changes.
    pub fn prepare(&mut self, sql: &str) -> Result<Statement<'_>> {
        let statements = parse::parse(sql)?;
        if statements.len() != 1 {
            return Err(Error::invalid(format!("prepare takes one statement, got {}", statements.len())));
        }
        Ok(Statement { conn: self, parsed: statements.into_iter().next().expect("one statement"), cache: None })
    }

    /// Begins a transaction that rolls back when dropped unless committed.
    pub fn transaction(&mut self) -> Result<Transaction<'_>> {
        self.control(&TransactionOp::Begin { read_only: false })?;
        Ok(Transaction { conn: self, done: false })
    }

    /// Runs one parsed statement in the current transaction, or in its own.
    fn run(&mut self, statement: &parse::Parsed, params: &ParamValues) -> Result<Outcome> {
        self.run_cached(statement, params, &mut None)
    }

    /// Runs a statement, reusing (and filling) `cache`, its plan from an earlier run, while
    /// the schema is unchanged.
    fn run_cached(
        &mut self,
        statement: &parse::Parsed,
        params: &ParamValues,
        cache: &mut Option<Planned>,
    ) -> Result<Outcome> {
        if let Some(op) = bind::transaction_op(statement)? {
            self.control(&op)?;
            return Ok(Outcome::Done);
        }
        let _running = interrupt::enter(&self.interrupt, self.statement_timeout.map(|t| Instant::now() + t));
        let generation = self.db.schema_generation();
        drop_stale(cache, generation);
        if let Some(open) = &mut self.txn {
            let savepoint = open.txn.kv().savepoint();
            let result = prepared(cache, statement, &open.txn, generation)
                .and_then(|bound| execute::run(bound, &mut open.txn, params));
            if result.is_err() {
                open.txn.kv().rollback_to(savepoint);
            }
            open.txn.kv().release(savepoint);
            if cache.as_ref().is_some_and(|c| c.is_ddl()) {
                open.ddl = true;
                self.db.schema_changed();
            }
            return result;
        }
        let engine = self.db.engine();
        let mut attempt = 0;
        loop {
            let read_only = parse::is_read_only(statement);
            let mut txn = if read_only { engine.begin_read_only()? } else { engine.begin()? };
            let bound = prepared(cache, statement, &txn, generation)?;
            let outcome = execute::run(bound, &mut txn, params)?;
            let ddl = cache.as_ref().is_some_and(|c| c.is_ddl());
            let committed = txn.commit();
            if ddl {
                self.db.schema_changed();
            }
            match committed {
                Ok(_) => return Ok(outcome),
                Err(e) if e.is_retryable() && attempt < AUTOCOMMIT_RETRIES => attempt += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn control(&mut self, op: &TransactionOp) -> Result<()> {
        match op {
            TransactionOp::Begin { read_only } => {
                if self.txn.is_some() {
                    return Err(Error::invalid("cannot start a transaction within a transaction"));
                }
                let engine = self.db.engine();
                let txn = if *read_only { engine.begin_read_only()? } else { engine.begin()? };
                self.txn = Some(OpenTxn { txn, savepoints: vec![], ddl: false, by_savepoint: false });
            }
            TransactionOp::Commit => {
                let open = self.txn.take().ok_or_else(|| Error::invalid("cannot commit: no transaction is active"))?;
                let committed = open.txn.commit();
                if open.ddl {
                    self.db.schema_changed();
                }
                committed?;
            }
            TransactionOp::Rollback => {
                let open =
                    self.txn.take().ok_or_else(|| Error::invalid("cannot roll back: no transaction is active"))?;
                open.txn.rollback();
            }
            TransactionOp::Savepoint(name) => {
                if self.txn.is_none() {
                    // SQLite: a SAVEPOINT outside a transaction begins one, which releasing
                    // the savepoint commits.
                    self.control(&TransactionOp::Begin { read_only: false })?;
                    self.txn.as_mut().expect("begun above").by_savepoint = true;
                }
                let open = self.txn.as_mut().expect("begun above");
                let sp = open.txn.kv().savepoint();
                open.savepoints.push((name.to_ascii_lowercase(), sp));
            }
            TransactionOp::Release(name) | TransactionOp::RollbackTo(name) => {
                let open = self.txn.as_mut().ok_or_else(|| Error::not_found("savepoint", name))?;
                let name = name.to_ascii_lowercase();
                let at = open
                    .savepoints
                    .iter()
                    .rposition(|(n, _)| *n == name)
                    .ok_or_else(|| Error::not_found("savepoint", &name))?;
                let sp = open.savepoints[at].1;
                if matches!(op, TransactionOp::RollbackTo(_)) {
                    open.txn.kv().rollback_to(sp);
                    open.savepoints.truncate(at + 1);
                } else {
                    open.txn.kv().release(sp);
                    open.savepoints.truncate(at);
                    if open.savepoints.is_empty() && open.by_savepoint {
                        return self.control(&TransactionOp::Commit);
                    }
                }
            }
        }
        Ok(())
    }
}

/// What running a statement produced.
#[derive(Debug)]
pub enum Output {
    /// A query's rows (also `RETURNING`).
    Rows(Rows),
    /// The number of rows an INSERT, UPDATE or DELETE changed.
    Changed(u64),
    /// A statement that returns nothing (DDL, transaction control).
    Done,
}

/// A parsed statement that its caller owns, rather than one that borrows the connection
/// ([`Statement`]): what a server keeps for each protocol-level prepared statement, to run
/// on its session's connection with [`Connection::run_prepared`]. Its plan is made at the
/// first run or [`describe`](Connection::describe) and kept until the schema changes.
pub struct PreparedStatement {
    parsed: parse::Parsed,
    cache: Option<Planned>,
}

impl PreparedStatement {
    /// The statement's command, as a PostgreSQL command tag names it (`SELECT`, `INSERT`,
    /// `CREATE TABLE`, `BEGIN`, …).
    pub fn command(&self) -> &'static str {
        parse::command(&self.parsed)
    }

    /// The statement as SQL text, regenerated from what was parsed.
    pub fn text(&self) -> String {
        parse::text(&self.parsed)
    }

    /// The COPY it asks for, if it is a COPY (run by the server, not by [`Connection`]).
    pub fn copy(&self) -> Option<Result<parse::Copy>> {
        parse::copy(&self.parsed)
    }

    /// Whether it is a query that reads without writing.
    pub fn is_read_only(&self) -> bool {
        parse::is_read_only(&self.parsed)
    }
}

impl std::fmt::Debug for PreparedStatement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedStatement").field("command", &self.command()).finish_non_exhaustive()
    }
}

impl Connection {
    /// Parses `sql` (one or more `;`-separated statements) into statements the caller owns.
    pub fn prepare_all(&self, sql: &str) -> Result<Vec<PreparedStatement>> {
        Ok(parse::parse(sql)?.into_iter().map(|parsed| PreparedStatement { parsed, cache: None }).collect())
    }

    /// Runs a statement prepared by [`prepare_all`](Self::prepare_all), in the open
    /// transaction or in its own.
    pub fn run_prepared(&mut self, statement: &mut PreparedStatement, params: impl Params) -> Result<Output> {
        Ok(match self.run_cached(&statement.parsed, &params.into_params(), &mut statement.cache)? {
            Outcome::Rows { columns, rows } => Output::Rows(Rows::new(columns, rows)),
            Outcome::Changed(n) => Output::Changed(n),
            Outcome::Done => Output::Done,
        })
    }

    /// The types of a statement's parameters and result columns, before it runs (binding
    /// it against the current schema, which also finds unknown names).
    pub fn describe(&mut self, statement: &mut PreparedStatement) -> Result<std::sync::Arc<Description>> {
        if bind::transaction_op(&statement.parsed)?.is_some() {
            return Ok(std::sync::Arc::new(Description { params: vec![], columns: vec![] }));
        }
        let generation = self.db.schema_generation();
        drop_stale(&mut statement.cache, generation);
        // A planned statement answers without a transaction: the common case, Describe
        // or a result's columns right after a run.
        if statement.cache.is_none() {
            match &self.txn {
                Some(open) => _ = prepared(&mut statement.cache, &statement.parsed, &open.txn, generation)?,
                None => {
                    let txn = self.db.engine().begin_read_only()?;
                    prepared(&mut statement.cache, &statement.parsed, &txn, generation)?;
                }
            }
        }
        let planned = statement.cache.as_ref().expect("planned above");
        Ok(planned.description.get_or_init(|| std::sync::Arc::new(planned.statement.describe())).clone())
    }
}

/// A parsed statement, run as many times as needed with different parameters.
pub struct Statement<'c> {
    conn: &'c mut Connection,
    parsed: parse::Parsed,
    cache: Option<Planned>,
}

impl Statement<'_> {
    /// Runs the statement; returns the rows changed.
    pub fn execute(&mut self, params: impl Params) -> Result<u64> {
        Ok(match self.conn.run_cached(&self.parsed, &params.into_params(), &mut self.cache)? {
            Outcome::Changed(n) => n,
            _ => 0,
        })
    }

    /// Runs the statement as a query.
    pub fn query(&mut self, params: impl Params) -> Result<Rows> {
        Ok(match self.conn.run_cached(&self.parsed, &params.into_params(), &mut self.cache)? {
            Outcome::Rows { columns, rows } => Rows::new(columns, rows),
            _ => Rows::new(vec![], vec![]),
        })
    }
}

/// A transaction begun by [`Connection::transaction`]; rolls back on drop unless
/// [`commit`](Self::commit)ted.
pub struct Transaction<'c> {
    conn: &'c mut Connection,
    done: bool,
}

impl Transaction<'_> {
    pub fn commit(mut self) -> Result<()> {
        self.done = true;
        self.conn.control(&TransactionOp::Commit)
    }

    pub fn rollback(mut self) -> Result<()> {
        self.done = true;
        self.conn.control(&TransactionOp::Rollback)
    }
}

impl std::ops::Deref for Transaction<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl std::ops::DerefMut for Transaction<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.done && self.conn.txn.is_some() {
            let _ = self.conn.control(&TransactionOp::Rollback);
        }
    }
}
