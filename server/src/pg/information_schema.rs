//! A minimal `information_schema`: `tables`, `columns`, `views` and `schemata`, queried
//! with any SQL Braid runs.
//!
//! Tools list tables and columns with queries such as
//! `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1
//! ORDER BY ordinal_position`. Rather than recognize query texts (as [`super::catalog`]
//! does for psql's fixed queries), this module materialises the four views as tables of a
//! scratch in-memory database, filled from Braid's catalog at each query, and runs the
//! client's own statement there: WHERE, ORDER BY, joins between them, aggregates and
//! parameters all work, since Braid's binder reads `information_schema.columns` as
//! `columns` (it ignores schema qualifiers).
//!
//! What it does not do: a query that mixes `information_schema` with the user's own tables
//! (they are not in the scratch database), and the many other views and columns of the
//! SQL standard's schema. The catalog is read from a snapshot of committed data: tables
//! created in the session's open transaction are not listed yet.

use braid::{Connection, DataType, Database, Output, PreparedStatement, Value};
use braid_engine::TableDef;

use super::error::{Failure, from_braid, info};
use super::session::{Reply, Step, TxChange};

/// The scratch tables, with PostgreSQL's column names (a subset of each view's).
const SCHEMA: &str = "
CREATE TABLE schemata (catalog_name TEXT, schema_name TEXT, schema_owner TEXT);
CREATE TABLE tables (table_catalog TEXT, table_schema TEXT, table_name TEXT, table_type TEXT,
    is_insertable_into TEXT);
CREATE TABLE views (table_catalog TEXT, table_schema TEXT, table_name TEXT, view_definition TEXT);
CREATE TABLE columns (table_catalog TEXT, table_schema TEXT, table_name TEXT, column_name TEXT,
    ordinal_position INTEGER, column_default TEXT, is_nullable TEXT, data_type TEXT, udt_name TEXT);
";

/// Whether `sql` names `information_schema` (outside literals): it runs on the scratch
/// copy, which answers reads and refuses writes.
pub fn is_information_schema_query(sql: &str) -> bool {
    super::catalog::names_schema(sql, "information_schema")
}

/// The statements of `sql`, prepared on a scratch database holding `information_schema`
/// as of now; only reads are accepted.
pub fn prepare(db: &Database, sql: &str) -> Result<(Connection, Vec<PreparedStatement>), Failure> {
    let conn = materialise(db).map_err(|e| from_braid(&e))?;
    let statements = conn.prepare_all(sql).map_err(|e| from_braid(&e))?;
    if statements.iter().any(|s| !s.is_read_only()) {
        return Err(info("0A000", "information_schema is read-only"));
    }
    Ok((conn, statements))
}

/// Runs one statement of [`prepare`].
pub fn step(conn: &mut Connection, statement: &mut PreparedStatement, params: Vec<Value>) -> Result<Step, Failure> {
    let Output::Rows(rows) = conn.run_prepared(statement, params).map_err(|e| from_braid(&e))? else {
        return Ok(Step { reply: Reply::Command(statement.command().to_string()), tx: TxChange::None });
    };
    let columns = conn.describe(statement).map_err(|e| from_braid(&e))?.columns.clone();
    let rows =
        rows.map(|r| r.map(braid::Row::into_values)).collect::<braid::Result<_>>().map_err(|e| from_braid(&e))?;
    Ok(Step { reply: Reply::Rows { command: "SELECT".into(), columns, rows }, tx: TxChange::None })
}

/// A connection to a scratch database holding `information_schema` as of now.
pub fn materialise(db: &Database) -> braid::Result<braid::Connection> {
    let txn = db.engine().begin_read_only()?;
    let tables = txn.tables()?;
    let views = braid::views(&txn)?;
    drop(txn);

    let scratch = Database::open_in_memory()?;
    let mut conn = scratch.connect();
    conn.execute_batch(SCHEMA)?;
    conn.execute_batch("BEGIN")?;
    for schema in ["public", "information_schema", "pg_catalog"] {
        conn.execute("INSERT INTO schemata VALUES ('braid', $1, 'braid')", [schema])?;
    }
    for table in &tables {
        conn.execute("INSERT INTO tables VALUES ('braid', 'public', $1, 'BASE TABLE', 'YES')", [table.name.as_str()])?;
        for row in table_columns(table) {
            conn.execute("INSERT INTO columns VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", row)?;
        }
    }
    // A view's columns are what its query returns: describe it on the real database.
    let mut real = db.connect();
    for (name, sql) in &views {
        conn.execute("INSERT INTO tables VALUES ('braid', 'public', $1, 'VIEW', 'NO')", [name.as_str()])?;
        conn.execute("INSERT INTO views VALUES ('braid', 'public', $1, $2)", [name.as_str(), sql.as_str()])?;
        let quoted = format!("SELECT * FROM \"{}\"", name.replace('"', "\"\""));
        let Some(mut statement) = real.prepare_all(&quoted).ok().and_then(|mut s| s.pop()) else { continue };
        // A view whose tables have gone cannot be described: it is listed without columns.
        let Ok(description) = real.describe(&mut statement) else { continue };
        for (i, (column, ty)) in description.columns.iter().enumerate() {
            let row = column_row(name, column, i, None, true, *ty);
            conn.execute("INSERT INTO columns VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", row)?;
        }
    }
    conn.execute_batch("COMMIT")?;
    Ok(conn)
}

/// The `columns` rows of a table.
fn table_columns(table: &TableDef) -> Vec<Vec<Value>> {
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            column_row(&table.name, &c.name, i, c.default.as_deref(), !table.is_not_null(i), Some(c.data_type))
        })
        .collect()
}

fn column_row(
    table: &str,
    column: &str,
    index: usize,
    default: Option<&str>,
    nullable: bool,
    ty: Option<DataType>,
) -> Vec<Value> {
    let pg = super::types::pg_type(ty);
    vec![
        Value::from("braid"),
        Value::from("public"),
        Value::from(table),
        Value::from(column),
        Value::Integer(index as i64 + 1),
        default.map_or(Value::Null, Value::from),
        Value::from(if nullable { "YES" } else { "NO" }),
        Value::from(data_type_name(ty)),
        Value::from(pg.name()),
    ]
}

/// The SQL standard's name of a type, as PostgreSQL's `information_schema` writes it.
fn data_type_name(ty: Option<DataType>) -> &'static str {
    match ty {
        Some(DataType::Boolean) => "boolean",
        Some(DataType::Integer) => "bigint",
        Some(DataType::Real) => "double precision",
        Some(DataType::Blob) => "bytea",
        Some(DataType::Timestamp) => "timestamp with time zone",
        _ => "text",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(conn: &mut braid::Connection, sql: &str, params: Vec<Value>) -> Vec<Vec<Value>> {
        conn.query(sql, params).unwrap().map(|r| r.unwrap().into_values()).collect()
    }

    #[test]
    fn tables_columns_and_views_answer_ordinary_queries() {
        let db = Database::open_in_memory().unwrap();
        db.connect()
            .execute_batch(
                "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL DEFAULT 1.5); \
                 CREATE TABLE \"odd\"\"name\" (x BLOB); \
                 CREATE VIEW v AS SELECT id, name FROM t",
            )
            .unwrap();
        let mut conn = materialise(&db).unwrap();
        let names = rows(
            &mut conn,
            "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
            vec![],
        );
        let text = |s: &str| Value::from(s);
        assert_eq!(
            names,
            vec![
                vec![text("odd\"name"), text("BASE TABLE")],
                vec![text("t"), text("BASE TABLE")],
                vec![text("v"), text("VIEW")]
            ]
        );
        let columns = rows(
            &mut conn,
            "SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns \
             WHERE table_name = $1 ORDER BY ordinal_position",
            vec![text("t")],
        );
        assert_eq!(
            columns,
            vec![
                vec![text("id"), text("bigint"), text("NO"), Value::Null],
                vec![text("name"), text("text"), text("NO"), Value::Null],
                vec![text("score"), text("double precision"), text("YES"), text("1.5")],
            ]
        );
        let view_columns =
            rows(&mut conn, "SELECT column_name FROM information_schema.columns WHERE table_name = 'v'", vec![]);
        assert_eq!(view_columns, vec![vec![text("id")], vec![text("name")]]);
        let definition = rows(&mut conn, "SELECT view_definition FROM information_schema.views", vec![]);
        assert_eq!(definition.len(), 1);
        assert!(definition[0][0].to_string().contains("FROM t"), "{definition:?}");
        assert!(is_information_schema_query("select * from INFORMATION_SCHEMA.tables"));
        assert!(!is_information_schema_query("select 'information_schema'"));
        assert!(!is_information_schema_query("select 'see information_schema.tables'"));
        assert!(is_information_schema_query("DELETE FROM information_schema.tables"));
        assert!(!is_information_schema_query("SELECT 1; SELECT * FROM information_schema.tables"));
        assert!(is_information_schema_query("WITH x AS (SELECT 1) SELECT * FROM information_schema.columns"));
    }
}
