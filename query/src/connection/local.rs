//! The embedded connection: statements run in this process, on the engine, and the
//! transaction is held between them.
//!
//! Outside `BEGIN … COMMIT` every statement runs in its own transaction (autocommit):
//! queries in a read-only one, which never conflicts; writes in a read-write one that is
//! retried a few times when a concurrent writer wins a conflict, since nothing of it was
//! visible yet. Inside a transaction, a failed statement undoes only its own writes
//! (a savepoint around each statement) and the transaction stays open, as in SQLite.

use crate::value::zone::Zone;
use std::time::{Duration, Instant};

use braid_engine::Txn;

use crate::bind;
use crate::connection::{Args, Output, ParamValues};
use crate::database::Database;
use crate::error::{Error, Result};
use crate::execute::interrupt::{self, InterruptHandle};
use crate::execute::{self, Outcome};
use crate::parse;
use crate::plan::Description;
use crate::plan::{Statement as Bound, TransactionOp};
use crate::rows::Rows;
use crate::session::Session;

/// How many times an autocommit write is retried after a serialization conflict.
const AUTOCOMMIT_RETRIES: usize = 8;

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

/// A statement bound and optimized, and what it was planned for.
pub(crate) struct Planned {
    made_for: PlannedFor,
    statement: Bound,
    /// The privileges it needs, checked each time it runs.
    accesses: Vec<crate::privileges::Access>,
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

/// What a plan is made for: a schema generation, the session's time zone (constants that
/// read it are folded in it) and its search path (names are bound through it).
#[derive(Clone, Copy, PartialEq)]
struct PlannedFor {
    generation: u64,
    zone: Zone,
    search_path: u64,
}

impl PlannedFor {
    fn now(db: &Database, session: &Session) -> Self {
        PlannedFor { generation: db.schema_generation(), zone: session.zone(), search_path: session.search_path_key() }
    }
}

/// Forgets a plan made for an older schema, another time zone or another search path.
fn drop_stale(cache: &mut Option<Planned>, made_for: PlannedFor) {
    if cache.as_ref().is_some_and(|c| c.made_for != made_for) {
        *cache = None;
    }
}

/// The prepared form of `statement`: the cached one, or a new one (then cached).
fn prepared<'c>(
    cache: &'c mut Option<Planned>,
    statement: &parse::Parsed,
    txn: &Txn,
    made_for: PlannedFor,
    session: &Session,
) -> Result<&'c Planned> {
    if cache.is_none() {
        let (bound, accesses) = bind::bind(statement, txn, (*session.search_path()).clone())?;
        let bound = execute::prepare(bound, txn, made_for.zone);
        let description = std::sync::OnceLock::new();
        *cache = Some(Planned { made_for, statement: bound, accesses, description });
    }
    Ok(cache.as_ref().expect("filled above"))
}

/// Runs a prepared statement once the current role is found to hold what it needs.
fn run_checked(planned: &Planned, txn: &mut Txn, params: Args, session: &Session) -> Result<Outcome> {
    crate::privileges::check(&planned.accesses, txn, session, planned.made_for.generation)?;
    // A row lock is waited for at most `lock_timeout`, and never past `statement_timeout`.
    let wait = match (session.lock_timeout(), session.statement_timeout()) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    txn.set_lock_wait(braid_engine::LockWait::Block(wait));
    match params {
        Args::Lent(params) => execute::run(&planned.statement, txn, params, session),
        Args::Given(params) => execute::run_given(&planned.statement, txn, params, session),
    }
}

/// The embedded connection: an engine session on a [`Database`] in this process.
pub(crate) struct Local {
    db: Database,
    txn: Option<OpenTxn>,
    interrupt: InterruptHandle,
    /// Settings, and who the session is (`SET`, `current_setting`, `now()`).
    session: Session,
}

impl Local {
    pub(crate) fn new(db: Database) -> Self {
        Local { db, txn: None, interrupt: InterruptHandle::new(), session: Session::default() }
    }

    pub(crate) fn database(&self) -> &Database {
        &self.db
    }

    pub(crate) fn interrupt_handle(&self) -> InterruptHandle {
        self.interrupt.clone()
    }

    /// The session's settings.
    pub(crate) fn session(&self) -> &Session {
        &self.session
    }

    pub(crate) fn set_statement_timeout(&mut self, timeout: Option<Duration>) {
        // At most a year: what `SET statement_timeout` accepts, and far past any statement.
        let ms = timeout.map_or(0, |t| t.as_millis().clamp(1, 365 * 86_400_000));
        self.session.set("statement_timeout", &ms.to_string()).expect("a number of milliseconds is valid");
    }

    /// Runs `SET`, `RESET` or `SHOW`.
    fn session_statement(&mut self, op: &bind::SessionOp) -> Result<Outcome> {
        use bind::SessionOp;
        match op {
            SessionOp::Set { name, value } => self.session.set(name, value)?,
            SessionOp::Reset(Some(name)) => self.session.reset(name)?,
            SessionOp::Reset(None) => {
                for (name, _) in self.session.all() {
                    if !name.starts_with("braid.") && name != "session_authorization" {
                        _ = self.session.reset(&name);
                    }
                }
                self.session.set_role(None);
            }
            SessionOp::Show(name) if name == "all" => {
                let columns: std::sync::Arc<[String]> = ["name", "setting", "description"].map(String::from).into();
                let rows: Vec<Vec<braid_engine::Value>> = (self.session.all().into_iter())
                    .filter(|(n, _)| !n.starts_with("braid."))
                    .map(|(n, v)| vec![n.into(), v.into(), braid_engine::Value::Text(String::new())])
                    .collect();
                return Ok(Outcome::Rows { columns, rows: rows.into() });
            }
            SessionOp::Show(name) => {
                let value = self.session.get(name)?;
                let columns: std::sync::Arc<[String]> = [name.clone()].into();
                return Ok(Outcome::Rows { columns, rows: vec![vec![value.into()]].into() });
            }
            SessionOp::SetRole(role) => {
                let txn = self.read_txn()?;
                crate::privileges::may_set_role(&txn, &self.session, role.as_deref())?;
                self.session.set_role(role.as_deref());
                self.note_superuser(&txn)?;
            }
            SessionOp::SetSessionAuthorization(user) => {
                let txn = self.read_txn()?;
                crate::privileges::may_set_session_user(&txn, &self.session, user.as_deref())?;
                self.session.set_session_user(user.as_deref());
                self.note_superuser(&txn)?;
            }
            SessionOp::Ignored => {}
        }
        Ok(Outcome::Done)
    }

    /// A read-only transaction over what this connection sees now (its own open
    /// transaction's writes are not in it: SET ROLE looks at committed roles).
    fn read_txn(&self) -> Result<Txn> {
        Ok(self.db.engine().begin_read_only()?)
    }

    /// Logs the session in as `user` (see [`Session::set_login`]).
    pub(crate) fn set_login(&mut self, user: &str) -> Result<()> {
        self.session.set_login(user);
        let txn = self.read_txn()?;
        self.note_superuser(&txn)
    }

    /// Sets `is_superuser` from the current role.
    fn note_superuser(&self, txn: &Txn) -> Result<()> {
        let superuser = txn.role(&self.session.role())?.is_some_and(|r| r.superuser);
        self.session.note_superuser(superuser);
        Ok(())
    }

    pub(crate) fn is_autocommit(&self) -> bool {
        self.txn.is_none()
    }

    pub(crate) fn execute(&mut self, sql: &str, params: &ParamValues) -> Result<u64> {
        let mut changed = 0;
        for statement in parse::parse(sql)? {
            changed = match self.run(&statement, params)? {
                Outcome::Changed(n) => n,
                Outcome::Rows { .. } | Outcome::Done => 0,
            };
        }
        Ok(changed)
    }

    pub(crate) fn query(&mut self, sql: &str, params: &ParamValues) -> Result<Rows> {
        let statements = parse::parse(sql)?;
        let Some((last, before)) = statements.split_last() else {
            return Err(Error::invalid("no statement to run"));
        };
        for statement in before {
            self.run(statement, params)?;
        }
        Ok(match self.run(last, params)? {
            Outcome::Rows { columns, rows } => Rows::from_result(columns, rows),
            Outcome::Changed(_) | Outcome::Done => Rows::new(vec![], vec![]),
        })
    }

    pub(crate) fn prepare(&mut self, sql: &str) -> Result<LocalStatement<'_>> {
        let statements = parse::parse(sql)?;
        if statements.len() != 1 {
            return Err(Error::invalid(format!("prepare takes one statement, got {}", statements.len())));
        }
        Ok(LocalStatement { conn: self, parsed: statements.into_iter().next().expect("one statement"), cache: None })
    }

    pub(crate) fn begin(&mut self) -> Result<()> {
        self.control(&TransactionOp::Begin { read_only: false })
    }

    pub(crate) fn end(&mut self, commit: bool) -> Result<()> {
        self.control(if commit { &TransactionOp::Commit } else { &TransactionOp::Rollback })
    }

    /// Runs one parsed statement in the current transaction, or in its own.
    fn run(&mut self, statement: &parse::Parsed, params: &ParamValues) -> Result<Outcome> {
        self.run_cached(statement, Args::Lent(params), &mut None)
    }

    /// Runs a statement, reusing (and filling) `cache`, its plan from an earlier run, while
    /// the schema is unchanged.
    fn run_cached(&mut self, statement: &parse::Parsed, params: Args, cache: &mut Option<Planned>) -> Result<Outcome> {
        // A statement planned before is neither kind (both return before planning): a
        // prepared statement's executions need not read its syntax tree again.
        if cache.is_none() {
            if let Some(op) = bind::transaction_op(statement)? {
                self.control(&op)?;
                return Ok(Outcome::Done);
            }
            if let Some(op) = bind::session_op(statement)? {
                return self.session_statement(&op);
            }
        }
        let deadline = self.session.statement_timeout().map(|t| Instant::now() + t);
        let _running = interrupt::enter(&self.interrupt, deadline);
        let generation = PlannedFor::now(&self.db, &self.session);
        drop_stale(cache, generation);
        if let Some(open) = &mut self.txn {
            let savepoint = open.txn.kv().savepoint();
            let result = prepared(cache, statement, &open.txn, generation, &self.session)
                .and_then(|planned| run_checked(planned, &mut open.txn, params, &self.session));
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
        self.session.begin_transaction();
        loop {
            let read_only = parse::is_read_only(statement);
            let mut txn = if read_only { engine.begin_read_only()? } else { engine.begin()? };
            let planned = prepared(cache, statement, &txn, generation, &self.session)?;
            // Lent, whatever the caller gave: a retry runs the statement again. A statement
            // that waited for a row lock and found the row changed by its holder (40001), or
            // was a deadlock's victim, wrote nothing that outlives it: it runs again on a
            // fresh snapshot, as a conflict at commit does.
            let outcome = match run_checked(planned, &mut txn, Args::Lent(params.values()), &self.session) {
                Ok(outcome) => outcome,
                Err(e) if e.is_retryable() && attempt < AUTOCOMMIT_RETRIES => {
                    attempt += 1;
                    continue;
                }
                Err(e) => return Err(e),
            };
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
                self.session.begin_transaction();
                self.session.set_transaction_read_only(*read_only);
                self.txn = Some(OpenTxn { txn, savepoints: vec![], ddl: false, by_savepoint: false });
            }
            TransactionOp::Commit => {
                let open = self.txn.take().ok_or_else(|| Error::invalid("cannot commit: no transaction is active"))?;
                self.session.set_transaction_read_only(false);
                let committed = open.txn.commit();
                if open.ddl {
                    self.db.schema_changed();
                }
                committed?;
            }
            TransactionOp::Rollback => {
                let open =
                    self.txn.take().ok_or_else(|| Error::invalid("cannot roll back: no transaction is active"))?;
                self.session.set_transaction_read_only(false);
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

/// A parsed statement that its caller owns, rather than one that borrows the connection
/// ([`Statement`](crate::Statement)): what a server keeps for each protocol-level prepared
/// statement, to run on its session's connection with
/// [`Connection::run_prepared`](crate::Connection::run_prepared). Its plan is made at the
/// first run or [`describe`](crate::Connection::describe) and kept until the schema changes.
/// Embedded connections only.
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

    /// The COPY it asks for, if it is a COPY (run by the server, not by [`Connection`](crate::Connection)).
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

impl Local {
    pub(crate) fn prepare_all(&self, sql: &str) -> Result<Vec<PreparedStatement>> {
        Ok(parse::parse(sql)?.into_iter().map(|parsed| PreparedStatement { parsed, cache: None }).collect())
    }

    pub(crate) fn run_prepared(&mut self, statement: &mut PreparedStatement, params: &ParamValues) -> Result<Output> {
        Ok(match self.run_cached(&statement.parsed, Args::Lent(params), &mut statement.cache)? {
            Outcome::Rows { columns, rows } => Output::Rows(Rows::from_result(columns, rows)),
            Outcome::Changed(n) => Output::Changed(n),
            Outcome::Done => Output::Done,
        })
    }

    pub(crate) fn describe(&mut self, statement: &mut PreparedStatement) -> Result<std::sync::Arc<Description>> {
        if bind::transaction_op(&statement.parsed)?.is_some() {
            return Ok(std::sync::Arc::new(Description {
                params: vec![],
                columns: vec![],
                declared: vec![],
                params_declared: vec![],
            }));
        }
        match bind::session_op(&statement.parsed)? {
            Some(bind::SessionOp::Show(name)) => {
                let names: Vec<String> = if name == "all" {
                    ["name", "setting", "description"].map(String::from).into()
                } else {
                    vec![name]
                };
                let columns = names.into_iter().map(|n| (n, Some(braid_engine::DataType::Text))).collect();
                return Ok(std::sync::Arc::new(Description {
                    params: vec![],
                    columns,
                    declared: vec![],
                    params_declared: vec![],
                }));
            }
            Some(_) => {
                return Ok(std::sync::Arc::new(Description {
                    params: vec![],
                    columns: vec![],
                    declared: vec![],
                    params_declared: vec![],
                }));
            }
            None => {}
        }
        let generation = PlannedFor::now(&self.db, &self.session);
        drop_stale(&mut statement.cache, generation);
        // A planned statement answers without a transaction: the common case, Describe
        // or a result's columns right after a run.
        if statement.cache.is_none() {
            match &self.txn {
                Some(open) => {
                    _ = prepared(&mut statement.cache, &statement.parsed, &open.txn, generation, &self.session)?
                }
                None => {
                    let txn = self.db.engine().begin_read_only()?;
                    prepared(&mut statement.cache, &statement.parsed, &txn, generation, &self.session)?;
                }
            }
        }
        let planned = statement.cache.as_ref().expect("planned above");
        Ok(planned.description.get_or_init(|| std::sync::Arc::new(planned.statement.describe())).clone())
    }
}

/// A statement of a local connection, prepared by [`Local::prepare`].
pub(crate) struct LocalStatement<'c> {
    conn: &'c mut Local,
    parsed: parse::Parsed,
    cache: Option<Planned>,
}

impl LocalStatement<'_> {
    pub(crate) fn execute(&mut self, params: ParamValues) -> Result<u64> {
        Ok(match self.conn.run_cached(&self.parsed, Args::Given(params), &mut self.cache)? {
            Outcome::Changed(n) => n,
            _ => 0,
        })
    }

    pub(crate) fn query(&mut self, params: &ParamValues) -> Result<Rows> {
        Ok(match self.conn.run_cached(&self.parsed, Args::Lent(params), &mut self.cache)? {
            Outcome::Rows { columns, rows } => Rows::from_result(columns, rows),
            _ => Rows::new(vec![], vec![]),
        })
    }
}
