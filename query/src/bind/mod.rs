//! Binding: sqlparser's AST to our own plans, with every name resolved.
//!
//! The binder reads the catalog through the statement's transaction, so a statement sees
//! the tables its own transaction created. It resolves each column name to a position in
//! the row of the query that owns it ([`Scope`]); a name found in an enclosing query makes
//! the subquery *correlated*. It applies SQLite's affinity rules to comparisons, expands
//! `*`, views and `USING`, and turns aggregates into an Aggregate node. sqlparser types go
//! no further than this module.

pub(crate) mod ddl;
mod dml;
mod expr;
mod foreign_keys;
mod json;
mod roles;
mod schema;
mod scope;
mod select;
mod sequence;

use std::collections::HashMap;

use braid_engine::Txn;
use sqlparser::ast;

use self::scope::Scope;
use crate::error::{Error, Result};
use crate::names::{Schemas, SearchPath};
use crate::parse::Parsed;
use crate::plan::{Statement, TransactionOp};
use crate::privileges::{Access, RelKind};

pub(crate) use self::ddl::{load_view, view_key};

/// Binds one parsed statement against the catalog as `txn` sees it: the statement, and
/// the privileges it needs on the relations it reads and writes.
pub(crate) fn bind(statement: &Parsed, txn: &Txn, path: SearchPath) -> Result<(Statement, Vec<Access>)> {
    let (sql, anonymous, overriding) = match statement {
        Parsed::Sql(s, anonymous) => (s, anonymous, false),
        Parsed::Overriding(inner) => match inner.as_ref() {
            Parsed::Sql(s, anonymous) => (s, anonymous, true),
            _ => return Err(Error::invalid("OVERRIDING SYSTEM VALUE belongs to an INSERT")),
        },
        other => return Ok((Binder::new(txn, &[], path).own(other)?, vec![])),
    };
    let mut binder = Binder::new(txn, anonymous, path);
    binder.overriding_system_value = overriding;
    let bound = binder.statement(sql)?;
    Ok((bound, binder.accesses))
}

impl Binder<'_> {
    /// Binds the statements Braid parses itself (they read and write no rows).
    fn own(&mut self, statement: &Parsed) -> Result<Statement> {
        match statement {
            Parsed::Sql(..) | Parsed::Overriding(_) => Err(Error::invalid("internal error: not Braid's own statement")),
            Parsed::CreateTrigger { name, table, if_not_exists, sql } => Ok(Statement::CreateTrigger {
                name: name.clone(),
                table: self.find_text(table)?,
                sql: sql.clone(),
                if_not_exists: *if_not_exists,
            }),
            Parsed::Sequence { .. } => self.sequence_words(statement),
            Parsed::AddIdentity { .. } => self.add_identity(statement),
            Parsed::Membership { grant, roles, members, admin, .. } => Ok(Statement::Membership {
                grant: *grant,
                roles: roles.clone(),
                members: members.clone(),
                admin: *admin,
            }),
            Parsed::Reindex(None) | Parsed::Vacuum => Ok(Statement::Noop),
            Parsed::Database { name, owner, .. } => {
                Ok(Statement::Database { name: name.clone(), owner: owner.clone() })
            }
            Parsed::Reindex(Some(name)) => {
                let name = self.find_text(name)?;
                let known =
                    self.txn.tables()?.iter().any(|t| t.name == name || t.indexes.iter().any(|i| i.name == name));
                if known { Ok(Statement::Noop) } else { Err(Error::not_found("index or table", name)) }
            }
        }
    }
}

/// The transaction-control meaning of a statement, if it is one (the connection runs
/// those itself).
pub(crate) fn transaction_op(statement: &Parsed) -> Result<Option<TransactionOp>> {
    let Parsed::Sql(statement, _) = statement else { return Ok(None) };
    Ok(Some(match statement.as_ref() {
        ast::Statement::StartTransaction { modes, .. } => TransactionOp::Begin {
            read_only: modes
                .iter()
                .any(|m| matches!(m, ast::TransactionMode::AccessMode(ast::TransactionAccessMode::ReadOnly))),
        },
        ast::Statement::Commit { .. } => TransactionOp::Commit,
        ast::Statement::Rollback { savepoint: Some(name), .. } => TransactionOp::RollbackTo(name.value.clone()),
        ast::Statement::Rollback { .. } => TransactionOp::Rollback,
        ast::Statement::Savepoint { name } => TransactionOp::Savepoint(name.value.clone()),
        ast::Statement::ReleaseSavepoint { name } => TransactionOp::Release(name.value.clone()),
        _ => return Ok(None),
    }))
}

/// A statement about the session's settings: the connection runs those itself, outside
/// any transaction's data.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SessionOp {
    Set {
        name: String,
        value: String,
    },
    /// `RESET name`, `SET name TO DEFAULT`; `None` is `RESET ALL`.
    Reset(Option<String>),
    /// `SHOW name`; `SHOW ALL` is `"all"`.
    Show(String),
    /// `SET ROLE name` (`None`: `SET ROLE NONE`, `RESET ROLE`).
    SetRole(Option<String>),
    /// `SET SESSION AUTHORIZATION name` (`None`: `… DEFAULT`, `RESET SESSION AUTHORIZATION`).
    SetSessionAuthorization(Option<String>),
    /// `SET TRANSACTION …`: accepted, no effect yet.
    Ignored,
}

/// The session meaning of a statement, if it is one.
pub(crate) fn session_op(statement: &Parsed) -> Result<Option<SessionOp>> {
    let Parsed::Sql(statement, _) = statement else { return Ok(None) };
    Ok(Some(match statement.as_ref() {
        ast::Statement::Set(set) => match set {
            ast::Set::SingleAssignment { variable, values, .. } => assignment(&variable.to_string(), values)?,
            ast::Set::SetTimeZone { value, .. } => assignment("timezone", std::slice::from_ref(value))?,
            ast::Set::SetNames { charset_name, .. } => {
                SessionOp::Set { name: "client_encoding".into(), value: charset_name.value.clone() }
            }
            ast::Set::SetRole { role_name, .. } => SessionOp::SetRole(role_name.as_ref().map(ident)),
            ast::Set::SetSessionAuthorization(param) => SessionOp::SetSessionAuthorization(match &param.kind {
                ast::SetSessionAuthorizationParamKind::User(name) => Some(ident(name)),
                ast::SetSessionAuthorizationParamKind::Default => None,
            }),
            ast::Set::SetTransaction { .. } | ast::Set::SetSessionParam(_) => SessionOp::Ignored,
            other => return Err(Error::unsupported(format!("statement: {}", truncate(&other.to_string(), 60)))),
        },
        ast::Statement::ShowVariable { variable } => {
            let name = variable.iter().map(|i| i.value.as_str()).collect::<Vec<_>>().join(" ").to_ascii_lowercase();
            // PostgreSQL's SQL-standard spellings of three settings.
            let name = match name.as_str() {
                "transaction isolation level" => "transaction_isolation".to_string(),
                "time zone" => "timezone".to_string(),
                "session authorization" => "session_authorization".to_string(),
                _ => name,
            };
            SessionOp::Show(name)
        }
        ast::Statement::Reset(reset) => match &reset.reset {
            ast::Reset::ALL => SessionOp::Reset(None),
            ast::Reset::ConfigurationParameter(name) if name.to_string().eq_ignore_ascii_case("role") => {
                SessionOp::SetRole(None)
            }
            ast::Reset::ConfigurationParameter(name) => SessionOp::Reset(Some(name.to_string().to_ascii_lowercase())),
            ast::Reset::SessionAuthorization => SessionOp::SetSessionAuthorization(None),
        },
        _ => return Ok(None),
    }))
}

/// `SET name = v1, v2`: the values as PostgreSQL's `SHOW` would print them.
fn assignment(name: &str, values: &[ast::Expr]) -> Result<SessionOp> {
    let name = name.trim_matches('"').to_ascii_lowercase();
    let mut texts = Vec::with_capacity(values.len());
    for v in values {
        let text = match v {
            ast::Expr::Value(v) => match &v.value {
                ast::Value::SingleQuotedString(s) | ast::Value::DoubleQuotedString(s) => s.clone(),
                ast::Value::Boolean(b) => if *b { "on" } else { "off" }.to_string(),
                other => other.to_string(),
            },
            ast::Expr::Identifier(i) if i.quote_style.is_none() && i.value.eq_ignore_ascii_case("default") => {
                return Ok(SessionOp::Reset(Some(name)));
            }
            ast::Expr::Identifier(i) => i.value.clone(),
            ast::Expr::UnaryOp { op: ast::UnaryOperator::Minus, expr } => format!("-{expr}"),
            // `SET TIME ZONE INTERVAL '+02:00' HOUR TO MINUTE`: an offset east, spelled as
            // `SHOW` prints it (`<+02>-02`).
            ast::Expr::Interval(i) if name == "timezone" => {
                let text = match i.value.as_ref() {
                    ast::Expr::Value(v) => match &v.value {
                        ast::Value::SingleQuotedString(s) => s.clone(),
                        other => other.to_string(),
                    },
                    other => other.to_string(),
                };
                let span = crate::value::interval::parse(&text)?;
                if span.months != 0 || span.days != 0 {
                    return Err(Error::invalid(format!("invalid interval value for time zone: \"{text}\"")));
                }
                let east = i32::try_from(span.micros / 1_000_000).unwrap_or(i32::MAX);
                crate::value::zone::Zone::from_offset(east).1
            }
            other => other.to_string(),
        };
        texts.push(text);
    }
    let value = texts.join(", ");
    // `SET role = r` and `SET session_authorization = r` are SET ROLE and SET SESSION
    // AUTHORIZATION, checked as those are.
    match name.as_str() {
        "role" => Ok(SessionOp::SetRole((!value.eq_ignore_ascii_case("none")).then_some(value))),
        "session_authorization" => Ok(SessionOp::SetSessionAuthorization(Some(value))),
        _ => Ok(SessionOp::Set { name, value }),
    }
}

/// A CTE visible to the query being bound.
#[derive(Debug, Clone)]
struct CteInfo {
    id: usize,
    columns: Vec<String>,
}

/// Binds one statement.
pub(crate) struct Binder<'a> {
    txn: &'a Txn,
    /// Where the statement's `?` placeholders are, in text order: the n-th is `$n`.
    anonymous: &'a [(u64, u64)],
    /// Scopes of the queries being bound, outermost first; the last is the current one.
    scopes: Vec<Scope>,
    /// Per scope: whether the query refers to a column of an enclosing query.
    correlated: Vec<bool>,
    /// CTEs in scope, innermost definitions last.
    ctes: Vec<HashMap<String, CteInfo>>,
    next_id: usize,
    /// `?` parameters seen so far.
    anonymous_params: usize,
    /// Whether aggregates may appear where the binder is (SELECT list, HAVING, ORDER BY).
    aggregates_allowed: bool,
    /// `INSERT … OVERRIDING SYSTEM VALUE`: values given for GENERATED ALWAYS columns stand.
    overriding_system_value: bool,
    /// Whether a function in the FROM list being bound read an enclosing query's row.
    from_correlated: bool,
    /// Whether set-returning functions may appear where the binder is (a SELECT list).
    set_functions_allowed: bool,
    /// Views being expanded, to refuse a view defined in terms of itself.
    expanding: Vec<String>,
    /// The SELECT list aliases of the query being bound, with the scope depth they belong
    /// to: a name no column has may be one of them.
    aliases: Option<(usize, Vec<(String, crate::plan::Expr)>)>,
    /// Binding a view to learn its columns for a catalog: catalogs read inside list views
    /// without columns, or a view over `pg_attribute` would bind itself for ever.
    listing_view_columns: bool,
    /// The privileges the statement needs on the relations it reads and writes.
    accesses: Vec<Access>,
    /// The owners of the views being expanded, innermost last: what a view reads is
    /// checked against its owner.
    view_owners: Vec<u32>,
    /// The schemas unqualified names are looked up in.
    path: SearchPath,
    /// The database's schemas, read on first need.
    schemas: std::cell::OnceCell<Schemas>,
}

impl<'a> Binder<'a> {
    fn new(txn: &'a Txn, anonymous: &'a [(u64, u64)], path: SearchPath) -> Self {
        Binder {
            txn,
            anonymous,
            scopes: vec![],
            correlated: vec![],
            ctes: vec![],
            next_id: 0,
            anonymous_params: 0,
            aggregates_allowed: false,
            set_functions_allowed: false,
            from_correlated: false,
            overriding_system_value: false,
            expanding: vec![],
            aliases: None,
            listing_view_columns: false,
            accesses: vec![],
            view_owners: vec![],
            path,
            schemas: std::cell::OnceCell::new(),
        }
    }

    /// The database's schemas.
    fn schemas(&self) -> Result<&Schemas> {
        if let Some(s) = self.schemas.get() {
            return Ok(s);
        }
        let loaded = Schemas::load(self.txn)?;
        Ok(self.schemas.get_or_init(|| loaded))
    }

    /// The stored name of the existing relation `name` denotes (through the search path
    /// when unqualified); a name found nowhere comes back as the caller's to refuse.
    fn find_relation(&self, name: &ast::ObjectName) -> Result<String> {
        let (schema, bare) = qualified_name(name)?;
        self.find_qualified(schema.as_deref(), &bare)
    }

    fn find_qualified(&self, schema: Option<&str>, name: &str) -> Result<String> {
        if schema.is_none() && self.path.schemas() == [crate::names::PUBLIC] {
            // The default path (`"$user", public`): the bare name, nothing read.
            return Ok(name.to_string());
        }
        let schemas = self.schemas()?;
        if schema.is_none() && self.path.schemas().len() <= 1 {
            // One schema to look in: no lookups.
            return self.path.to_find(schemas, None, name, |_| Ok(true));
        }
        self.path.to_find(schemas, schema, name, |n| crate::names::relation_exists(self.txn, n))
    }

    /// [`find_relation`](Self::find_relation) of a name given as text, possibly qualified
    /// and quoted.
    fn find_text(&self, name: &str) -> Result<String> {
        let (schema, bare) = split_text(name);
        self.find_qualified(schema.as_deref(), &bare)
    }

    /// The stored name of the relation a CREATE of `name` makes: in the schema named, or
    /// the search path's first.
    fn new_relation(&self, name: &ast::ObjectName) -> Result<String> {
        let (schema, bare) = qualified_name(name)?;
        self.path.to_create(self.schemas()?, schema.as_deref(), &bare)
    }

    /// [`new_relation`](Self::new_relation) of a name given as text.
    fn create_text(&self, name: &str) -> Result<String> {
        let (schema, bare) = split_text(name);
        self.path.to_create(self.schemas()?, schema.as_deref(), &bare)
    }

    /// Notes that the statement needs `privilege` on relation `name`.
    fn access(&mut self, name: &str, kind: RelKind, privilege: braid_engine::Privilege) {
        let as_role = self.view_owners.last().copied();
        let access = Access { relation: name.to_string(), kind, privilege, as_role };
        if !self.accesses.contains(&access) {
            self.accesses.push(access);
        }
    }

    fn fresh_id(&mut self) -> usize {
        self.next_id += 1;
        self.next_id
    }

    fn statement(&mut self, statement: &ast::Statement) -> Result<Statement> {
        use ast::Statement as S;
        match statement {
            S::Query(query) => match query.body.as_ref() {
                ast::SetExpr::Insert(S::Insert(insert)) => self.with_insert(query, insert),
                _ => {
                    let (plan, columns) = self.query(query)?;
                    Ok(Statement::Query { plan: expr::catalog_names_out(plan), columns: columns.into() })
                }
            },
            S::Insert(insert) => self.insert(insert),
            S::Update(update) => self.update(update),
            S::Delete(delete) => self.delete(delete),
            S::CreateTable(create) => self.create_table(create),
            S::CreateIndex(create) => self.create_index(create),
            S::CreateView(create) => self.create_view(create),
            S::CreateSequence { .. } => self.create_sequence(statement),
            S::DropTrigger(drop) => {
                Ok(Statement::DropTrigger { name: object_name(&drop.trigger_name)?, if_exists: drop.if_exists })
            }
            S::Drop { object_type: ast::ObjectType::Role | ast::ObjectType::User, if_exists, names, .. } => {
                self.drop_roles(names, *if_exists)
            }
            S::Drop { object_type: ast::ObjectType::Schema, if_exists, names, cascade, .. } => {
                self.drop_schemas(names, *if_exists, *cascade)
            }
            S::CreateSchema { schema_name, if_not_exists, .. } => self.create_schema(schema_name, *if_not_exists),
            S::AlterSchema(alter) => self.alter_schema(alter),
            S::CreateRole(create) => self.create_role(create, false),
            S::AlterRole { name, operation } => self.alter_role(name, operation),
            S::Grant(grant) => self.grant(grant),
            S::Revoke(revoke) => self.revoke(revoke),
            S::Drop { object_type, if_exists, names, cascade, .. } => {
                self.drop(*object_type, *if_exists, names, *cascade)
            }
            S::AlterTable(alter) => self.alter_table(alter),
            S::Comment { object_type, object_name, comment, .. } => {
                use braid_engine::{CommentKind, CommentTarget};
                let target = match object_type {
                    ast::CommentObject::Schema => {
                        CommentTarget { kind: CommentKind::Schema, name: self::object_name(object_name)?, column: None }
                    }
                    ast::CommentObject::Column => {
                        let (column, table) = match object_name.0.split_last() {
                            Some((column, table)) if !table.is_empty() => (column, table),
                            _ => return Err(Error::invalid("COMMENT ON COLUMN needs table.column")),
                        };
                        let column = self::object_name(&ast::ObjectName(vec![column.clone()]))?;
                        let name = self.find_relation(&ast::ObjectName(table.to_vec()))?;
                        CommentTarget { kind: CommentKind::Relation, name, column: Some(column) }
                    }
                    ast::CommentObject::Table
                    | ast::CommentObject::Index
                    | ast::CommentObject::Sequence
                    | ast::CommentObject::MaterializedView
                    | ast::CommentObject::View => CommentTarget {
                        kind: CommentKind::Relation,
                        name: self.find_relation(object_name)?,
                        column: None,
                    },
                    other => return Err(Error::unsupported(format!("COMMENT ON {other}"))),
                };
                Ok(Statement::Comment { target, text: comment.clone() })
            }
            S::Truncate(truncate) => self.truncate(truncate),
            // ACCESS SHARE (what pg_dump takes of every table it dumps) only keeps other
            // sessions from dropping or altering the table under the reader; a Braid
            // transaction reads one snapshot, which DDL committed later never changes, so
            // the lock has nothing to add. Stronger modes lock out writers: not yet (the
            // transactions issue).
            S::Lock(lock) => {
                if !matches!(lock.lock_mode, None | Some(ast::LockTableMode::AccessShare)) {
                    return Err(Error::unsupported(format!(
                        "LOCK TABLE … IN {} MODE",
                        lock.lock_mode.as_ref().map_or(String::new(), |m| m.to_string())
                    )));
                }
                for target in &lock.tables {
                    let name = self.find_relation(&target.name)?;
                    if !self.txn.has_table(&name)? {
                        return Err(Error::not_found("table", name));
                    }
                }
                Ok(Statement::Noop)
            }
            S::Explain { statement, analyze, .. } => {
                Ok(Statement::Explain { statement: Box::new(self.statement(statement)?), analyze: *analyze })
            }
            S::ExplainTable { .. } => Err(Error::unsupported("EXPLAIN of a table")),
            S::Analyze(_) => Ok(Statement::Noop),
            other => Err(Error::unsupported(format!("statement: {}", truncate(&other.to_string(), 60)))),
        }
    }
}

/// An identifier as Braid names it: unquoted identifiers are case-insensitive (folded to
/// lower case); quoted ones keep their case.
pub(crate) fn ident(i: &ast::Ident) -> String {
    if i.quote_style.is_some() { i.value.clone() } else { i.value.to_lowercase() }
}

/// The last part of a possibly qualified object name (`public.t` is `t`). Braid has the
/// schemas `public`, `pg_catalog` and `information_schema` only: a name in any other
/// schema is refused (3F000), not taken for the public object of the same name.
pub(crate) fn object_name(name: &ast::ObjectName) -> Result<String> {
    let (schema, name) = qualified_name(name)?;
    match schema {
        Some(s) if !known_schema(&s) => Err(Error::not_found("schema", s)),
        _ => Ok(name),
    }
}

/// Whether `schema` exists.
pub(crate) fn known_schema(schema: &str) -> bool {
    schema == "public" || crate::source::system::is_system_schema(schema)
}

/// A possibly qualified object name: its schema (lower case unless quoted), if named, and
/// its name. `db.schema.name` keeps the schema.
pub(crate) fn qualified_name(name: &ast::ObjectName) -> Result<(Option<String>, String)> {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| match p {
            ast::ObjectNamePart::Identifier(i) => Ok(ident(i)),
            _ => Err(Error::invalid(format!("unsupported object name {name}"))),
        })
        .collect::<Result<_>>()?;
    match parts.as_slice() {
        [.., schema, last] => Ok((Some(schema.clone()), last.clone())),
        [last] => Ok((None, last.clone())),
        [] => Err(Error::invalid("empty object name")),
    }
}

/// A possibly qualified, possibly quoted name given as text: its schema, if named, and its
/// name.
fn split_text(name: &str) -> (Option<String>, String) {
    let mut parts = crate::source::system::split_qualified(name);
    let bare = parts.pop().unwrap_or_default();
    (parts.pop(), bare)
}

pub(crate) fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { s.chars().take(n).collect::<String>() + "…" }
}
