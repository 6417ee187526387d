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
mod scope;
mod select;

use std::collections::HashMap;

use braid_engine::Txn;
use sqlparser::ast;

use self::scope::Scope;
use crate::error::{Error, Result};
use crate::parse::Parsed;
use crate::plan::{Statement, TransactionOp};

pub(crate) use self::ddl::{load_view, view_key};

/// Binds one parsed statement against the catalog as `txn` sees it.
pub(crate) fn bind(statement: &Parsed, txn: &Txn) -> Result<Statement> {
    match statement {
        Parsed::Sql(s, anonymous) => Binder::new(txn, anonymous).statement(s),
        Parsed::CreateTrigger { name, table, if_not_exists, sql } => Ok(Statement::CreateTrigger {
            name: name.clone(),
            table: table.clone(),
            sql: sql.clone(),
            if_not_exists: *if_not_exists,
        }),
        Parsed::Reindex(None) | Parsed::Vacuum => Ok(Statement::Noop),
        Parsed::Reindex(Some(name)) => {
            let known = txn.tables()?.iter().any(|t| t.name == *name || t.indexes.iter().any(|i| i.name == *name));
            if known { Ok(Statement::Noop) } else { Err(Error::not_found("index or table", name)) }
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
    /// Views being expanded, to refuse a view defined in terms of itself.
    expanding: Vec<String>,
    /// The SELECT list aliases of the query being bound, with the scope depth they belong
    /// to: a name no column has may be one of them.
    aliases: Option<(usize, Vec<(String, crate::plan::Expr)>)>,
}

impl<'a> Binder<'a> {
    fn new(txn: &'a Txn, anonymous: &'a [(u64, u64)]) -> Self {
        Binder {
            txn,
            anonymous,
            scopes: vec![],
            correlated: vec![],
            ctes: vec![],
            next_id: 0,
            anonymous_params: 0,
            aggregates_allowed: false,
            expanding: vec![],
            aliases: None,
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
                    Ok(Statement::Query { plan, columns: columns.into() })
                }
            },
            S::Insert(insert) => self.insert(insert),
            S::Update(update) => self.update(update),
            S::Delete(delete) => self.delete(delete),
            S::CreateTable(create) => self.create_table(create),
            S::CreateIndex(create) => self.create_index(create),
            S::CreateView(create) => self.create_view(create),
            S::DropTrigger(drop) => {
                Ok(Statement::DropTrigger { name: object_name(&drop.trigger_name)?, if_exists: drop.if_exists })
            }
            S::Drop { object_type, if_exists, names, .. } => self.drop(*object_type, *if_exists, names),
            S::AlterTable(alter) => self.alter_table(alter),
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

/// The last part of a possibly qualified object name (`main.t` is `t`).
pub(crate) fn object_name(name: &ast::ObjectName) -> Result<String> {
    match name.0.last() {
        Some(ast::ObjectNamePart::Identifier(i)) => Ok(ident(i)),
        _ => Err(Error::invalid(format!("unsupported object name {name}"))),
    }
}

pub(crate) fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { s.chars().take(n).collect::<String>() + "…" }
}
