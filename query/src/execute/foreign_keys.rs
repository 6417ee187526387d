//! Enforcing foreign keys as a write statement runs (the links come from the binder:
//! [`crate::plan::foreign_keys`]).
//!
//! - A row written to a table with foreign keys must find, for each key whose columns are all
//!   non-NULL, its parent row (PostgreSQL's MATCH SIMPLE). It is checked after the row is
//!   written, so a row may reference itself.
//! - A row deleted, or whose referenced key changes, acts on the rows that reference it, as
//!   each key says: RESTRICT fails at once; CASCADE deletes them or moves their key along;
//!   SET NULL and SET DEFAULT rewrite their key; NO ACTION (the default) fails only if
//!   referencing rows still exist when the statement's own writes are done ([`Pending`]),
//!   so `DELETE FROM t` on a self-referencing table succeeds as in PostgreSQL.
//!
//! Cascades walk a work list rather than recursing, so a long chain of referencing rows
//! cannot exhaust the stack.
//!
//! Not done: constraints declared DEFERRABLE are checked like the others, at the statement,
//! not at COMMIT; rows rewritten by SET NULL / SET DEFAULT are not checked against the child's
//! CHECK constraints; SQLite's `INSERT OR REPLACE` and an upsert's DO UPDATE check the new
//! row's own keys but do not act on rows referencing the row they replace.

use braid_engine::{ReferentialAction, TableDef, Txn, Value};

use super::context::{Ctx, Shared};
use super::eval::eval;
use crate::connection::ParamValues;
use crate::error::{ConstraintKind, Error, Result};
use crate::plan::foreign_keys::{ChildLink, ForeignKeys, Lookup, TableLinks};
use crate::session::Session;

/// What SET DEFAULT evaluates its defaults with.
pub(super) struct Env<'a> {
    pub params: &'a ParamValues,
    pub session: &'a Session,
}

/// NO ACTION checks left for the end of the statement: a key that referencing rows must no
/// longer hold.
#[derive(Default)]
pub(super) struct Pending {
    checks: Vec<(String, ChildLink, Vec<Value>)>,
    /// Rows written to a table with foreign keys (the table, the old row of an update, the
    /// new row), whose parents are looked up at the statement's end, as PostgreSQL's
    /// referential triggers do: a statement may insert a row before the parent it references.
    rows: Vec<(String, Option<Vec<Value>>, Vec<Value>)>,
}

impl Pending {
    /// Notes a row written to `table` (from `old`, for an update) to check at the end.
    pub(super) fn written(&mut self, table: &str, old: Option<&[Value]>, row: Vec<Value>) {
        self.rows.push((table.to_string(), old.map(<[Value]>::to_vec), row));
    }
}

/// Checks that `row`, just written to `table`, finds a parent row for each foreign key.
pub(super) fn check_parents(txn: &mut Txn, links: &TableLinks, table: &str, row: &[Value]) -> Result<()> {
    check_changed_parents(txn, links, table, None, row)
}

/// Checks the foreign keys of a row changed from `old` to `row` whose values changed (all
/// of them for a new row): as in PostgreSQL, a key the update left alone is not checked
/// again.
fn check_changed_parents(
    txn: &mut Txn,
    links: &TableLinks,
    table: &str,
    old: Option<&[Value]>,
    row: &[Value],
) -> Result<()> {
    for link in &links.parents {
        if old.is_some_and(|old| link.columns.iter().all(|&c| old[c] == row[c])) {
            continue;
        }
        let key: Vec<Value> = link.columns.iter().map(|&c| row[c].clone()).collect();
        if key.iter().any(Value::is_null) {
            continue;
        }
        // The parent row must stay until this transaction commits: a concurrent delete of
        // it that commits first makes this one fail (40001), and the other way round.
        let found = match &link.lookup {
            Lookup::Rowid => match key[0] {
                Value::Integer(rowid) => {
                    txn.depend_on_key(&link.parent, None, &key)?;
                    txn.get_ref(&link.parent, rowid)?.is_some()
                }
                _ => false,
            },
            Lookup::Index(index) => {
                txn.depend_on_key(&link.parent, Some(index), &key)?;
                !txn.index_lookup(&link.parent, index, &key)?.is_empty()
            }
            Lookup::Scan => return Err(Error::invalid("internal error: a parent key without a unique lookup")),
        };
        if !found {
            let names: Vec<&str> = link.declared.iter().map(|(n, _)| n.as_str()).collect();
            return Err(Error::constraint(
                ConstraintKind::ForeignKey,
                format!(
                    "insert or update on table \"{}\" violates foreign key constraint \"{}\"\nDETAIL:  {} is not present in table \"{}\".",
                    crate::names::bare(table),
                    link.name,
                    key_text(&names, link.declared.iter().map(|(_, c)| &row[*c])),
                    crate::names::bare(&link.parent.name)
                ),
            ));
        }
    }
    Ok(())
}

/// A change to a row that rows of other tables may reference.
enum Change {
    Deleted { table: String, old: Vec<Value> },
    Updated { table: String, old: Vec<Value>, new: Vec<Value> },
}

/// Acts on the rows referencing `old`, just deleted from `table`.
pub(super) fn deleted(
    txn: &mut Txn,
    keys: &ForeignKeys,
    table: &str,
    old: &[Value],
    pending: &mut Pending,
    env: &Env,
) -> Result<()> {
    run(txn, keys, Change::Deleted { table: table.to_string(), old: old.to_vec() }, pending, env)
}

/// Acts on the rows referencing `old`, just replaced by `new` in `table`.
pub(super) fn updated(
    txn: &mut Txn,
    keys: &ForeignKeys,
    table: &str,
    old: &[Value],
    new: &[Value],
    pending: &mut Pending,
    env: &Env,
) -> Result<()> {
    let changed = Change::Updated { table: table.to_string(), old: old.to_vec(), new: new.to_vec() };
    run(txn, keys, changed, pending, env)
}

fn run(txn: &mut Txn, keys: &ForeignKeys, first: Change, pending: &mut Pending, env: &Env) -> Result<()> {
    let mut work = vec![first];
    while let Some(change) = work.pop() {
        let (table, old, new) = match &change {
            Change::Deleted { table, old } => (table, old, None),
            Change::Updated { table, old, new } => (table, old, Some(new)),
        };
        let Some(links) = keys.of(table) else { continue };
        for link in &links.children {
            let key: Vec<Value> = link.parent_columns.iter().map(|&c| old[c].clone()).collect();
            if key.iter().any(Value::is_null) {
                continue;
            }
            let new_key: Option<Vec<Value>> = new.map(|n| link.parent_columns.iter().map(|&c| n[c].clone()).collect());
            if new_key.as_ref().is_some_and(|k| *k == key) {
                continue;
            }
            let action = if new.is_some() { link.on_update } else { link.on_delete };
            match action {
                ReferentialAction::NoAction => pending.checks.push((table.clone(), link.clone(), key)),
                ReferentialAction::Restrict => {
                    if !referencing(txn, link, &key)?.is_empty() {
                        return Err(violation(table, link, &key));
                    }
                }
                ReferentialAction::Cascade if new_key.is_none() => {
                    for (rowid, row) in referencing(txn, link, &key)? {
                        if txn.delete(&link.child, rowid)? {
                            work.push(Change::Deleted { table: link.child.name.clone(), old: row });
                        }
                    }
                }
                ReferentialAction::Cascade | ReferentialAction::SetNull | ReferentialAction::SetDefault => {
                    let values = match (action, &new_key) {
                        (ReferentialAction::Cascade, Some(k)) => conform(link, k.clone())?,
                        (ReferentialAction::SetNull, _) => vec![Value::Null; key.len()],
                        _ => defaults(txn, link, env)?,
                    };
                    for (rowid, row) in referencing(txn, link, &key)? {
                        let mut changed = row.clone();
                        for (&c, v) in link.columns.iter().zip(&values) {
                            changed[c] = v.clone();
                        }
                        txn.update(&link.child, rowid, changed.clone())?;
                        // A default must itself be a key of the parent, even the one just
                        // removed (PostgreSQL looks again whatever the default is). Only
                        // this key: the child's others may be rewritten by actions still
                        // to come.
                        if action == ReferentialAction::SetDefault
                            && let Some(child_links) = keys.of(&link.child.name)
                        {
                            let only = child_links.parents.iter().filter(|p| p.name == link.name).cloned().collect();
                            let only = TableLinks { parents: only, children: vec![] };
                            check_parents(txn, &only, &link.child.name, &changed)?;
                        }
                        work.push(Change::Updated { table: link.child.name.clone(), old: row, new: changed });
                    }
                }
            }
        }
    }
    Ok(())
}

/// The checks left for the end of the statement: each row written finds its parents, and
/// no row references a NO ACTION key that no parent row holds any more.
pub(super) fn check_pending(txn: &mut Txn, keys: &ForeignKeys, pending: Pending) -> Result<()> {
    for (table, old, row) in &pending.rows {
        if let Some(links) = keys.of(table) {
            check_changed_parents(txn, links, table, old.as_deref(), row)?;
        }
    }
    for (table, link, key) in &pending.checks {
        if parent_holds(txn, link, key)? {
            continue;
        }
        if !referencing(txn, link, key)?.is_empty() {
            return Err(violation(table, link, key));
        }
    }
    Ok(())
}

/// Whether a row of the parent holds `key` (in `parent_columns` order).
fn parent_holds(txn: &Txn, link: &ChildLink, key: &[Value]) -> Result<bool> {
    let (lookup, order) = &link.parent_lookup;
    let values: Vec<Value> = order.iter().map(|&k| key[k].clone()).collect();
    Ok(match lookup {
        Lookup::Rowid => match values[0] {
            Value::Integer(rowid) => txn.get_ref(&link.parent, rowid)?.is_some(),
            _ => false,
        },
        Lookup::Index(index) => !txn.index_lookup(&link.parent, index, &values)?.is_empty(),
        Lookup::Scan => false,
    })
}

/// Key values moved into the child by a cascade, converted to and checked against the child
/// columns' types (a parent `bigint` key may not fit a child `integer` column).
fn conform(link: &ChildLink, values: Vec<Value>) -> Result<Vec<Value>> {
    values
        .into_iter()
        .zip(&link.columns)
        .map(|(v, &c)| {
            let column = &link.child.columns[c];
            let v = crate::value::coerce_for_column(v, column.data_type, &column.name)?;
            crate::value::declared::conform(v, column.declared)
        })
        .collect()
}

/// A parent row's key, still referenced, went: PostgreSQL's message and detail.
fn violation(table: &str, link: &ChildLink, key: &[Value]) -> Error {
    let names: Vec<&str> = link.parent_columns.iter().map(|&c| link.parent.columns[c].name.as_str()).collect();
    let child = crate::names::bare(&link.child.name);
    Error::constraint(
        ConstraintKind::ForeignKey,
        format!(
            "update or delete on table \"{}\" violates foreign key constraint \"{}\" on table \"{child}\"\nDETAIL:  {} is still referenced from table \"{child}\".",
            crate::names::bare(table),
            link.name,
            key_text(&names, key),
        ),
    )
}

/// `Key (a, b)=(1, x)`, as PostgreSQL's constraint details show a key.
fn key_text<'a>(names: &[&str], values: impl IntoIterator<Item = &'a Value>) -> String {
    let values: Vec<String> = values.into_iter().map(crate::value::to_text).collect();
    format!("Key ({})=({})", names.join(", "), values.join(", "))
}

/// The rows of the child whose key columns hold `key`, with their rowids. The transaction
/// relies on that set not changing: a concurrent insert of a referencing row that commits
/// first makes it fail (40001).
fn referencing(txn: &mut Txn, link: &ChildLink, key: &[Value]) -> Result<Vec<(i64, Vec<Value>)>> {
    let child: &TableDef = &link.child;
    match &link.lookup {
        Lookup::Rowid => txn.depend_on_key(child, None, key)?,
        Lookup::Index(index) => txn.depend_on_key(child, Some(index), key)?,
        Lookup::Scan => txn.depend_on_key(child, None, &[])?,
    }
    let rowids = match &link.lookup {
        Lookup::Rowid => match key[0] {
            Value::Integer(rowid) => vec![rowid],
            _ => vec![],
        },
        Lookup::Index(index) => txn.index_lookup(child, index, key)?,
        Lookup::Scan => {
            let mut found = vec![];
            for row in txn.scan(child, ..)? {
                let row = row?;
                let values = row.values()?;
                if link.columns.iter().zip(key).all(|(&c, k)| values[c] == *k) {
                    found.push((row.rowid, values));
                }
            }
            return Ok(found);
        }
    };
    let mut found = vec![];
    for rowid in rowids {
        if let Some(row) = txn.get(child, rowid)? {
            found.push((rowid, row));
        }
    }
    Ok(found)
}

/// The child key columns' defaults, for SET DEFAULT.
fn defaults(txn: &Txn, link: &ChildLink, env: &Env) -> Result<Vec<Value>> {
    let shared = Shared::default();
    let ctx = Ctx::new(txn, env.params, env.session, &shared);
    let values = link.defaults.iter().map(|e| eval(e, &[], &ctx)).collect::<Result<Vec<_>>>()?;
    conform(link, values)
}
