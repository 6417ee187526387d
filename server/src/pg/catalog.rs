//! Which queries read PostgreSQL's catalog: those the session routes through
//! `Session::catalog`, so that a query of a catalog Braid does not have (psql's `\d` reads
//! `pg_policy`, `pg_statistic_ext`, `pg_publication` for optional sections) gets no rows
//! rather than an error that would stop the client's command. Every catalog query runs as
//! written over Braid's system catalogs (`braid`'s `pg_catalog` and `information_schema`);
//! none is answered by recognising its text.

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
}
