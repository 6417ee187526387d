//! A server's errors as [`Error`] variants: the inverse of the server's SQLSTATE mapping
//! (`server/src/pg/error.rs`), so a remote error is the error the same statement gives
//! embedded, with the same message. What the mapping cannot invert stays
//! [`Error::Remote`] with its SQLSTATE.

use crate::error::Error;

use super::types::Mismatch;

/// The kinds [`Error::NotFound`] and [`Error::AlreadyExists`] name, longest first (a kind
/// may begin with another: "index or table").
const KINDS: &[&str] = &[
    "index or table",
    "window function",
    "savepoint",
    "function",
    "trigger",
    "column",
    "table",
    "index",
    "view",
    "row",
    "schema",
    "sequence",
    "constraint",
    "role",
];

/// An error of the client library: the server's, a value that did not convert, or the
/// connection failing.
pub(crate) fn from_client(e: tokio_postgres::Error) -> Error {
    if let Some(db) = e.as_db_error() {
        return from_server(db.code().code(), &full_message(db));
    }
    let source = std::error::Error::source(&e);
    if let Some(mismatch) = source.and_then(|s| s.downcast_ref::<Mismatch>()) {
        return Error::Type(mismatch.0.clone());
    }
    let lost = e.is_closed() || source.is_some_and(|s| s.is::<std::io::Error>());
    Error::Remote { code: if lost { "08006" } else { "08P01" }.into(), message: e.to_string() }
}

/// The server's message with its DETAIL and HINT lines as the embedded error carries them
/// (the server sends them in fields of their own).
fn full_message(db: &tokio_postgres::error::DbError) -> String {
    let mut message = db.message().to_string();
    if let Some(detail) = db.detail() {
        message.push_str("\nDETAIL:  ");
        message.push_str(detail);
    }
    if let Some(hint) = db.hint() {
        message.push_str("\nHINT:  ");
        message.push_str(hint);
    }
    message
}

/// An error at connection time: the server refusing us (authentication, too many
/// connections) keeps its SQLSTATE; anything else is "could not connect" (08001).
pub(crate) fn from_connect(e: tokio_postgres::Error) -> Error {
    match e.as_db_error() {
        Some(db) => from_server(db.code().code(), &full_message(db)),
        None => Error::Remote { code: "08001".into(), message: e.to_string() },
    }
}

/// The variant the server made `code` and `message` from: chosen by the code
/// ([`Error::from_sqlstate`]); only the names inside "not found" and "already exists"
/// errors are read back from the message, which Braid's server writes in one known form.
pub(crate) fn from_server(code: &str, message: &str) -> Error {
    let remote = || Error::Remote { code: code.into(), message: message.into() };
    match code {
        "42601" => syntax(message),
        "42P01" | "42703" | "42883" | "3B001" | "42704" | "3F000" => not_found(message).unwrap_or_else(remote),
        "42P07" | "42710" | "42P06" => already_exists(message).unwrap_or_else(remote),
        "42804" => Error::Type(strip(message, "type error: ")),
        "0A000" => Error::Unsupported(strip(message, "not supported: ")),
        "57014" => Error::Cancelled { timeout: message.contains("statement timeout") },
        _ => Error::from_sqlstate(code, message).unwrap_or_else(remote),
    }
}

fn strip(message: &str, prefix: &str) -> String {
    message.strip_prefix(prefix).unwrap_or(message).to_string()
}

/// `syntax error at line L, column C: message`, as [`Error::Syntax`] prints it.
fn syntax(message: &str) -> Error {
    let parsed = (|| {
        let rest = message.strip_prefix("syntax error at line ")?;
        let (line, rest) = rest.split_once(", column ")?;
        let (column, text) = rest.split_once(": ")?;
        Some(Error::Syntax { message: text.to_string(), line: line.parse().ok()?, column: column.parse().ok()? })
    })();
    parsed.unwrap_or_else(|| Error::Syntax { message: message.to_string(), line: 0, column: 0 })
}

/// [`crate::error::not_found_message`]'s forms, back to the variant (a relation comes
/// back as a table).
fn not_found(message: &str) -> Option<Error> {
    if let Some(name) = message.strip_prefix("unrecognized configuration parameter ") {
        return Some(Error::NotFound { kind: "configuration parameter", name: unquote(name)? });
    }
    if let Some(name) = message.strip_prefix("operator does not exist: ") {
        return Some(Error::NotFound { kind: "operator", name: name.to_string() });
    }
    let rest = message.strip_suffix(" does not exist")?;
    let (kind, name) = kind_and_name(rest)?;
    let name = match kind {
        "function" | "window function" => name.to_string(),
        "column" if !name.starts_with('"') => name.to_string(),
        _ => unquote(name)?,
    };
    Some(Error::NotFound { kind, name })
}

/// `KIND "NAME" already exists`.
fn already_exists(message: &str) -> Option<Error> {
    let (kind, name) = kind_and_name(message.strip_suffix(" already exists")?)?;
    Some(Error::AlreadyExists { kind, name: unquote(name)? })
}

/// A message's leading kind (one of [`KINDS`], "relation" read as "table") and the rest.
fn kind_and_name(text: &str) -> Option<(&'static str, &str)> {
    if let Some(name) = text.strip_prefix("relation ") {
        return Some(("table", name));
    }
    let kind = KINDS.iter().find(|k| text.strip_prefix(**k).is_some_and(|r| r.starts_with(' ')))?;
    Some((kind, &text[kind.len() + 1..]))
}

/// `"name"` without its quotes (`"c" of relation "t"`: `c of relation t`).
fn unquote(text: &str) -> Option<String> {
    Some(text.strip_prefix('"')?.strip_suffix('"')?.replace("\" of relation \"", " of relation "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each error prints the same after the round trip through its SQLSTATE and message.
    #[test]
    fn server_errors_become_the_variants_they_were_made_from() {
        let cases = [
            ("42601", Error::Syntax { message: "Expected: an SQL statement".into(), line: 1, column: 7 }),
            ("42P01", Error::NotFound { kind: "table", name: "nope".into() }),
            ("42703", Error::NotFound { kind: "column", name: "t.c".into() }),
            ("42703", Error::NotFound { kind: "column", name: "c".into() }),
            ("42703", Error::NotFound { kind: "column", name: "c of relation t".into() }),
            ("42883", Error::NotFound { kind: "function", name: "f()".into() }),
            ("42704", Error::NotFound { kind: "configuration parameter", name: "x.y".into() }),
            ("42704", Error::NotFound { kind: "index or table", name: "i".into() }),
            ("42P07", Error::AlreadyExists { kind: "table", name: "t".into() }),
            ("42804", Error::Type("cannot compare".into())),
            ("23505", Error::Constraint { kind: crate::ConstraintKind::Unique, message: "duplicate key".into() }),
            ("22012", Error::Data { kind: crate::DataError::DivisionByZero, message: "division by zero".into() }),
            ("0A000", Error::Unsupported("LATERAL".into())),
            ("57014", Error::Cancelled { timeout: true }),
        ];
        for (code, error) in cases {
            let back = from_server(code, &error.to_string());
            assert_eq!(back.to_string(), error.to_string(), "{code}");
            assert_eq!(std::mem::discriminant(&back), std::mem::discriminant(&error), "{code}");
        }
        let conflict = from_server("40001", "serialization failure");
        assert!(conflict.is_retryable());
        assert!(matches!(from_server("42P01", "odd text"), Error::Remote { code, .. } if code == "42P01"));
    }
}
