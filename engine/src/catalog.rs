//! The catalog: table, column and index definitions, stored in the key space itself.
//!
//! Definitions live under [`Key::Table`] as rkyv archives (validated when read), written
//! through the same MVCC transactions as rows, so DDL is transactional: a table created in
//! a rolled-back transaction never existed, and a concurrent DDL on the same table is a
//! write-write conflict like any other. Indexes are part of their table's definition.
//!
//! The engine enforces types, NOT NULL, PRIMARY KEY and UNIQUE. DEFAULT and CHECK are
//! stored as SQL text for the SQL layer, which owns expressions; foreign keys are stored
//! here and enforced there too (their actions run SQL: cascades, SET DEFAULT).

use rkyv::rancor;

use crate::error::{Error, Result};
use crate::keys::{Key, KeyPrefix};
use crate::mvcc::Transaction;
use crate::storage::Storage;
use crate::types::DataType;

/// A column of a table.
#[derive(Debug, Clone, PartialEq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct ColumnDef {
    pub name: String,
    pub data_type: DataType,
    pub nullable: bool,
    /// The DEFAULT expression, as SQL text (evaluated by the SQL layer).
    pub default: Option<String>,
    pub unique: bool,
    /// The type the column was declared with, as the SQL layer names it (`None`: the
    /// storage type's own). Since format 2.
    pub declared: Option<DeclaredType>,
}

/// The SQL layer's name for a column's type: PostgreSQL's type OID and type modifier
/// (`varchar(20)` is OID 1043 with modifier 24, `integer` OID 23 with -1). The engine keeps
/// it and never reads it: values are stored, compared and encoded by the column's
/// [`DataType`], so a `smallint` costs what any integer costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct DeclaredType {
    pub oid: u32,
    pub typmod: i32,
}

impl ColumnDef {
    /// A nullable column without default or constraints.
    pub fn new(name: impl Into<String>, data_type: DataType) -> Self {
        ColumnDef { name: name.into(), data_type, nullable: true, default: None, unique: false, declared: None }
    }

    /// Records the type the column was declared with (see [`DeclaredType`]).
    pub fn declared(mut self, declared: Option<DeclaredType>) -> Self {
        self.declared = declared;
        self
    }

    pub fn not_null(mut self) -> Self {
        self.nullable = false;
        self
    }

    pub fn unique(mut self) -> Self {
        self.unique = true;
        self
    }

    pub fn default_sql(mut self, sql: impl Into<String>) -> Self {
        self.default = Some(sql.into());
        self
    }
}

/// How an index is organised. Only `BTree` exists so far; `Hash` and `Bitmap` come later
/// behind the same [`crate::index::Index`] trait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
#[non_exhaustive]
pub enum IndexKind {
    BTree,
}

/// A secondary index.
#[derive(Debug, Clone, PartialEq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct IndexDef {
    pub id: u64,
    pub name: String,
    /// Positions of the indexed columns in the table.
    pub columns: Vec<u32>,
    pub unique: bool,
    pub kind: IndexKind,
}

/// What a foreign key does to referencing rows when the referenced row is deleted or its
/// key updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub enum ReferentialAction {
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

/// A foreign key of a table: its `columns` must match the `parent_columns` (its primary key
/// or a unique key) of a row of `parent`, unless one of them is NULL. Columns are kept by
/// name, so that rebuilding either table (ALTER TABLE) leaves the key valid. Stored here and
/// enforced by the SQL layer, which owns what the actions do (SET DEFAULT evaluates SQL).
#[derive(Debug, Clone, PartialEq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct ForeignKeyDef {
    pub name: String,
    pub columns: Vec<String>,
    pub parent: String,
    pub parent_columns: Vec<String>,
    pub on_delete: ReferentialAction,
    pub on_update: ReferentialAction,
    /// `DEFERRABLE` / `INITIALLY DEFERRED`, as declared (for the catalogs).
    pub deferrable: bool,
    pub initially_deferred: bool,
}

/// A table.
#[derive(Debug, Clone, PartialEq, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub struct TableDef {
    pub id: u64,
    pub name: String,
    pub columns: Vec<ColumnDef>,
    /// The INTEGER PRIMARY KEY column, whose value is the rowid.
    pub rowid_alias: Option<u32>,
    /// Primary key columns (empty: none). Other than an INTEGER alias, enforced by a unique
    /// index.
    pub primary_key: Vec<u32>,
    /// Table CHECK constraints, as SQL text.
    pub checks: Vec<String>,
    pub indexes: Vec<IndexDef>,
    /// Since format 2.
    pub foreign_keys: Vec<ForeignKeyDef>,
}

impl TableDef {
    /// A table definition to pass to `create_table` (its id is assigned there).
    pub fn new(name: impl Into<String>, columns: Vec<ColumnDef>) -> Self {
        TableDef {
            id: 0,
            name: name.into(),
            columns,
            rowid_alias: None,
            primary_key: Vec::new(),
            checks: Vec::new(),
            indexes: Vec::new(),
            foreign_keys: Vec::new(),
        }
    }

    /// Sets the primary key by column names.
    pub fn primary_key(mut self, columns: &[&str]) -> Result<Self> {
        self.primary_key = columns.iter().map(|c| self.column_index(c).map(|i| i as u32)).collect::<Result<_>>()?;
        Ok(self)
    }

    pub fn check_sql(mut self, sql: impl Into<String>) -> Self {
        self.checks.push(sql.into());
        self
    }

    /// The position of a column by name.
    pub fn column_index(&self, name: &str) -> Result<usize> {
        self.columns
            .iter()
            .position(|c| c.name == name)
            .ok_or_else(|| Error::NotFound { kind: "column", name: format!("{}.{name}", self.name) })
    }

    /// Whether column `i` can never be NULL: declared NOT NULL, or the INTEGER PRIMARY KEY
    /// (the rowid).
    pub fn is_not_null(&self, i: usize) -> bool {
        self.columns.get(i).is_some_and(|c| !c.nullable) || self.rowid_alias == Some(i as u32)
    }

    pub fn index(&self, name: &str) -> Option<&IndexDef> {
        self.indexes.iter().find(|i| i.name == name)
    }

    pub(crate) fn encode(&self) -> Result<Vec<u8>> {
        let bytes =
            rkyv::to_bytes::<rancor::Error>(self).map_err(|e| Error::invalid(format!("cannot encode table: {e}")))?;
        Ok(bytes.into_vec())
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self> {
        rkyv::from_bytes::<TableDef, rancor::Error>(bytes).map_err(|e| Error::corrupt(format!("table definition: {e}")))
    }
}

/// Table definitions as format 1 wrote them (columns without a declared type), read once
/// to migrate a format-1 database to format 2.
mod v1 {
    use rkyv::rancor;

    use crate::error::{Error, Result};
    use crate::types::DataType;

    #[derive(rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
    pub struct ColumnDef {
        pub name: String,
        pub data_type: DataType,
        pub nullable: bool,
        pub default: Option<String>,
        pub unique: bool,
    }

    // Frozen copies of format 1's index types: the current ones may change.
    #[derive(rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
    pub enum IndexKind {
        BTree,
    }

    #[derive(rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
    pub struct IndexDef {
        pub id: u64,
        pub name: String,
        pub columns: Vec<u32>,
        pub unique: bool,
        pub kind: IndexKind,
    }

    #[derive(rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
    pub struct TableDef {
        pub id: u64,
        pub name: String,
        pub columns: Vec<ColumnDef>,
        pub rowid_alias: Option<u32>,
        pub primary_key: Vec<u32>,
        pub checks: Vec<String>,
        pub indexes: Vec<IndexDef>,
    }

    pub fn decode(bytes: &[u8]) -> Result<super::TableDef> {
        let old = rkyv::from_bytes::<TableDef, rancor::Error>(bytes)
            .map_err(|e| Error::corrupt(format!("format-1 table definition: {e}")))?;
        let columns = old
            .columns
            .into_iter()
            .map(|c| super::ColumnDef {
                name: c.name,
                data_type: c.data_type,
                nullable: c.nullable,
                default: c.default,
                unique: c.unique,
                declared: None,
            })
            .collect();
        Ok(super::TableDef {
            id: old.id,
            name: old.name,
            columns,
            rowid_alias: old.rowid_alias,
            primary_key: old.primary_key,
            checks: old.checks,
            indexes: old
                .indexes
                .into_iter()
                .map(|i| super::IndexDef {
                    id: i.id,
                    name: i.name,
                    columns: i.columns,
                    unique: i.unique,
                    kind: match i.kind {
                        IndexKind::BTree => super::IndexKind::BTree,
                    },
                })
                .collect(),
            foreign_keys: Vec::new(),
        })
    }
}

/// Rewrites every table definition of a format-1 database in format 2's layout.
pub(crate) fn migrate_from_v1<S: Storage>(txn: &mut Transaction<S>) -> Result<()> {
    let old: Vec<Vec<u8>> = txn
        .scan_prefix(&KeyPrefix::Table.encode())?
        .map(|item| item.map(|(_, v)| v.as_ref().to_vec()))
        .collect::<Result<_>>()?;
    for bytes in old {
        put_table(txn, &v1::decode(&bytes)?)?;
    }
    Ok(())
}

/// Reads a table definition.
pub(crate) fn get_table<S: Storage>(txn: &Transaction<S>, name: &str) -> Result<Option<TableDef>> {
    txn.get(&Key::Table(name).encode())?.map(|bytes| TableDef::decode(&bytes)).transpose()
}

pub(crate) fn put_table<S: Storage>(txn: &mut Transaction<S>, def: &TableDef) -> Result<()> {
    txn.set(Key::Table(&def.name).encode(), def.encode()?)
}

pub(crate) fn delete_table<S: Storage>(txn: &mut Transaction<S>, name: &str) -> Result<()> {
    txn.delete(Key::Table(name).encode())
}

pub(crate) fn list_tables<S: Storage>(txn: &Transaction<S>) -> Result<Vec<TableDef>> {
    txn.scan_prefix(&KeyPrefix::Table.encode())?.map(|item| TableDef::decode(&item?.1)).collect()
}

/// Allocates a table or index id. Concurrent DDL conflicts on this key, which serialises it.
pub(crate) fn next_object_id<S: Storage>(txn: &mut Transaction<S>) -> Result<u64> {
    let key = Key::Meta("next_object_id").encode();
    let id = match txn.get(&key)? {
        Some(bytes) => u64::from_be_bytes(bytes.as_ref().try_into().map_err(|_| Error::corrupt("object id counter"))?),
        None => 1,
    };
    txn.set(key, (id + 1).to_be_bytes().to_vec())?;
    Ok(id)
}
