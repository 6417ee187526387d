//! The functions that read the catalog through the transaction: `::regclass` and its
//! output, the size functions, `pg_get_viewdef`, `pg_get_indexdef`,
//! `pg_get_constraintdef`, `obj_description` / `col_description`,
//! `pg_relation_is_publishable`.
//!
//! They take OIDs (or names, as `regclass` reads them) and answer from the transaction's
//! own view of the catalog, so a table created in the open transaction is found.

use braid_engine::{Txn, Value};

use super::ScalarFunction;
use crate::error::{Error, Result};
use crate::session::Session;
use crate::source::system;
use crate::value::{to_i64_lossy, to_text};

/// The names of the views, for OIDs (views are numbered in name order).
fn view_names(txn: &Txn) -> Result<Vec<String>> {
    Ok(crate::bind::ddl::views(txn)?.into_iter().map(|(name, _)| name).collect())
}

pub(super) fn call(f: ScalarFunction, args: &[Value], txn: &Txn, session: &Session) -> Result<Value> {
    use ScalarFunction::*;
    let oid = match args.first() {
        Some(Value::Integer(oid)) => Some(*oid),
        _ => None,
    };
    Ok(match f {
        RegClass | ToRegClass => return regclass(f, args, txn, session),
        RegNamespace | RegNamespaceName => return regnamespace(f, args, txn),
        TableIsVisible => match oid.map(|oid| relation_of_oid(txn, oid)).transpose()?.flatten() {
            Some(system::RelationName::System(_)) => Value::Boolean(true),
            Some(system::RelationName::Stored(stored)) => {
                let (path, schemas) = (session.search_path(), crate::names::Schemas::load(txn)?);
                let exists = |n: &str| crate::names::relation_exists(txn, n).unwrap_or(false);
                Value::Boolean(path.finds(&schemas, &stored, exists))
            }
            None => Value::Null,
        },
        RelationSize | IndexesSize | TotalRelationSize | DatabaseSize => return relation_size(f, args, txn),
        Publishable => match oid {
            Some(oid) => Value::Boolean(txn.tables()?.iter().any(|t| system::table_oid(t) == oid)),
            None => Value::Null,
        },
        Description => match oid {
            Some(oid) => description(oid, args.get(1), txn)?.map_or(Value::Null, Value::Text),
            None => Value::Null,
        },
        GetViewDef => {
            let mut views = crate::bind::ddl::views(txn)?;
            views.sort();
            let found = match args.first() {
                Some(Value::Integer(oid)) => {
                    usize::try_from(oid - system::VIEW_OID_BASE).ok().and_then(|i| views.get(i))
                }
                Some(Value::Null) | None => None,
                Some(name) => {
                    let stored = crate::names::find_text(txn, &session.search_path(), &to_text(name))?;
                    views.iter().find(|(n, _)| Some(n) == stored.as_ref())
                }
            };
            // PostgreSQL's definitions end with `;` (pg_dump cuts it off).
            found.map_or(Value::Null, |(_, sql)| Value::Text(format!("{sql};")))
        }
        RegClassName => match oid {
            Some(oid) => Value::Text(match relation_of_oid(txn, oid)? {
                Some(system::RelationName::System(text)) => text,
                Some(system::RelationName::Stored(stored)) => display(txn, session)?(&stored),
                None => oid.to_string(),
            }),
            None => args.first().cloned().unwrap_or_default(),
        },
        GetIndexDef | GetConstraintDef => {
            if args.first().is_none_or(Value::is_null) {
                return Ok(Value::Null);
            }
            let (tables, oid) = (txn.tables()?, to_i64_lossy(&args[0]));
            let def = match f {
                GetIndexDef => {
                    let pretty = args.get(2).is_some_and(|p| crate::value::truthy(p) == Some(true));
                    system::get_indexdef(&tables, oid, args.get(1).map_or(0, to_i64_lossy), pretty)
                }
                _ => system::get_constraintdef(&tables, oid, &display(txn, session)?),
            };
            def.map_or(Value::Null, Value::Text)
        }
        other => return Err(Error::invalid(format!("internal error: {}() does not read the catalog", other.name()))),
    })
}

/// The relation with this OID: a catalog, or a user relation (a sequence too) by its
/// stored name.
pub(super) fn relation_of_oid(txn: &Txn, oid: i64) -> Result<Option<system::RelationName>> {
    if let Some(found) = system::relation_name(&txn.tables()?, &view_names(txn)?, oid) {
        return Ok(Some(found));
    }
    let sequence = txn.sequences()?.into_iter().find(|s| super::sequence::oid(s) == oid);
    Ok(sequence.map(|s| system::RelationName::Stored(s.name)))
}

/// `obj_description(oid [, catalog])` / `col_description(table, n)`: the comment on an
/// object, if it has one. The second argument is a column number or a catalog's name.
fn description(oid: i64, second: Option<&Value>, txn: &Txn) -> Result<Option<String>> {
    let schemas = crate::names::Schemas::load(txn)?;
    let all = system::descriptions(&txn.tables()?, &view_names(txn)?, &txn.sequences()?, &txn.comments()?, &schemas);
    let (column, catalog) = match second {
        Some(Value::Integer(n)) => (*n, None),
        Some(Value::Null) | None => (0, None),
        Some(name) => (0, Some(to_text(name))),
    };
    let class = catalog.and_then(|c| system::relation_oid(&[], &[], &c));
    Ok(all
        .into_iter()
        .find(|(o, c, sub, _)| *o == oid && *sub == column && class.is_none_or(|k| k == *c))
        .map(|(_, _, _, text)| text))
}

/// `x::regclass` and `to_regclass(x)`: an OID as it is, or a relation's name (possibly
/// qualified, possibly quoted) as its OID. A name that is no relation is 42P01 for the cast,
/// NULL for `to_regclass`.
fn regclass(f: ScalarFunction, args: &[Value], txn: &Txn, session: &Session) -> Result<Value> {
    let arg = args.first().unwrap_or(&Value::Null);
    match arg {
        Value::Null => return Ok(Value::Null),
        Value::Integer(_) if f == ScalarFunction::RegClass => return Ok(arg.clone()),
        _ => {}
    }
    let name = to_text(arg);
    if f == ScalarFunction::RegClass
        && let Ok(oid) = name.trim().parse::<i64>()
    {
        return Ok(Value::Integer(oid));
    }
    // The catalogs first: `pg_catalog` is searched before the path.
    let mut parts = system::split_qualified(&name);
    let bare = parts.pop().unwrap_or_default();
    match parts.pop() {
        Some(schema) if system::is_system_schema(&schema) => {
            if let Some(t) = system::lookup(Some(&schema), &bare) {
                return Ok(Value::Integer(system::system_oid(t)));
            }
        }
        None => {
            if let Some(t) = system::lookup(None, &bare) {
                return Ok(Value::Integer(system::system_oid(t)));
            }
        }
        Some(_) => {}
    }
    let found = match crate::names::find_text(txn, &session.search_path(), &name)? {
        Some(stored) => match system::relation_oid(&txn.tables()?, &view_names(txn)?, &stored) {
            Some(oid) => Some(oid),
            None => txn.sequence(&stored)?.map(|s| super::sequence::oid(&s)),
        },
        None => None,
    };
    match found {
        Some(oid) => Ok(Value::Integer(oid)),
        None if f == ScalarFunction::ToRegClass => Ok(Value::Null),
        None => Err(Error::not_found("relation", name)),
    }
}

/// `x::regnamespace` (a schema's name to its OID) and its output (an OID to the name).
fn regnamespace(f: ScalarFunction, args: &[Value], txn: &Txn) -> Result<Value> {
    let schemas = crate::names::Schemas::load(txn)?;
    Ok(match (f, args.first().unwrap_or(&Value::Null)) {
        (_, Value::Null) => Value::Null,
        (ScalarFunction::RegNamespaceName, Value::Integer(oid)) => {
            Value::Text(schemas.name(*oid).map_or_else(|| oid.to_string(), str::to_string))
        }
        (ScalarFunction::RegNamespaceName, other) => other.clone(),
        (_, Value::Integer(oid)) => Value::Integer(*oid),
        (_, other) => {
            let name = to_text(other);
            match name
                .trim()
                .parse::<i64>()
                .ok()
                .or_else(|| schemas.oid(&system::split_qualified(&name).pop().unwrap_or_default()))
            {
                Some(oid) => Value::Integer(oid),
                None => return Err(Error::not_found("schema", name)),
            }
        }
    })
}

/// How `regclass` prints stored names in this session: bare where its search path finds
/// them, else qualified.
fn display<'a>(txn: &'a Txn, session: &Session) -> Result<impl Fn(&str) -> String + 'a> {
    let (path, schemas) = (session.search_path(), crate::names::Schemas::load(txn)?);
    Ok(move |stored: &str| {
        crate::names::display(stored, &path, &schemas, |n| crate::names::relation_exists(txn, n).unwrap_or(false))
    })
}

/// The size functions: see [`ScalarFunction::RelationSize`] and its kin. The relation
/// argument arrives as an OID (the binder casts it to `regclass`).
fn relation_size(f: ScalarFunction, args: &[Value], txn: &Txn) -> Result<Value> {
    use crate::source::system::{index_of_oid, relation_name, table_oid};
    let tables = txn.tables()?;
    if f == ScalarFunction::DatabaseSize {
        let mut total = 0;
        for t in &tables {
            let (rows, indexes) = txn.storage_bytes(t)?;
            total += rows + indexes.iter().map(|(_, b)| b).sum::<u64>();
        }
        return Ok(Value::Integer(total as i64));
    }
    let Some(Value::Integer(oid)) = args.first() else { return Ok(Value::Null) };
    let bytes = if let Some(t) = tables.iter().find(|t| table_oid(t) == *oid) {
        let (rows, indexes) = txn.storage_bytes(t)?;
        let indexes: u64 = indexes.iter().map(|(_, b)| b).sum();
        match f {
            ScalarFunction::RelationSize => rows,
            ScalarFunction::IndexesSize => indexes,
            _ => rows + indexes,
        }
    } else if let Some((t, index)) = index_of_oid(&tables, *oid) {
        let (_, indexes) = txn.storage_bytes(t)?;
        match f {
            ScalarFunction::IndexesSize => 0,
            _ => indexes.iter().find(|(id, _)| Some(*id) == index).map_or(0, |(_, b)| *b),
        }
    } else {
        match relation_name(&tables, &view_names(txn)?, *oid) {
            Some(_) => 0,
            None => return Ok(Value::Null),
        }
    };
    Ok(Value::Integer(bytes as i64))
}
