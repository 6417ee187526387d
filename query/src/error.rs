//! The one error type of the query layer.
//!
//! Errors are grouped by what the caller should do about them: fix the SQL text
//! ([`Error::Syntax`]), fix a name ([`Error::NotFound`], [`Error::AlreadyExists`]), fix the
//! data or the statement ([`Error::Type`], [`Error::Arithmetic`], [`Error::Constraint`],
//! [`Error::InvalidInput`]), retry ([`Error::is_retryable`]), or accept that Braid does not
//! do it ([`Error::Unsupported`]). Storage errors keep the engine's error inside.
//!
//! A remote connection (the `remote` feature) turns the server's errors back into these
//! variants by SQLSTATE, so the same code handles both kinds of connection; what has no
//! variant of its own here (a lost connection, a protocol error, a server's storage failure)
//! is [`Error::Remote`], with the SQLSTATE and the server's message.

use std::fmt;

/// A query-layer result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong running SQL.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The SQL text does not parse. `line` and `column` are 1-based (0 when unknown).
    #[error("syntax error at line {line}, column {column}: {message}")]
    Syntax { message: String, line: u64, column: u64 },
    /// A table, column, index, view, trigger or function that does not exist.
    #[error("no such {kind}: {name}")]
    NotFound { kind: &'static str, name: String },
    /// An object that already exists.
    #[error("{kind} {name} already exists")]
    AlreadyExists { kind: &'static str, name: String },
    /// A value of the wrong type where the statement needs another.
    #[error("type error: {0}")]
    Type(String),
    /// Integer overflow and similar arithmetic failures.
    #[error("{0}")]
    Arithmetic(String),
    /// A constraint (NOT NULL, UNIQUE, CHECK, PRIMARY KEY) refused a write.
    #[error("{0}")]
    Constraint(String),
    /// A statement that is well formed but wrong (wrong number of values, misuse of an
    /// aggregate, a write to a view, …).
    #[error("{0}")]
    InvalidInput(String),
    /// A statement Braid does not support.
    #[error("not supported: {0}")]
    Unsupported(String),
    /// A write in a read-only transaction.
    #[error("cannot write in a read-only transaction")]
    ReadOnly,
    /// The statement was interrupted ([`crate::InterruptHandle`]) or ran past the
    /// connection's statement timeout; its writes were undone.
    #[error("canceling statement due to {}", if *timeout { "statement timeout" } else { "user request" })]
    Cancelled { timeout: bool },
    /// The storage engine failed (I/O, corruption, a serialization conflict, …).
    #[error(transparent)]
    Storage(braid_engine::Error),
    /// An error of a remote connection with no closer variant: the server's SQLSTATE and
    /// message (`40001`: a serialization conflict, retryable), or the connection itself
    /// failing (class `08`: `08001` could not connect, `08006` lost). The transaction a lost
    /// connection had open is rolled back by the server.
    #[error("{message} (SQLSTATE {code})")]
    Remote { code: String, message: String },
}

impl Error {
    /// Whether running the whole transaction again may succeed: true only for a
    /// serialization conflict with a concurrent transaction (SQLSTATE 40001), in this process
    /// or reported by a server.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Storage(e) => e.is_retryable(),
            Error::Remote { code, .. } => code == "40001",
            _ => false,
        }
    }

    pub(crate) fn invalid(message: impl fmt::Display) -> Self {
        Error::InvalidInput(message.to_string())
    }

    pub(crate) fn unsupported(message: impl fmt::Display) -> Self {
        Error::Unsupported(message.to_string())
    }

    pub(crate) fn type_error(message: impl fmt::Display) -> Self {
        Error::Type(message.to_string())
    }

    pub(crate) fn not_found(kind: &'static str, name: impl fmt::Display) -> Self {
        Error::NotFound { kind, name: name.to_string() }
    }
}

impl From<braid_engine::Error> for Error {
    fn from(e: braid_engine::Error) -> Self {
        match e {
            braid_engine::Error::Constraint(m) => Error::Constraint(m),
            braid_engine::Error::ReadOnly => Error::ReadOnly,
            braid_engine::Error::NotFound { kind, name } => Error::NotFound { kind, name },
            braid_engine::Error::AlreadyExists { kind, name } => Error::AlreadyExists { kind, name },
            e => Error::Storage(e),
        }
    }
}
