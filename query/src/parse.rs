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
    /// A statement, and the (line, column) of each of its `?` placeholders in text order.
    Sql(Box<ast::Statement>, Vec<(u64, u64)>),
    /// `CREATE TRIGGER`, kept as text: triggers are stored, not run (see `docs/sql.md`),
    /// and sqlparser does not accept all of SQLite's trigger forms.
    CreateTrigger { name: String, table: String, if_not_exists: bool, sql: String },
    /// `REINDEX [name]`: indexes are always up to date, so there is nothing to do but
    /// check that the name exists.
    Reindex(Option<String>),
    /// `VACUUM`: the stores reclaim space themselves; nothing to do.
    Vacuum,
    /// `CREATE DATABASE name …` (`owner: None`) or `ALTER DATABASE name OWNER TO role`, as
    /// pg_dumpall writes them (sqlparser reads neither form). A server serves one database,
    /// so these only check what they name ([`crate::bind`]).
    Database { name: String, owner: Option<String>, sql: String },
    /// `CREATE SEQUENCE [IF NOT EXISTS] name options…` (`alter: false`) or `ALTER SEQUENCE
    /// [IF EXISTS] name options…`, kept as words: sqlparser lacks ALTER SEQUENCE and takes
    /// CREATE SEQUENCE's options only in one order, PostgreSQL in any
    /// ([`crate::bind`] reads them).
    Sequence { alter: bool, if_exists: bool, name: String, options: Vec<String>, sql: String },
    /// `ALTER TABLE [ONLY] t ALTER [COLUMN] c ADD GENERATED {ALWAYS | BY DEFAULT} AS IDENTITY
    /// [(sequence options)]`, as pg_dump writes an identity column (sqlparser reads neither
    /// `SEQUENCE NAME` nor options out of its order).
    AddIdentity { table: String, column: String, always: bool, sequence: Option<String>, options: Vec<String> },
    /// `INSERT … OVERRIDING SYSTEM VALUE …` (sqlparser lacks the clause): the INSERT, whose
    /// values for GENERATED ALWAYS identity columns are taken as given. COPY FROM inserts
    /// this way, as PostgreSQL's COPY does.
    Overriding(Box<Parsed>),
    /// `GRANT role, … TO member, … [WITH ADMIN OPTION] [GRANTED BY role]` (`grant`) or
    /// `REVOKE [ADMIN OPTION FOR] role, … FROM member, … [GRANTED BY role] [CASCADE |
    /// RESTRICT]`: role memberships, which sqlparser does not read.
    Membership { grant: bool, roles: Vec<String>, members: Vec<String>, admin: bool, sql: String },
}

/// How deeply expressions may nest (sqlparser's default, 50, refuses machine-written
/// queries of the corpus; deeper than this risks the stack of a small thread).
const RECURSION_LIMIT: usize = 160;

/// Parses `;`-separated statements.
pub fn parse(sql: &str) -> Result<Vec<Parsed>> {
    let words: Vec<String> = sql.split_whitespace().take(8).map(|w| w.to_ascii_uppercase()).collect();
    let word = |i: usize| words.get(i).map(String::as_str);
    if word(0) == Some("VACUUM") {
        return Ok(vec![Parsed::Vacuum]);
    }
    if word(0) == Some("REINDEX") {
        let name = sql.split_whitespace().nth(1).map(|n| n.trim_end_matches(';').trim_matches('"').to_lowercase());
        return Ok(vec![Parsed::Reindex(name.filter(|n| !n.is_empty()))]);
    }
    if matches!(word(0), Some("CREATE" | "ALTER")) && word(1) == Some("DATABASE") {
        return database(sql).map(|d| vec![d]);
    }
    if word(0) == Some("CREATE") && (word(1) == Some("TRIGGER") || word(2) == Some("TRIGGER")) {
        return create_trigger(sql).map(|t| vec![t]);
    }
    // The statements sqlparser lacks or reads too strictly are read here; one inside a
    // longer text is split out first (only then: splitting costs a pass over the text).
    let upper = sql.to_ascii_uppercase();
    let ours =
        ["SEQUENCE", "OVERRIDING", "IDENTITY", "USER", "OWNER", "GRANT", "REVOKE"].iter().any(|w| upper.contains(w));
    if ours {
        let pieces = split_statements(sql);
        if pieces.len() > 1 && pieces.iter().any(|p| own_statement(p).is_some()) {
            let parsed = pieces.into_iter().map(parse).collect::<Result<Vec<_>>>()?;
            return Ok(parsed.into_iter().flatten().collect());
        }
        match own_statement(sql) {
            Some(Own::Sequence) => return sequence(sql).map(|s| vec![s]),
            Some(Own::AddIdentity(identity)) => return Ok(vec![identity]),
            Some(Own::Overriding(without)) => {
                return Ok(parse(&without)?.into_iter().map(|p| Parsed::Overriding(Box::new(p))).collect());
            }
            Some(Own::OwnerTo(as_table)) => return parse(&as_table),
            Some(Own::Membership(membership)) => return Ok(vec![membership]),
            Some(Own::CreateUser(as_role)) => {
                let mut parsed = parse(&as_role)?;
                for p in &mut parsed {
                    if let Parsed::Sql(statement, _) = p
                        && let ast::Statement::CreateRole(create) = statement.as_mut()
                    {
                        create.login = create.login.or(Some(true));
                    }
                }
                return Ok(parsed);
            }
            None => {}
        }
    }
    let statements = match parse_with(&PostgreSqlDialect {}, sql) {
        Ok(statements) => statements,
        Err(pg) => parse_with(&SQLiteDialect {}, sql)
            .or_else(|_| {
                let rewritten = sqlite_forms(sql).or_else(|| boolean_option_words(sql)).ok_or(())?;
                parse_with(&PostgreSqlDialect {}, &rewritten).map_err(|_| ())
            })
            .map_err(|_| syntax_error(pg, sql))?,
    };
    let mut placeholders = anonymous_placeholders(sql, statements.len());
    Ok(statements.into_iter().zip(placeholders.drain(..)).map(|(s, mine)| Parsed::Sql(Box::new(s), mine)).collect())
}

/// Parses a stored expression (a DEFAULT, a CHECK, an index expression or predicate).
pub(crate) fn expression(sql: &str) -> Result<ast::Expr> {
    let parsed = parse(&format!("SELECT {sql}"))?;
    if let Some(Parsed::Sql(statement, _)) = parsed.into_iter().next()
        && let ast::Statement::Query(q) = *statement
        && let ast::SetExpr::Select(select) = *q.body
        && let Some(ast::SelectItem::UnnamedExpr(e)) = select.projection.into_iter().next()
    {
        return Ok(e);
    }
    Err(Error::invalid(format!("not an expression: {sql}")))
}

/// `CREATE DATABASE name [options]` or `ALTER DATABASE name OWNER TO role`.
fn database(sql: &str) -> Result<Parsed> {
    let text = sql.trim().trim_end_matches(';').trim();
    let words: Vec<&str> = text.split_whitespace().collect();
    let name = |w: &str| if w.starts_with('"') { w.trim_matches('"').to_string() } else { w.to_lowercase() };
    let upper = |i: usize| words.get(i).map(|w| w.to_ascii_uppercase());
    let owner = match (upper(0).as_deref(), words.get(2)) {
        (Some("CREATE"), Some(_)) => None,
        (Some("ALTER"), Some(_)) if upper(3).as_deref() == Some("OWNER") && upper(4).as_deref() == Some("TO") => {
            Some(name(words.get(5).ok_or_else(|| Error::Syntax {
                message: "ALTER DATABASE … OWNER TO needs a role".into(),
                line: 1,
                column: 0,
            })?))
        }
        (Some("ALTER"), Some(_)) => return Err(Error::unsupported("ALTER DATABASE other than OWNER TO")),
        _ => return Err(Error::Syntax { message: "a database name is needed".into(), line: 1, column: 0 }),
    };
    Ok(Parsed::Database { name: name(words[2]), owner, sql: text.to_string() })
}

/// Where each statement's `?` placeholders are, in text order (statements end at `;`).
fn anonymous_placeholders(sql: &str, statements: usize) -> Vec<Vec<(u64, u64)>> {
    use sqlparser::tokenizer::{Token, Tokenizer};
    let mut per_statement = vec![vec![]; statements];
    if !sql.contains('?') {
        return per_statement;
    }
    let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize_with_location() else { return per_statement };
    let (mut at, mut started) = (0, false);
    for t in tokens {
        match &t.token {
            Token::SemiColon if started => {
                at += 1;
                started = false;
            }
            Token::Whitespace(_) | Token::SemiColon => {}
            token => {
                started = true;
                // PostgreSQL's tokenizer reads `?` as an operator; its parser makes it a placeholder.
                let question = matches!(token, Token::Placeholder(p) if p == "?") || matches!(token, Token::Question);
                if question && let Some(list) = per_statement.get_mut(at) {
                    list.push((t.span.start.line, t.span.start.column));
                }
            }
        }
    }
    per_statement
}

fn parse_with(dialect: &dyn sqlparser::dialect::Dialect, sql: &str) -> Result<Vec<ast::Statement>, ParserError> {
    Parser::new(dialect).with_recursion_limit(RECURSION_LIMIT).try_with_sql(sql)?.parse_statements()
}

/// Rewrites SQLite forms no sqlparser dialect accepts into equivalents, or `None` if there
/// are none: `x IN table` becomes `x IN (SELECT * FROM table)`, and the index hints
/// `INDEXED BY name` and `NOT INDEXED` go (Braid chooses indexes itself).
fn sqlite_forms(sql: &str) -> Option<String> {
    use sqlparser::keywords::Keyword;
    use sqlparser::tokenizer::{Token, Tokenizer};
    let tokens = Tokenizer::new(&SQLiteDialect {}, sql).tokenize().ok()?;
    let significant =
        |from: usize| tokens.iter().enumerate().skip(from).find(|(_, t)| !matches!(t, Token::Whitespace(_)));
    let keyword = |t: &Token, k: Keyword| matches!(t, Token::Word(w) if w.keyword == k);
    let indexed = |t: &Token| matches!(t, Token::Word(w) if w.value.eq_ignore_ascii_case("indexed"));
    let mut out = String::with_capacity(sql.len() + 32);
    let mut changed = false;
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        let next = significant(i + 1);
        if keyword(t, Keyword::IN)
            && let Some((j, Token::Word(w))) = next
            && w.keyword == Keyword::NoKeyword
        {
            out.push_str(&format!("IN (SELECT * FROM {w})"));
            i = j + 1;
            changed = true;
            continue;
        }
        if indexed(t)
            && let Some((j, by)) = next
            && keyword(by, Keyword::BY)
            && let Some((k, Token::Word(_))) = significant(j + 1)
        {
            i = k + 1;
            changed = true;
            continue;
        }
        if keyword(t, Keyword::NOT)
            && let Some((j, word)) = next
            && indexed(word)
        {
            i = j + 1;
            changed = true;
            continue;
        }
        // `x ISNULL`; `x IS y` and `x IS NOT y` for any y (not only NULL, TRUE, FALSE).
        if matches!(t, Token::Word(w) if w.value.eq_ignore_ascii_case("isnull")) {
            out.push_str("IS NULL");
            i += 1;
            changed = true;
            continue;
        }
        if keyword(t, Keyword::IS) {
            let special = |t: &Token| {
                [Keyword::NULL, Keyword::TRUE, Keyword::FALSE, Keyword::DISTINCT, Keyword::UNKNOWN]
                    .iter()
                    .any(|&k| keyword(t, k))
            };
            match next {
                Some((j, n)) if keyword(n, Keyword::NOT) => {
                    if let Some((_, after)) = significant(j + 1)
                        && !special(after)
                    {
                        out.push_str("IS DISTINCT FROM");
                        i = j + 1;
                        changed = true;
                        continue;
                    }
                }
                Some((_, n)) if !special(n) => {
                    out.push_str("IS NOT DISTINCT FROM");
                    i += 1;
                    changed = true;
                    continue;
                }
                _ => {}
            }
        }
        out.push_str(&t.to_string());
        i += 1;
    }
    changed.then_some(out)
}

/// PostgreSQL spells a boolean option value `on` / `off` as well as `true` / `false`
/// (`COPY t FROM STDIN WITH (FREEZE ON)`, as pgbench sends it); sqlparser takes only the
/// latter. The words after the options that take a boolean become TRUE / FALSE, or `None`
/// if there are none.
fn boolean_option_words(sql: &str) -> Option<String> {
    use sqlparser::tokenizer::{Token, Tokenizer};
    let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize().ok()?;
    let word =
        |t: &Token, w: &str| matches!(t, Token::Word(x) if x.quote_style.is_none() && x.value.eq_ignore_ascii_case(w));
    let mut out = String::with_capacity(sql.len());
    let mut changed = false;
    let mut option = false;
    for t in &tokens {
        match t {
            Token::Whitespace(_) => {}
            t if option && word(t, "on") => {
                out.push_str("TRUE");
                changed = true;
                option = false;
                continue;
            }
            t if option && word(t, "off") => {
                out.push_str("FALSE");
                changed = true;
                option = false;
                continue;
            }
            t => option = ["freeze", "header"].iter().any(|w| word(t, w)),
        }
        out.push_str(&t.to_string());
    }
    changed.then_some(out)
}

/// `CREATE [TEMP] TRIGGER [IF NOT EXISTS] name … ON table …`: the name and the table.
/// A statement read here rather than by sqlparser.
enum Own {
    /// CREATE or ALTER SEQUENCE.
    Sequence,
    AddIdentity(Parsed),
    /// An INSERT with `OVERRIDING SYSTEM VALUE`, and its text without the clause.
    Overriding(String),
    /// `CREATE USER …` (sqlparser reads Snowflake's), as the CREATE ROLE it is but for
    /// LOGIN: its text with ROLE for USER.
    CreateUser(String),
    /// `ALTER VIEW | SEQUENCE name OWNER TO role`, which sqlparser lacks, as the ALTER
    /// TABLE PostgreSQL also accepts for views and sequences: its text with TABLE.
    OwnerTo(String),
    /// GRANT or REVOKE of role memberships (no `ON`).
    Membership(Parsed),
}

/// Whether one statement's text is one of [`Own`]'s.
fn own_statement(sql: &str) -> Option<Own> {
    let words: Vec<String> = sql.split_whitespace().take(3).map(|w| w.to_ascii_uppercase()).collect();
    match words.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["ALTER", kind @ ("VIEW" | "SEQUENCE"), ..] if outside_quotes(sql, "OWNER TO").is_some() => {
            let at = outside_quotes(sql, kind)?;
            Some(Own::OwnerTo(format!("{}TABLE{}", &sql[..at], &sql[at + kind.len()..])))
        }
        ["CREATE" | "ALTER", "SEQUENCE", ..] => Some(Own::Sequence),
        ["GRANT" | "REVOKE", ..] if outside_quotes(sql, "ON").is_none() => membership(sql).map(Own::Membership),
        ["ALTER", "TABLE", ..] => add_identity(sql).map(Own::AddIdentity),
        ["CREATE", "USER", ..] => {
            let at = outside_quotes(sql, "USER")?;
            Some(Own::CreateUser(format!("{}ROLE{}", &sql[..at], &sql[at + "USER".len()..])))
        }
        ["INSERT", ..] => {
            let at = outside_quotes(sql, "OVERRIDING SYSTEM VALUE")?;
            Some(Own::Overriding(format!("{}{}", &sql[..at], &sql[at + "OVERRIDING SYSTEM VALUE".len()..])))
        }
        _ => None,
    }
}

/// Where `phrase` (upper case, words separated by single spaces) first stands as words
/// outside quotes in `sql`, in any case.
fn outside_quotes(sql: &str, phrase: &str) -> Option<usize> {
    let (bytes, mut i, mut quote) = (sql.as_bytes(), 0, None);
    while i < bytes.len() {
        match (quote, bytes[i]) {
            (None, q @ (b'\'' | b'"')) => quote = Some(q),
            (Some(q), c) if c == q => quote = None,
            (None, _)
                if (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
                    && sql.get(i..i + phrase.len()).is_some_and(|s| s.eq_ignore_ascii_case(phrase))
                    && bytes.get(i + phrase.len()).is_none_or(|c| !c.is_ascii_alphanumeric()) =>
            {
                return Some(i);
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// `ALTER TABLE … ALTER COLUMN … ADD GENERATED … AS IDENTITY (…)`, if the text is one.
fn add_identity(sql: &str) -> Option<Parsed> {
    let text = sql.trim().trim_end_matches(';');
    let spaced = text.replace('(', " ( ").replace(')', " ) ");
    let words: Vec<&str> = spaced.split_whitespace().collect();
    let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
    let mut at = 2;
    if upper.get(at).map(String::as_str) == Some("ONLY") {
        at += 1;
    }
    // As written, possibly qualified and quoted: the binder resolves it.
    let table = words.get(at)?.to_string();
    at += 1;
    if upper.get(at).map(String::as_str) != Some("ALTER") {
        return None;
    }
    at += 1;
    if upper.get(at).map(String::as_str) == Some("COLUMN") {
        at += 1;
    }
    let column = crate::source::system::split_qualified(words.get(at)?).pop()?;
    let rest: Vec<&str> = upper[at + 1..].iter().map(String::as_str).collect();
    let (always, after) = match rest.as_slice() {
        ["ADD", "GENERATED", "ALWAYS", "AS", "IDENTITY", ..] => (true, at + 6),
        ["ADD", "GENERATED", "BY", "DEFAULT", "AS", "IDENTITY", ..] => (false, at + 7),
        _ => return None,
    };
    let mut options: Vec<String> = words[after..].iter().map(|w| w.to_string()).collect();
    if options.first().map(String::as_str) == Some("(") && options.last().map(String::as_str) == Some(")") {
        options = options[1..options.len() - 1].to_vec();
    } else if !options.is_empty() {
        return None;
    }
    let mut sequence = None;
    if let Some(i) =
        options.windows(2).position(|w| w[0].eq_ignore_ascii_case("SEQUENCE") && w[1].eq_ignore_ascii_case("NAME"))
    {
        sequence = options.get(i + 2).cloned();
        options.drain(i..(i + 3).min(options.len()));
    }
    Some(Parsed::AddIdentity { table, column, always, sequence, options })
}

/// `GRANT a, b TO c [WITH ADMIN OPTION] [GRANTED BY g]` / `REVOKE [ADMIN OPTION FOR] a FROM
/// c [GRANTED BY g] [CASCADE | RESTRICT]`, as names (`None`: not that form).
fn membership(sql: &str) -> Option<Parsed> {
    let text = sql.trim().trim_end_matches(';').trim();
    let spaced = text.replace(',', " , ");
    let words: Vec<&str> = spaced.split_whitespace().collect();
    let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
    let grant = upper.first()? == "GRANT";
    let mut at = 1;
    let mut admin = false;
    if !grant && upper.get(1..4).is_some_and(|w| w == ["ADMIN", "OPTION", "FOR"]) {
        admin = true;
        at = 4;
    }
    let to = upper.iter().position(|w| w == if grant { "TO" } else { "FROM" })?;
    let name = |w: &&str| crate::source::system::split_qualified(w).pop().unwrap_or_default();
    let roles: Vec<String> = words.get(at..to)?.iter().filter(|w| **w != ",").map(name).collect();
    let mut end = words.len();
    let tail: Vec<&str> = upper[to + 1..].iter().map(String::as_str).collect();
    if let Some(i) = tail.windows(3).position(|w| w == ["WITH", "ADMIN", "OPTION"]) {
        admin = true;
        end = end.min(to + 1 + i);
    }
    for stop in ["GRANTED", "CASCADE", "RESTRICT", "WITH"] {
        if let Some(i) = tail.iter().position(|w| *w == stop) {
            end = end.min(to + 1 + i);
        }
    }
    let members: Vec<String> = words[to + 1..end].iter().filter(|w| **w != ",").map(name).collect();
    if roles.is_empty() || members.is_empty() {
        return None;
    }
    Some(Parsed::Membership { grant, roles, members, admin, sql: text.to_string() })
}

/// The statements of a text, split at the semicolons outside quotes, comments and dollar
/// quotes; empty ones dropped.
fn split_statements(sql: &str) -> Vec<&str> {
    let bytes = sql.as_bytes();
    let (mut pieces, mut start, mut i) = (vec![], 0, 0);
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'\'' | b'"') => {
                // In an `E'…'` string a backslash escapes the next character.
                let escapes = q == b'\'' && i > 0 && matches!(bytes[i - 1], b'E' | b'e');
                i += 1;
                while i < bytes.len() && bytes[i] != q {
                    i += if escapes && bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = sql[i + 2..].find("*/").map_or(bytes.len(), |end| i + 2 + end + 1);
            }
            b'$' if bytes.get(i + 1) == Some(&b'$') => {
                i = sql[i + 2..].find("$$").map_or(bytes.len(), |end| i + 2 + end + 1);
            }
            b';' => {
                pieces.push(&sql[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    pieces.push(&sql[start..]);
    pieces.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

/// `CREATE SEQUENCE` / `ALTER SEQUENCE`: the name and the option words.
fn sequence(sql: &str) -> Result<Parsed> {
    let text = sql.trim().trim_end_matches(';').trim();
    let words: Vec<&str> = text.split_whitespace().collect();
    let upper = |i: usize| words.get(i).map(|w| w.to_ascii_uppercase()).unwrap_or_default();
    let alter = upper(0) == "ALTER";
    let mut at = 2;
    let if_exists = if alter {
        upper(2) == "IF" && upper(3) == "EXISTS"
    } else {
        upper(2) == "IF" && upper(3) == "NOT" && upper(4) == "EXISTS"
    };
    if if_exists {
        at += if alter { 2 } else { 3 };
    }
    // As written, possibly qualified and quoted: the binder resolves it.
    let name = words.get(at).ok_or_else(|| Error::invalid("a sequence needs a name"))?.to_string();
    let options = words[at + 1..].iter().map(|w| w.to_string()).collect();
    Ok(Parsed::Sequence { alter, if_exists, name, options, sql: text.to_string() })
}

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
    let Parsed::Sql(s, _) = statement else { return false };
    let ast::Statement::Query(q) = s.as_ref() else { return false };
    !matches!(
        *q.body,
        ast::SetExpr::Insert(_) | ast::SetExpr::Update(_) | ast::SetExpr::Delete(_) | ast::SetExpr::Merge(_)
    )
}

/// A parser error with its line and column; an error at the end of the text (sqlparser
/// gives no position for it) points just past the last character.
fn syntax_error(e: ParserError, sql: &str) -> Error {
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
    let (mut line, mut column) = (number_after("Line: "), number_after("Column: "));
    if line == 0 {
        let last = sql.trim_end().lines().last().unwrap_or("");
        line = sql.trim_end().lines().count().max(1) as u64;
        column = last.chars().count() as u64 + 1;
    }
    let message = match message.find(" at Line: ") {
        Some(at) => message[..at].to_string(),
        None => message,
    };
    Error::Syntax { message, line, column }
}

/// The command a statement runs, as PostgreSQL's command tags name it.
pub fn command(statement: &Parsed) -> &'static str {
    use ast::Statement as S;
    let s = match statement {
        Parsed::Sql(s, _) => s.as_ref(),
        Parsed::CreateTrigger { .. } => return "CREATE TRIGGER",
        Parsed::Reindex(_) => return "REINDEX",
        Parsed::Vacuum => return "VACUUM",
        Parsed::Database { owner: None, .. } => return "CREATE DATABASE",
        Parsed::Database { owner: Some(_), .. } => return "ALTER DATABASE",
        Parsed::Sequence { alter: true, .. } => return "ALTER SEQUENCE",
        Parsed::Sequence { alter: false, .. } => return "CREATE SEQUENCE",
        Parsed::AddIdentity { .. } => return "ALTER TABLE",
        Parsed::Overriding(inner) => return command(inner),
        Parsed::Membership { grant: true, .. } => return "GRANT ROLE",
        Parsed::Membership { grant: false, .. } => return "REVOKE ROLE",
    };
    match s {
        S::Query(q) => match q.body.as_ref() {
            ast::SetExpr::Insert(_) => "INSERT",
            ast::SetExpr::Update(_) => "UPDATE",
            ast::SetExpr::Delete(_) => "DELETE",
            _ => "SELECT",
        },
        S::Insert { .. } => "INSERT",
        S::Update { .. } => "UPDATE",
        S::Delete { .. } => "DELETE",
        S::CreateTable { .. } => "CREATE TABLE",
        S::CreateIndex { .. } => "CREATE INDEX",
        S::CreateView { .. } => "CREATE VIEW",
        S::CreateSequence { .. } => "CREATE SEQUENCE",
        S::CreateSchema { .. } => "CREATE SCHEMA",
        S::AlterSchema(_) => "ALTER SCHEMA",
        S::Comment { .. } => "COMMENT",
        S::Drop { object_type, .. } => match object_type {
            ast::ObjectType::Table => "DROP TABLE",
            ast::ObjectType::Index => "DROP INDEX",
            ast::ObjectType::View => "DROP VIEW",
            ast::ObjectType::Sequence => "DROP SEQUENCE",
            ast::ObjectType::Role | ast::ObjectType::User => "DROP ROLE",
            ast::ObjectType::Schema => "DROP SCHEMA",
            _ => "DROP",
        },
        S::DropTrigger { .. } => "DROP TRIGGER",
        S::CreateRole { .. } => "CREATE ROLE",
        S::AlterRole { .. } => "ALTER ROLE",
        S::Grant { .. } => "GRANT",
        S::Revoke { .. } => "REVOKE",
        S::AlterTable { .. } => "ALTER TABLE",
        S::Truncate { .. } => "TRUNCATE TABLE",
        S::Lock { .. } => "LOCK TABLE",
        S::StartTransaction { .. } => "BEGIN",
        S::Commit { .. } => "COMMIT",
        S::Rollback { savepoint: Some(_), .. } => "ROLLBACK",
        S::Rollback { .. } => "ROLLBACK",
        S::Savepoint { .. } => "SAVEPOINT",
        S::ReleaseSavepoint { .. } => "RELEASE",
        S::Explain { .. } => "EXPLAIN",
        S::Analyze { .. } => "ANALYZE",
        S::Set { .. } => "SET",
        S::Reset { .. } => "RESET",
        S::ShowVariable { .. } => "SHOW",
        S::Discard { .. } => "DISCARD",
        S::Deallocate { .. } => "DEALLOCATE",
        S::Copy { .. } => "COPY",
        _ => "OK",
    }
}

/// The statement as SQL text, regenerated from its syntax tree (one line, canonical
/// spacing and keyword case).
pub fn text(statement: &Parsed) -> String {
    match statement {
        Parsed::Sql(s, _) => s.to_string(),
        Parsed::CreateTrigger { sql, .. } => sql.clone(),
        Parsed::Reindex(Some(name)) => format!("REINDEX {name}"),
        Parsed::Reindex(None) => "REINDEX".to_string(),
        Parsed::Vacuum => "VACUUM".to_string(),
        Parsed::Database { sql, .. } => sql.clone(),
        Parsed::Sequence { sql, .. } | Parsed::Membership { sql, .. } => sql.clone(),
        Parsed::Overriding(inner) => text(inner),
        Parsed::AddIdentity { table, column, .. } => {
            format!("ALTER TABLE {table} ALTER COLUMN {column} ADD GENERATED AS IDENTITY")
        }
    }
}

/// A `COPY … FROM STDIN` / `COPY … TO STDOUT`, as the server runs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Copy {
    /// The table as SQL (`"shop"."items"`), for `COPY table`; `None` for `COPY (query) TO
    /// STDOUT`.
    pub table: Option<String>,
    /// The columns named, in order (empty: all of them).
    pub columns: Vec<String>,
    /// For `COPY (query) TO STDOUT`: the query's text.
    pub query: Option<String>,
    /// `TO STDOUT` (rows out) rather than `FROM STDIN` (rows in).
    pub to: bool,
    /// CSV rather than PostgreSQL's text format.
    pub csv: bool,
    /// PostgreSQL's binary format.
    pub binary: bool,
    pub delimiter: char,
    /// The text that stands for NULL (`\N` in text format, an unquoted empty field in CSV).
    pub null: String,
    /// A header line (CSV only).
    pub header: bool,
}

/// The COPY a statement asks for, if it is one; files and programs are refused (the
/// server's file system is not the client's business).
pub fn copy(statement: &Parsed) -> Option<Result<Copy>> {
    let Parsed::Sql(s, _) = statement else { return None };
    let ast::Statement::Copy { source, to, target, options, legacy_options, values } = s.as_ref() else {
        return None;
    };
    // sqlparser reads what follows `FROM STDIN;` as inline rows: pg_restore's `…;\n` gives
    // one empty "row", which is no data.
    if values.iter().any(|v| v.as_deref().is_some_and(|s| !s.trim().is_empty())) {
        return Some(Err(Error::unsupported("inline data after COPY FROM STDIN: send it as COPY data")));
    }
    Some(copy_of(source, *to, target, options, legacy_options))
}

fn copy_of(
    source: &ast::CopySource,
    to: bool,
    target: &ast::CopyTarget,
    options: &[ast::CopyOption],
    legacy: &[ast::CopyLegacyOption],
) -> Result<Copy> {
    match target {
        ast::CopyTarget::Stdin | ast::CopyTarget::Stdout => {}
        _ => return Err(Error::unsupported("COPY to or from a file or program: use STDIN / STDOUT (psql: \\copy)")),
    }
    let (table, columns, query) = match source {
        // The table as SQL that names it again, each part quoted as the binder read it
        // (quoted ones keep their case; a schema stays).
        ast::CopySource::Table { table_name, columns } => {
            let (schema, name) = crate::bind::qualified_name(table_name)?;
            let quote = |part: &str| format!("\"{}\"", part.replace('"', "\"\""));
            let table = match schema {
                Some(schema) => format!("{}.{}", quote(&schema), quote(&name)),
                None => quote(&name),
            };
            (Some(table), columns.iter().map(crate::bind::ident).collect(), None)
        }
        ast::CopySource::Query(q) => (None, vec![], Some(q.to_string())),
    };
    let mut copy = Copy {
        table,
        columns,
        query,
        to,
        csv: false,
        binary: false,
        delimiter: '\t',
        null: "\\N".into(),
        header: false,
    };
    let (mut delimiter, mut null) = (None, None);
    for option in options {
        match option {
            ast::CopyOption::Format(f) => match f.value.to_ascii_lowercase().as_str() {
                "csv" => (copy.csv, copy.binary) = (true, false),
                "text" => (copy.csv, copy.binary) = (false, false),
                "binary" => (copy.csv, copy.binary) = (false, true),
                other => return Err(Error::unsupported(format!("COPY format {other}"))),
            },
            ast::CopyOption::Delimiter(c) => delimiter = Some(*c),
            ast::CopyOption::Null(n) => null = Some(n.clone()),
            ast::CopyOption::Header(h) => copy.header = *h,
            // Rows of a COPY are visible to the transaction that wrote them and to others
            // once it commits, as any insert's: freezing them (skipping PostgreSQL's
            // visibility work) has no meaning here.
            ast::CopyOption::Freeze(_) => {}
            ast::CopyOption::Encoding(e) if e.eq_ignore_ascii_case("utf8") || e.eq_ignore_ascii_case("utf-8") => {}
            other => return Err(Error::unsupported(format!("COPY option {other}"))),
        }
    }
    for option in legacy {
        match option {
            ast::CopyLegacyOption::Csv(csv) => {
                copy.csv = true;
                for o in csv {
                    match o {
                        ast::CopyLegacyCsvOption::Header => copy.header = true,
                        other => return Err(Error::unsupported(format!("COPY option {other}"))),
                    }
                }
            }
            ast::CopyLegacyOption::Delimiter(c) => delimiter = Some(*c),
            ast::CopyLegacyOption::Null(n) => null = Some(n.clone()),
            ast::CopyLegacyOption::Header => copy.header = true,
            ast::CopyLegacyOption::Binary => copy.binary = true,
            other => return Err(Error::unsupported(format!("COPY option {other}"))),
        }
    }
    // PostgreSQL's checks and messages.
    if copy.binary {
        let refused = [
            (copy.csv, "cannot specify CSV in BINARY mode"),
            (delimiter.is_some(), "cannot specify DELIMITER in BINARY mode"),
            (null.is_some(), "cannot specify NULL in BINARY mode"),
            (copy.header, "cannot specify HEADER in BINARY mode"),
        ];
        if let Some((_, message)) = refused.iter().find(|(set, _)| *set) {
            return Err(Error::invalid(*message));
        }
    }
    if copy.csv {
        copy.delimiter = ',';
        copy.null = String::new();
    }
    copy.delimiter = delimiter.unwrap_or(copy.delimiter);
    copy.null = null.unwrap_or(copy.null);
    if copy.header && !copy.csv {
        return Err(Error::unsupported("COPY HEADER in text format (use FORMAT csv)"));
    }
    Ok(copy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let Err(Error::Syntax { line, column, .. }) = parse("SELECT 1;\nSELECT * FROM t WHERE )") else {
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
            "SELECT 1 NOT IN t1",
            "SELECT x FROM t1 INDEXED BY t1i1 WHERE x IN t2",
            "SELECT group_concat(x) FROM t1 NOT INDEXED",
            "SELECT a IS b, a IS NOT b + 1, a ISNULL FROM t1",
            "COPY t FROM STDIN WITH (FREEZE ON)",
            "COPY t FROM STDIN WITH (FORMAT csv, HEADER off)",
        ] {
            parse(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    }
}
