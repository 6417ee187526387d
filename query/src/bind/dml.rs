//! Binding INSERT, UPDATE and DELETE.

use std::ops::Bound;
use std::sync::Arc;

use braid_engine::{ColumnDef, TableDef};
use sqlparser::ast;

use super::scope::Scope;
use super::{Binder, ident, object_name};
use crate::error::{Error, Result};
use crate::names;
use crate::plan::{Conflict, Expr, Plan, Statement, Upsert};
use crate::privileges::RelKind;
use crate::value::Affinity;
use braid_engine::roles as acl;

type Returning = Option<(Vec<Expr>, Vec<String>)>;

impl Binder<'_> {
    /// The table a write targets (`object` as written, for its schema); views and the
    /// system catalogs cannot be written.
    fn target_table(&self, object: &ast::ObjectName) -> Result<Arc<TableDef>> {
        let (schema, name) = super::qualified_name(object)?;
        let name = name.as_str();
        let system = match schema.as_deref() {
            Some(s) if crate::source::system::is_system_schema(s) => crate::source::system::lookup(Some(s), name),
            Some(_) => None,
            None => crate::source::system::lookup(None, name),
        };
        if let Some(table) = system {
            return Err(Error::unsupported(format!("writing to the system catalog {}", table.qualified_name())));
        }
        let name = self.find_qualified(schema.as_deref(), name)?;
        if super::load_view(self.txn, &name)?.is_some() {
            return Err(Error::invalid(format!("cannot modify {name} because it is a view")));
        }
        self.txn.table(&name).map(Arc::new).map_err(|e| match e {
            braid_engine::Error::NotFound { .. } => Error::not_found("table", name),
            e => e.into(),
        })
    }

    pub(super) fn insert(&mut self, insert: &ast::Insert) -> Result<Statement> {
        let object = match &insert.table {
            ast::TableObject::TableName(n) => n,
            other => return Err(Error::unsupported(format!("INSERT INTO {other}"))),
        };
        let table = self.target_table(object)?;
        let name = table.name.clone();
        let alias = names::bare(&name).to_string();
        let targets: Vec<usize> = if insert.columns.is_empty() {
            (0..table.columns.len()).collect()
        } else {
            insert.columns.iter().map(|c| self.column_index(&table, &object_name(c)?)).collect::<Result<_>>()?
        };
        let source = match &insert.source {
            Some(q) => self.query(q)?.0,
            None => Plan::Values { rows: vec![vec![]], width: 0 },
        };
        let supplied = source.width();
        if insert.source.is_some() && supplied != targets.len() {
            return Err(Error::invalid(format!(
                "table {name} has {} columns but {supplied} values were supplied",
                targets.len()
            )));
        }
        // Full rows in table order: supplied values where given, defaults elsewhere.
        let mut exprs = Vec::with_capacity(table.columns.len());
        for (i, column) in table.columns.iter().enumerate() {
            if column.identity == Some(braid_engine::Identity::Always)
                && !self.overriding_system_value
                && insert.source.is_some()
                && targets.contains(&i)
            {
                return Err(Error::GeneratedAlways(format!(
                    "cannot insert a non-DEFAULT value into column \"{}\": it is an identity column defined as GENERATED ALWAYS",
                    column.name
                )));
            }
            exprs.push(match targets.iter().position(|&t| t == i) {
                Some(at) if insert.source.is_some() => Expr::column(at, column.name.as_str()),
                _ => self.default_value(column)?,
            });
        }
        let source = Plan::Project { input: Box::new(source), exprs };
        let conflict = match (&insert.or, insert.replace_into, &insert.on) {
            (Some(ast::SqliteOnConflict::Replace), ..) | (_, true, _) => Conflict::Replace,
            (Some(ast::SqliteOnConflict::Ignore), ..) => Conflict::Ignore,
            (
                _,
                _,
                Some(ast::OnInsert::OnConflict(ast::OnConflict { action: ast::OnConflictAction::DoNothing, .. })),
            ) => Conflict::Ignore,
            (
                _,
                _,
                Some(ast::OnInsert::OnConflict(ast::OnConflict { action: ast::OnConflictAction::DoUpdate(_), .. })),
            ) => Conflict::Abort,
            (_, _, Some(_)) => return Err(Error::unsupported("ON DUPLICATE KEY UPDATE")),
            _ if insert.ignore => Conflict::Ignore,
            _ => Conflict::Abort,
        };
        let returning = self.returning(&table, &alias, insert.returning.as_deref())?;
        let upsert = match &insert.on {
            Some(ast::OnInsert::OnConflict(ast::OnConflict {
                action: ast::OnConflictAction::DoUpdate(update),
                ..
            })) => Some(self.upsert(&table, &alias, update)?),
            _ => None,
        };
        // Reading the rows back (RETURNING) takes SELECT; ON CONFLICT DO UPDATE, UPDATE.
        self.access(&name, RelKind::Table, acl::INSERT);
        if returning.is_some() {
            self.access(&name, RelKind::Table, acl::SELECT);
        }
        if upsert.is_some() {
            self.access(&name, RelKind::Table, acl::UPDATE);
        }
        let checks = self.checks(&table, &alias)?;
        let foreign_keys = self.write_links(&table, upsert.is_some() || conflict == Conflict::Replace)?;
        Ok(Statement::Insert { table, source, conflict, upsert, returning, checks, foreign_keys })
    }

    /// A column's DEFAULT (bound from its stored SQL), or NULL.
    pub(super) fn default_value(&mut self, column: &ColumnDef) -> Result<Expr> {
        let Some(sql) = &column.default else { return Ok(Expr::Literal(braid_engine::Value::Null)) };
        let e = crate::parse::expression(sql)
            .map_err(|_| Error::invalid(format!("bad DEFAULT for column {}", column.name)))?;
        self.push_scope(Scope::default());
        let bound = self.expr(&e);
        self.pop_scope();
        bound
    }

    fn column_index(&self, table: &TableDef, name: &str) -> Result<usize> {
        table
            .columns
            .iter()
            .position(|c| c.name == name)
            .ok_or_else(|| Error::not_found("column", format!("{}.{name}", table.name)))
    }

    /// The scope of a written table: its columns then its rowid.
    pub(super) fn table_scope(table: &TableDef, alias: &str) -> Scope {
        Scope::table(alias, table.columns.iter().map(|c| (c.name.clone(), Affinity::of(c.data_type))), true)
            .with_declared(table.columns.iter().map(|c| c.declared))
    }

    fn scan(table: &Arc<TableDef>, alias: &str) -> Plan {
        Plan::Scan {
            table: table.clone(),
            alias: alias.into(),
            rowids: (Bound::Unbounded, Bound::Unbounded),
            reverse: false,
            read: None,
        }
    }

    pub(super) fn update(&mut self, update: &ast::Update) -> Result<Statement> {
        let ast::TableFactor::Table { name, alias, .. } = &update.table.relation else {
            return Err(Error::unsupported("UPDATE of a derived table"));
        };
        if !update.table.joins.is_empty() || update.from.is_some() {
            return Err(Error::unsupported("UPDATE … FROM"));
        }
        let table = self.target_table(name)?;
        let name = table.name.clone();
        let alias = alias.as_ref().map_or_else(|| names::bare(&name).to_string(), |a| ident(&a.name));
        self.push_scope(Self::table_scope(&table, &alias));
        let result = (|| {
            let mut source = Self::scan(&table, &alias);
            if let Some(w) = &update.selection {
                source = Plan::Filter { input: Box::new(source), predicate: self.expr(w)? };
            }
            let mut assignments = vec![];
            for a in &update.assignments {
                let ast::AssignmentTarget::ColumnName(column) = &a.target else {
                    return Err(Error::unsupported("tuple assignment"));
                };
                let index = self.column_index(&table, &object_name(column)?)?;
                assignments.push((index, self.expr(&a.value)?));
            }
            Ok((source, assignments))
        })();
        self.pop_scope();
        let (source, assignments) = result?;
        let conflict = match update.or {
            Some(ast::SqliteOnConflict::Replace) => Conflict::Replace,
            Some(ast::SqliteOnConflict::Ignore) => Conflict::Ignore,
            _ => Conflict::Abort,
        };
        let returning = self.returning(&table, &alias, update.returning.as_deref())?;
        // An UPDATE that reads rows to choose them or return them needs SELECT too (the
        // columns of SET expressions are not told apart: PostgreSQL asks SELECT on those).
        self.access(&name, RelKind::Table, acl::UPDATE);
        if update.selection.is_some() || returning.is_some() {
            self.access(&name, RelKind::Table, acl::SELECT);
        }
        let checks = self.checks(&table, &alias)?;
        let foreign_keys = self.write_links(&table, true)?;
        Ok(Statement::Update { table, source, assignments, conflict, returning, checks, foreign_keys })
    }

    pub(super) fn delete(&mut self, delete: &ast::Delete) -> Result<Statement> {
        let (ast::FromTable::WithFromKeyword(from) | ast::FromTable::WithoutKeyword(from)) = &delete.from;
        let [item] = from.as_slice() else { return Err(Error::unsupported("DELETE from several tables")) };
        let ast::TableFactor::Table { name, alias, .. } = &item.relation else {
            return Err(Error::unsupported("DELETE from a derived table"));
        };
        if !item.joins.is_empty() || delete.using.is_some() {
            return Err(Error::unsupported("DELETE … USING"));
        }
        let table = self.target_table(name)?;
        let name = table.name.clone();
        let alias = alias.as_ref().map_or_else(|| names::bare(&name).to_string(), |a| ident(&a.name));
        self.push_scope(Self::table_scope(&table, &alias));
        let predicate = delete.selection.as_ref().map(|w| self.expr(w)).transpose();
        self.pop_scope();
        let mut source = Self::scan(&table, &alias);
        if let Some(predicate) = predicate? {
            source = Plan::Filter { input: Box::new(source), predicate };
        }
        let returning = self.returning(&table, &alias, delete.returning.as_deref())?;
        self.access(&name, RelKind::Table, acl::DELETE);
        if delete.selection.is_some() || returning.is_some() {
            self.access(&name, RelKind::Table, acl::SELECT);
        }
        let foreign_keys = self.write_links(&table, true)?;
        Ok(Statement::Delete { table, source, returning, foreign_keys })
    }

    /// `DO UPDATE SET … [WHERE …]`, over the existing row then the `excluded` one.
    fn upsert(&mut self, table: &TableDef, alias: &str, update: &ast::DoUpdate) -> Result<Upsert> {
        // Unqualified names are the existing row's; `excluded.x` the new one's.
        let mut excluded =
            Scope::table("excluded", table.columns.iter().map(|c| (c.name.clone(), Affinity::of(c.data_type))), false);
        excluded.columns.iter_mut().for_each(|c| c.qualified_only = true);
        self.push_scope(Scope::join(Self::table_scope(table, alias), excluded));
        let result = (|| {
            let mut assignments = vec![];
            for a in &update.assignments {
                let ast::AssignmentTarget::ColumnName(column) = &a.target else {
                    return Err(Error::unsupported("tuple assignment"));
                };
                let index = self.column_index(table, &object_name(column)?)?;
                assignments.push((index, self.expr(&a.value)?));
            }
            let filter = update.selection.as_ref().map(|w| self.expr(w)).transpose()?;
            Ok(Upsert { assignments, filter })
        })();
        self.pop_scope();
        result
    }

    /// The table's CHECK constraints, bound over a new row, each with the error a row
    /// that breaks it gets (PostgreSQL's, naming the table and the constraint).
    fn checks(&mut self, table: &TableDef, alias: &str) -> Result<Vec<(String, Expr)>> {
        let mut bound = vec![];
        let names = crate::source::system::check_names(table);
        for (sql, name) in table.checks.iter().zip(names) {
            let e = crate::parse::expression(sql)
                .map_err(|_| Error::invalid(format!("damaged CHECK constraint: {sql}")))?;
            self.push_scope(Self::table_scope(table, alias));
            let b = self.expr(&e);
            self.pop_scope();
            let relation = names::bare(&table.name);
            let message = format!("new row for relation \"{relation}\" violates check constraint \"{name}\"");
            bound.push((message, b?));
        }
        Ok(bound)
    }

    /// RETURNING items, over a written row (its columns then its rowid).
    fn returning(&mut self, table: &TableDef, alias: &str, items: Option<&[ast::SelectItem]>) -> Result<Returning> {
        let Some(items) = items else { return Ok(None) };
        self.push_scope(Self::table_scope(table, alias));
        let bound = self.select_items(items);
        self.pop_scope();
        Ok(Some(bound?))
    }
}
