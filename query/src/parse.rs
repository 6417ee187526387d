//! Parsing: SQL text to sqlparser's AST.
//!
//! The PostgreSQL dialect first (Braid speaks PostgreSQL's protocol, and its clients send
//! PostgreSQL's SQL); a statement it rejects is tried again with SQLite's dialect, which
//! accepts SQLite's own forms (`INSERT OR REPLACE`, `REPLACE INTO`, triggers with
//! `BEGIN … END`). An error reports PostgreSQL's complaint, with its line and column.

use sqlparser::ast;
use sqlparser::dialect::{PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::{Parser, ParserError};

use crate::error::{Error, Result};

/// A parsed statement.
#[derive(Debug, Clone)]
pub enum Parsed {
    Sql(Box<ast::Statement>),
    /// `CREATE TRIGGER`, kept as text: triggers are stored, not run (see `docs/sql.md`),
    /// and sqlparser does not accept all of SQLite's trigger forms.
    CreateTrigger {
        name: String,
        table: String,
        if_not_exists: bool,
        sql: String,
    },
    /// `REINDEX [name]`: indexes are always up to date, so there is nothing to do.
    Reindex,
}

/// Parses `;`-separated statements.
pub fn parse(sql: &str) -> Result<Vec<Parsed>> {
    let words: Vec<String> = sql.split_whitespace().take(8).map(|w| w.to_ascii_uppercase()).collect();
    let word = |i: usize| words.get(i).map(String::as_str);
    if word(0) == Some("REINDEX") {
        return Ok(vec![Parsed::Reindex]);
    }
    if word(0) == Some("CREATE") && (word(1) == Some("TRIGGER") || word(2) == Some("TRIGGER")) {
        return create_trigger(sql).map(|t| vec![t]);
    }
    let statements = match Parser::parse_sql(&PostgreSqlDialect {}, sql) {
        Ok(statements) => statements,
        Err(pg) => Parser::parse_sql(&SQLiteDialect {}, sql).map_err(|_| syntax_error(pg))?,
    };
    Ok(statements.into_iter().map(|s| Parsed::Sql(Box::new(s))).collect())
}

/// `CREATE [TEMP] TRIGGER [IF NOT EXISTS] name … ON table …`: the name and the table.
fn create_trigger(sql: &str) -> Result<Parsed> {
    let tokens: Vec<&str> =
        sql.split(|c: char| c.is_whitespace() || c == '(' || c == ';').filter(|t| !t.is_empty()).collect();
    let upper: Vec<String> = tokens.iter().map(|t| t.to_ascii_uppercase()).collect();
    let bad = || Error::Syntax { message: "malformed CREATE TRIGGER".into(), line: 1, column: 1 };
    let at = upper.iter().position(|t| t == "TRIGGER").ok_or_else(bad)?;
    let if_not_exists = upper.get(at + 1..at + 4).is_some_and(|w| w == ["IF", "NOT", "EXISTS"]);
    let name = tokens.get(if if_not_exists { at + 4 } else { at + 1 }).ok_or_else(bad)?;
    let on = upper.iter().skip(at).position(|t| t == "ON").ok_or_else(bad)? + at;
    let table = tokens.get(on + 1).ok_or_else(bad)?;
    if !upper.iter().any(|t| t == "BEGIN") || !upper.iter().any(|t| t == "END") {
        return Err(bad());
    }
    let clean = |s: &str| s.trim_matches('"').to_lowercase();
    Ok(Parsed::CreateTrigger { name: clean(name), table: clean(table), if_not_exists, sql: sql.trim().to_string() })
}

/// Whether a statement only reads (it can run in a read-only transaction).
pub fn is_read_only(statement: &Parsed) -> bool {
    matches!(statement, Parsed::Sql(s) if matches!(**s, ast::Statement::Query(_)))
}

fn syntax_error(e: ParserError) -> Error {
    let message = match e {
        ParserError::TokenizerError(m) | ParserError::ParserError(m) => m,
        ParserError::RecursionLimitExceeded => "statement nested too deeply".to_string(),
    };
    let number_after = |label: &str| -> u64 {
        message.find(label).map_or(0, |at| {
            message[at + label.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .unwrap_or(0)
        })
    };
    let (line, column) = (number_after("Line: "), number_after("Column: "));
    let message = match message.find(" at Line: ") {
        Some(at) => message[..at].to_string(),
        None => message,
    };
    Error::Syntax { message, line, column }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let Err(Error::Syntax { line, column, .. }) = parse("SELECT 1;\nSELECT FROM WHERE") else {
            panic!("expected a syntax error");
        };
        assert_eq!(line, 2);
        assert!(column > 0);
    }

    #[test]
    fn sqlite_forms_parse() {
        for sql in [
            "INSERT OR REPLACE INTO t VALUES (1)",
            "REPLACE INTO t VALUES (1)",
            "SELECT ALL - + 5 FROM t AS x WHERE NOT + - a IN ()",
            "CREATE TRIGGER t1 BEFORE INSERT ON t BEGIN SELECT 1; END",
        ] {
            parse(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    }
}
