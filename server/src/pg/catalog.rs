//! pgJDBC's `DatabaseMetaData.getTables` and `getColumns`, answered from Braid's catalog
//! by recognising their query texts: the last client-specific answers, kept until the
//! system catalogs (`braid`'s `pg_catalog`, which psql's `\d` commands now read for real)
//! support what these two queries use (`'pg_class'::regclass` as an OID lookup, casts of
//! `attidentity`, `pg_description` joins). Its name patterns (`LIKE`) and the kinds of
//! relation it asks for are read from the query text.
//!
//! Every other query that names `pg_catalog` runs as written over the system catalogs
//! (see `Session::catalog` for catalogs Braid does not have).
//!
//! Tables have the OID 16384 + their id, as PostgreSQL numbers user objects from 16384.

use braid::{DataType, Value};
use braid_engine::TableDef;

use super::session::{Reply, Step, TxChange};

/// What the describe queries need from the catalog: every table.
pub type Tables = Vec<TableDef>;

/// Every view: its name and SQL.
pub type Views = Vec<(String, String)>;

/// Whether [`answer`] answers `sql` (it is one of the queries recognised here).
pub fn recognises(sql: &str) -> bool {
    is_catalog_query(sql)
        && (sql.contains("AS TABLE_TYPE, d.description AS REMARKS")
            || sql.contains("AS attnum, nullif(a.attidentity, '') as attidentity"))
}

/// Whether `sql` reads PostgreSQL's catalog (the cheap test before [`answer`]).
pub fn is_catalog_query(sql: &str) -> bool {
    reads_schema(sql, "pg_catalog")
}

/// Whether `sql` is one query (it starts with SELECT or WITH) that names `schema`, followed
/// by `.` or a space, outside string literals, quoted identifiers and comments. Writes and statements that merely quote the name run as they are:
/// answering `INSERT … VALUES ('see pg_catalog.pg_class')` from an emulated catalog would
/// lose the row.
pub fn reads_schema(sql: &str, schema: &str) -> bool {
    if !contains_ignoring_case(sql, schema) {
        return false;
    }
    let code = code_outside_literals(sql);
    let first = code.trim_start_matches(|c: char| c.is_whitespace() || c == '(');
    let is_query = ["select", "with"].iter().any(|k| {
        first.len() > k.len()
            && first.get(..k.len()).is_some_and(|w| w.eq_ignore_ascii_case(k))
            && !is_word(first.as_bytes()[k.len()])
    });
    is_query && names_in_code(&code, schema)
}

/// The cheap test first: this runs for every statement a client sends (each Execute of a
/// prepared statement too), and almost none names a catalog schema.
fn contains_ignoring_case(sql: &str, word: &str) -> bool {
    sql.as_bytes().windows(word.len()).any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
}

fn names_in_code(code: &str, schema: &str) -> bool {
    if code.trim_end().trim_end_matches(';').contains(';') {
        return false;
    }
    let (code, schema) = (code.as_bytes(), schema.as_bytes());
    (0..code.len().saturating_sub(schema.len())).any(|i| {
        code[i..i + schema.len()].eq_ignore_ascii_case(schema)
            && (i == 0 || !is_word(code[i - 1]))
            && matches!(code[i + schema.len()], b'.' | b' ' | b'\n' | b'\t')
    })
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `sql` with string literals, quoted identifiers and comments blanked out (each replaced
/// by one space), so that a search of what is left finds only names the statement uses.
fn code_outside_literals(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                // A doubled quote inside is an escaped quote, which the loop reads as a
                // literal ending and another beginning: the text between is still skipped.
                for d in chars.by_ref() {
                    if d == c {
                        break;
                    }
                }
                out.push(' ');
            }
            '-' if chars.peek() == Some(&'-') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
                out.push(' ');
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for d in chars.by_ref() {
                    if last == '*' && d == '/' {
                        break;
                    }
                    last = d;
                }
                out.push(' ');
            }
            c => out.push(c),
        }
    }
    out
}

/// The reply to a catalog query psql or pgJDBC sends, given the database's tables; `None`
/// for any other query, which then runs as written (`pg_catalog.version()`,
/// `pg_catalog.set_config(…)`, `pg_catalog.upper('a')`).
pub fn answer(sql: &str, tables: &Tables, views: &Views) -> Option<Step> {
    let rows = |columns: &[&str], rows: Vec<Vec<Value>>| {
        Some(Step {
            reply: Reply::Rows {
                command: "SELECT".into(),
                columns: std::sync::Arc::new(braid::Description {
                    params: vec![],
                    columns: columns.iter().map(|c| (c.to_string(), Some(DataType::Text))).collect(),
                    declared: vec![],
                }),
                rows,
            },
            tx: TxChange::None,
        })
    };
    if sql.contains("AS TABLE_TYPE, d.description AS REMARKS") {
        // pgJDBC's getTables.
        let names = [
            "table_cat",
            "table_schem",
            "table_name",
            "table_type",
            "remarks",
            "type_cat",
            "type_schem",
            "type_name",
            "self_referencing_col_name",
            "ref_generation",
        ];
        return rows(&names, jdbc_tables(sql, tables, views));
    }
    if sql.contains("AS attnum, nullif(a.attidentity, '') as attidentity") {
        // pgJDBC's getColumns.
        let names = [
            "nspname",
            "relname",
            "attname",
            "atttypid",
            "attnotnull",
            "atttypmod",
            "attlen",
            "typtypmod",
            "attnum",
            "attidentity",
            "attgenerated",
            "adsrc",
            "description",
            "typbasetype",
            "typtype",
        ];
        return rows(&names, jdbc_columns(sql, tables));
    }
    None
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

/// A boolean as psql reads it from the catalog: `t` or `f`.
fn boolean(b: bool) -> Value {
    text(if b { "t" } else { "f" })
}

fn sorted(tables: &Tables) -> impl Iterator<Item = &TableDef> {
    let mut all: Vec<&TableDef> = tables.iter().collect();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    all.into_iter()
}

/// The rows of pgJDBC's getTables: tables and views whose schema (`public`) and name match
/// the query's LIKE patterns, of the kinds it asks for (all when it names none).
fn jdbc_tables(sql: &str, tables: &Tables, views: &Views) -> Vec<Vec<Value>> {
    let like = |column: &str| like_literal(sql, column);
    let (schema, name) = (like("n.nspname"), like("c.relname"));
    if schema.as_deref().is_some_and(|p| !like_matches(p, "public")) {
        return vec![];
    }
    let all = !sql.contains("AND (false ");
    let want_tables = all || sql.contains("c.relkind = 'r' AND n.nspname !~ '^pg_'");
    let want_views = all || sql.contains("c.relkind = 'v' AND n.nspname <> 'pg_catalog'");
    let wanted = |n: &str| name.as_deref().is_none_or(|p| like_matches(p, n));
    let row = |name: &str, kind: &str| {
        let mut row = vec![Value::Null, text("public"), text(name), text(kind), Value::Null];
        row.extend(["", "", "", "", ""].map(text));
        row
    };
    let mut out = vec![];
    if want_tables {
        out.extend(sorted(tables).filter(|t| wanted(&t.name)).map(|t| row(&t.name, "TABLE")));
    }
    if want_views {
        let mut names: Vec<&str> = views.iter().map(|(n, _)| n.as_str()).filter(|n| wanted(n)).collect();
        names.sort();
        out.extend(names.into_iter().map(|n| row(n, "VIEW")));
    }
    out
}

/// The pattern of `COLUMN LIKE '…'` in `sql`, unquoted.
fn like_literal(sql: &str, column: &str) -> Option<String> {
    let at = sql.find(&format!("{column} LIKE '"))? + column.len() + " LIKE '".len();
    let rest = &sql[at..];
    // The literal ends at a quote that is not doubled.
    let bytes = rest.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1)) {
            (b'\'', Some(b'\'')) => i += 2,
            (b'\'', _) => return Some(rest[..i].replace("''", "'")),
            _ => i += 1,
        }
    }
    None
}

/// The rows of pgJDBC's getColumns (which builds its result from these in Java): the
/// columns of the tables whose schema, name and column name match the query's patterns.
/// Views' columns are not listed (describing a view needs a connection).
fn jdbc_columns(sql: &str, tables: &Tables) -> Vec<Vec<Value>> {
    let like = |column: &str| like_literal(sql, column);
    let (schema, table, column) = (like("n.nspname"), like("c.relname"), like("attname"));
    if schema.as_deref().is_some_and(|p| !like_matches(p, "public")) {
        return vec![];
    }
    let mut out = vec![];
    for t in sorted(tables).filter(|t| table.as_deref().is_none_or(|p| like_matches(p, &t.name))) {
        for (i, c) in t.columns.iter().enumerate() {
            if column.as_deref().is_some_and(|p| !like_matches(p, &c.name)) {
                continue;
            }
            let ty = super::types::column_pg_type(Some(c.data_type), c.declared);
            let len = match c.data_type {
                DataType::Boolean => 1,
                DataType::Integer | DataType::Real | DataType::Timestamp => 8,
                _ => -1,
            };
            out.push(vec![
                text("public"),
                text(&t.name),
                text(&c.name),
                text(&ty.oid().to_string()),
                boolean(t.is_not_null(i)),
                text("-1"),
                text(&len.to_string()),
                text("-1"),
                text(&(i + 1).to_string()),
                Value::Null,
                Value::Null,
                c.default.as_deref().map_or(Value::Null, text),
                Value::Null,
                text("0"),
                text("b"),
            ]);
        }
    }
    out
}

/// PostgreSQL's LIKE (case-sensitive): `%` any run, `_` one character, `\` escapes.
fn like_matches(pattern: &str, s: &str) -> bool {
    braid::functions::like(s, pattern, Some('\\'), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_single_queries_that_name_the_schema_outside_literals_are_routed() {
        assert!(is_catalog_query("SELECT c.relname FROM pg_catalog.pg_class c"));
        assert!(is_catalog_query("  (select 1 from PG_CATALOG.pg_type)"));
        assert!(!is_catalog_query("INSERT INTO notes(body) VALUES ('see pg_catalog.pg_class')"));
        assert!(!is_catalog_query("SELECT 'pg_catalog.pg_class'"));
        assert!(!is_catalog_query("SELECT 1 -- pg_catalog.pg_class"));
        assert!(!is_catalog_query("SELECT \"pg_catalog.x\" FROM t"));
        assert!(!is_catalog_query("SELECT * FROM my_pg_catalog.t"));
        assert!(!is_catalog_query("SELECT 1; SELECT * FROM pg_catalog.pg_class"));
        assert!(!is_catalog_query("DELETE FROM t WHERE x IN (SELECT oid FROM pg_catalog.pg_class)"));
    }

    #[test]
    fn client_patterns_cannot_recurse_or_backtrack_for_ever() {
        let many = "%".repeat(100_000);
        assert!(like_matches(&many, "public"));
        assert!(!like_matches(&(many.clone() + "x"), &"p".repeat(10_000)));
    }

    #[test]
    fn like_patterns_match_as_sql_means_them() {
        assert!(like_matches("%", "items"));
        assert!(like_matches("it_ms", "items"));
        assert!(like_matches("i%s", "items"));
        assert!(!like_matches("i%x", "items"));
        assert!(like_matches("a\\_b", "a_b"));
        assert!(!like_matches("a\\_b", "axb"));
    }

    #[test]
    fn jdbc_get_tables_reads_its_patterns_and_kinds() {
        let table = |name: &str| TableDef::new(name, vec![braid_engine::ColumnDef::new("x", DataType::Integer)]);
        let tables = vec![table("items"), table("other")];
        let views = vec![("cheap".to_string(), "SELECT 1".to_string())];
        let query = |filter: &str| {
            format!(
                "SELECT NULL AS TABLE_CAT, n.nspname AS TABLE_SCHEM, c.relname AS TABLE_NAME, ... AS TABLE_TYPE, \
                 d.description AS REMARKS FROM pg_catalog.pg_namespace n, pg_catalog.pg_class c WHERE \
                 c.relnamespace = n.oid {filter} ORDER BY TABLE_TYPE,TABLE_SCHEM,TABLE_NAME"
            )
        };
        let names = |sql: &str| -> Vec<String> {
            match answer(sql, &tables, &views).expect("a query psql or pgJDBC sends").reply {
                Reply::Rows { rows, .. } => rows
                    .iter()
                    .map(|r| match (&r[2], &r[3]) {
                        (Value::Text(name), Value::Text(kind)) => format!("{name}:{kind}"),
                        other => panic!("text expected: {other:?}"),
                    })
                    .collect(),
                _ => panic!("rows expected"),
            }
        };
        assert_eq!(names(&query("AND c.relname LIKE '%'")), ["items:TABLE", "other:TABLE", "cheap:VIEW"]);
        let tables_only = "AND c.relname LIKE 'it%' AND (false  OR ( c.relkind = 'r' AND n.nspname !~ '^pg_' ) )";
        assert_eq!(names(&query(tables_only)), ["items:TABLE"]);
        let views_only = "AND n.nspname LIKE 'pub%' AND (false  OR ( c.relkind = 'v' AND n.nspname <> 'pg_catalog' ) )";
        assert_eq!(names(&query(views_only)), ["cheap:VIEW"]);
        assert!(names(&query("AND n.nspname LIKE 'other'")).is_empty());
        assert!(names(&query("AND c.relname LIKE 'it''s'")).is_empty(), "a doubled quote is part of the pattern");
    }

    #[test]
    fn jdbc_get_columns_reads_its_patterns() {
        use braid_engine::ColumnDef;
        let columns = vec![ColumnDef::new("id", DataType::Integer).not_null(), ColumnDef::new("name", DataType::Text)];
        let tables = vec![TableDef::new("items", columns), TableDef::new("other", vec![])];
        let query = |filter: &str| {
            format!(
                "SELECT * FROM (SELECT n.nspname,c.relname,a.attname, row_number() OVER (PARTITION BY a.attrelid \
                 ORDER BY a.attnum) AS attnum, nullif(a.attidentity, '') as attidentity FROM pg_catalog.pg_class c \
                 WHERE c.relkind in ('r','p','v','f','m') {filter}"
            )
        };
        let found = |sql: &str| -> Vec<Vec<Value>> {
            match answer(sql, &tables, &vec![]).expect("a query psql or pgJDBC sends").reply {
                Reply::Rows { rows, .. } => rows,
                _ => panic!("rows expected"),
            }
        };
        let rows = found(&query("AND c.relname LIKE 'items') c WHERE true  AND attname LIKE '%'"));
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0][..5], [text("public"), text("items"), text("id"), text("20"), text("t")]);
        assert_eq!(rows[1][2..5], [text("name"), text("25"), text("f")]);
        assert_eq!(found(&query("AND c.relname LIKE 'it%') c WHERE true  AND attname LIKE 'n%'")).len(), 1);
        assert!(found(&query("AND c.relname LIKE 'nope')")).is_empty());
    }
}
