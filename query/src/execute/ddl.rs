//! DDL: tables, indexes, views and triggers.

use braid_engine::Txn;
use braid_engine::keys::Key;

use super::Outcome;
use crate::bind::{load_view, view_key};
use crate::error::{Error, Result};
use crate::plan::{AlterOp, Statement};

/// The key holding every trigger: `name \0 table \0 sql \0`, repeated. Triggers are few
/// and only stored, so one record is simplest.
fn triggers_key() -> Vec<u8> {
    Key::Meta("triggers").encode()
}

/// Stored triggers: (name, table, sql).
fn load_triggers(txn: &Txn) -> Result<Vec<(String, String, String)>> {
    let Some(bytes) = txn.kv_ref().get(&triggers_key())? else { return Ok(vec![]) };
    let text = String::from_utf8(bytes.to_vec()).map_err(|_| braid_engine::Error::corrupt("trigger list"))?;
    let parts: Vec<&str> = text.split('\0').collect();
    Ok(parts.chunks_exact(3).map(|c| (c[0].to_string(), c[1].to_string(), c[2].to_string())).collect())
}

fn store_triggers(txn: &mut Txn, triggers: &[(String, String, String)]) -> Result<()> {
    let mut text = String::new();
    for (name, table, sql) in triggers {
        for part in [name, table, sql] {
            text.push_str(part);
            text.push('\0');
        }
    }
    txn.kv().set(triggers_key(), text.into_bytes())?;
    Ok(())
}

/// Whether a table or a view has this name.
fn relation_exists(txn: &Txn, name: &str) -> Result<bool> {
    Ok(txn.has_table(name)? || load_view(txn, name)?.is_some())
}

pub(super) fn run(statement: &Statement, txn: &mut Txn) -> Result<Outcome> {
    match statement {
        Statement::CreateTable { def, if_not_exists, unique } => {
            if relation_exists(txn, &def.name)? {
                return if *if_not_exists {
                    Ok(Outcome::Done)
                } else {
                    Err(Error::AlreadyExists { kind: "table", name: def.name.clone() })
                };
            }
            let created = txn.create_table(def.clone())?;
            for (i, columns) in unique.iter().enumerate() {
                let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
                txn.create_index(&created.name, &format!("autoindex_{}_{}", created.name, i + 1), &cols, true)?;
            }
        }
        Statement::DropTable { name, if_exists } => {
            if !txn.has_table(name)? {
                return if *if_exists { Ok(Outcome::Done) } else { Err(Error::not_found("table", name)) };
            }
            txn.drop_table(name)?;
            let mut triggers = load_triggers(txn)?;
            let before = triggers.len();
            triggers.retain(|(_, table, _)| table != name);
            if triggers.len() != before {
                store_triggers(txn, &triggers)?;
            }
        }
        Statement::CreateIndex { table, name, columns, unique, if_not_exists } => {
            let exists = txn.tables()?.iter().any(|t| t.indexes.iter().any(|i| i.name == *name));
            if exists {
                return if *if_not_exists {
                    Ok(Outcome::Done)
                } else {
                    Err(Error::AlreadyExists { kind: "index", name: name.clone() })
                };
            }
            if !txn.has_table(table)? {
                return Err(Error::not_found("table", table));
            }
            let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
            txn.create_index(table, name, &cols, *unique)?;
        }
        Statement::DropIndex { name, if_exists } => match txn.drop_index(name) {
            Err(braid_engine::Error::NotFound { .. }) if *if_exists => {}
            other => other?,
        },
        Statement::CreateView { name, sql, if_not_exists } => {
            if relation_exists(txn, name)? {
                return if *if_not_exists {
                    Ok(Outcome::Done)
                } else {
                    Err(Error::AlreadyExists { kind: "view", name: name.clone() })
                };
            }
            txn.kv().set(view_key(name), sql.clone().into_bytes())?;
        }
        Statement::DropView { name, if_exists } => {
            if load_view(txn, name)?.is_none() {
                return if *if_exists { Ok(Outcome::Done) } else { Err(Error::not_found("view", name)) };
            }
            txn.kv().delete(view_key(name))?;
        }
        Statement::CreateTrigger { name, table, sql, if_not_exists } => {
            let mut triggers = load_triggers(txn)?;
            if triggers.iter().any(|(n, _, _)| n == name) {
                return if *if_not_exists {
                    Ok(Outcome::Done)
                } else {
                    Err(Error::AlreadyExists { kind: "trigger", name: name.clone() })
                };
            }
            if !txn.has_table(table)? {
                return Err(Error::not_found("table", table));
            }
            triggers.push((name.clone(), table.clone(), sql.clone()));
            store_triggers(txn, &triggers)?;
        }
        Statement::DropTrigger { name, if_exists } => {
            let mut triggers = load_triggers(txn)?;
            let before = triggers.len();
            triggers.retain(|(n, _, _)| n != name);
            if triggers.len() == before {
                return if *if_exists { Ok(Outcome::Done) } else { Err(Error::not_found("trigger", name)) };
            }
            store_triggers(txn, &triggers)?;
        }
        Statement::AlterTable { table, op } => {
            let what = match op {
                AlterOp::AddColumn(_) => "ADD COLUMN",
                AlterOp::DropColumn(_) => "DROP COLUMN",
                AlterOp::RenameColumn { .. } => "RENAME COLUMN",
                AlterOp::RenameTable(_) => "RENAME TO",
            };
            return Err(Error::unsupported(format!("ALTER TABLE {table} {what}")));
        }
        other => return Err(Error::invalid(format!("internal error: not DDL: {other:?}"))),
    }
    Ok(Outcome::Done)
}
