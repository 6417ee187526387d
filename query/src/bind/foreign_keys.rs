//! Binding foreign keys: their definitions in CREATE TABLE and ALTER TABLE, checked against
//! the referenced table, and the links a write statement follows (see
//! [`crate::plan::foreign_keys`]).

use std::collections::VecDeque;
use std::sync::Arc;

use braid_engine::{ForeignKeyDef, ReferentialAction, TableDef};
use sqlparser::ast;

use super::{Binder, ident};
use crate::error::{Error, Result};
use crate::plan::foreign_keys::{self, ChildLink, ForeignKeys, ParentLink, TableLinks};

/// PostgreSQL's name for a foreign key nobody named: `table_column_fkey`.
fn default_name(table: &str, columns: &[String]) -> String {
    format!("{}_{}_fkey", crate::names::bare(table), columns.join("_"))
}

fn action(a: Option<&ast::ReferentialAction>) -> ReferentialAction {
    match a {
        None | Some(ast::ReferentialAction::NoAction) => ReferentialAction::NoAction,
        Some(ast::ReferentialAction::Restrict) => ReferentialAction::Restrict,
        Some(ast::ReferentialAction::Cascade) => ReferentialAction::Cascade,
        Some(ast::ReferentialAction::SetNull) => ReferentialAction::SetNull,
        Some(ast::ReferentialAction::SetDefault) => ReferentialAction::SetDefault,
    }
}

impl Binder<'_> {
    /// A foreign key of `table` (being created, or existing), checked against the table it
    /// references: that table exists (or is `table` itself), the referenced columns are its
    /// primary key when none are named, and they are its primary key or a unique constraint.
    /// `columns` names the referencing columns (for a column's REFERENCES, that column).
    /// `creating` lists the keys (primary, unique) of a table being created, which a
    /// foreign key of its own may reference before its indexes exist.
    pub(super) fn foreign_key(
        &mut self,
        table: &TableDef,
        columns: Vec<String>,
        fk: &ast::ForeignKeyConstraint,
        creating: Option<&[Vec<String>]>,
    ) -> Result<ForeignKeyDef> {
        let parent_name = self.find_relation(&fk.foreign_table)?;
        let parent = if parent_name == table.name {
            table.clone()
        } else {
            self.txn.table(&parent_name).map_err(|_| Error::not_found("table", &parent_name))?
        };
        for c in &columns {
            table.column_index(c).map_err(|_| Error::not_found("column", format!("{}.{c}", table.name)))?;
        }
        let parent_columns: Vec<String> = if fk.referred_columns.is_empty() {
            let pk = match (parent.rowid_alias, parent.primary_key.as_slice()) {
                (Some(alias), _) => vec![alias],
                (None, pk) => pk.to_vec(),
            };
            if pk.is_empty() {
                return Err(Error::InvalidForeignKey(format!(
                    "there is no primary key for referenced table \"{parent_name}\""
                )));
            }
            pk.iter().map(|&c| parent.columns[c as usize].name.clone()).collect()
        } else {
            fk.referred_columns.iter().map(ident).collect()
        };
        if parent_columns.len() != columns.len() {
            return Err(Error::InvalidForeignKey(
                "number of referencing and referenced columns for foreign key disagree".into(),
            ));
        }
        // Both sides compare as stored: a key of another storage type would never match.
        for (c, p) in columns.iter().zip(&parent_columns) {
            let (Ok(ci), Ok(pi)) = (table.column_index(c), parent.column_index(p)) else { continue };
            let (ct, pt) = (table.columns[ci].data_type, parent.columns[pi].data_type);
            if ct != pt {
                return Err(Error::type_error(format!(
                    "foreign key constraint cannot be implemented: key columns \"{c}\" and \"{p}\" are of incompatible types: {ct} and {pt}"
                )));
            }
        }
        let key = foreign_keys::positions(&parent, &parent_columns)
            .ok_or_else(|| Error::not_found("column", format!("{parent_name}.({})", parent_columns.join(", "))))?;
        let same_set = |a: &[String], b: &[String]| a.len() == b.len() && a.iter().all(|x| b.contains(x));
        let matched = match creating {
            Some(keys) if parent_name == table.name => keys.iter().any(|k| same_set(k, &parent_columns)),
            _ => foreign_keys::parent_lookup(&parent, &key).is_some(),
        };
        if !matched {
            return Err(Error::InvalidForeignKey(format!(
                "there is no unique constraint matching given keys for referenced table \"{parent_name}\""
            )));
        }
        let characteristics = fk.characteristics.as_ref();
        let deferred =
            characteristics.and_then(|c| c.initially).is_some_and(|i| matches!(i, ast::DeferrableInitial::Deferred));
        Ok(ForeignKeyDef {
            name: fk.name.as_ref().map(ident).unwrap_or_else(|| default_name(&table.name, &columns)),
            columns,
            parent: parent_name,
            parent_columns,
            on_delete: action(fk.on_delete.as_ref()),
            on_update: action(fk.on_update.as_ref()),
            deferrable: deferred || characteristics.and_then(|c| c.deferrable).unwrap_or(false),
            initially_deferred: deferred,
        })
    }

    /// The links a write to `table` follows: its own foreign keys, and, when `children`
    /// (UPDATE, DELETE, upserts), the foreign keys that reference it and, through cascades,
    /// every table those reach.
    pub(super) fn write_links(&mut self, table: &TableDef, children: bool) -> Result<Arc<ForeignKeys>> {
        if table.foreign_keys.is_empty() && !children {
            return Ok(Arc::default());
        }
        let all = if children { self.txn.tables()? } else { vec![] };
        let mut out = ForeignKeys::default();
        let mut queue = VecDeque::from([table.clone()]);
        while let Some(t) = queue.pop_front() {
            if out.tables.contains_key(&t.name) {
                continue;
            }
            let mut links = TableLinks { parents: self.parent_links(&t)?, children: vec![] };
            if children {
                for child in all.iter().filter(|c| c.foreign_keys.iter().any(|f| f.parent == t.name)) {
                    for fk in child.foreign_keys.iter().filter(|f| f.parent == t.name) {
                        links.children.push(self.child_link(&t, child, fk)?);
                    }
                    queue.push_back(child.clone());
                }
            }
            out.tables.insert(t.name.clone(), links);
        }
        Ok(Arc::new(out))
    }

    fn parent_links(&mut self, table: &TableDef) -> Result<Vec<ParentLink>> {
        let mut links = vec![];
        for fk in &table.foreign_keys {
            let parent = if fk.parent == table.name { table.clone() } else { self.txn.table(&fk.parent)? };
            let broken = || {
                Error::InvalidForeignKey(format!(
                    "foreign key \"{}\" no longer matches a key of \"{}\"",
                    fk.name, fk.parent
                ))
            };
            let key = foreign_keys::positions(&parent, &fk.parent_columns).ok_or_else(broken)?;
            let columns = foreign_keys::positions(table, &fk.columns).ok_or_else(broken)?;
            let (lookup, order) = foreign_keys::parent_lookup(&parent, &key).ok_or_else(broken)?;
            links.push(ParentLink {
                name: fk.name.clone(),
                columns: order.iter().map(|&k| columns[k]).collect(),
                declared: fk.columns.iter().cloned().zip(columns.iter().copied()).collect(),
                parent: Arc::new(parent),
                lookup,
            });
        }
        Ok(links)
    }

    fn child_link(&mut self, parent: &TableDef, child: &TableDef, fk: &ForeignKeyDef) -> Result<ChildLink> {
        let broken = || Error::InvalidForeignKey(format!("foreign key \"{}\" no longer matches its columns", fk.name));
        let columns = foreign_keys::positions(child, &fk.columns).ok_or_else(broken)?;
        let parent_columns = foreign_keys::positions(parent, &fk.parent_columns).ok_or_else(broken)?;
        let defaults = if fk.on_delete == ReferentialAction::SetDefault || fk.on_update == ReferentialAction::SetDefault
        {
            columns.iter().map(|&c| self.default_value(&child.columns[c])).collect::<Result<_>>()?
        } else {
            vec![]
        };
        let parent_lookup = foreign_keys::parent_lookup(parent, &parent_columns).ok_or_else(broken)?;
        Ok(ChildLink {
            name: fk.name.clone(),
            lookup: foreign_keys::child_lookup(child, &columns),
            parent: Arc::new(parent.clone()),
            parent_lookup,
            child: Arc::new(child.clone()),
            columns,
            parent_columns,
            on_delete: fk.on_delete,
            on_update: fk.on_update,
            defaults,
        })
    }
}
