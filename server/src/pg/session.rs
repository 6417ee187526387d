//! One client's session: its connection to the database, its prepared statements, its
//! settings, and PostgreSQL's transaction rules on top of Braid's.
//!
//! The protocol layer (`handler.rs`) turns messages into calls here and replies into
//! messages; this module knows nothing of sockets or message formats, so its rules are
//! tested directly.
//!
//! # Transactions as a PostgreSQL client expects them
//!
//! Braid's embedded connection follows SQLite: inside a transaction a failed statement
//! undoes only itself and the transaction goes on. PostgreSQL clients expect PostgreSQL's
//! rule instead, and the protocol reports it (ReadyForQuery status `E`): after an error the
//! transaction is *failed*, every statement but COMMIT / ROLLBACK is refused with SQLSTATE
//! 25P02, and COMMIT then rolls back. The session keeps that rule. `BEGIN` inside a
//! transaction and `COMMIT` / `ROLLBACK` outside one are accepted and do nothing, as in
//! PostgreSQL (which only warns).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use braid::session::LogStatement;
use braid::{Connection, Description, Output, PreparedStatement, Value};
use pgwire::api::Type;

use super::{copy, types};

use super::error::{Failure, from_braid, info};

/// How many distinct statement texts a session keeps planned for the extended protocol.
const MAX_STATEMENTS: usize = 1024;

/// How many parameterized simple queries a session keeps planned (apart from the
/// extended protocol's statements, which they would otherwise evict).
const MAX_SHAPES: usize = 256;

/// What a statement did to the session's transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxChange {
    None,
    /// A transaction began (BEGIN).
    Started,
    /// The transaction ended (COMMIT, ROLLBACK).
    Ended,
}

/// A statement's result as the protocol sends it.
#[derive(Debug)]
pub enum Reply {
    /// Rows and their columns; `command` is the tag's verb (`SELECT`, or `INSERT 0` for
    /// `INSERT … RETURNING`), completed with the row count.
    /// `zone` is the session's time zone, which `timestamptz` text is written in.
    Rows { command: String, columns: Arc<Description>, rows: Vec<Vec<Value>>, zone: braid::value::zone::Zone },
    /// A command's complete tag (`INSERT 0 3`, `CREATE TABLE`, `BEGIN`).
    Command(String),
    /// The statement was empty.
    Empty,
    /// COPY FROM STDIN began: the client sends rows of `columns` fields.
    CopyIn { columns: usize, binary: bool },
    /// COPY TO STDOUT: one chunk of data per row (the CSV header rides with the first).
    CopyOut { columns: usize, binary: bool, chunks: Vec<Vec<u8>> },
}

/// One statement's outcome.
#[derive(Debug)]
pub struct Step {
    pub reply: Reply,
    pub tx: TxChange,
}

impl Step {
    fn command(tag: impl Into<String>, tx: TxChange) -> Self {
        Step { reply: Reply::Command(tag.into()), tx }
    }
}

/// One client's session.
pub struct Session {
    conn: Connection,
    /// Statements of the extended protocol by text, parsed once and planned on first use.
    statements: HashMap<Arc<str>, PreparedStatement>,
    /// Simple-protocol SELECTs in parameterized form (`simple_parameterized`), by text.
    shapes: HashMap<String, PreparedStatement>,
    /// In a transaction that a statement failed in: only COMMIT / ROLLBACK are accepted.
    failed: bool,
    /// Statements slower than this are logged.
    slow: Duration,
    /// The COPY FROM STDIN under way.
    copy_in: Option<CopyIn>,
}

/// A COPY FROM STDIN under way: rows are inserted as their records complete.
struct CopyIn {
    insert: PreparedStatement,
    /// What each field is read as.
    types: Vec<Type>,
    format: copy::Format,
    reader: copy::Reader,
    /// A CSV header line still to skip.
    header: bool,
    rows: u64,
    /// The COPY began its own transaction (it ran in autocommit), to commit at the end.
    own_txn: bool,
    /// The first error; the rest of the data is read and dropped.
    error: Option<Failure>,
}

impl Session {
    pub fn new(mut conn: Connection, slow: Duration, statement_timeout: Option<Duration>) -> Self {
        conn.set_statement_timeout(statement_timeout);
        Session { conn, statements: HashMap::new(), shapes: HashMap::new(), failed: false, slow, copy_in: None }
    }

    /// Sets the server's session defaults (`[settings]` of the config), checked when the
    /// config was read.
    pub fn apply_settings(&mut self, settings: &[(String, String)]) {
        for (name, value) in settings {
            if let Err(e) = self.conn.set_setting(name, value) {
                tracing::warn!(setting = %name, "session default not applied: {e}");
            }
        }
    }

    /// Makes `user` the session's user (once the client has authenticated as it).
    pub fn set_user(&mut self, user: &str) -> braid::Result<()> {
        self.conn.set_user(user)
    }

    /// The database this session's connection reads and writes.
    pub fn database(&self) -> braid::Database {
        self.db().clone()
    }

    /// The database underneath: a server's sessions are embedded connections (made by
    /// `Database::connect`), which always have one.
    fn db(&self) -> &braid::Database {
        self.conn.database().expect("a session's connection is embedded")
    }

    /// Interrupts this session's running statement (a cancel request).
    pub fn interrupt_handle(&self) -> braid::InterruptHandle {
        self.conn.interrupt_handle()
    }

    /// Whether a transaction is open (`T` or `E` in ReadyForQuery).
    pub fn in_transaction(&self) -> bool {
        !self.conn.is_autocommit()
    }

    /// Simple query protocol: runs each statement of `sql` in turn, stopping at the first
    /// error, which is the last entry.
    pub fn simple(&mut self, sql: &str) -> Vec<Result<Step, Failure>> {
        let steps = self.simple_steps(sql);
        if let Some(Err(failure)) = steps.last() {
            self.log_error(failure, sql);
        }
        steps
    }

    fn simple_steps(&mut self, sql: &str) -> Vec<Result<Step, Failure>> {
        // `log_statement = all` logs before anything else; the lower levels need the
        // statements' kinds, known once they are parsed.
        let (log, _) = self.conn.log_settings();
        if log == LogStatement::All {
            tracing::info!(target: STATEMENT_LOG, "statement: {sql}");
        }
        if let Some(step) = self.simple_parameterized(sql) {
            return vec![step];
        }
        let statements = match self.conn.prepare_all(sql) {
            Ok(s) => s,
            Err(e) => return vec![Err(self.fail(from_braid(&e)))],
        };
        if log > LogStatement::None && log < LogStatement::All && statements.iter().any(|s| log >= log_level(s)) {
            tracing::info!(target: STATEMENT_LOG, "statement: {sql}");
        }
        // A query string of nothing but white space and comments (pg_restore sends the
        // dump's comment blocks alone) gets PostgreSQL's EmptyQueryResponse.
        if statements.is_empty() {
            return vec![Ok(Step { reply: Reply::Empty, tx: TxChange::None })];
        }
        let mut steps = Vec::with_capacity(statements.len());
        let count = statements.len();
        for (i, mut statement) in statements.into_iter().enumerate() {
            // The client sends COPY data after the query string's statements have run: the
            // COPY must be the last one, or the rest would run before its data arrives.
            // (sqlparser may also swallow what follows `COPY … FROM STDIN;`: look at the text.)
            let copy_in = statement.copy().is_some_and(|c| c.is_ok_and(|c| !c.to));
            if copy_in && (i + 1 < count || text_after_statement(sql, i)) {
                steps.push(Err(
                    self.fail(info("0A000", "COPY FROM STDIN must be the last statement of a query string"))
                ));
                break;
            }
            let step = self.run(&mut statement, vec![], sql);
            let failed = step.is_err();
            steps.push(step);
            if failed {
                break;
            }
        }
        steps
    }

    /// A simple-protocol SELECT run as its parameterized form (`braid::autoparam`): the
    /// numbers of its WHERE clause become parameters, so that queries differing only in
    /// them share one planned statement (parsing, binding and planning together were a
    /// quarter of a point SELECT's server time, profiled). `None`: the query has no such
    /// form, or the form does not bind as the query did; it runs as written.
    fn simple_parameterized(&mut self, sql: &str) -> Option<Result<Step, Failure>> {
        let (shape, values) = braid::autoparam::parameterize(sql)?;
        let mut statement = match self.shapes.remove(shape.as_str()) {
            Some(statement) => statement,
            None => {
                let mut statements = self.conn.prepare_all(&shape).ok()?;
                let mut statement = statements.pop().filter(|_| statements.is_empty())?;
                // Bound and planned now: a rewrite that does not bind (a number that was
                // syntax, such as a window frame's offset), or that binds with another
                // number of parameters, is not used.
                let description = self.conn.describe(&mut statement).ok()?;
                if description.params.len() != values.len() {
                    return None;
                }
                statement
            }
        };
        let step = self.run(&mut statement, values, sql);
        if self.shapes.len() >= MAX_SHAPES {
            self.shapes.clear();
        }
        self.shapes.insert(shape, statement);
        Some(step)
    }

    /// Extended protocol `Parse`: checks the syntax and keeps the statement, keyed by its
    /// text, for Describe and Execute.
    pub fn parse(&mut self, sql: &str) -> Result<Arc<str>, Failure> {
        let key: Arc<str> = Arc::from(sql);
        if self.statements.contains_key(&key) {
            return Ok(key);
        }
        let mut statements = self.conn.prepare_all(sql).map_err(|e| from_braid(&e))?;
        if statements.len() > 1 {
            return Err(info("42601", "cannot insert multiple commands into a prepared statement"));
        }
        let Some(statement) = statements.pop() else {
            return Err(info("42601", "empty statement"));
        };
        if self.statements.len() >= MAX_STATEMENTS {
            self.statements.clear();
        }
        self.statements.insert(key.clone(), statement);
        Ok(key)
    }

    /// Extended protocol `Describe`: the parameter and result types of a parsed statement.
    pub fn describe(&mut self, sql: &Arc<str>) -> Result<Arc<Description>, Failure> {
        if !self.statements.contains_key(sql) {
            // Evicted since Parse: parse it again.
            self.parse(sql)?;
        }
        let statement = self.statements.get_mut(sql).expect("parsed above");
        describe(&mut self.conn, statement)
    }

    /// Extended protocol `Execute`: runs a parsed statement with the parameters `decode`
    /// makes from its description (the types Braid inferred for them).
    pub fn execute(
        &mut self,
        sql: &Arc<str>,
        decode: impl FnOnce(&Description, braid::value::zone::Zone) -> Result<Vec<Value>, Failure>,
    ) -> Result<Step, Failure> {
        let mut statement = self.take(sql)?;
        let zone = self.conn.time_zone();
        let step = describe(&mut self.conn, &mut statement)
            .and_then(|description| decode(&description, zone))
            .and_then(|params| {
                let (log, _) = self.conn.log_settings();
                if log >= log_level(&statement) {
                    match params.is_empty() {
                        true => tracing::info!(target: STATEMENT_LOG, "execute: {sql}"),
                        false => tracing::info!(target: STATEMENT_LOG, "execute: {sql}; parameters: {}", parameter_list(&params)),
                    }
                }
                self.run(&mut statement, params, sql)
            });
        self.statements.insert(sql.clone(), statement);
        if let Err(failure) = &step {
            self.log_error(failure, sql);
        }
        step
    }

    /// Logs a failed statement with its error (`log_min_error_statement`), as PostgreSQL's
    /// `ERROR: …` and `STATEMENT: …` lines.
    fn log_error(&self, failure: &Failure, sql: &str) {
        if self.conn.log_settings().1 {
            tracing::info!(target: STATEMENT_LOG, sqlstate = %failure.code, "error: {}; statement: {sql}", failure.message);
        }
    }

    fn take(&mut self, sql: &Arc<str>) -> Result<PreparedStatement, Failure> {
        match self.statements.remove(sql) {
            Some(s) => Ok(s),
            // Evicted since Parse: parse it again.
            None => {
                self.parse(sql)?;
                self.statements.remove(sql).ok_or_else(|| info("26000", "prepared statement does not exist"))
            }
        }
    }

    /// Runs one statement under the session's rules; an error marks an open transaction
    /// failed.
    fn run(&mut self, statement: &mut PreparedStatement, params: Vec<Value>, sql: &str) -> Result<Step, Failure> {
        let start = Instant::now();
        let step = self.run_inner(statement, params);
        let elapsed = start.elapsed();
        if elapsed >= self.slow {
            tracing::warn!(elapsed_ms = elapsed.as_millis() as u64, sql = %truncate(sql, 200), "slow statement");
        }
        step.map_err(|e| self.fail(e))
    }

    fn run_inner(&mut self, statement: &mut PreparedStatement, params: Vec<Value>) -> Result<Step, Failure> {
        let command = statement.command();
        let in_tx = self.in_transaction();
        match command {
            "BEGIN" if in_tx => return Ok(Step::command("BEGIN", TxChange::None)),
            // Ended, though nothing was open: the client's view of the transaction may lag
            // Braid's (a COMMIT that failed has already ended it).
            "COMMIT" | "ROLLBACK" if !in_tx => return Ok(Step::command(command, TxChange::Ended)),
            "COMMIT" | "ROLLBACK" if self.failed => {
                self.failed = false;
                self.conn.execute_batch("ROLLBACK").map_err(|e| from_braid(&e))?;
                return Ok(Step::command("ROLLBACK", TxChange::Ended));
            }
            _ if self.failed => return Err(in_failed_transaction()),
            "DISCARD" => return Ok(Step::command("DISCARD ALL", TxChange::None)),
            "COPY" => return self.start_copy(statement),
            // Protocol-level statements are kept by pgwire under the names the client
            // chose and replaced by a later Parse of the same name; nothing to free here.
            "DEALLOCATE" => return Ok(Step::command("DEALLOCATE", TxChange::None)),
            _ => {}
        }
        let output = match self.conn.run_prepared(statement, params) {
            Err(e) if reads_missing_catalog(&e, command) => {
                tracing::debug!(error = %e, "a catalog Braid does not have, read as empty");
                return Ok(Step {
                    reply: Reply::Rows {
                        command: "SELECT".into(),
                        columns: Arc::default(),
                        rows: vec![],
                        zone: Default::default(),
                    },
                    tx: TxChange::None,
                });
            }
            output => output.map_err(|e| from_braid(&e))?,
        };
        let tx = match (in_tx, self.in_transaction()) {
            (false, true) => TxChange::Started,
            (true, false) => TxChange::Ended,
            _ => TxChange::None,
        };
        let verb = tag_verb(command);
        let reply = match output {
            Output::Rows(rows) => {
                let columns = self.conn.describe(statement).map_err(|e| from_braid(&e))?;
                // Moved out of the query's block of rows, not copied row by row.
                let rows: Vec<Vec<Value>> = rows.into_value_rows();
                Reply::Rows { command: verb.to_string(), columns, rows, zone: self.conn.time_zone() }
            }
            Output::Changed(n) => Reply::Command(format!("{verb} {n}")),
            Output::Done if command == "SELECT" => {
                Reply::Rows { command: verb.into(), columns: Arc::default(), rows: vec![], zone: Default::default() }
            }
            Output::Done => Reply::Command(verb.to_string()),
        };
        Ok(Step { reply, tx })
    }

    /// Begins a COPY: TO STDOUT runs the query and returns its rows as data; FROM STDIN
    /// prepares the INSERT that each incoming record runs.
    fn start_copy(&mut self, statement: &PreparedStatement) -> Result<Step, Failure> {
        let spec =
            statement.copy().ok_or_else(|| info("42601", "not a COPY statement"))?.map_err(|e| from_braid(&e))?;
        let delimiter = u8::try_from(spec.delimiter)
            .ok()
            .filter(u8::is_ascii)
            .ok_or_else(|| info("22023", "COPY delimiter must be a single one-byte character"))?;
        let format = copy::Format { csv: spec.csv, binary: spec.binary, delimiter, null: spec.null.clone() };
        // Column names as the binder read them (quoted ones kept their case), quoted again
        // for the statement made from them; the table comes as SQL already.
        let quote = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
        let columns: Vec<String> = spec.columns.iter().map(|c| quote(c)).collect();
        let columns = columns.join(", ");
        let quoted_table = spec.table.clone();
        if spec.to {
            let sql = match (&spec.query, &quoted_table) {
                (Some(query), _) => query.clone(),
                (None, Some(table)) if columns.is_empty() => format!("SELECT * FROM {table}"),
                (None, Some(table)) => format!("SELECT {columns} FROM {table}"),
                (None, None) => return Err(info("42601", "COPY needs a table or a query")),
            };
            let mut query = self.conn.prepare_all(&sql).map_err(|e| from_braid(&e))?;
            let mut query = query.pop().ok_or_else(|| info("42601", "COPY needs a query"))?;
            // Each column in the text form of its PostgreSQL type (a `date` as a date).
            let description = self.conn.describe(&mut query).map_err(|e| from_braid(&e))?;
            let types: Vec<Type> = (0..description.columns.len())
                .map(|i| types::column_pg_type(description.columns[i].1, description.declared(i)))
                .collect();
            let Output::Rows(rows) = self.conn.run_prepared(&mut query, ()).map_err(|e| from_braid(&e))? else {
                return Err(info("42601", "COPY (query) needs a query that returns rows"));
            };
            let names = rows.columns().to_vec();
            let mut pending = vec![];
            if spec.header {
                copy::write_header(&mut pending, &names, &format);
            }
            if format.binary {
                copy::write_binary_header(&mut pending);
            }
            let mut chunks = vec![];
            let zone = self.conn.time_zone();
            for row in rows {
                let row = row.map_err(|e| from_braid(&e))?;
                let mut line = std::mem::take(&mut pending);
                if format.binary {
                    copy::write_binary_row(&mut line, row.values(), &types).map_err(|e| info("22P03", e))?;
                } else {
                    copy::write_row(&mut line, row.values(), &types, &format, zone);
                }
                chunks.push(line);
            }
            // (pgwire's CopyResponse ends binary data with its trailer.)
            if !pending.is_empty() {
                chunks.push(pending);
            }
            let reply = Reply::CopyOut { columns: names.len(), binary: format.binary, chunks };
            return Ok(Step { reply, tx: TxChange::None });
        }
        let table = spec.table.ok_or_else(|| info("42601", "COPY FROM needs a table"))?;
        let width = if spec.columns.is_empty() {
            let mut all = self.conn.prepare_all(&format!("SELECT * FROM {table}")).map_err(|e| from_braid(&e))?;
            let all = all.last_mut().ok_or_else(|| info("42601", "COPY FROM needs a table"))?;
            self.conn.describe(all).map_err(|e| from_braid(&e))?.columns.len()
        } else {
            spec.columns.len()
        };
        let targets = if columns.is_empty() { String::new() } else { format!(" ({columns})") };
        let params: Vec<String> = (1..=width).map(|i| format!("${i}")).collect();
        // As PostgreSQL's COPY, values given for identity columns stand (a dump's ids).
        let sql = format!("INSERT INTO {table}{targets} OVERRIDING SYSTEM VALUE VALUES ({})", params.join(", "));
        let mut insert = self.conn.prepare_all(&sql).map_err(|e| from_braid(&e))?.pop().expect("one statement");
        let described = self.conn.describe(&mut insert).map_err(|e| from_braid(&e))?;
        // Fields are read as the columns' declared types: a binary `integer` is 4 bytes.
        let types = (0..described.params.len()).map(|i| types::param_pg_type(&described, i)).collect();
        let own_txn = !self.in_transaction();
        if own_txn {
            self.conn.execute_batch("BEGIN").map_err(|e| from_braid(&e))?;
        }
        self.copy_in = Some(CopyIn {
            insert,
            types,
            format,
            reader: copy::Reader::default(),
            header: spec.header,
            rows: 0,
            own_txn,
            error: None,
        });
        let binary = self.copy_in.as_ref().is_some_and(|c| c.format.binary);
        Ok(Step { reply: Reply::CopyIn { columns: width, binary }, tx: TxChange::None })
    }

    /// A CopyData message of a COPY FROM STDIN: inserts the records it completes. An
    /// error is kept for CopyDone to report (the protocol has no reply to CopyData).
    pub fn copy_data(&mut self, bytes: &[u8]) {
        let Some(mut c) = self.copy_in.take() else { return };
        if c.error.is_none() {
            match c.reader.push(bytes, &c.format) {
                Ok(records) => {
                    for record in records {
                        if let Err(e) = self.copy_record(&mut c, record) {
                            c.error = Some(e);
                            break;
                        }
                    }
                }
                Err(e) => c.error = Some(info("22P04", e)),
            }
        }
        self.copy_in = Some(c);
    }

    fn copy_record(&mut self, c: &mut CopyIn, record: copy::Record) -> Result<(), Failure> {
        let zone = self.conn.time_zone();
        if std::mem::take(&mut c.header) {
            return Ok(());
        }
        if record.len() != c.types.len() {
            let what = if record.len() > c.types.len() {
                "extra data after last expected column"
            } else {
                "missing data for a column"
            };
            return Err(info("22P04", format!("COPY row {}: {what}", c.rows + 1)));
        }
        let values = record
            .iter()
            .zip(&c.types)
            .map(|(field, ty)| types::decode_in(field.as_deref(), ty, c.format.binary, zone))
            .collect::<Result<Vec<Value>, _>>()
            .map_err(|e| info("22P02", format!("COPY row {}: {}", c.rows + 1, e.0)))?;
        self.conn.run_prepared(&mut c.insert, values).map_err(|e| from_braid(&e))?;
        c.rows += 1;
        Ok(())
    }

    /// CopyDone: the rest of the data, then the COPY's own transaction commits. Returns the
    /// rows copied, or the first error (and nothing of the COPY remains).
    pub fn copy_done(&mut self) -> Result<u64, Failure> {
        let Some(mut c) = self.copy_in.take() else {
            return Err(info("08P01", "CopyDone without a COPY in progress"));
        };
        if c.error.is_none() {
            let last = c.reader.finish(&c.format).map_err(|e| info("22P04", e));
            if let Err(e) = last.and_then(|r| r.map_or(Ok(()), |r| self.copy_record(&mut c, r))) {
                c.error = Some(e);
            }
        }
        match c.error.take() {
            Some(e) => Err(self.abort_copy(&c, e)),
            None if c.own_txn => {
                self.conn.execute_batch("COMMIT").map_err(|e| from_braid(&e))?;
                Ok(c.rows)
            }
            None => Ok(c.rows),
        }
    }

    /// Whether the session's transaction is failed (ReadyForQuery status `E`).
    pub fn is_failed(&self) -> bool {
        self.failed
    }

    /// CopyFail: the client gave up; nothing of the COPY remains.
    pub fn copy_fail(&mut self, message: &str) -> Failure {
        let error = info("57014", format!("COPY from stdin failed: {message}"));
        match self.copy_in.take() {
            Some(c) => self.abort_copy(&c, error),
            None => error,
        }
    }

    /// Undoes a failed COPY: its own transaction rolls back; inside the client's
    /// transaction, that transaction is failed.
    fn abort_copy(&mut self, c: &CopyIn, error: Failure) -> Failure {
        if c.own_txn {
            let _ = self.conn.execute_batch("ROLLBACK");
            error
        } else {
            self.fail(error)
        }
    }

    /// Notes an error: inside a transaction, the transaction is now failed.
    fn fail(&mut self, error: Failure) -> Failure {
        if self.in_transaction() {
            self.failed = true;
        }
        error
    }
}

/// The verb of a command's tag: what precedes the row count (`INSERT 0 3`, `UPDATE 3`).
pub(crate) fn tag_verb(command: &'static str) -> &'static str {
    match command {
        "INSERT" => "INSERT 0",
        "OK" => "SELECT",
        c => c,
    }
}

/// The target of the statement log (`log_statement`, `log_min_error_statement`), so that
/// `RUST_LOG` can route or silence it apart from the server's own messages.
pub const STATEMENT_LOG: &str = "braid::statement";

/// The lowest `log_statement` level that logs `statement`.
fn log_level(statement: &PreparedStatement) -> LogStatement {
    let copy_from = statement.copy().is_some_and(|c| c.is_ok_and(|c| !c.to));
    LogStatement::of(statement.command(), copy_from)
}

/// Parameters as PostgreSQL's log shows them: `$1 = '42', $2 = NULL`.
fn parameter_list(params: &[Value]) -> String {
    let one = |(i, v): (usize, &Value)| match v {
        Value::Null => format!("${} = NULL", i + 1),
        Value::Text(text) => format!("${} = '{}'", i + 1, text.replace('\'', "''")),
        v => format!("${} = '{v}'", i + 1),
    };
    params.iter().enumerate().map(one).collect::<Vec<_>>().join(", ")
}

/// A statement's parameter and result types; statements the session answers itself have
/// none.
fn describe(conn: &mut Connection, statement: &mut PreparedStatement) -> Result<Arc<Description>, Failure> {
    match statement.command() {
        "DISCARD" | "DEALLOCATE" | "COPY" => {
            Ok(Arc::new(Description { params: vec![], columns: vec![], declared: vec![], params_declared: vec![] }))
        }
        command => match conn.describe(statement) {
            // (Its columns are not known: the query describes as one without any.)
            Err(e) if reads_missing_catalog(&e, command) => Ok(Arc::default()),
            description => description.map_err(|e| from_braid(&e)),
        },
    }
}

/// Whether `error` is a query's read of a catalog Braid does not have. Clients read
/// catalogs for optional features (psql's `\d` its optional sections, pg_dump large
/// objects): such a query gets no rows, as from an empty catalog, rather than an error that
/// would stop the client's command. A write to such a catalog is still an error.
fn reads_missing_catalog(error: &braid::Error, command: &str) -> bool {
    command == "SELECT"
        && matches!(error, braid::Error::NotFound { kind: "relation", name } if name.starts_with("pg_catalog."))
}

/// Whether `sql` holds anything but whitespace and `;` after its statement number `n`
/// (from 0), statements ending at top-level `;`.
fn text_after_statement(sql: &str, n: usize) -> bool {
    let mut quote = None;
    let mut ends = 0;
    for (i, c) in sql.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, ';') => {
                ends += 1;
                if ends == n + 1 {
                    return sql[i + 1..].chars().any(|c| !c.is_whitespace() && c != ';');
                }
            }
            _ => {}
        }
    }
    false
}

/// What a statement in a failed transaction gets (25P02).
fn in_failed_transaction() -> Failure {
    info("25P02", "current transaction is aborted, commands ignored until end of transaction block")
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use braid::DataType;

    fn session() -> Session {
        let db = braid::Database::open_in_memory().unwrap();
        Session::new(db.connect(), Duration::from_secs(60), None)
    }

    fn tags(steps: Vec<Result<Step, Failure>>) -> Vec<String> {
        steps
            .into_iter()
            .map(|s| match s {
                Ok(Step { reply: Reply::Command(tag), .. }) => tag,
                Ok(Step { reply: Reply::Rows { command, rows, .. }, .. }) => format!("{command} {}", rows.len()),
                Ok(Step { reply: Reply::Empty, .. }) => "EMPTY".into(),
                Ok(Step { reply: Reply::CopyIn { columns, .. }, .. }) => format!("COPY IN {columns}"),
                Ok(Step { reply: Reply::CopyOut { chunks, .. }, .. }) => format!("COPY OUT {}", chunks.len()),
                Err(e) => format!("ERROR {}", e.code),
            })
            .collect()
    }

    #[test]
    fn command_tags_are_postgresql_s() {
        let mut s = session();
        let got = tags(s.simple(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b'); \
             UPDATE t SET v = 'c' WHERE id = 1; SELECT * FROM t; DELETE FROM t; \
             INSERT INTO t VALUES (3, 'x') RETURNING id",
        ));
        assert_eq!(got, ["CREATE TABLE", "INSERT 0 2", "UPDATE 1", "SELECT 2", "DELETE 2", "INSERT 0 1"]);
    }

    /// SELECTs differing only in the numbers of their WHERE clause share one statement,
    /// and each gets its own numbers' rows.
    #[test]
    fn simple_selects_share_their_parameterized_statement() {
        let mut s = session();
        s.simple("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, r REAL); INSERT INTO t VALUES (1, 'a', 0.5), (2, 'b', 1.5)");
        let rows = |steps: Vec<Result<Step, Failure>>| match steps.into_iter().next() {
            Some(Ok(Step { reply: Reply::Rows { columns, rows, .. }, .. })) => {
                (columns.columns.iter().map(|c| c.0.clone()).collect::<Vec<_>>(), rows)
            }
            other => panic!("expected rows, got {other:?}"),
        };
        let before = s.shapes.len();
        let (columns, got) = rows(s.simple("SELECT v, 7 FROM t WHERE id = 1"));
        assert_eq!(got, vec![vec![Value::Text("a".into()), Value::Integer(7)]]);
        // PostgreSQL names a literal column `?column?`; the value shows it was not lifted.
        assert_eq!(columns[1], "?column?");
        let (_, got) = rows(s.simple("SELECT v, 7 FROM t WHERE id = 2"));
        assert_eq!(got, vec![vec![Value::Text("b".into()), Value::Integer(7)]]);
        assert_eq!(s.shapes.len(), before + 1, "one statement for both");
        let (_, got) = rows(s.simple("SELECT id FROM t WHERE r > 1.0 AND v = 'b'"));
        assert_eq!(got, vec![vec![Value::Integer(2)]]);
        let (_, got) = rows(s.simple("SELECT id FROM t WHERE id = 3"));
        assert!(got.is_empty());
        // A rewrite the parser rejects is not used: the query runs as written.
        assert_eq!(tags(s.simple("SELECT id FROM t WHERE CAST(v AS VARCHAR(1)) = 'a'")), ["SELECT 1"]);
        // Nor is one of a query with a subquery.
        assert_eq!(tags(s.simple("SELECT id FROM t WHERE id IN (SELECT 2) OR id = 1")), ["SELECT 2"]);
        assert_eq!(tags(s.simple("SELECT id FROM nope WHERE id = 1")), ["ERROR 42P01"]);
    }

    #[test]
    fn a_failed_transaction_refuses_statements_until_it_ends() {
        let mut s = session();
        s.simple("CREATE TABLE t (id INTEGER PRIMARY KEY)");
        let got = tags(s.simple("BEGIN; INSERT INTO t VALUES (1); INSERT INTO t VALUES (1)"));
        assert_eq!(got, ["BEGIN", "INSERT 0 1", "ERROR 23505"]);
        assert!(s.in_transaction());
        assert_eq!(tags(s.simple("SELECT 1")), ["ERROR 25P02"]);
        assert_eq!(tags(s.simple("COMMIT")), ["ROLLBACK"]);
        assert!(!s.in_transaction());
        // The failed transaction's first insert was rolled back with it.
        assert_eq!(tags(s.simple("SELECT * FROM t")), ["SELECT 0"]);
    }

    /// Clients read catalogs Braid may not have for optional features (pg_largeobject
    /// here): a query of one gets no rows, by either protocol; a write to one, or a read in
    /// a failed transaction, is still an error.
    #[test]
    fn reads_of_catalogs_braid_lacks_get_no_rows() {
        let mut s = session();
        let read = "SELECT l.data FROM pg_catalog.pg_largeobject l WHERE l.loid = 1";
        assert_eq!(tags(s.simple(read)), ["SELECT 0"]);
        let sql = s.parse("SELECT data FROM pg_catalog.pg_largeobject WHERE loid = $1").unwrap();
        assert!(s.describe(&sql).unwrap().columns.is_empty());
        let step = s.execute(&sql, |d, _| Ok(vec![Value::Integer(d.params.len() as i64)])).unwrap();
        assert!(matches!(step.reply, Reply::Rows { ref rows, .. } if rows.is_empty()), "{step:?}");
        assert_eq!(tags(s.simple("INSERT INTO pg_catalog.pg_largeobject VALUES (1)")), ["ERROR 42P01"]);
        assert_eq!(tags(s.simple("SELECT * FROM no_such_table")), ["ERROR 42P01"]);
        assert_eq!(tags(s.simple("BEGIN; SELECT 1/0")), ["BEGIN", "ERROR 22012"]);
        assert_eq!(tags(s.simple(read)), ["ERROR 25P02"]);
    }

    #[test]
    fn copy_from_stdin_is_all_or_nothing() {
        let mut s = session();
        s.simple("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
        assert_eq!(tags(s.simple("COPY t FROM STDIN")), ["COPY IN 2"]);
        s.copy_data(b"1\ta\n2\t");
        s.copy_data(b"b\n");
        assert_eq!(s.copy_done().unwrap(), 2);
        assert!(!s.in_transaction(), "the COPY's own transaction committed");
        assert_eq!(tags(s.simple("COPY t FROM STDIN")), ["COPY IN 2"]);
        s.copy_data(b"3\tc\nnot a number\td\n");
        assert_eq!(s.copy_done().unwrap_err().code, "22P02");
        assert_eq!(tags(s.simple("COPY t FROM STDIN")), ["COPY IN 2"]);
        s.copy_data(b"4\td\n");
        assert_eq!(s.copy_fail("client gave up").code, "57014");
        assert_eq!(tags(s.simple("SELECT * FROM t")), ["SELECT 2"]);
        assert_eq!(tags(s.simple("COPY t TO STDOUT; COPY t (v) TO '/tmp/x'")), ["COPY OUT 2", "ERROR 0A000"]);
        // The client sends COPY data after the whole query string: COPY FROM STDIN is last.
        assert_eq!(tags(s.simple("COPY t FROM STDIN; SELECT 1")), ["ERROR 0A000"]);
        assert_eq!(tags(s.simple("BEGIN; COPY t FROM STDIN")), ["BEGIN", "COPY IN 2"]);
        s.copy_data(b"7\tg\n");
        assert_eq!(s.copy_done().unwrap(), 1);
        assert!(s.in_transaction(), "a COPY inside the client's transaction leaves it open");
        assert_eq!(tags(s.simple("ROLLBACK; SELECT * FROM t")), ["ROLLBACK", "SELECT 2"]);
    }

    #[test]
    fn transaction_control_out_of_place_is_accepted() {
        let mut s = session();
        assert_eq!(
            tags(s.simple("COMMIT; ROLLBACK; BEGIN; BEGIN; COMMIT")),
            ["COMMIT", "ROLLBACK", "BEGIN", "BEGIN", "COMMIT"]
        );
    }

    #[test]
    fn set_is_remembered_by_show() {
        let mut s = session();
        assert_eq!(tags(s.simple("SET application_name = 'psql'; SET extra_float_digits TO 3")), ["SET", "SET"]);
        let steps = s.simple("SHOW application_name");
        let Ok(Step { reply: Reply::Rows { rows, .. }, .. }) = &steps[0] else { panic!("{steps:?}") };
        assert_eq!(rows[0][0], Value::Text("psql".into()));
        assert_eq!(tags(s.simple("SHOW no_such_setting")), ["ERROR 42704"]);
    }

    #[test]
    fn extended_statements_describe_parameters_and_columns() {
        let mut s = session();
        s.simple("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL)");
        let sql = s.parse("SELECT name, score, id + 1 FROM t WHERE id = $1").unwrap();
        let d = s.describe(&sql).unwrap();
        assert_eq!(d.params, [Some(DataType::Integer)]);
        let types: Vec<_> = d.columns.iter().map(|c| c.1).collect();
        assert_eq!(types, [Some(DataType::Text), Some(DataType::Real), Some(DataType::Integer)]);
        let insert = s.parse("INSERT INTO t VALUES ($1, $2, $3)").unwrap();
        let d = s.describe(&insert).unwrap();
        assert_eq!(d.params, [Some(DataType::Integer), Some(DataType::Text), Some(DataType::Real)]);
        assert!(s.parse("SELECT 1; SELECT 2").is_err());
    }
}
