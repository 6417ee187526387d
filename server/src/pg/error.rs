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

/// A query-layer error as an ErrorResponse. A message may carry PostgreSQL's secondary
/// lines (`\nDETAIL:  …`, `\nHINT:  …`, as psql prints them); they go in their own fields,
/// where drivers look for them (psycopg's `diag.message_detail`, node-postgres' `detail`).
pub fn from_braid(e: &braid::Error) -> Failure {
    let text = e.to_string();
    let (text, hint) = split_field(&text, "\nHINT:  ");
    let (message, detail) = split_field(text, "\nDETAIL:  ");
    let mut info = info(sqlstate(e), message);
    info.detail = detail.map(str::to_string);
    info.hint = hint.map(str::to_string);
    info
}

/// `text` before the first `marker`, and what follows it.
fn split_field<'a>(text: &'a str, marker: &str) -> (&'a str, Option<&'a str>) {
    match text.split_once(marker) {
        Some((before, after)) => (before, Some(after)),
        None => (text, None),
    }
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

    #[test]
    fn detail_and_hint_travel_in_their_own_fields() {
        let db = braid::Database::open_in_memory().unwrap();
        let mut conn = db.connect();
        conn.execute("CREATE TABLE p (id INTEGER PRIMARY KEY, v TEXT UNIQUE)", ()).unwrap();
        conn.execute("CREATE TABLE c (id INTEGER, p INTEGER REFERENCES p (id))", ()).unwrap();
        conn.execute("INSERT INTO p VALUES (1, 'a')", ()).unwrap();
        let info = |conn: &mut braid::Connection, sql: &str| super::from_braid(&conn.execute(sql, ()).unwrap_err());
        let e = info(&mut conn, "INSERT INTO p VALUES (2, 'a')");
        assert_eq!(e.message, "duplicate key value violates unique constraint \"p_v_key\"");
        assert_eq!(e.detail.as_deref(), Some("Key (v)=(a) already exists."));
        let e = info(&mut conn, "INSERT INTO p VALUES (1, 'b')");
        assert_eq!(e.detail.as_deref(), Some("Key (id)=(1) already exists."));
        let e = info(&mut conn, "INSERT INTO c VALUES (1, 7)");
        assert_eq!(e.message, "insert or update on table \"c\" violates foreign key constraint \"c_p_fkey\"");
        assert_eq!(e.detail.as_deref(), Some("Key (p)=(7) is not present in table \"p\"."));
        conn.execute("INSERT INTO c VALUES (1, 1)", ()).unwrap();
        let e = info(&mut conn, "DELETE FROM p");
        assert_eq!(e.detail.as_deref(), Some("Key (id)=(1) is still referenced from table \"c\"."));
        let e = info(&mut conn, "DROP TABLE p");
        assert!(e.hint.as_deref().is_some_and(|h| h.contains("CASCADE")), "{e:?}");
        assert!(!e.message.contains('\n'), "{e:?}");
    }
}
