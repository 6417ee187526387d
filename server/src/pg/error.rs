//! Braid's errors as PostgreSQL ErrorResponses, with the SQLSTATE the query layer gives
//! each variant (`braid::Error::sqlstate`), so that drivers can act on the class (40001: retry; 23505: duplicate key; …).

use pgwire::error::{ErrorInfo, PgWireError};

/// The SQLSTATE of a query-layer error: [`braid::Error::sqlstate`], the one mapping.
pub fn sqlstate(e: &braid::Error) -> &str {
    e.sqlstate()
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
    #[test]
    fn each_class_of_error_has_its_sqlstate() {
        let db = braid::Database::open_in_memory().unwrap();
        let mut conn = db.connect();
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE)", ()).unwrap();
        conn.execute("INSERT INTO t VALUES (1, 'a')", ()).unwrap();
        let state = |conn: &mut braid::Connection, sql: &str| conn.execute(sql, ()).unwrap_err().sqlstate().to_string();
        assert_eq!(state(&mut conn, "SELEC 1"), "42601");
        assert_eq!(state(&mut conn, "SELECT * FROM nope"), "42P01");
        assert_eq!(state(&mut conn, "SELECT nope FROM t"), "42703");
        assert_eq!(state(&mut conn, "CREATE TABLE t (x INTEGER)"), "42P07");
        assert_eq!(state(&mut conn, "INSERT INTO t VALUES (2, 'a')"), "23505");
        assert_eq!(state(&mut conn, "INSERT INTO t VALUES (1, 'b')"), "23505");
        assert_eq!(state(&mut conn, "INSERT INTO t VALUES (3, NULL)"), "23502");
    }
}
