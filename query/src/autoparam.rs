//! Literal parameterization: `SELECT … WHERE id = 42` as `SELECT … WHERE id = $1` with
//! `[42]`, so that queries differing only in the numbers they filter on share one plan.
//!
//! Clients that send values inside the SQL text (the simple query protocol, `psql`,
//! pgbench's default mode) would otherwise pay for parsing, binding and planning on every
//! query: a quarter of the server's time on a point SELECT (profiled), for a statement it
//! has seen a thousand times with another number in it. The server keys its prepared
//! statements by the parameterized text and runs them with the numbers as parameters.
//!
//! # What is rewritten, and why only that
//!
//! A literal and a parameter with the same value mean the same in an expression (the binder
//! applies SQLite's affinity to both at run time), but not everywhere in a statement: a
//! number in the select list names its result column (`SELECT 1`), one after `ORDER BY` or
//! `GROUP BY` is a column position, one in a type (`VARCHAR(10)`) is syntax. So this is a
//! small lexer, not a parser, that rewrites only what it is sure of: numeric literals in
//! the top-level WHERE clause of a single SELECT without subqueries, set operations,
//! comments or parameters of its own. Anything else, or anything it does not recognize,
//! is left alone (`None`), and the statement takes the ordinary path. The caller checks
//! the rewrite before using it: one that does not prepare and bind with exactly the
//! lifted values as its parameters (a number that was syntax after all) is not used.

use braid_engine::Value;

/// At most this many literals are lifted out of one statement.
const MAX_LITERALS: usize = 64;

/// The statement with the numeric literals of its WHERE clause replaced by `$1`, `$2`, …,
/// and their values in order; `None` when the statement is not one this rewrites (see the
/// module doc) or has no such literal.
pub fn parameterize(sql: &str) -> Option<(String, Vec<Value>)> {
    let bytes = sql.as_bytes();
    // Only a SELECT is lexed: any other statement (a bulk load's INSERTs) is refused here.
    let first = sql.len() - sql.trim_start().len();
    let starts_with_select = sql[first..].get(..6).is_some_and(|w| w.eq_ignore_ascii_case("select"))
        && !bytes.get(first + 6).is_some_and(|&b| is_word_char(b));
    if !starts_with_select {
        return None;
    }
    let mut out = String::with_capacity(sql.len() + 8);
    let mut values = Vec::new();
    let mut depth = 0usize;
    // In the top-level WHERE clause, where literals are rewritten.
    let mut in_where = false;
    let mut at = 0;
    while at < bytes.len() {
        let b = bytes[at];
        let start = at;
        match b {
            b' ' | b'\t' | b'\n' | b'\r' => at += 1,
            b'\'' | b'"' => at = end_of_quoted(bytes, at, b)?,
            b';' => {
                // One statement only: nothing but blanks may follow.
                if !sql[at + 1..].trim().is_empty() {
                    return None;
                }
                at = bytes.len();
            }
            b'(' => {
                depth += 1;
                at += 1;
            }
            b')' => {
                depth = depth.checked_sub(1)?;
                at += 1;
            }
            b'0'..=b'9' => {
                at = end_of_number(bytes, at)?;
                if in_where {
                    if values.len() == MAX_LITERALS {
                        return None;
                    }
                    values.push(number(&sql[start..at])?);
                    out.push('$');
                    out.push_str(&values.len().to_string());
                    continue;
                }
            }
            b'.' if bytes.get(at + 1).is_some_and(u8::is_ascii_digit) => return None,
            _ if is_word_start(b) => {
                at += 1;
                while at < bytes.len() && is_word_char(bytes[at]) {
                    at += 1;
                }
                let word = &sql[start..at];
                if bytes.get(at) == Some(&b'\'') {
                    // A prefixed string (`E'…'` reads backslash escapes, which this lexer
                    // does not), or a blob (`x'…'`).
                    return None;
                }
                if word.eq_ignore_ascii_case("select") {
                    // A subquery.
                    if start != first {
                        return None;
                    }
                } else if depth == 0 && word.eq_ignore_ascii_case("where") {
                    in_where = true;
                } else if ends_where_clause(word) {
                    // Inside parentheses (a VALUES subquery, a window frame) these are
                    // clauses this lexer does not follow.
                    if depth > 0 {
                        return None;
                    }
                    in_where = false;
                } else if is_unfollowed(word) {
                    return None;
                }
            }
            // Comments, parameters, casts (`::`), and anything unexpected.
            b'-' if bytes.get(at + 1) == Some(&b'-') => return None,
            b'/' if bytes.get(at + 1) == Some(&b'*') => return None,
            b'$' | b'?' | b':' | b'@' | b'[' | b'`' | b'\\' => return None,
            _ if b.is_ascii_punctuation() => at += 1,
            _ => return None,
        }
        out.push_str(&sql[start..at]);
    }
    if depth != 0 || values.is_empty() {
        return None;
    }
    Some((out, values))
}

fn is_word_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_word_char(b: u8) -> bool {
    is_word_start(b) || b.is_ascii_digit() || b == b'$'
}

/// Keywords after which the top-level WHERE clause is over.
fn ends_where_clause(word: &str) -> bool {
    ["group", "order", "having", "limit", "offset", "window", "fetch", "for", "returning"]
        .iter()
        .any(|k| word.eq_ignore_ascii_case(k))
}

/// Keywords of constructs this lexer does not follow: set operations, subqueries without
/// SELECT, window frames (whose offsets must be literals).
fn is_unfollowed(word: &str) -> bool {
    ["union", "intersect", "except", "values", "table", "over", "rows", "range", "groups"]
        .iter()
        .any(|k| word.eq_ignore_ascii_case(k))
}

/// Where a quoted string or identifier that opens at `at` ends (its closing quote doubled
/// inside it); `None` if it does not.
fn end_of_quoted(bytes: &[u8], at: usize, quote: u8) -> Option<usize> {
    let mut i = at + 1;
    loop {
        match *bytes.get(i)? {
            q if q == quote && bytes.get(i + 1) == Some(&quote) => i += 2,
            q if q == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
}

/// Where a decimal number that starts at `at` ends: digits, an optional fraction and an
/// optional exponent. `None` for a number run into a word (`0x1F`, `1abc`).
fn end_of_number(bytes: &[u8], at: usize) -> Option<usize> {
    let digits = |mut i: usize| {
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let mut i = digits(at);
    if bytes.get(i) == Some(&b'.') {
        i = digits(i + 1);
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(bytes.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let end = digits(j);
        if end == j {
            return None;
        }
        i = end;
    }
    if bytes.get(i).is_some_and(|&b| is_word_char(b) || b == b'.') {
        return None;
    }
    Some(i)
}

/// A numeric literal's value as the binder reads it (`crate::value::numeric::literal`); an
/// integer too large for 64 bits is left to the parser.
fn number(text: &str) -> Option<Value> {
    if text.contains(['.', 'e', 'E']) {
        crate::value::numeric::literal(text)
    } else {
        text.parse::<i64>().ok().map(Value::Integer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(sql: &str) -> Option<String> {
        parameterize(sql).map(|(s, _)| s)
    }

    #[test]
    fn numbers_in_the_where_clause_become_parameters() {
        let (sql, values) = parameterize("SELECT score FROM t WHERE id = 42;").unwrap();
        assert_eq!(sql, "SELECT score FROM t WHERE id = $1;");
        assert_eq!(values, vec![Value::Integer(42)]);
        let (sql, values) =
            parameterize("select a, 'x''1' from t where b between -1.5 and 2e3 and c in (7, 8) order by 1 limit 5")
                .unwrap();
        assert_eq!(sql, "select a, 'x''1' from t where b between -$1 and $2 and c in ($3, $4) order by 1 limit 5");
        let numeric = |s| Value::Numeric(crate::value::numeric::parse(s).unwrap());
        assert_eq!(values, vec![numeric("1.5"), numeric("2000"), Value::Integer(7), Value::Integer(8)]);
    }

    #[test]
    fn numbers_elsewhere_stay() {
        assert_eq!(shape("SELECT 1"), None);
        assert_eq!(shape("SELECT a + 1 FROM t"), None);
        assert_eq!(shape("SELECT a FROM t WHERE b = 'x' GROUP BY 1"), None);
        assert_eq!(shape("SELECT a FROM t WHERE b = 'a 1'"), None);
        assert_eq!(shape("SELECT \"col 1\" FROM t WHERE \"x 2\" = 'y'"), None);
        assert_eq!(shape("SELECT a FROM t1 WHERE c2 = x2"), None);
    }

    #[test]
    fn anything_unusual_is_left_alone() {
        for sql in [
            "SELECT a FROM t WHERE b IN (SELECT 1)",
            "SELECT a FROM t WHERE b = 1 UNION SELECT 2",
            "SELECT a FROM t WHERE b = 1; DROP TABLE t",
            "SELECT a FROM t WHERE b = $1 AND c = 2",
            "SELECT a FROM t WHERE b = ? AND c = 2",
            "SELECT a FROM t WHERE b = 1::int",
            "SELECT a FROM t WHERE b = 1 -- two",
            "SELECT a FROM t WHERE b = /* x */ 1",
            "SELECT a FROM t WHERE b = 0x1F",
            "SELECT a FROM t WHERE b = 9223372036854775808",
            "SELECT a FROM t WHERE b = .5",
            "SELECT a FROM t WHERE b = 'unterminated",
            "SELECT a FROM t WHERE (b = 1",
            "INSERT INTO t VALUES (1)",
            "selectx a FROM t WHERE b = 1",
            "UPDATE t SET a = 1 WHERE b = 2",
            "WITH c AS (SELECT 1) SELECT * FROM c WHERE x = 1",
            "SELECT a FROM t WHERE a = E'\\'' OR b = ' 5 ' -- '",
            "SELECT a FROM t WHERE b = x'01' AND c = 2",
            "SELECT a FROM t WHERE a IN (VALUES (3), (1) ORDER BY 1 LIMIT 1)",
            "SELECT a FROM t WHERE a IN (TABLE u) AND b = 1",
            "SELECT a FROM t WHERE b > 1 AND sum(c) OVER (ROWS 1 PRECEDING) > 2",
        ] {
            assert_eq!(shape(sql), None, "{sql}");
        }
    }
}
