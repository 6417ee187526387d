//! Braid's errors as PostgreSQL ErrorResponses: each variant mapped to its SQLSTATE once,
//! here, so that drivers can act on the class (40001: retry; 23505: duplicate key; …).

use pgwire::error::{ErrorInfo, PgWireError};

/// The SQLSTATE of a query-layer error.
pub fn sqlstate(e: &braid::Error) -> &'static str {
    use braid::Error as E;
    match e {
        E::Syntax { .. } => "42601",
        E::NotFound { kind: "table" | "view", .. } => "42P01",
        E::NotFound { kind: "column", .. } => "42703",
        E::NotFound { kind: "function", .. } => "42883",
        E::NotFound { kind: "savepoint", .. } => "3B001",
        E::NotFound { .. } => "42704",
        E::AlreadyExists { kind: "table" | "view", .. } => "42P07",
        E::AlreadyExists { .. } => "42710",
        E::Type(_) => "42804",
        E::Arithmetic(m) if m.contains("division by zero") => "22012",
        E::Arithmetic(_) => "22003",
        E::Constraint(m) => constraint_state(m),
        E::InvalidInput(_) => "22023",
        E::Unsupported(_) => "0A000",
        E::ReadOnly => "25006",
        E::Cancelled { .. } => "57014",
        E::Storage(e) if e.is_retryable() => "40001",
        E::Storage(braid_engine::Error::Corruption(_)) => "XX001",
        E::Storage(braid_engine::Error::Io(_)) => "58030",
        _ => "XX000",
    }
}

/// Which constraint a violation names: NOT NULL, UNIQUE / PRIMARY KEY or CHECK.
fn constraint_state(message: &str) -> &'static str {
    let m = message.to_ascii_uppercase();
    if m.contains("NOT NULL") {
        "23502"
    } else if m.contains("UNIQUE") || m.contains("PRIMARY KEY") {
        "23505"
    } else if m.contains("CHECK") {
        "23514"
    } else {
        "23000"
    }
}

/// An ErrorResponse's fields, boxed: they are large, and travel in every `Result`.
pub type Failure = Box<ErrorInfo>;

/// An ErrorResponse with `code` and `message`.
pub fn info(code: &str, message: impl Into<String>) -> Failure {
    Box::new(ErrorInfo::new("ERROR".to_string(), code.to_string(), message.into()))
}

/// A query-layer error as an ErrorResponse.
pub fn from_braid(e: &braid::Error) -> Failure {
    info(sqlstate(e), e.to_string())
}

/// An ErrorResponse as the error a pgwire handler returns.
pub fn user(info: Failure) -> PgWireError {
    PgWireError::UserError(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_class_of_error_has_its_sqlstate() {
        let db = braid::Database::open_in_memory().unwrap();
        let mut conn = db.connect();
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)", ()).unwrap();
        conn.execute("INSERT INTO t VALUES (1, 'a')", ()).unwrap();
        let state = |conn: &mut braid::Connection, sql: &str| sqlstate(&conn.execute(sql, ()).unwrap_err());
        assert_eq!(state(&mut conn, "SELEC 1"), "42601");
        assert_eq!(state(&mut conn, "SELECT * FROM nope"), "42P01");
        assert_eq!(state(&mut conn, "SELECT nope FROM t"), "42703");
        assert_eq!(state(&mut conn, "CREATE TABLE t (x INTEGER)"), "42P07");
        assert_eq!(state(&mut conn, "INSERT INTO t VALUES (2, 'a')"), "23505");
        assert_eq!(state(&mut conn, "INSERT INTO t VALUES (1, 'b')"), "23505");
        assert_eq!(state(&mut conn, "INSERT INTO t VALUES (3, NULL)"), "23502");
    }
}
