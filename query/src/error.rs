//! The one error type of the query layer.
//!
//! Errors are grouped by what the caller should do about them: fix the SQL text
//! ([`Error::Syntax`]), fix a name ([`Error::NotFound`], [`Error::AlreadyExists`]), fix the
//! data or the statement ([`Error::Type`], [`Error::Data`], [`Error::Constraint`],
//! [`Error::InvalidInput`]), retry ([`Error::is_retryable`]), or accept that Braid does not
//! do it ([`Error::Unsupported`]). Storage errors keep the engine's error inside.
//!
//! A remote connection (the `remote` feature) turns the server's errors back into these
//! variants by SQLSTATE, so the same code handles both kinds of connection; what has no
//! variant of its own here (a lost connection, a protocol error, a server's storage failure)
//! is [`Error::Remote`], with the SQLSTATE and the server's message.
//!
//! [`Error::sqlstate`] is the one place where a variant becomes PostgreSQL's SQLSTATE: the
//! server sends it, the remote client inverts it, and tests compare it. Variants that cover
//! several codes carry a kind ([`DataError`], [`ConstraintKind`]); no code is ever chosen by
//! reading a message.

use std::fmt;

/// PostgreSQL's message for an object that does not exist: `relation "t" does not exist`
/// (a table read, written or dropped is a relation to PostgreSQL), `column "c" does not
/// exist`, `column t.c does not exist`, `function f() does not exist`, `operator does not
/// exist: …`, `unrecognized configuration parameter "x"`.
pub fn not_found_message(kind: &str, name: &str) -> String {
    match kind {
        "configuration parameter" => format!("unrecognized configuration parameter \"{name}\""),
        "operator" => format!("operator does not exist: {name}"),
        "function" | "window function" => format!("{kind} {name} does not exist"),
        // An object of a table: `column "c" of relation "t" does not exist`.
        kind if name.contains(" of relation ") => {
            let (object, table) = name.split_once(" of relation ").unwrap_or((name, ""));
            format!("{kind} \"{object}\" of relation \"{table}\" does not exist")
        }
        "column" if name.contains('.') => format!("column {name} does not exist"),
        "table" => format!("relation \"{name}\" does not exist"),
        kind => format!("{kind} \"{name}\" does not exist"),
    }
}

/// PostgreSQL's message for an object that exists already: `relation "t" already exists`.
pub fn already_exists_message(kind: &str, name: &str) -> String {
    let kind = if kind == "table" { "relation" } else { kind };
    format!("{kind} \"{name}\" already exists")
}

/// A query-layer result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong running SQL.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The SQL text does not parse. `line` and `column` are 1-based (0 when unknown).
    #[error("syntax error at line {line}, column {column}: {message}")]
    Syntax { message: String, line: u64, column: u64 },
    /// A table, column, index, view, trigger or function that does not exist.
    #[error("{}", not_found_message(kind, name))]
    NotFound { kind: &'static str, name: String },
    /// An object that already exists.
    #[error("{}", already_exists_message(kind, name))]
    AlreadyExists { kind: &'static str, name: String },
    /// A value of the wrong type where the statement needs another.
    #[error("type error: {0}")]
    Type(String),
    /// A value wrong for its operation (SQLSTATE class 22): division by zero, a number out
    /// of range, text that does not spell a value of the type asked for.
    #[error("{message}")]
    Data { kind: DataError, message: String },
    /// A constraint (NOT NULL, UNIQUE, CHECK, PRIMARY KEY, FOREIGN KEY) refused a write.
    #[error("{message}")]
    Constraint { kind: ConstraintKind, message: String },
    /// A statement that is well formed but wrong (wrong number of values, misuse of an
    /// aggregate, a write to a view, …).
    #[error("{0}")]
    InvalidInput(String),
    /// A definition PostgreSQL refuses as such (SQLSTATE 42P16): a second primary key.
    #[error("{0}")]
    InvalidDefinition(String),
    /// An object definition PostgreSQL refuses as such (SQLSTATE 42P17): an index
    /// expression whose value could change for the same row.
    #[error("{0}")]
    InvalidObjectDefinition(String),
    /// A foreign key whose referenced columns are not a primary key or unique constraint
    /// of the referenced table, or do not match the referencing columns in number
    /// (SQLSTATE 42830).
    #[error("{0}")]
    InvalidForeignKey(String),
    /// An object that others depend on, dropped without CASCADE (SQLSTATE 2BP01).
    #[error("{0}")]
    DependentObjects(String),
    /// A value given for an identity column declared GENERATED ALWAYS (SQLSTATE 428C9).
    #[error("{0}")]
    GeneratedAlways(String),
    /// Asked before what it needs has happened: `currval` before `nextval` in the session
    /// (SQLSTATE 55000).
    #[error("{0}")]
    NotInPrerequisiteState(String),
    /// A statement Braid does not support.
    /// The current role lacks a privilege or an ownership the statement needs (42501).
    #[error("{0}")]
    InsufficientPrivilege(String),
    /// A GRANT of a privilege the object cannot have (0LP01).
    #[error("{0}")]
    InvalidGrantOperation(String),
    /// A name PostgreSQL keeps for itself (`pg_…` roles, PUBLIC) (42939).
    #[error("{0}")]
    ReservedName(String),
    /// An object of another kind than the statement works on (42809).
    #[error("{0}")]
    WrongObjectType(String),
    /// A CREATE of an unqualified name when no schema of `search_path` exists (3F000).
    #[error("no schema has been selected to create in")]
    NoSchemaSelected,
    /// The object is in use by this session (the current user cannot be dropped) (55006).
    #[error("{0}")]
    ObjectInUse(String),
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

pub use braid_engine::ConstraintKind;

/// The kinds of [`Error::Data`], each one SQLSTATE of class 22.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DataError {
    /// 22012
    DivisionByZero,
    /// 22003: a number outside its type's range (integer overflow included).
    NumericOutOfRange,
    /// 22P02: text that does not spell a value of the type (`'a'::int`).
    InvalidTextRepresentation,
    /// 22007: text that is not a date or time (`'noon-ish'::date`).
    InvalidDatetimeFormat,
    /// 22008: a date or time field out of range (`'2024-13-45'::date`).
    DatetimeFieldOverflow,
    /// 22001: text longer than its column's VARCHAR(n).
    StringTooLong,
    /// 22023: an argument outside what a function accepts.
    InvalidParameterValue,
    /// 2201B: a pattern that is not a regular expression.
    InvalidRegularExpression,
    /// 22P05: a character the text cannot hold (`\u0000` in `jsonb`).
    UntranslatableCharacter,
    /// 22004: a NULL where none may be (a `jsonb_object_agg` key).
    NullValueNotAllowed,
}

impl DataError {
    /// The SQLSTATE of this kind.
    pub fn sqlstate(self) -> &'static str {
        match self {
            DataError::DivisionByZero => "22012",
            DataError::NumericOutOfRange => "22003",
            DataError::InvalidTextRepresentation => "22P02",
            DataError::InvalidDatetimeFormat => "22007",
            DataError::DatetimeFieldOverflow => "22008",
            DataError::StringTooLong => "22001",
            DataError::InvalidParameterValue => "22023",
            DataError::InvalidRegularExpression => "2201B",
            DataError::UntranslatableCharacter => "22P05",
            DataError::NullValueNotAllowed => "22004",
        }
    }

    /// The kind whose SQLSTATE is `code`.
    pub fn from_sqlstate(code: &str) -> Option<DataError> {
        use DataError::*;
        const ALL: [DataError; 10] = [
            DivisionByZero,
            NumericOutOfRange,
            InvalidTextRepresentation,
            InvalidDatetimeFormat,
            DatetimeFieldOverflow,
            StringTooLong,
            InvalidParameterValue,
            InvalidRegularExpression,
            UntranslatableCharacter,
            NullValueNotAllowed,
        ];
        ALL.into_iter().find(|k| k.sqlstate() == code)
    }
}

/// The SQLSTATE of a constraint violation of `kind`.
pub fn constraint_sqlstate(kind: ConstraintKind) -> &'static str {
    match kind {
        ConstraintKind::NotNull => "23502",
        ConstraintKind::Unique => "23505",
        ConstraintKind::Check => "23514",
        ConstraintKind::ForeignKey => "23503",
        _ => "54000",
    }
}

/// The constraint kind whose SQLSTATE is `code`.
fn constraint_from_sqlstate(code: &str) -> Option<ConstraintKind> {
    use ConstraintKind::*;
    [NotNull, Unique, Check, ForeignKey].into_iter().find(|k| constraint_sqlstate(*k) == code)
}

impl Error {
    /// Whether running the whole transaction again may succeed: true only for a
    /// serialization conflict with a concurrent transaction (SQLSTATE 40001) or a deadlock
    /// (40P01), in this process or reported by a server.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Storage(e) => e.is_retryable(),
            Error::Remote { code, .. } => code == "40001" || code == "40P01",
            _ => false,
        }
    }

    /// PostgreSQL's SQLSTATE for this error: the one mapping of variants to codes.
    pub fn sqlstate(&self) -> &str {
        match self {
            Error::Syntax { .. } => "42601",
            Error::NotFound { kind: "table" | "view" | "relation", .. } => "42P01",
            Error::NotFound { kind: "column", .. } => "42703",
            Error::NotFound { kind: "function" | "operator", .. } => "42883",
            Error::NotFound { kind: "savepoint", .. } => "3B001",
            Error::NotFound { kind: "schema", .. } => "3F000",
            Error::NotFound { kind: "database", .. } => "3D000",
            Error::NotFound { .. } => "42704",
            Error::AlreadyExists { kind: "table" | "view" | "relation", .. } => "42P07",
            Error::AlreadyExists { kind: "schema", .. } => "42P06",
            Error::AlreadyExists { kind: "database", .. } => "42P04",
            Error::AlreadyExists { .. } => "42710",
            Error::Type(_) => "42804",
            Error::Data { kind, .. } => kind.sqlstate(),
            Error::Constraint { kind, .. } => constraint_sqlstate(*kind),
            Error::InvalidInput(_) => "22023",
            Error::InvalidDefinition(_) => "42P16",
            Error::InvalidObjectDefinition(_) => "42P17",
            Error::InvalidForeignKey(_) => "42830",
            Error::DependentObjects(_) => "2BP01",
            Error::GeneratedAlways(_) => "428C9",
            Error::NotInPrerequisiteState(_) => "55000",
            Error::InsufficientPrivilege(_) => "42501",
            Error::InvalidGrantOperation(_) => "0LP01",
            Error::ReservedName(_) => "42939",
            Error::WrongObjectType(_) => "42809",
            Error::ObjectInUse(_) => "55006",
            Error::NoSchemaSelected => "3F000",
            Error::Storage(braid_engine::Error::SequenceLimit(_)) => "2200H",
            Error::Unsupported(_) => "0A000",
            Error::ReadOnly => "25006",
            Error::Cancelled { .. } => "57014",
            Error::Storage(braid_engine::Error::Deadlock) => "40P01",
            Error::Storage(braid_engine::Error::LockNotAvailable | braid_engine::Error::LockTimeout) => "55P03",
            Error::Storage(e) if e.is_retryable() => "40001",
            Error::Storage(braid_engine::Error::Corruption(_)) => "XX001",
            Error::Storage(braid_engine::Error::Io(_)) => "58030",
            Error::Storage(_) => "XX000",
            Error::Remote { code, .. } => code,
        }
    }

    /// The variant [`Error::sqlstate`] gives `code` for, when that variant needs nothing
    /// but the code and the message (the inverse the remote client uses).
    pub fn from_sqlstate(code: &str, message: &str) -> Option<Error> {
        let message = message.to_string();
        // 22023 is both InvalidInput and DataError::InvalidParameterValue; the variant is
        // the one most errors of that code come from.
        if code == "22023" {
            return Some(Error::InvalidInput(message));
        }
        if let Some(kind) = DataError::from_sqlstate(code) {
            return Some(Error::Data { kind, message });
        }
        if let Some(kind) = constraint_from_sqlstate(code) {
            return Some(Error::Constraint { kind, message });
        }
        Some(match code {
            "42804" => Error::Type(message),
            "22023" => Error::InvalidInput(message),
            "0A000" => Error::Unsupported(message),
            "42P16" => Error::InvalidDefinition(message),
            "42P17" => Error::InvalidObjectDefinition(message),
            "42830" => Error::InvalidForeignKey(message),
            "2BP01" => Error::DependentObjects(message),
            "428C9" => Error::GeneratedAlways(message),
            "25006" => Error::ReadOnly,
            "42501" => Error::InsufficientPrivilege(message),
            "0LP01" => Error::InvalidGrantOperation(message),
            "42939" => Error::ReservedName(message),
            "42809" => Error::WrongObjectType(message),
            "55006" => Error::ObjectInUse(message),
            _ => return None,
        })
    }

    pub(crate) fn data(kind: DataError, message: impl fmt::Display) -> Self {
        Error::Data { kind, message: message.to_string() }
    }

    pub(crate) fn constraint(kind: ConstraintKind, message: impl fmt::Display) -> Self {
        Error::Constraint { kind, message: message.to_string() }
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
            braid_engine::Error::Constraint { kind, message } => Error::Constraint { kind, message },
            braid_engine::Error::ReadOnly => Error::ReadOnly,
            braid_engine::Error::NotFound { kind, name } => Error::NotFound { kind, name },
            braid_engine::Error::AlreadyExists { kind, name } => Error::AlreadyExists { kind, name },
            // SQL the engine had this layer evaluate (an index expression) failed here first.
            braid_engine::Error::Expression { sqlstate, message } => {
                Error::from_sqlstate(&sqlstate, &message).unwrap_or(Error::Remote { code: sqlstate, message })
            }
            e => Error::Storage(e),
        }
    }
}
