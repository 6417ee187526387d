//! DDL: tables, indexes, views and triggers.

use braid_engine::keys::Key;
use braid_engine::{IndexDef, TableDef, Txn, Value};

use super::Outcome;
use crate::bind::{load_view, view_key};
use crate::connection::ParamValues;
use crate::error::{ConstraintKind, Error, Result};
use crate::names;
use crate::plan::{AlterOp, ColumnChange, Statement};
use crate::privileges;
use crate::session::Session;
use braid_engine::roles::Object;

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
    Ok(txn.has_table(name)? || load_view(txn, name)?.is_some() || txn.sequence(name)?.is_some())
}

/// The columns whose DEFAULT calls `nextval` of sequence `name`: (table, column, whether
/// it is an identity column, which needs the sequence as long as it is one).
fn defaults_calling(txn: &Txn, name: &str) -> Result<Vec<(String, String, bool)>> {
    let quoted = format!("'{}'", name.replace('\'', "''"));
    let qualified = format!("'public.{}'", name.replace('\'', "''"));
    let mut out = vec![];
    for t in txn.tables()? {
        for c in &t.columns {
            let Some(default) = &c.default else { continue };
            let lower = default.to_ascii_lowercase();
            if lower.contains("nextval(") && (default.contains(&quoted) || default.contains(&qualified)) {
                out.push((t.name.clone(), c.name.clone(), c.identity.is_some()));
            }
        }
    }
    Ok(out)
}

/// What names a table or column by name follows it when it is renamed, and goes with a
/// dropped column: the sequences OWNED BY it and the comments on it.
fn follow_renames(txn: &mut Txn, table: &str, op: &AlterOp) -> Result<()> {
    use braid_engine::{CommentKind, CommentTarget};
    let renamed = |t: &str, c: Option<&str>| -> Option<(String, Option<String>)> {
        match op {
            AlterOp::RenameTable(new) if t == table => Some((new.clone(), c.map(str::to_string))),
            AlterOp::RenameColumn { from, to } if t == table && c == Some(from.as_str()) => {
                Some((t.to_string(), Some(to.clone())))
            }
            _ => None,
        }
    };
    let dropped =
        |t: &str, c: Option<&str>| matches!(op, AlterOp::DropColumn(d) if t == table && c == Some(d.as_str()));
    for mut sequence in txn.sequences()? {
        let Some((t, c)) = sequence.owned_by.clone() else { continue };
        if dropped(&t, Some(&c)) {
            txn.drop_sequence(&sequence.name)?;
        } else if let Some((t, Some(c))) = renamed(&t, Some(&c)) {
            sequence.owned_by = Some((t, c));
            txn.alter_sequence(&sequence)?;
        }
    }
    for (target, text) in txn.comments()? {
        if target.kind != CommentKind::Relation {
            continue;
        }
        if dropped(&target.name, target.column.as_deref()) {
            txn.set_comment(&target, None)?;
        } else if let Some((name, column)) = renamed(&target.name, target.column.as_deref()) {
            txn.set_comment(&target, None)?;
            txn.set_comment(&CommentTarget { kind: CommentKind::Relation, name, column }, Some(&text))?;
        }
    }
    Ok(())
}

/// A sequence's `OWNED BY` names a column that exists.
fn owner_exists(txn: &Txn, def: &braid_engine::SequenceDef) -> Result<()> {
    if let Some((table, column)) = &def.owned_by {
        let t = txn.table(table).map_err(|_| Error::not_found("relation", table))?;
        if !t.columns.iter().any(|c| c.name == *column) {
            return Err(Error::not_found("column", format!("{column} of relation {table}")));
        }
    }
    Ok(())
}

pub(super) fn run(statement: &Statement, txn: &mut Txn, params: &ParamValues, session: &Session) -> Result<Outcome> {
    match statement {
        Statement::Several(statements) => {
            for s in statements {
                run(s, txn, params, session)?;
            }
        }
        Statement::CreateRole { name, options } => privileges::create_role(txn, session, name, options)?,
        Statement::AlterRole { name, options, rename } => {
            privileges::alter_role(txn, session, name, options, rename.as_deref())?
        }
        Statement::Membership { grant, roles, members, admin } => {
            privileges::membership(txn, session, *grant, roles, members, *admin)?
        }
        Statement::DropRole { names, if_exists } => {
            for name in names {
                privileges::drop_role(txn, session, name, *if_exists)?;
            }
        }
        Statement::Grant(grant) => privileges::grant(txn, session, grant)?,
        Statement::Truncate { tables, restart_identity } => {
            for table in tables {
                txn.truncate(table)?;
            }
            if *restart_identity {
                // As PostgreSQL: the sequences OWNED BY the tables' columns (SERIAL,
                // identity) start again. (Sequences are not transactional: a rollback keeps
                // the restart, as PostgreSQL's does not; documented.)
                for sequence in txn.sequences()? {
                    if sequence.owned_by.as_ref().is_some_and(|(table, _)| tables.contains(table)) {
                        txn.setval(&sequence, sequence.start, false)?;
                    }
                }
            }
        }
        Statement::CreateTable { def, if_not_exists, unique } => {
            privileges::require_create(txn, session, &def.name)?;
            if relation_exists(txn, &def.name)? {
                return if *if_not_exists {
                    Ok(Outcome::Done)
                } else {
                    Err(Error::AlreadyExists { kind: "table", name: names::bare(&def.name).into() })
                };
            }
            let created = txn.create_table(def.clone())?;
            privileges::record_owner(txn, session, &created.name)?;
            // Table-level UNIQUE constraints, named as PostgreSQL names them:
            // `{table}_{columns}_key`, numbered when that name is taken.
            for columns in unique {
                let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
                let name = free_index_name(txn, &format!("{}_{}_key", created.name, cols.join("_")))?;
                txn.create_index(&created.name, &name, &cols, true)?;
            }
        }
        Statement::DropTable { name, if_exists } => {
            if !txn.has_table(name)? {
                return if *if_exists { Ok(Outcome::Done) } else { Err(Error::not_found("table", name)) };
            }
            privileges::require_owner(txn, session, name)?;
            txn.drop_table(name)?;
            txn.drop_comments(name)?;
            txn.set_privileges(&Object::Relation(name.clone()), None)?;
            // Sequences OWNED BY a column of the table go with it (a SERIAL's).
            for sequence in txn.sequences()? {
                if sequence.owned_by.as_ref().is_some_and(|(table, _)| table == name) {
                    txn.drop_sequence(&sequence.name)?;
                }
            }
            let mut triggers = load_triggers(txn)?;
            let before = triggers.len();
            triggers.retain(|(_, table, _)| table != name);
            if triggers.len() != before {
                store_triggers(txn, &triggers)?;
            }
        }
        Statement::CreateIndex { table, name, columns, expressions, predicate, unique, if_not_exists } => {
            let name = match name {
                Some(name) => name.clone(),
                None => free_index_name(txn, &format!("{table}_{}_idx", columns.join("_")))?,
            };
            let name = &name;
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
            privileges::require_owner(txn, session, table)?;
            let cols: Vec<&str> =
                if expressions.is_empty() { columns.iter().map(String::as_str).collect() } else { vec![] };
            txn.create_derived_index(table, name, &cols, expressions.clone(), predicate.clone(), *unique)?;
        }
        Statement::DropIndex { name, if_exists } => {
            let tables = txn.tables()?;
            if let Some(table) = tables.iter().find(|t| t.index(name).is_some()) {
                let owner = privileges::require_owner(txn, session, &table.name);
                owner.map_err(|_| Error::InsufficientPrivilege(format!("must be owner of index {name}")))?;
                no_foreign_key_needs(&tables, table, name)?;
            }
            match txn.drop_index(name) {
                Err(braid_engine::Error::NotFound { .. }) if *if_exists => {}
                other => other?,
            }
            txn.drop_comments(name)?;
        }
        Statement::CreateView { name, sql, if_not_exists } => {
            privileges::require_create(txn, session, name)?;
            if relation_exists(txn, name)? {
                return if *if_not_exists {
                    Ok(Outcome::Done)
                } else {
                    Err(Error::AlreadyExists { kind: "view", name: names::bare(name).into() })
                };
            }
            txn.kv().set(view_key(name), sql.clone().into_bytes())?;
            privileges::record_owner(txn, session, name)?;
        }
        Statement::CreateSequence { def, if_not_exists } => {
            privileges::require_create(txn, session, &def.name)?;
            if relation_exists(txn, &def.name)? {
                return if *if_not_exists {
                    Ok(Outcome::Done)
                } else {
                    Err(Error::AlreadyExists { kind: "relation", name: names::bare(&def.name).into() })
                };
            }
            owner_exists(txn, def)?;
            txn.create_sequence(def.clone())?;
            privileges::record_owner(txn, session, &def.name)?;
        }
        // One database per server: CREATE names it (as PostgreSQL's would, it exists
        // already) or another (refused); its owner is the bootstrap superuser, for good.
        Statement::Database { name, owner } => {
            let here = session.database();
            match owner {
                None if *name == here => return Err(Error::AlreadyExists { kind: "database", name: name.clone() }),
                None => return Err(Error::unsupported("CREATE DATABASE: a Braid server serves one database")),
                Some(_) if *name != here => return Err(Error::not_found("database", name)),
                Some(owner)
                    if *owner != privileges::role_name(&txn.roles()?, crate::source::system::SUPERUSER_OID as u32) =>
                {
                    return Err(Error::unsupported("changing the owner of the database"));
                }
                Some(_) => {}
            }
        }
        Statement::AlterSequence { name, if_exists, change, restart } => {
            let Some(old) = txn.sequence(name)? else {
                return if *if_exists { Ok(Outcome::Done) } else { Err(Error::not_found("relation", name)) };
            };
            privileges::require_owner(txn, session, name)?;
            let def = change.apply(old);
            owner_exists(txn, &def)?;
            // Where the sequence stands (or restarts) must lie within its new bounds.
            let at = match restart {
                Some(value) => value.unwrap_or(def.start),
                None => txn.sequence_position(&def)?.last,
            };
            if at > def.max {
                return Err(Error::invalid(format!(
                    "RESTART value ({at}) cannot be greater than MAXVALUE ({})",
                    def.max
                )));
            }
            if at < def.min {
                return Err(Error::invalid(format!("RESTART value ({at}) cannot be less than MINVALUE ({})", def.min)));
            }
            txn.alter_sequence(&def)?;
            if let Some(value) = restart {
                txn.setval(&def, value.unwrap_or(def.start), false)?;
            }
        }
        Statement::Comment { target, text } => {
            let exists = match target.kind {
                braid_engine::CommentKind::Schema => names::Schemas::load(txn)?.exists(&target.name),
                braid_engine::CommentKind::Relation => {
                    relation_exists(txn, &target.name)? || txn.tables()?.iter().any(|t| t.index(&target.name).is_some())
                }
            };
            if !exists {
                let kind = if target.kind == braid_engine::CommentKind::Schema { "schema" } else { "relation" };
                return Err(Error::not_found(kind, &target.name));
            }
            if target.kind == braid_engine::CommentKind::Relation {
                let table = txn.tables()?.into_iter().find(|t| t.index(&target.name).is_some());
                privileges::require_owner(txn, session, table.as_ref().map_or(&target.name, |t| &t.name))?;
            }
            if let Some(column) = &target.column {
                let table = txn.table(&target.name).map_err(|_| Error::not_found("relation", &target.name))?;
                if !table.columns.iter().any(|c| c.name == *column) {
                    return Err(Error::not_found("column", format!("{column} of relation {}", target.name)));
                }
            }
            // An empty comment removes it, as in PostgreSQL; `public`'s built-in one is
            // overridden by an empty record.
            let public = target.kind == braid_engine::CommentKind::Schema && target.name == "public";
            match text.as_deref() {
                Some("") | None if !public => txn.set_comment(target, None)?,
                text => txn.set_comment(target, Some(text.unwrap_or("")))?,
            }
        }
        Statement::OwnerTo { relation, role } => privileges::change_owner(txn, session, relation, role.as_deref())?,
        Statement::CreateSchema { name, owner, if_not_exists } => {
            super::schema::create(txn, session, name, owner.as_deref(), *if_not_exists)?
        }
        Statement::DropSchema { name } => super::schema::drop(txn, session, name)?,
        Statement::SchemaOwner { name, role } => super::schema::change_owner(txn, session, name, role.as_deref())?,
        Statement::DropSequence { name, if_exists, cascade } => {
            if txn.sequence(name)?.is_none() {
                return if *if_exists { Ok(Outcome::Done) } else { Err(Error::not_found("sequence", name)) };
            }
            privileges::require_owner(txn, session, name)?;
            for (table, column, identity) in defaults_calling(txn, name)? {
                if identity {
                    return Err(Error::DependentObjects(format!(
                        "cannot drop sequence {name} because column {column} of table {table} requires it"
                    )));
                }
                if !*cascade {
                    return Err(Error::DependentObjects(format!(
                        "cannot drop sequence {name} because other objects depend on it\nDETAIL:  default value for column {column} of table {table} depends on sequence {name}\nHINT:  Use DROP ... CASCADE to drop the dependent objects too."
                    )));
                }
                let op = AlterOp::AlterColumn { column, change: ColumnChange::DropDefault };
                alter(txn, &table, &op, params, session)?;
            }
            txn.drop_sequence(name)?;
        }
        Statement::DropView { name, if_exists } => {
            if load_view(txn, name)?.is_none() {
                return if *if_exists { Ok(Outcome::Done) } else { Err(Error::not_found("view", name)) };
            }
            privileges::require_owner(txn, session, name)?;
            txn.kv().delete(view_key(name))?;
            txn.drop_comments(name)?;
            txn.set_privileges(&Object::Relation(name.clone()), None)?;
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
            let role = privileges::current_role(txn, session)?;
            if !privileges::has_relation_privilege(txn, &role, table, braid_engine::roles::TRIGGER)? {
                return Err(Error::InsufficientPrivilege(format!("permission denied for table {table}")));
            }
            triggers.push((name.clone(), table.clone(), sql.clone()));
            store_triggers(txn, &triggers)?;
        }
        Statement::DropTrigger { name, if_exists } => {
            let mut triggers = load_triggers(txn)?;
            if let Some((_, table, _)) = triggers.iter().find(|(n, _, _)| n == name) {
                privileges::require_owner(txn, session, &table.clone())?;
            }
            let before = triggers.len();
            triggers.retain(|(n, _, _)| n != name);
            if triggers.len() == before {
                return if *if_exists { Ok(Outcome::Done) } else { Err(Error::not_found("trigger", name)) };
            }
            store_triggers(txn, &triggers)?;
        }
        Statement::AlterTable { table, .. } if !privileges::is_owner(txn, session, table)? => {
            privileges::require_owner(txn, session, table)?;
        }
        Statement::AlterTable { table, op: AlterOp::AddUnique { name, columns } } => {
            let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
            txn.create_index(table, name, &cols, true)?;
        }
        Statement::AlterTable { table, op: AlterOp::AddCheck { name, sql, violations } } => {
            if !super::query(violations, txn, params, session)?.is_empty() {
                return Err(Error::constraint(
                    ConstraintKind::Check,
                    format!("check constraint \"{name}\" of relation \"{table}\" is violated by some row"),
                ));
            }
            txn.add_check(table, sql)?;
        }
        Statement::AlterTable { table, op: AlterOp::AddForeignKey { def, links } } => {
            let current = txn.table(table)?;
            if let Some(links) = links.of(table) {
                let rows: Vec<Vec<Value>> =
                    txn.scan(&current, ..)?.map(|r| r.and_then(|r| r.values())).collect::<braid_engine::Result<_>>()?;
                for row in rows {
                    super::foreign_keys::check_parents(txn, links, table, &row)?;
                }
            }
            txn.add_foreign_key(table, def.clone())?;
        }
        Statement::AlterTable { table, op: AlterOp::DropConstraint { name, if_exists } } => {
            let current = txn.table(table)?;
            let primary = *name == format!("{table}_pkey");
            if current.foreign_keys.iter().any(|f| f.name == *name) {
                let kept = current.foreign_keys.iter().filter(|f| f.name != *name).cloned().collect();
                txn.set_foreign_keys(table, kept)?;
            } else if current.index(name).is_some_and(|i| i.unique) && !primary {
                no_foreign_key_needs(&txn.tables()?, &current, name)?;
                txn.drop_index(name)?;
            } else if primary {
                return Err(Error::unsupported(format!("dropping the primary key constraint {name}")));
            } else if !*if_exists {
                return Err(Error::not_found("constraint", format!("{name} of relation {table}")));
            }
        }
        Statement::AlterTable { table, op } => {
            alter(txn, table, op, params, session)?;
            follow_renames(txn, table, op)?;
        }
        other => return Err(Error::invalid(format!("internal error: not DDL: {other:?}"))),
    }
    Ok(Outcome::Done)
}

/// Fails with 2BP01 if a foreign key referencing `table` finds its parent rows through the
/// unique index `index`.
fn no_foreign_key_needs(tables: &[TableDef], table: &TableDef, index: &str) -> Result<()> {
    let mut without = table.clone();
    without.indexes.retain(|i| i.name != index);
    for child in tables {
        for fk in child.foreign_keys.iter().filter(|f| f.parent == table.name) {
            let key = crate::plan::foreign_keys::positions(table, &fk.parent_columns).unwrap_or_default();
            let still = crate::plan::foreign_keys::parent_lookup(&without, &key).is_some();
            if !still {
                return Err(Error::DependentObjects(format!(
                    "cannot drop index {index} because constraint {} on table {} requires it",
                    fk.name, child.name
                )));
            }
        }
    }
    Ok(())
}

/// ALTER TABLE, by rebuilding the table: its rows are read, the table is dropped and made
/// again under the new definition, its indexes are rebuilt, and the rows go back (SQLite's
/// own recipe for changes it cannot make in place). Rowids are kept where the table has an
/// INTEGER PRIMARY KEY; others are assigned afresh.
fn alter(txn: &mut Txn, name: &str, op: &AlterOp, params: &ParamValues, session: &Session) -> Result<()> {
    let old = txn.table(name).map_err(|e| match e {
        braid_engine::Error::NotFound { .. } => Error::not_found("table", name),
        e => e.into(),
    })?;
    let mut def = TableDef::new(name, old.columns.clone());
    def.primary_key = old.primary_key.clone();
    def.checks = old.checks.clone();
    def.foreign_keys = old.foreign_keys.clone();
    // Other tables' foreign keys that reference this one (by table and column names).
    let children: Vec<TableDef> = txn
        .tables()?
        .into_iter()
        .filter(|t| t.name != name && t.foreign_keys.iter().any(|f| f.parent == name))
        .collect();
    // User-made indexes, by name and column names (made again after the rebuild); the
    // primary key's and UNIQUE columns' indexes are made again by `create_table`.
    let auto = |i: &IndexDef| {
        let column_unique = |&c: &u32| {
            old.columns[c as usize].unique && i.name == format!("{}_{}_key", old.name, old.columns[c as usize].name)
        };
        (i.name == format!("{}_pkey", old.name) && !old.primary_key.is_empty())
            || matches!(i.columns.as_slice(), [c] if column_unique(c))
    };
    let mut indexes: Vec<Remade> = old
        .indexes
        .iter()
        .filter(|i| !auto(i))
        .map(|i| Remade {
            name: i.name.clone(),
            columns: i.columns.iter().map(|&c| old.columns[c as usize].name.clone()).collect(),
            expressions: i.expressions.clone(),
            predicate: i.predicate.clone(),
            unique: i.unique,
        })
        .collect();
    let mut rows: Vec<Vec<Value>> =
        txn.scan(&old, ..)?.map(|r| r.and_then(|r| r.values())).collect::<braid_engine::Result<_>>()?;
    match op {
        AlterOp::AddColumn(column, default) => {
            if def.columns.iter().any(|c| c.name == column.name) {
                return Err(Error::invalid(format!("duplicate column name: {}", column.name)));
            }
            let value = super::eval_constant(default, txn, session.zone()).unwrap_or(Value::Null);
            let value = crate::value::coerce_for_column(value, column.data_type, &column.name)?;
            let value = crate::value::declared::conform(value, column.declared)?;
            def.columns.push(column.clone());
            rows.iter_mut().for_each(|r| r.push(value.clone()));
        }
        AlterOp::DropColumn(column) => {
            let at = old.column_index(column).map_err(|_| Error::not_found("column", format!("{name}.{column}")))?;
            let used = old.primary_key.contains(&(at as u32))
                || old.columns[at].unique
                || indexes.iter().any(|i| i.columns.contains(column) || i.reads(column));
            let referenced =
                |t: &TableDef| t.foreign_keys.iter().any(|f| f.parent == name && f.parent_columns.contains(column));
            let used = used
                || old
                    .foreign_keys
                    .iter()
                    .any(|f| f.columns.contains(column) || (f.parent == name && f.parent_columns.contains(column)))
                || children.iter().any(referenced);
            if used {
                return Err(Error::invalid(format!("cannot drop column {column}: it is part of a key or an index")));
            }
            if old.columns.len() == 1 {
                return Err(Error::invalid(format!("cannot drop column {column}: no other columns exist")));
            }
            def.columns.remove(at);
            def.primary_key = old.primary_key.iter().map(|&c| if c as usize > at { c - 1 } else { c }).collect();
            rows.iter_mut().for_each(|r| {
                r.remove(at);
            });
        }
        AlterOp::RenameColumn { from, to } => {
            let at = old.column_index(from).map_err(|_| Error::not_found("column", format!("{name}.{from}")))?;
            if old.columns.iter().any(|c| c.name == *to) {
                return Err(Error::invalid(format!("duplicate column name: {to}")));
            }
            def.columns[at].name = to.clone();
            for index in &mut indexes {
                index.rename_column(from, to)?;
            }
            for check in &mut def.checks {
                *check = rename_column_in_sql(check, from, to)?;
            }
            for fk in &mut def.foreign_keys {
                fk.columns.iter_mut().filter(|c| *c == from).for_each(|c| *c = to.clone());
                if fk.parent == name {
                    fk.parent_columns.iter_mut().filter(|c| *c == from).for_each(|c| *c = to.clone());
                }
            }
        }
        AlterOp::AddPrimaryKey(columns) => {
            let positions = columns
                .iter()
                .map(|c| old.column_index(c).map(|i| i as u32))
                .collect::<braid_engine::Result<Vec<_>>>()?;
            for &at in &positions {
                if rows.iter().any(|r| r[at as usize].is_null()) {
                    return Err(Error::constraint(
                        ConstraintKind::NotNull,
                        format!(
                            "column \"{}\" of relation \"{name}\" contains null values",
                            old.columns[at as usize].name
                        ),
                    ));
                }
            }
            def.primary_key = positions;
        }
        AlterOp::AlterColumn { column, change } => {
            let at = old.column_index(column).map_err(|_| Error::not_found("column", format!("{name}.{column}")))?;
            let target = &mut def.columns[at];
            match change {
                ColumnChange::SetNotNull => {
                    if rows.iter().any(|r| r[at].is_null()) {
                        return Err(Error::constraint(
                            ConstraintKind::NotNull,
                            format!("column \"{column}\" of relation \"{name}\" contains null values"),
                        ));
                    }
                    target.nullable = false;
                }
                ColumnChange::DropNotNull => target.nullable = true,
                ColumnChange::AddIdentity { identity, default } => {
                    if target.identity.is_some() {
                        return Err(Error::invalid(format!(
                            "column \"{column}\" of relation \"{name}\" is already an identity column"
                        )));
                    }
                    if rows.iter().any(|r| r[at].is_null()) {
                        return Err(Error::constraint(
                            ConstraintKind::NotNull,
                            format!("column \"{column}\" of relation \"{name}\" contains null values"),
                        ));
                    }
                    (target.identity, target.default, target.nullable) =
                        (Some(*identity), Some(default.clone()), false);
                }
                ColumnChange::SetDefault(sql) => target.default = Some(sql.clone()),
                ColumnChange::DropDefault => target.default = None,
                ColumnChange::Type { data_type, declared, using } => {
                    (target.data_type, target.declared) = (*data_type, *declared);
                    let shared = super::context::Shared::default();
                    let ctx = super::context::Ctx::new(txn, params, session, &shared);
                    for row in &mut rows {
                        // The row as the USING expression sees it: its columns, then its rowid.
                        row.push(Value::Null);
                        let v = super::eval::eval(using, row, &ctx)?;
                        let v = crate::value::coerce_for_column(v, *data_type, &format_args!("{name}.{column}"))?;
                        row.pop();
                        row[at] = crate::value::declared::conform(v, *declared)?;
                    }
                }
            }
        }
        AlterOp::AddUnique { .. }
        | AlterOp::AddCheck { .. }
        | AlterOp::AddForeignKey { .. }
        | AlterOp::DropConstraint { .. } => {
            return Err(Error::invalid("internal error: this ALTER TABLE action needs no rebuild"));
        }
        AlterOp::RenameTable(to) => {
            if relation_exists(txn, to)? {
                return Err(Error::AlreadyExists { kind: "table", name: to.clone() });
            }
            def.name = to.clone();
            for fk in def.foreign_keys.iter_mut().filter(|f| f.parent == name) {
                fk.parent = to.clone();
            }
        }
    }
    txn.drop_table(name)?;
    let def = txn.create_table(def)?;
    if def.name != name {
        privileges::rename_relation(txn, name, &def.name)?;
    }
    for index in indexes {
        let cols: Vec<&str> =
            if index.expressions.is_empty() { index.columns.iter().map(String::as_str).collect() } else { vec![] };
        txn.create_derived_index(&def.name, &index.name, &cols, index.expressions, index.predicate, index.unique)?;
    }
    let def = txn.table(&def.name)?;
    for row in rows {
        txn.insert(&def, row)?;
    }
    // The tables referencing this one follow a renamed table or column.
    for child in children {
        let mut keys = child.foreign_keys.clone();
        for fk in keys.iter_mut().filter(|f| f.parent == name) {
            match op {
                AlterOp::RenameTable(to) => fk.parent = to.clone(),
                AlterOp::RenameColumn { from, to } => {
                    fk.parent_columns.iter_mut().filter(|c| *c == from).for_each(|c| *c = to.clone())
                }
                _ => {}
            }
        }
        if keys != child.foreign_keys {
            txn.set_foreign_keys(&child.name, keys)?;
        }
    }
    Ok(())
}

/// An index a table rebuild makes again, by column names and SQL text (positions change).
struct Remade {
    name: String,
    columns: Vec<String>,
    expressions: Vec<String>,
    predicate: Option<String>,
    unique: bool,
}

impl Remade {
    /// Whether the index's expressions or predicate read `column`.
    fn reads(&self, column: &str) -> bool {
        self.expressions.iter().chain(&self.predicate).any(|sql| {
            let mut found = false;
            if let Ok(mut e) = crate::parse::expression(sql) {
                rename_in_expr(&mut e, column, column, &mut found);
            }
            found
        })
    }

    fn rename_column(&mut self, from: &str, to: &str) -> Result<()> {
        self.columns.iter_mut().filter(|c| *c == from).for_each(|c| *c = to.to_string());
        for sql in self.expressions.iter_mut().chain(&mut self.predicate) {
            *sql = rename_column_in_sql(sql, from, to)?;
        }
        Ok(())
    }
}

/// Stored SQL (a CHECK, an index expression) with the column `from` called `to`.
fn rename_column_in_sql(sql: &str, from: &str, to: &str) -> Result<String> {
    let mut e = crate::parse::expression(sql)?;
    let mut found = false;
    rename_in_expr(&mut e, from, to, &mut found);
    Ok(if found { e.to_string() } else { sql.to_string() })
}

/// Renames the column `from` to `to` wherever `e` names it (alone or after a table name),
/// setting `found` if it does.
fn rename_in_expr(e: &mut sqlparser::ast::Expr, from: &str, to: &str, found: &mut bool) {
    use sqlparser::ast::{Expr, Ident};
    let _ = sqlparser::ast::visit_expressions_mut(e, |e| {
        let last = match e {
            Expr::Identifier(i) => Some(i),
            Expr::CompoundIdentifier(parts) => parts.last_mut(),
            _ => None,
        };
        if let Some(i) = last
            && crate::bind::ident(i) == from
        {
            *found = true;
            let plain = to.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                && to.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            *i = if plain { Ident::new(to) } else { Ident::with_quote('"', to) };
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
}

/// `base`, or `base1`, `base2`, … : the first that names no index (index names are the
/// database's, not the table's), as PostgreSQL chooses names it makes up.
fn free_index_name(txn: &Txn, base: &str) -> Result<String> {
    let taken: Vec<String> = txn.tables()?.into_iter().flat_map(|t| t.indexes.into_iter().map(|i| i.name)).collect();
    Ok((0..)
        .map(|n| if n == 0 { base.to_string() } else { format!("{base}{n}") })
        .find(|name| !taken.contains(name))
        .expect("a free name"))
}
