//! The engine's one error type.
//!
//! Variants are grouped by what the caller should do next, not by where they came from:
//!
//! | group        | variants                              | the caller should…                     |
//! |--------------|---------------------------------------|----------------------------------------|
//! | invalid input| `InvalidInput`, `NotFound`, `AlreadyExists`, `Constraint` | fix the request       |
//! | conflict     | `Serialization`                       | retry the whole transaction            |
//! | read-only    | `ReadOnly`                            | use a read-write transaction           |
//! | corrupt data | `Corruption`                          | restore from a backup; never retry     |
//! | I/O          | `Io`                                  | check the disk; maybe retry later      |
//! | unsupported  | `Unsupported`                         | not ask for it                         |
//! | closed       | `Closed`                              | stop using the handle                  |
//!
//! [`Error::is_retryable`] tells the conflict group apart, which is what a driver loop needs.

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every error the engine reports.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request itself is wrong: a bad name, a value of the wrong type, a bad argument.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A named object (table, column, index) does not exist.
    #[error("{kind} \"{name}\" does not exist")]
    NotFound { kind: &'static str, name: String },
    /// A named object already exists.
    #[error("{kind} \"{name}\" already exists")]
    AlreadyExists { kind: &'static str, name: String },
    /// A constraint would be violated; `kind` says which sort, so that each edge maps it to
    /// its code (SQLSTATE 23502, 23505, …) without reading the message.
    #[error("{message}")]
    Constraint { kind: ConstraintKind, message: String },
    /// A concurrent transaction committed a write to the same key first (first committer
    /// wins). Retrying the whole transaction can succeed. SQLSTATE 40001.
    #[error("could not serialize access due to a concurrent update; retry the transaction")]
    Serialization,
    /// Two or more transactions wait for each other's row locks; this one was chosen to
    /// end the cycle. Retrying the whole transaction can succeed. SQLSTATE 40P01.
    #[error("deadlock detected")]
    Deadlock,
    /// `NOWAIT` found the row locked by another transaction. SQLSTATE 55P03.
    #[error("could not obtain lock on row")]
    LockNotAvailable,
    /// A row lock was not granted within `lock_timeout`. SQLSTATE 55P03.
    #[error("canceling statement due to lock timeout")]
    LockTimeout,
    /// A write was attempted in a read-only transaction.
    #[error("cannot write in a read-only transaction")]
    ReadOnly,
    /// Bytes read from disk do not decode: the database file is damaged.
    #[error("database corruption: {0}")]
    Corruption(String),
    /// The operating system reported an I/O failure.
    #[error("I/O error: {0}")]
    Io(String),
    /// A sequence passed its last value (no CYCLE). SQLSTATE 2200H.
    #[error("{0}")]
    SequenceLimit(String),
    /// An error of SQL the engine had the SQL layer evaluate for it (an index expression,
    /// a partial index's predicate), carried through with the SQL layer's SQLSTATE.
    #[error("{message}")]
    Expression { sqlstate: String, message: String },
    /// A feature this engine or backend does not offer.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The database or transaction has been closed, or a commit failed earlier and the
    /// handle can no longer be trusted.
    #[error("closed: {0}")]
    Closed(String),
}

/// Which sort of constraint a write would violate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConstraintKind {
    NotNull,
    /// UNIQUE or PRIMARY KEY.
    Unique,
    Check,
    ForeignKey,
    /// A limit of the engine itself (the rowid space is used up).
    Limit,
}

/// A relation's name as messages give it. The SQL layer stores a relation of a schema
/// other than `public` as `schema.name`; PostgreSQL's constraint messages name relations and
/// indexes without their schema.
pub(crate) fn bare(name: &str) -> &str {
    name.split_once('.').map_or(name, |(_, bare)| bare)
}

impl Error {
    /// A constraint violation of `kind`.
    pub fn constraint(kind: ConstraintKind, message: impl Into<String>) -> Error {
        Error::Constraint { kind, message: message.into() }
    }

    /// Whether retrying the whole transaction may succeed.
    ///
    /// - `Serialization`: yes — the conflicting writer has finished, a fresh snapshot sees it.
    /// - `Deadlock`: yes — the other members of the cycle go on once this one is gone.
    /// - `Io`: no — a retry in a loop would hammer a failing disk; the caller decides.
    /// - everything else: no — the same request fails the same way.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Serialization | Error::Deadlock)
    }

    /// Whether the error says the stored bytes are damaged.
    pub fn is_corruption(&self) -> bool {
        matches!(self, Error::Corruption(_))
    }

    pub(crate) fn invalid(msg: impl Into<String>) -> Error {
        Error::InvalidInput(msg.into())
    }

    pub fn corrupt(msg: impl Into<String>) -> Error {
        Error::Corruption(msg.into())
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Error::Io(err.to_string())
    }
}

impl From<redb::Error> for Error {
    fn from(err: redb::Error) -> Self {
        use redb::Error as E;
        match err {
            E::Corrupted(msg) => Error::Corruption(msg),
            E::Io(io) => Error::Io(io.to_string()),
            E::DatabaseAlreadyOpen => Error::Io("the database is already open in another process".into()),
            E::UpgradeRequired(v) => Error::Unsupported(format!("redb file format {v} needs an upgrade")),
            E::ValueTooLarge(n) => Error::InvalidInput(format!("value of {n} bytes is too large")),
            other => Error::Io(other.to_string()),
        }
    }
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for Error {
            fn from(err: $t) -> Self {
                Error::from(redb::Error::from(err))
            }
        }
    )*};
}
from_redb!(
    redb::DatabaseError,
    redb::StorageError,
    redb::TransactionError,
    redb::TableError,
    redb::CommitError,
    redb::SetDurabilityError
);

impl From<sled::Error> for Error {
    fn from(err: sled::Error) -> Self {
        match err {
            sled::Error::Corruption { at, .. } => Error::Corruption(format!("sled log corrupt at {at:?}")),
            sled::Error::Io(io) => Error::Io(io.to_string()),
            sled::Error::Unsupported(s) => Error::Unsupported(s),
            other => Error::Io(other.to_string()),
        }
    }
}
