//! Foreign keys as a write statement needs them: resolved once, when the statement is bound,
//! into links between tables that say where to look.
//!
//! A write to table T checks each of T's foreign keys ([`ParentLink`]: the parent row a new
//! key must match) and acts on each foreign key of another table that references T
//! ([`ChildLink`]: the rows whose key matched an old one). A cascade writes to the child
//! table, whose own links it needs in turn, so [`ForeignKeys`] holds the links of every table
//! a statement can reach, by name. A prepared statement is planned again after any DDL (the
//! schema generation), so these links are never stale.
//!
//! For a table with no foreign keys that nothing references, the set is empty and running a
//! write costs nothing more (binding an UPDATE or DELETE reads the catalog once to learn
//! that).

/// An action as SQL spells it (`ON DELETE SET NULL`, `information_schema`'s rules).
pub fn action_sql(a: ReferentialAction) -> &'static str {
    match a {
        ReferentialAction::NoAction => "NO ACTION",
        ReferentialAction::Restrict => "RESTRICT",
        ReferentialAction::Cascade => "CASCADE",
        ReferentialAction::SetNull => "SET NULL",
        ReferentialAction::SetDefault => "SET DEFAULT",
    }
}

use std::collections::HashMap;
use std::sync::Arc;

use braid_engine::{ReferentialAction, TableDef};

use super::Expr;

/// How rows with given key values are found in a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// The key is the table's INTEGER PRIMARY KEY: one point read.
    Rowid,
    /// An index whose leading columns are the key's columns, in the key's order.
    Index(String),
    /// No index serves: a scan of the table (as PostgreSQL does for an unindexed
    /// referencing column).
    Scan,
}

/// One foreign key of a written table: the parent row its values must match.
#[derive(Debug, Clone)]
pub struct ParentLink {
    pub name: String,
    /// Positions of the key's columns in the written table, in the parent lookup's order.
    pub columns: Vec<usize>,
    /// The key's columns as the constraint declares them, name and position, for the
    /// violation's `Key (…)=(…)` detail.
    pub declared: Vec<(String, usize)>,
    pub parent: Arc<TableDef>,
    /// How the parent row is found: its primary key or a unique index.
    pub lookup: Lookup,
}

/// A foreign key of another table (the child) that references a written table.
#[derive(Debug, Clone)]
pub struct ChildLink {
    pub name: String,
    pub child: Arc<TableDef>,
    /// Positions of the key's columns in the child.
    pub columns: Vec<usize>,
    /// Positions of the referenced columns in the written table.
    pub parent_columns: Vec<usize>,
    /// How the child rows holding a key are found.
    pub lookup: Lookup,
    /// The written (parent) table, and how a row of it holding a key is found: the lookup,
    /// and the positions in `parent_columns` of the values it takes, in its order. A NO
    /// ACTION key is not broken when another parent row holds it by the statement's end.
    pub parent: Arc<TableDef>,
    pub parent_lookup: (Lookup, Vec<usize>),
    pub on_delete: ReferentialAction,
    pub on_update: ReferentialAction,
    /// For SET DEFAULT: the child columns' DEFAULT expressions, one per key column.
    pub defaults: Vec<Expr>,
}

/// The links of one table.
#[derive(Debug, Clone, Default)]
pub struct TableLinks {
    pub parents: Vec<ParentLink>,
    pub children: Vec<ChildLink>,
}

/// The links of every table a write statement can reach, by table name.
#[derive(Debug, Clone, Default)]
pub struct ForeignKeys {
    pub tables: HashMap<String, TableLinks>,
}

impl ForeignKeys {
    /// Whether the statement has nothing to check or do.
    pub fn is_empty(&self) -> bool {
        self.tables.values().all(|t| t.parents.is_empty() && t.children.is_empty())
    }

    /// The links of `table` (none if it has none).
    pub fn of(&self, table: &str) -> Option<&TableLinks> {
        self.tables.get(table)
    }
}

/// Where each of `columns` (names) stands in `table`.
pub fn positions(table: &TableDef, columns: &[String]) -> Option<Vec<usize>> {
    columns.iter().map(|c| table.columns.iter().position(|col| col.name == *c)).collect()
}

/// How the one row of a parent whose `key` columns (positions) hold given values is found:
/// its INTEGER PRIMARY KEY, or a unique index on exactly those columns (in any order).
/// Returns the lookup and, for each column the lookup takes in turn, its place in `key`.
/// `None`: no primary key or unique constraint matches the key (42830).
pub fn parent_lookup(parent: &TableDef, key: &[usize]) -> Option<(Lookup, Vec<usize>)> {
    if let ([c], Some(alias)) = (key, parent.rowid_alias)
        && *c == alias as usize
    {
        return Some((Lookup::Rowid, vec![0]));
    }
    parent.indexes.iter().filter(|i| i.unique && !i.is_derived() && i.columns.len() == key.len()).find_map(|i| {
        let order: Option<Vec<usize>> = i.columns.iter().map(|&c| key.iter().position(|&k| k == c as usize)).collect();
        order.map(|order| (Lookup::Index(i.name.clone()), order))
    })
}

/// How the rows of a child whose `key` columns (positions) hold given values are found: its
/// rowid, an index whose leading columns are the key's in order, or a scan.
pub fn child_lookup(child: &TableDef, key: &[usize]) -> Lookup {
    if let ([c], Some(alias)) = (key, child.rowid_alias)
        && *c == alias as usize
    {
        return Lookup::Rowid;
    }
    let leads = |columns: &[u32]| columns.len() >= key.len() && columns.iter().zip(key).all(|(&c, &k)| c as usize == k);
    match child.indexes.iter().find(|i| !i.is_derived() && leads(&i.columns)) {
        Some(i) => Lookup::Index(i.name.clone()),
        None => Lookup::Scan,
    }
}
