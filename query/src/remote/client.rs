//! [`Remote`]: a tokio-postgres client and the runtime it runs on, behind blocking calls.

use std::time::Duration;

use braid_engine::Value;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{CancelToken, Client, NoTls, SimpleQueryMessage};

use super::error::{from_client, from_connect};
use super::types::{Field, Param, param_type};
use crate::bind;
use crate::connection::ParamValues;
use crate::error::{Error, Result};
use crate::execute::interrupt::InterruptHandle;
use crate::parse;
use crate::plan::TransactionOp;
use crate::rows::Rows;

/// A connection to a server.
pub(crate) struct Remote {
    // Dropped before the runtime: the connection task is then aborted with it.
    client: Client,
    runtime: tokio::runtime::Runtime,
    /// Whether a transaction is open, from the transaction control this connection sent
    /// (the client library does not pass ReadyForQuery's status on).
    in_transaction: bool,
    /// A statement timeout set since the last statement: sent before the next one.
    pending_timeout: Option<Option<Duration>>,
}

impl Remote {
    pub(crate) fn connect(url: &str) -> Result<Self> {
        let config: tokio_postgres::Config =
            url.parse().map_err(|e| Error::invalid(format!("invalid connection string: {e}")))?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| {
            Error::Remote { code: "08001".into(), message: format!("cannot start the client's runtime: {e}") }
        })?;
        let (client, connection) = runtime.block_on(config.connect(NoTls)).map_err(from_connect)?;
        // Polled whenever a call blocks on the runtime: that is when there are messages.
        runtime.spawn(async move {
            let _ = connection.await;
        });
        Ok(Remote { client, runtime, in_transaction: false, pending_timeout: None })
    }

    pub(crate) fn interrupt_handle(&self) -> InterruptHandle {
        InterruptHandle::remote(self.client.cancel_token())
    }

    pub(crate) fn set_statement_timeout(&mut self, timeout: Option<Duration>) {
        self.pending_timeout = Some(timeout);
    }

    pub(crate) fn is_autocommit(&self) -> bool {
        !self.in_transaction
    }

    /// Without parameters through the simple protocol (any number of statements); with
    /// them, one statement through the extended protocol.
    pub(crate) fn execute(&mut self, sql: &str, params: &ParamValues) -> Result<u64> {
        self.send_settings()?;
        let values = positional(params)?;
        let changed = if values.is_empty() {
            let messages = self.runtime.block_on(self.client.simple_query(sql)).map_err(from_client);
            messages.map(|m| last_changed(&m))
        } else {
            self.prepare_typed(sql, values).and_then(|statement| self.run_execute(&statement, values))
        };
        self.track(sql);
        changed
    }

    pub(crate) fn execute_batch(&mut self, sql: &str) -> Result<()> {
        self.send_settings()?;
        let done = self.runtime.block_on(self.client.batch_execute(sql)).map_err(from_client);
        self.track(sql);
        done
    }

    pub(crate) fn query(&mut self, sql: &str, params: &ParamValues) -> Result<Rows> {
        self.send_settings()?;
        let values = positional(params)?;
        let rows = self.prepare_typed(sql, values).and_then(|statement| self.run_query(&statement, values));
        self.track(sql);
        rows
    }

    pub(crate) fn prepare(&mut self, sql: &str) -> Result<RemoteStatement<'_>> {
        let inferred = self.runtime.block_on(self.client.prepare(sql)).map_err(from_client)?;
        Ok(RemoteStatement { conn: self, sql: sql.to_string(), inferred, typed: vec![] })
    }

    pub(crate) fn begin(&mut self) -> Result<()> {
        self.send_settings()?;
        self.runtime.block_on(self.client.batch_execute("BEGIN")).map_err(from_client)?;
        self.in_transaction = true;
        Ok(())
    }

    pub(crate) fn end(&mut self, commit: bool) -> Result<()> {
        // Over either way, as embedded: a failed COMMIT rolls back.
        self.in_transaction = false;
        let sql = if commit { "COMMIT" } else { "ROLLBACK" };
        self.runtime.block_on(self.client.batch_execute(sql)).map_err(from_client)
    }

    /// Sends what [`set_statement_timeout`](Self::set_statement_timeout) asked for.
    fn send_settings(&mut self) -> Result<()> {
        if let Some(timeout) = self.pending_timeout.take() {
            let ms = timeout.map_or(0, |t| t.as_millis().max(1));
            let sql = format!("SET statement_timeout = {ms}");
            self.runtime.block_on(self.client.batch_execute(&sql)).map_err(from_client)?;
        }
        Ok(())
    }

    /// `sql` prepared with the types of `values` (see `types`).
    fn prepare_typed(&self, sql: &str, values: &[Value]) -> Result<tokio_postgres::Statement> {
        let types: Vec<Type> = values.iter().map(param_type).collect();
        self.runtime.block_on(self.client.prepare_typed(sql, &types)).map_err(from_client)
    }

    /// Runs a statement for the rows it changes; one that returns rows changes none, as
    /// embedded (`INSERT … RETURNING` included).
    fn run_execute(&self, statement: &tokio_postgres::Statement, values: &[Value]) -> Result<u64> {
        check_arity(statement, values)?;
        let params: Vec<Param> = values.iter().map(Param).collect();
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        if statement.columns().is_empty() {
            self.runtime.block_on(self.client.execute(statement, &params)).map_err(from_client)
        } else {
            self.runtime.block_on(self.client.query(statement, &params)).map_err(from_client)?;
            Ok(0)
        }
    }

    fn run_query(&self, statement: &tokio_postgres::Statement, values: &[Value]) -> Result<Rows> {
        check_arity(statement, values)?;
        let params: Vec<Param> = values.iter().map(Param).collect();
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as _).collect();
        let rows = self.runtime.block_on(self.client.query(statement, &params)).map_err(from_client)?;
        let columns: Vec<String> = statement.columns().iter().map(|c| c.name().to_string()).collect();
        let rows = rows
            .iter()
            .map(|row| (0..row.len()).map(|i| row.try_get::<_, Field>(i).map(|f| f.0)).collect())
            .collect::<Result<Vec<Vec<Value>>, _>>()
            .map_err(from_client)?;
        Ok(Rows::new(columns, rows))
    }

    /// Follows the transaction control in `sql`, after it ran, whether or not it failed:
    /// a BEGIN fails inside a transaction, which stays open; a COMMIT or ROLLBACK that
    /// fails has ended it all the same. (A failing script of several statements may have
    /// stopped before its transaction control: there this is a guess.)
    fn track(&mut self, sql: &str) {
        // Most statements cannot be transaction control: skip their parse.
        let upper = sql.to_ascii_uppercase();
        if !["BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT"].iter().any(|k| upper.contains(k)) {
            return;
        }
        for statement in parse::parse(sql).unwrap_or_default() {
            match bind::transaction_op(&statement) {
                Ok(Some(TransactionOp::Begin { .. } | TransactionOp::Savepoint(_))) => self.in_transaction = true,
                Ok(Some(TransactionOp::Commit | TransactionOp::Rollback)) => self.in_transaction = false,
                _ => {}
            }
        }
    }
}

/// The positional parameters; named ones are embedded only.
fn positional(params: &ParamValues) -> Result<&[Value]> {
    if params.named.is_empty() {
        Ok(&params.positional)
    } else {
        Err(Error::unsupported("named parameters (:name) on a remote connection: use $1 or ?"))
    }
}

/// The number of parameters given must be the number the statement takes.
fn check_arity(statement: &tokio_postgres::Statement, values: &[Value]) -> Result<()> {
    let wanted = statement.params().len();
    if values.len() == wanted {
        Ok(())
    } else {
        Err(Error::invalid(format!("the statement takes {wanted} parameters, {} given", values.len())))
    }
}

/// The rows the last statement of a simple query changed: 0 if it returned rows.
fn last_changed(messages: &[SimpleQueryMessage]) -> u64 {
    let mut returned_rows = false;
    let mut changed = 0;
    for message in messages {
        match message {
            SimpleQueryMessage::RowDescription(_) => returned_rows = true,
            SimpleQueryMessage::CommandComplete(n) => {
                changed = if returned_rows { 0 } else { *n };
                returned_rows = false;
            }
            _ => {}
        }
    }
    changed
}

/// A server-side prepared statement, closed when dropped.
///
/// Prepared once as the server infers its parameter types; a run whose values have other
/// types (a TEXT where the server inferred INTEGER) uses a second preparation declared with
/// those types, kept for the next run like it.
pub(crate) struct RemoteStatement<'c> {
    conn: &'c mut Remote,
    sql: String,
    inferred: tokio_postgres::Statement,
    typed: Vec<(Vec<Type>, tokio_postgres::Statement)>,
}

impl RemoteStatement<'_> {
    pub(crate) fn execute(&mut self, params: &ParamValues) -> Result<u64> {
        let values = positional(params)?;
        let statement = self.statement_for(values)?;
        self.conn.send_settings()?;
        let changed = self.conn.run_execute(&statement, values);
        self.conn.track(&self.sql);
        changed
    }

    pub(crate) fn query(&mut self, params: &ParamValues) -> Result<Rows> {
        let values = positional(params)?;
        let statement = self.statement_for(values)?;
        self.conn.send_settings()?;
        let rows = self.conn.run_query(&statement, values);
        self.conn.track(&self.sql);
        rows
    }

    /// The preparation whose parameter types fit `values` (a NULL fits any type).
    fn statement_for(&mut self, values: &[Value]) -> Result<tokio_postgres::Statement> {
        let inferred = self.inferred.params();
        if values.len() != inferred.len() {
            check_arity(&self.inferred, values)?;
        }
        let types: Vec<Type> =
            values.iter().zip(inferred).map(|(v, ty)| if v.is_null() { ty.clone() } else { param_type(v) }).collect();
        if types == inferred {
            return Ok(self.inferred.clone());
        }
        if let Some((_, statement)) = self.typed.iter().find(|(t, _)| *t == types) {
            return Ok(statement.clone());
        }
        let statement = self.conn.runtime.block_on(self.conn.client.prepare_typed(&self.sql, &types));
        let statement = statement.map_err(from_client)?;
        self.typed.push((types, statement.clone()));
        Ok(statement)
    }
}

/// How long [`cancel`] waits to deliver a cancel request (an unreachable server must not
/// hang the caller, which may be a Ctrl-C handler, for the OS's connect timeout).
const CANCEL_TIMEOUT: Duration = Duration::from_secs(5);

/// Sends `token`'s cancel request and waits for it to be delivered, on a thread and
/// runtime of its own: the caller may be inside an async runtime, or holding the
/// connection's.
pub(crate) fn cancel(token: &CancelToken) {
    let token = token.clone();
    let sent = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
        // The timer is made inside the runtime, which it needs.
        runtime.block_on(async { tokio::time::timeout(CANCEL_TIMEOUT, token.cancel_query(NoTls)).await }).ok()?.ok()
    });
    // Nothing to report to: a statement that was not cancelled simply runs on.
    let _ = sent.join();
}
