//! The public face of a connection: [`Connection`], [`Statement`] and [`Transaction`], each
//! an enum over the embedded implementation ([`Local`]) and, with the `remote` feature, the
//! network one (`remote::Remote`).
//!
//! An enum rather than a trait object: a call costs one `match`, rows are the same
//! materialised [`Rows`] either way, and without the feature the enum has one variant, so
//! the embedded path compiles to what it was before there was a choice.

use std::path::Path;
use std::time::Duration;

use crate::connection::local::{Local, LocalStatement, PreparedStatement};
use crate::connection::params::Params;
use crate::database::Database;
use crate::error::{Error, Result};
use crate::execute::interrupt::InterruptHandle;
use crate::plan::Description;
#[cfg(feature = "remote")]
use crate::remote::{Remote, RemoteStatement};
use crate::rows::{Row, Rows};

/// A connection: runs SQL, one statement at a time, and holds the transaction between
/// statements.
///
/// Embedded ([`Database::connect`], [`Connection::open`]) it runs statements in this
/// process; remote (`Connection::connect`, with the `remote` feature) it sends them to a
/// `braid serve` over the PostgreSQL wire protocol. The methods are the same; the few that
/// only make sense in-process say so and return [`Error::Unsupported`] (or `None`) remotely.
pub struct Connection {
    inner: Inner,
}

// The local variant stays inline: it is the benchmarked path, and a box would add a pointer
// chase to every call. The remote one, slower by a network round trip, is boxed.
#[allow(clippy::large_enum_variant)]
enum Inner {
    Local(Local),
    #[cfg(feature = "remote")]
    Remote(Box<Remote>),
}

/// The error of an embedded-only method called on a remote connection.
#[cfg(feature = "remote")]
fn embedded_only(what: &str) -> Error {
    Error::unsupported(format!("{what} works on embedded connections only, not over the network"))
}

impl Connection {
    pub(crate) fn new(db: Database) -> Self {
        Connection { inner: Inner::Local(Local::new(db)) }
    }

    /// Opens (creating if needed) the database in directory `path` (as [`Database::open`])
    /// and connects to it. Other connections to it come from
    /// [`database`](Self::database)`()`'s [`Database::connect`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Ok(Database::open(path)?.connect())
    }

    /// A connection to a new, empty in-memory database.
    pub fn open_in_memory() -> Result<Self> {
        Ok(Database::open_in_memory()?.connect())
    }

    /// Connects to a `braid serve` (or any server speaking Braid's SQL over the PostgreSQL
    /// protocol): `postgres://user@host:port/dbname` or `host=… port=… user=…`, as
    /// tokio-postgres reads them. Without TLS (`sslmode=require` fails).
    ///
    /// The connection owns a single-threaded tokio runtime and blocks on it for each call;
    /// like any blocking client, do not call it from inside an async task.
    #[cfg(feature = "remote")]
    pub fn connect(url: &str) -> Result<Self> {
        Ok(Connection { inner: Inner::Remote(Box::new(Remote::connect(url)?)) })
    }

    /// Whether this connection talks to a server rather than to a database in this process.
    pub fn is_remote(&self) -> bool {
        !matches!(self.inner, Inner::Local(_))
    }

    /// The database this connection reads and writes; `None` for a remote connection,
    /// whose database lives in the server.
    pub fn database(&self) -> Option<&Database> {
        match &self.inner {
            Inner::Local(local) => Some(local.database()),
            #[cfg(feature = "remote")]
            Inner::Remote(_) => None,
        }
    }

    /// A handle that interrupts this connection's running statement from another thread.
    /// Remotely it sends the server a cancel request (on a connection of its own).
    pub fn interrupt_handle(&self) -> InterruptHandle {
        match &self.inner {
            Inner::Local(local) => local.interrupt_handle(),
            #[cfg(feature = "remote")]
            Inner::Remote(remote) => remote.interrupt_handle(),
        }
    }

    /// Statements running longer than `timeout` stop with [`Error::Cancelled`] (`None`:
    /// no limit, the default). Remotely it becomes `SET statement_timeout`, sent before the
    /// next statement (a failure to set it is that statement's error).
    pub fn set_statement_timeout(&mut self, timeout: Option<Duration>) {
        match &mut self.inner {
            Inner::Local(local) => local.set_statement_timeout(timeout),
            #[cfg(feature = "remote")]
            Inner::Remote(remote) => remote.set_statement_timeout(timeout),
        }
    }

    /// Sets a run-time setting, as `SET name = 'value'` does (checked the same way).
    pub fn set_setting(&mut self, name: &str, value: &str) -> Result<()> {
        match &mut self.inner {
            Inner::Local(local) => local.session().set(name, value),
            #[cfg(feature = "remote")]
            Inner::Remote(_) => {
                let quoted = value.replace('\'', "''");
                self.execute_batch(&format!("SET {} = '{quoted}'", crate::functions::quote_ident(name)))
            }
        }
    }

    /// The session's `TimeZone`, resolved: what a server writes `timestamptz` text in and
    /// reads it from. A remote connection's values arrive as instants: UTC here.
    pub fn time_zone(&self) -> crate::value::zone::Zone {
        match &self.inner {
            Inner::Local(local) => local.session().zone(),
            #[cfg(feature = "remote")]
            Inner::Remote(_) => crate::value::zone::Zone::Utc,
        }
    }

    /// Which statements this session's `log_statement` asks a server to log before running
    /// them, and whether `log_min_error_statement` asks it to log failed ones with their
    /// error. A remote connection leaves logging to its server: (none, false).
    pub fn log_settings(&self) -> (crate::session::LogStatement, bool) {
        match &self.inner {
            Inner::Local(local) => (local.session().log_statement(), local.session().log_error_statements()),
            #[cfg(feature = "remote")]
            Inner::Remote(_) => (crate::session::LogStatement::None, false),
        }
    }

    /// Makes `user` the connection's session user and current role (`session_user`,
    /// `current_user`), whose privileges its statements are checked against. An embedded
    /// connection starts as the bootstrap superuser `braid`; the server calls this once a
    /// client has authenticated. Fails if the catalog cannot be read. A remote connection's
    /// user is the one it logged in as: changing it is refused (0A000); `SET ROLE` works there.
    pub fn set_user(&mut self, user: &str) -> Result<()> {
        match &mut self.inner {
            Inner::Local(local) => local.set_login(user),
            #[cfg(feature = "remote")]
            Inner::Remote(_) => Err(Error::unsupported("changing a remote connection's user")),
        }
    }

    /// Whether no explicit transaction is open. Remotely, as far as this connection can
    /// tell from the statements it sent (a transaction begun by `SAVEPOINT` and committed by
    /// its `RELEASE` still counts as open).
    pub fn is_autocommit(&self) -> bool {
        match &self.inner {
            Inner::Local(local) => local.is_autocommit(),
            #[cfg(feature = "remote")]
            Inner::Remote(remote) => remote.is_autocommit(),
        }
    }

    /// Runs one or more `;`-separated statements; returns the rows changed by the last one
    /// (0 for statements that change no rows). Remotely, a call with parameters takes one
    /// statement (the extended protocol's limit).
    pub fn execute(&mut self, sql: &str, params: impl Params) -> Result<u64> {
        let params = params.into_params();
        match &mut self.inner {
            Inner::Local(local) => local.execute(sql, &params),
            #[cfg(feature = "remote")]
            Inner::Remote(remote) => remote.execute(sql, &params),
        }
    }

    /// Runs `;`-separated statements without parameters, discarding results.
    pub fn execute_batch(&mut self, sql: &str) -> Result<()> {
        match &mut self.inner {
            Inner::Local(local) => local.execute(sql, &Default::default()).map(|_| ()),
            #[cfg(feature = "remote")]
            Inner::Remote(remote) => remote.execute_batch(sql),
        }
    }

    /// Runs a query and returns its rows. Embedded, statements before the last one in `sql`
    /// run too; remotely a query is one statement.
    pub fn query(&mut self, sql: &str, params: impl Params) -> Result<Rows> {
        let params = params.into_params();
        match &mut self.inner {
            Inner::Local(local) => local.query(sql, &params),
            #[cfg(feature = "remote")]
            Inner::Remote(remote) => remote.query(sql, &params),
        }
    }

    /// Runs a query and hands its first row to `f`; no row is a `NotFound` error.
    pub fn query_row<T>(&mut self, sql: &str, params: impl Params, f: impl FnOnce(&Row) -> Result<T>) -> Result<T> {
        let row =
            self.query(sql, params)?.next().ok_or_else(|| Error::not_found("row", "the query returned no rows"))??;
        f(&row)
    }

    /// Parses a statement once, to run many times; its plan is made at the first run and
    /// reused until the schema changes. Remotely it is a server-side prepared statement,
    /// closed when the [`Statement`] drops.
    pub fn prepare(&mut self, sql: &str) -> Result<Statement<'_>> {
        let kind = match &mut self.inner {
            Inner::Local(local) => StatementKind::Local(local.prepare(sql)?),
            #[cfg(feature = "remote")]
            Inner::Remote(remote) => StatementKind::Remote(remote.prepare(sql)?),
        };
        Ok(Statement { kind })
    }

    /// Begins a transaction that rolls back when dropped unless committed.
    pub fn transaction(&mut self) -> Result<Transaction<'_>> {
        match &mut self.inner {
            Inner::Local(local) => local.begin()?,
            #[cfg(feature = "remote")]
            Inner::Remote(remote) => remote.begin()?,
        }
        Ok(Transaction { conn: self, done: false })
    }

    /// Commits (`true`) or rolls back the open transaction.
    fn end(&mut self, commit: bool) -> Result<()> {
        match &mut self.inner {
            Inner::Local(local) => local.end(commit),
            #[cfg(feature = "remote")]
            Inner::Remote(remote) => remote.end(commit),
        }
    }

    /// Parses `sql` (one or more `;`-separated statements) into statements the caller owns.
    /// Embedded only: it is what a server builds its protocol-level statements on.
    pub fn prepare_all(&self, sql: &str) -> Result<Vec<PreparedStatement>> {
        match &self.inner {
            Inner::Local(local) => local.prepare_all(sql),
            #[cfg(feature = "remote")]
            Inner::Remote(_) => Err(embedded_only("prepare_all")),
        }
    }

    /// Runs a statement prepared by [`prepare_all`](Self::prepare_all), in the open
    /// transaction or in its own. Embedded only.
    pub fn run_prepared(&mut self, statement: &mut PreparedStatement, params: impl Params) -> Result<Output> {
        match &mut self.inner {
            Inner::Local(local) => local.run_prepared(statement, &params.into_params()),
            #[cfg(feature = "remote")]
            Inner::Remote(_) => Err(embedded_only("run_prepared")),
        }
    }

    /// The types of a statement's parameters and result columns, before it runs (binding
    /// it against the current schema, which also finds unknown names). Embedded only.
    pub fn describe(&mut self, statement: &mut PreparedStatement) -> Result<std::sync::Arc<Description>> {
        match &mut self.inner {
            Inner::Local(local) => local.describe(statement),
            #[cfg(feature = "remote")]
            Inner::Remote(_) => Err(embedded_only("describe")),
        }
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").field("remote", &self.is_remote()).finish_non_exhaustive()
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

/// A prepared statement, run as many times as needed with different parameters.
pub struct Statement<'c> {
    kind: StatementKind<'c>,
}

// Built once and run many times: its size costs one move.
#[allow(clippy::large_enum_variant)]
enum StatementKind<'c> {
    Local(LocalStatement<'c>),
    #[cfg(feature = "remote")]
    Remote(RemoteStatement<'c>),
}

impl Statement<'_> {
    /// Runs the statement; returns the rows changed.
    pub fn execute(&mut self, params: impl Params) -> Result<u64> {
        let params = params.into_params();
        match &mut self.kind {
            StatementKind::Local(s) => s.execute(params),
            #[cfg(feature = "remote")]
            StatementKind::Remote(s) => s.execute(&params),
        }
    }

    /// Runs the statement as a query.
    pub fn query(&mut self, params: impl Params) -> Result<Rows> {
        let params = params.into_params();
        match &mut self.kind {
            StatementKind::Local(s) => s.query(&params),
            #[cfg(feature = "remote")]
            StatementKind::Remote(s) => s.query(&params),
        }
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
        self.conn.end(true)
    }

    pub fn rollback(mut self) -> Result<()> {
        self.done = true;
        self.conn.end(false)
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
        if !self.done && !self.conn.is_autocommit() {
            let _ = self.conn.end(false);
        }
    }
}
