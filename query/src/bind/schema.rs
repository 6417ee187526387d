//! Binding CREATE, DROP and ALTER SCHEMA.
//!
//! DROP SCHEMA … CASCADE is bound into the drops of what the schemas hold — views, foreign
//! keys from elsewhere that reference their tables, tables, sequences — then the schemas
//! themselves, so each object goes the way its own DROP would take it.

use sqlparser::ast;

use super::{Binder, ident, object_name};
use crate::error::{Error, Result};
use crate::names;
use crate::plan::{AlterOp, Statement};

impl Binder<'_> {
    pub(super) fn create_schema(&self, name: &ast::SchemaName, if_not_exists: bool) -> Result<Statement> {
        let (name, owner) = match name {
            ast::SchemaName::Simple(name) => (object_name(name)?, None),
            ast::SchemaName::UnnamedAuthorization(role) => (ident(role), Some(ident(role))),
            ast::SchemaName::NamedAuthorization(name, role) => (object_name(name)?, Some(ident(role))),
        };
        if name.starts_with("pg_") {
            return Err(Error::ReservedName(format!(
                "unacceptable schema name \"{name}\"\nDETAIL:  The prefix \"pg_\" is reserved for system schemas."
            )));
        }
        names::check_bare(&name)?;
        Ok(Statement::CreateSchema { name, owner, if_not_exists })
    }

    pub(super) fn drop_schemas(&self, list: &[ast::ObjectName], if_exists: bool, cascade: bool) -> Result<Statement> {
        let schemas = self.schemas()?;
        let mut dropped = vec![];
        for name in list {
            let name = object_name(name)?;
            if schemas.droppable(&name) {
                dropped.push(name);
            } else if schemas.exists(&name) {
                return Err(Error::unsupported(format!("dropping schema {name}")));
            } else if !if_exists {
                return Err(Error::not_found("schema", name));
            }
        }
        let inside = |stored: &str| dropped.iter().any(|s| s == names::split(stored).0);
        let views: Vec<String> =
            super::ddl::views(self.txn)?.into_iter().map(|(v, _)| v).filter(|v| inside(v)).collect();
        let all_tables = self.txn.tables()?;
        let tables: Vec<&braid_engine::TableDef> = all_tables.iter().filter(|t| inside(&t.name)).collect();
        let sequences: Vec<String> = self
            .txn
            .sequences()?
            .into_iter()
            .filter(|s| inside(&s.name) && !s.owned_by.as_ref().is_some_and(|(t, _)| inside(t)))
            .map(|s| s.name)
            .collect();
        if !cascade {
            let contents = (tables.iter().map(|t| ("table", t.name.as_str())))
                .chain(views.iter().map(|v| ("view", v.as_str())))
                .chain(sequences.iter().map(|s| ("sequence", s.as_str())));
            let details: Vec<String> = contents
                .map(|(kind, stored)| format!("{kind} {stored} depends on schema {}", names::split(stored).0))
                .collect();
            if !details.is_empty() {
                return Err(Error::DependentObjects(format!(
                    "cannot drop schema {} because other objects depend on it\nDETAIL:  {}\nHINT:  Use DROP ... CASCADE to drop the dependent objects too.",
                    dropped[0],
                    details.join("\n")
                )));
            }
        }
        let mut steps: Vec<Statement> =
            views.into_iter().map(|name| Statement::DropView { name, if_exists: false }).collect();
        // Foreign keys of tables that stay, referencing a table that goes: CASCADE drops
        // the keys, as DROP TABLE … CASCADE does.
        for child in all_tables.iter().filter(|t| !inside(&t.name)) {
            for fk in child.foreign_keys.iter().filter(|f| inside(&f.parent)) {
                let op = AlterOp::DropConstraint { name: fk.name.clone(), if_exists: false };
                steps.push(Statement::AlterTable { table: child.name.clone(), op });
            }
        }
        steps.extend(tables.iter().map(|t| Statement::DropTable { name: t.name.clone(), if_exists: false }));
        steps.extend(sequences.into_iter().map(|name| Statement::DropSequence {
            name,
            if_exists: false,
            cascade: true,
        }));
        steps.extend(dropped.into_iter().map(|name| Statement::DropSchema { name }));
        Ok(Statement::Several(steps))
    }

    pub(super) fn alter_schema(&self, alter: &ast::AlterSchema) -> Result<Statement> {
        let name = object_name(&alter.name)?;
        if !self.schemas()?.exists(&name) {
            return Err(Error::not_found("schema", name));
        }
        match alter.operations.as_slice() {
            [ast::AlterSchemaOperation::OwnerTo { owner }] => {
                let role = match owner {
                    ast::Owner::Ident(role) => Some(ident(role)),
                    _ => None,
                };
                Ok(Statement::SchemaOwner { name, role })
            }
            _ => Err(Error::unsupported(format!("ALTER SCHEMA other than OWNER TO: {alter}"))),
        }
    }
}
