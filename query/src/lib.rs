//! `braid`: the embeddable database library.
//!
//! SQL in, rows out, over the [`braid_engine`] storage engine:
//!
//! ```
//! let db = braid::Database::open_in_memory()?;
//! let mut conn = db.connect();
//! conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)", ())?;
//! conn.execute("INSERT INTO t VALUES ($1, $2)", (1, "one"))?;
//! let name: String = conn.query_row("SELECT name FROM t WHERE id = ?", [1], |row| row.get(0))?;
//! assert_eq!(name, "one");
//! # Ok::<(), braid::Error>(())
//! ```
//!
//! # The life of a statement
//!
//! 1. [`parse`]: sqlparser (PostgreSQL dialect, with SQLite's forms accepted) turns text
//!    into an AST;
//! 2. `bind`: names are resolved against the catalog, and the AST becomes our own
//!    [`plan::Statement`] (sqlparser types go no further);
//! 3. `optimize`: rules rewrite the plan (constant folding, predicate pushdown, index
//!    selection, hash joins, limit pushdown);
//! 4. `execute`: operators pull rows batch by batch from the engine's transaction.
//!
//! [`Connection`] holds the transaction state between statements: autocommit by default,
//! or the transaction opened by `BEGIN` / [`Connection::transaction`].
//!
//! With the `remote` feature, `Connection::connect("postgres://…")` gives a [`Connection`]
//! to a `braid serve` instead, with the same methods: an application moves between
//! embedded and server mode by changing the line that connects (module `remote`).

pub mod autoparam;
mod bind;
mod connection;
mod database;
mod error;
mod execute;
pub mod functions;
mod index_keys;
mod names;
mod optimize;
pub mod parse;
pub mod plan;
mod privileges;
#[cfg(feature = "remote")]
mod remote;
mod rows;
pub mod scram;
pub mod session;
mod source;
pub mod value;

pub use braid_engine::{Backend, DataType, Decimal, DeclaredType, Interval, Synchronous, Value, set_blocking_wait};

pub use self::bind::ddl::views;
pub use self::connection::{Connection, Output, Params, PreparedStatement, Statement, Transaction};
pub use self::database::{Database, OpenOptions};
pub use self::error::{ConstraintKind, DataError, Error, Result};
pub use self::execute::interrupt::InterruptHandle;
pub use self::plan::Description;
pub use self::rows::{Row, RowIndex, Rows};
pub use self::value::{FromValue, ToValue};
