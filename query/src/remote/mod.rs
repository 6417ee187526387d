//! The remote connection: [`Connection::connect`](crate::Connection::connect) to a
//! `braid serve` over the PostgreSQL wire protocol, behind the same API as an embedded
//! connection (the `remote` feature).
//!
//! Why: an application moves between embedded and server mode by changing the line that
//! opens its connection, and one test suite runs against both (`server/tests/one_api.rs`).
//!
//! How:
//! - a real PostgreSQL client, tokio-postgres, speaks the protocol (`client`): Braid's
//!   server is tested against it already, and it brings SCRAM, cancel requests and the
//!   extended protocol;
//! - the connection owns a current-thread tokio runtime and blocks on it for each call,
//!   so the public API stays synchronous and embedded users compile no tokio (the runtime
//!   drives the socket only while a call is running; between calls nothing is spawned);
//! - parameters are declared with the types of their values, and results are read by the
//!   type the server sends (`types`), using the server's own mapping (`server/src/pg/
//!   types.rs`): BOOLEAN bool, INTEGER int8, REAL float8, TEXT text, BLOB bytea,
//!   TIMESTAMP timestamptz;
//! - the server's errors become the [`Error`](crate::Error) variants it made them from, by
//!   SQLSTATE (`error`), so `matches!(e, Error::Constraint { .. })` and `e.sqlstate()` hold on both kinds.
//!
//! What differs from embedded (each documented on its method): a query, and a statement
//! with parameters, is one statement (the extended protocol's unit); named parameters
//! (`:name`) are embedded only; [`database`](crate::Connection::database) is `None` and the
//! server's own API (`prepare_all`, `run_prepared`, `describe`) is refused; a column of no
//! single type (`coalesce(1, 'a')`) arrives as TEXT; the server follows PostgreSQL's rule
//! that a failed statement aborts the open transaction until ROLLBACK, where embedded
//! undoes only the statement. No TLS yet.

mod client;
mod error;
mod types;

pub(crate) use self::client::{Remote, RemoteStatement, cancel};
