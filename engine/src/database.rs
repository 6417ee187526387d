//! [`Database`] and [`Txn`]: the engine's public API over tables, indexes and raw keys.
//!
//! ```
//! use braid_engine::{ColumnDef, DataType, Database, TableDef, Value};
//!
//! let db = Database::open_in_memory()?;
//! let mut tx = db.begin()?;
//! let users = tx.create_table(
//!     TableDef::new("users", vec![
//!         ColumnDef::new("id", DataType::Integer),
//!         ColumnDef::new("email", DataType::Text).not_null().unique(),
//!     ])
//!     .primary_key(&["id"])?,
//! )?;
//! let id = tx.insert(&users, vec![Value::Null, "ada@example.org".into()])?;
//! tx.commit()?;
//!
//! let tx = db.begin_read_only()?;
//! let users = tx.table("users")?;
//! assert_eq!(tx.get(&users, id)?, Some(vec![Value::Integer(id), "ada@example.org".into()]));
//! # Ok::<(), braid_engine::Error>(())
//! ```

use std::collections::HashMap;
use std::ops::{Bound, RangeBounds};
use std::path::Path;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::catalog::{self, ForeignKeyDef, IndexDef, TableDef};
use crate::encoding::row;
use crate::error::{ConstraintKind, Error, Result};
use crate::index::{self, Index, IndexScan};
use crate::keys::{Key, KeyPrefix, decode_row_key};
use crate::mvcc::{LockMode, LockWait, Locked, Synchronous, Transaction, TransactionManager};
use crate::roles::{self, Membership, Object, Privileges, RoleDef};
use crate::schema::{self, SchemaDef};
use crate::sequence::{self, Position, SequenceDef};
use crate::storage::{AnyStorage, Backend, Direction, Snapshot, Storage, prefix_range};
use crate::table::{RowBlocks, RowRef, RowScan, RowidAllocator, rowid_range, validate_row};
use crate::types::{DataType, Value};

/// The on-disk format this build writes and reads. Stored under `Meta("format")`.
pub const FORMAT_VERSION: u64 = 3;

/// How to open a database.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub backend: Backend,
    pub synchronous: Synchronous,
    /// Page cache size in bytes (backend default if `None`).
    pub cache_bytes: Option<usize>,
}

/// An open database. A handle: clones share one database, across threads; each thread
/// begins its own transactions.
pub struct Database<S: Storage = AnyStorage> {
    shared: Arc<Shared<S>>,
}

impl<S: Storage> Clone for Database<S> {
    fn clone(&self) -> Self {
        Database { shared: self.shared.clone() }
    }
}

/// Computes the entries of expression and partial indexes, whose definitions are SQL. The
/// SQL layer installs one with [`Database::set_index_keys`]; the engine calls it wherever
/// it writes an index entry, so every write path (INSERT, UPDATE, cascades, COPY, table
/// rebuilds) keeps such indexes as complete as plain ones.
pub trait IndexKeys<S: Storage>: Send + Sync {
    /// The key of `row` (the table's columns) in `index`, or `None` when a partial index's
    /// predicate leaves the row out. Errors of the SQL it evaluates come back as
    /// [`Error::Expression`].
    fn key(&self, txn: &Txn<S>, table: &TableDef, index: &IndexDef, row: &[Value]) -> Result<Option<Vec<Value>>>;
}

struct Shared<S: Storage> {
    txns: TransactionManager<RowBlocks<S>>,
    index_keys: std::sync::OnceLock<Arc<dyn IndexKeys<S>>>,
    rowids: Mutex<HashMap<u64, Arc<RowidAllocator>>>,
    /// Where each sequence stands, by its `uid` (see [`crate::sequence`]).
    sequences: Mutex<HashMap<u64, Position>>,
}

impl Database<AnyStorage> {
    /// Opens (creating if needed) the database in directory `path` on the default backend
    /// with `synchronous = full`. The path `:memory:` opens an in-memory database.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, Options::default())
    }

    /// Opens with explicit options.
    pub fn open_with(path: impl AsRef<Path>, mut options: Options) -> Result<Self> {
        if path.as_ref() == Path::new(":memory:") {
            options.backend = Backend::Memory;
        }
        let storage = AnyStorage::open(options.backend, path.as_ref(), options.cache_bytes)?;
        // Rows are packed into blocks except on sled, whose writer deadlocks under load
        // with values of block size (spacejam/sled#1412; docs/storage.md has the stacks).
        let rows = match options.backend {
            Backend::Sled => RowBlocks::unpacked(storage),
            Backend::Redb | Backend::Memory => RowBlocks::new(storage),
        };
        Database::with_rows(rows, options.synchronous)
    }

    /// A new, empty in-memory database.
    pub fn open_in_memory() -> Result<Self> {
        Self::open_with(":memory:", Options::default())
    }
}

impl<S: Storage> Database<S> {
    /// Runs the database over any store, rows packed into blocks.
    pub fn with_storage(storage: S, synchronous: Synchronous) -> Result<Self> {
        Self::with_rows(RowBlocks::new(storage), synchronous)
    }

    /// Runs the database over a store with the row layout chosen by the caller.
    pub fn with_rows(rows: RowBlocks<S>, synchronous: Synchronous) -> Result<Self> {
        let shared = Shared {
            txns: TransactionManager::new(rows, synchronous),
            index_keys: std::sync::OnceLock::new(),
            rowids: Mutex::new(HashMap::new()),
            sequences: Mutex::new(HashMap::new()),
        };
        let db = Database { shared: Arc::new(shared) };
        db.check_format()?;
        Ok(db)
    }

    /// Writes the format version into a new database; refuses one written in another format.
    fn check_format(&self) -> Result<()> {
        let mut txn = self.shared.txns.begin()?;
        let key = Key::Meta("format").encode();
        match txn.get(&key)? {
            Some(bytes) => {
                let version = <[u8; 8]>::try_from(bytes.as_ref())
                    .map(u64::from_be_bytes)
                    .map_err(|_| Error::corrupt("format version record"))?;
                match version {
                    FORMAT_VERSION => Ok(()),
                    1 | 2 => {
                        // Format 2 added each column's declared type; format 3 each
                        // index's expressions and predicate.
                        catalog::migrate_from(version, &mut txn)?;
                        txn.set(key, FORMAT_VERSION.to_be_bytes().to_vec())?;
                        txn.commit().map(|_| ())
                    }
                    _ => Err(Error::Unsupported(format!(
                        "database format {version}; this build reads formats 1 to {FORMAT_VERSION}"
                    ))),
                }
            }
            None => {
                let non_empty = txn.scan((Bound::Unbounded, Bound::Unbounded), Direction::Forward)?.next().is_some();
                if non_empty {
                    return Err(Error::corrupt("database has data but no format version"));
                }
                txn.set(key, FORMAT_VERSION.to_be_bytes().to_vec())?;
                txn.commit().map(|_| ())
            }
        }
    }

    /// Installs what computes the entries of expression and partial indexes (once; the SQL
    /// layer does it when it opens the database). Later calls change nothing.
    pub fn set_index_keys(&self, keys: Arc<dyn IndexKeys<S>>) {
        let _ = self.shared.index_keys.set(keys);
    }

    /// Begins a read-write transaction.
    pub fn begin(&self) -> Result<Txn<S>> {
        Ok(self.wrap(self.shared.txns.begin()?))
    }

    /// Begins a read-only transaction: a stable snapshot that never conflicts.
    pub fn begin_read_only(&self) -> Result<Txn<S>> {
        Ok(self.wrap(self.shared.txns.begin_read_only()?))
    }

    fn wrap(&self, txn: Transaction<RowBlocks<S>>) -> Txn<S> {
        Txn { db: self.clone(), txn, last_rowids: None, last_dependency: None, lock_wait: LockWait::Block(None) }
    }

    /// Makes every commit so far durable.
    pub fn flush(&self) -> Result<()> {
        self.shared.txns.flush()
    }

    /// The store underneath (rows in it are packed into blocks).
    pub fn storage(&self) -> &S {
        self.shared.txns.storage().inner()
    }

    pub fn synchronous(&self) -> Synchronous {
        self.shared.txns.synchronous()
    }

    /// Makes a sequence's position durable in a commit of its own (retried if a concurrent
    /// commit touched the key: positions are written under the sequences' lock, so only a
    /// DDL can).
    fn log_sequence(&self, uid: u64, last: i64, called: bool) -> Result<()> {
        loop {
            let mut txn = self.shared.txns.begin()?;
            txn.set(sequence::position_key(uid), Position::encode(last, called))?;
            match txn.commit() {
                Err(e) if e.is_retryable() => continue,
                other => return other.map(|_| ()),
            }
        }
    }

    /// A sequence's position as last made durable, or a fresh one.
    fn load_sequence(&self, def: &SequenceDef) -> Result<Position> {
        let txn = self.shared.txns.begin_read_only()?;
        match txn.get(&sequence::position_key(def.uid))? {
            Some(bytes) => Position::decode(bytes.as_ref()),
            None => Ok(Position::fresh(def)),
        }
    }

    /// The rowid counter of a table, initialised from its largest committed rowid.
    fn rowids(&self, table: u64) -> Result<Arc<RowidAllocator>> {
        let mut map = self.shared.rowids.lock();
        if let Some(alloc) = map.get(&table) {
            return Ok(alloc.clone());
        }
        let snapshot = self.shared.txns.storage().snapshot()?;
        let last = snapshot.scan(prefix_range(&KeyPrefix::Rows { table }.encode()), Direction::Reverse)?.next();
        let max_used = last.transpose()?.map(|(k, _)| decode_row_key(k.as_ref())).transpose()?.map(|(_, r)| r);
        let alloc = Arc::new(RowidAllocator::after(max_used));
        map.insert(table, alloc.clone());
        Ok(alloc)
    }
}

/// What a comment is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentTarget {
    pub kind: CommentKind,
    /// The relation's or schema's name.
    pub name: String,
    /// For a column's comment, the column.
    pub column: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentKind {
    /// A table, view, sequence or index (and its columns).
    Relation,
    Schema,
}

impl CommentTarget {
    const PREFIX: &'static str = "comment\0";

    /// The meta key's name: the kind, the name and the column, separated by NUL (which no
    /// name holds).
    fn key(&self) -> String {
        let kind = match self.kind {
            CommentKind::Relation => "r",
            CommentKind::Schema => "n",
        };
        format!("{}{kind}\0{}\0{}", Self::PREFIX, self.name, self.column.as_deref().unwrap_or(""))
    }

    fn from_key(key: &str) -> Result<CommentTarget> {
        let bad = || Error::corrupt(format!("comment key {key:?}"));
        let mut parts = key.strip_prefix(Self::PREFIX).ok_or_else(bad)?.split('\0');
        let kind = match parts.next() {
            Some("r") => CommentKind::Relation,
            Some("n") => CommentKind::Schema,
            _ => return Err(bad()),
        };
        let name = parts.next().ok_or_else(bad)?.to_string();
        let column = parts.next().filter(|c| !c.is_empty()).map(str::to_string);
        Ok(CommentTarget { kind, name, column })
    }
}

/// A transaction over tables, indexes and raw keys. Dropping it rolls it back. It holds a
/// handle to its database, so it may outlive the `Database` value it was begun from.
pub struct Txn<S: Storage = AnyStorage> {
    db: Database<S>,
    txn: Transaction<RowBlocks<S>>,
    /// The rowid counter of the table last inserted into (saves a shared lock per insert).
    last_rowids: Option<(u64, Arc<RowidAllocator>)>,
    /// The table whose definition was last declared a dependency (saves encoding its key
    /// on every row write).
    last_dependency: Option<u64>,
    /// How UPDATE and DELETE wait for a row another transaction has locked.
    lock_wait: LockWait,
}

type Bytes<S> = <<RowBlocks<S> as Storage>::Snapshot as Snapshot>::Bytes;

impl<S: Storage> Txn<S> {
    /// Commits; on [`Error::Serialization`] retry the whole transaction.
    pub fn commit(self) -> Result<u64> {
        self.txn.commit()
    }

    pub fn rollback(self) {
        self.txn.rollback()
    }

    /// The underlying key-value transaction, for models built on raw keys.
    pub fn kv(&mut self) -> &mut Transaction<RowBlocks<S>> {
        &mut self.txn
    }

    /// The underlying key-value transaction, for reads.
    pub fn kv_ref(&self) -> &Transaction<RowBlocks<S>> {
        &self.txn
    }

    // ---- catalog ----

    /// Creates a table. Assigns its id, makes an INTEGER primary key the rowid alias, and
    /// creates unique indexes for other primary keys and UNIQUE columns.
    pub fn create_table(&mut self, mut def: TableDef) -> Result<TableDef> {
        if catalog::get_table(&self.txn, &def.name)?.is_some() {
            return Err(Error::AlreadyExists { kind: "table", name: def.name });
        }
        if def.columns.is_empty() {
            return Err(Error::invalid(format!("table \"{}\" must have at least one column", def.name)));
        }
        for (i, c) in def.columns.iter().enumerate() {
            if def.columns[..i].iter().any(|o| o.name == c.name) {
                return Err(Error::invalid(format!("duplicate column name \"{}\"", c.name)));
            }
        }
        if def.primary_key.iter().any(|&c| c as usize >= def.columns.len()) {
            return Err(Error::invalid("primary key names a column the table lacks"));
        }
        def.id = catalog::next_object_id(&mut self.txn)?;
        def.indexes.clear();
        def.rowid_alias = None;
        match def.primary_key.as_slice() {
            [] => {}
            [c] if def.columns[*c as usize].data_type == DataType::Integer => def.rowid_alias = Some(*c),
            pk => {
                let pk = pk.to_vec();
                for &c in &pk {
                    def.columns[c as usize].nullable = false;
                }
                let name = format!("{}_pkey", def.name);
                self.add_index_def(&mut def, name, pk, true)?;
            }
        }
        for c in 0..def.columns.len() {
            if def.columns[c].unique && def.rowid_alias != Some(c as u32) {
                let name = format!("{}_{}_key", def.name, def.columns[c].name);
                self.add_index_def(&mut def, name, vec![c as u32], true)?;
            }
        }
        catalog::put_table(&mut self.txn, &def)?;
        Ok(def)
    }

    fn add_index_def(&mut self, def: &mut TableDef, name: String, columns: Vec<u32>, unique: bool) -> Result<IndexDef> {
        let taken = def.indexes.iter().any(|i| i.name == name)
            || self.tables()?.iter().any(|t| t.id != def.id && t.index(&name).is_some());
        if taken {
            return Err(Error::AlreadyExists { kind: "index", name });
        }
        let index = IndexDef::plain(catalog::next_object_id(&mut self.txn)?, name, columns, unique);
        def.indexes.push(index.clone());
        Ok(index)
    }

    /// Drops a table with its rows and indexes.
    pub fn drop_table(&mut self, name: &str) -> Result<()> {
        let def = self.table(name)?;
        self.depend_on_rows(&def);
        self.delete_prefix(&KeyPrefix::Rows { table: def.id }.encode())?;
        for index in &def.indexes {
            self.delete_prefix(&KeyPrefix::Index { index: index.id }.encode())?;
        }
        catalog::delete_table(&mut self.txn, name)
    }

    /// Deletes every row of a table and every entry of its indexes, keeping the table, its
    /// definition and its rowid counter (so a rowid is never reused while the process runs).
    /// It conflicts, as DROP does, with any concurrent write to the table's rows.
    pub fn truncate(&mut self, name: &str) -> Result<()> {
        let def = self.table(name)?;
        self.depend_on_rows(&def);
        self.depend_on_definition(&def);
        self.delete_prefix(&KeyPrefix::Rows { table: def.id }.encode())?;
        for index in &def.indexes {
            self.delete_prefix(&KeyPrefix::Index { index: index.id }.encode())?;
        }
        Ok(())
    }

    /// The bytes a table's rows take, and each of its indexes' entries (by index id): keys
    /// and values as this transaction sees them, before the storage backend's own pages.
    /// It reads every entry, so it costs a scan of the table and its indexes.
    pub fn storage_bytes(&self, table: &TableDef) -> Result<(u64, Vec<(u64, u64)>)> {
        let bytes = |prefix: KeyPrefix| -> Result<u64> {
            self.txn.scan_prefix(&prefix.encode())?.try_fold(0u64, |sum, item| {
                let (k, v) = item?;
                Ok(sum + (k.as_ref().len() + v.as_ref().len()) as u64)
            })
        };
        let rows = bytes(KeyPrefix::Rows { table: table.id })?;
        let indexes = table
            .indexes
            .iter()
            .map(|i| Ok((i.id, bytes(KeyPrefix::Index { index: i.id })?)))
            .collect::<Result<_>>()?;
        Ok((rows, indexes))
    }

    fn delete_prefix(&mut self, prefix: &[u8]) -> Result<()> {
        let keys: Vec<Vec<u8>> =
            self.txn.scan_prefix(prefix)?.map(|item| item.map(|(k, _)| k.as_ref().to_vec())).collect::<Result<_>>()?;
        keys.into_iter().try_for_each(|k| self.txn.delete(k))
    }

    /// The definition of a table, or [`Error::NotFound`].
    pub fn table(&self, name: &str) -> Result<TableDef> {
        catalog::get_table(&self.txn, name)?.ok_or_else(|| Error::NotFound { kind: "table", name: name.to_string() })
    }

    /// Whether a table exists.
    pub fn has_table(&self, name: &str) -> Result<bool> {
        Ok(catalog::get_table(&self.txn, name)?.is_some())
    }

    /// Every table, by name.
    pub fn tables(&self) -> Result<Vec<TableDef>> {
        catalog::list_tables(&self.txn)
    }

    // ---- sequences (see `crate::sequence`) ----

    /// Creates a sequence; its name may be no other relation's.
    pub fn create_sequence(&mut self, mut def: SequenceDef) -> Result<SequenceDef> {
        def.validate()?;
        if self.sequence(&def.name)?.is_some() || catalog::get_table(&self.txn, &def.name)?.is_some() {
            return Err(Error::AlreadyExists { kind: "relation", name: def.name });
        }
        def.id = catalog::next_object_id(&mut self.txn)?;
        def.uid = sequence::fresh_uid();
        self.txn.set(sequence::def_key(&def.name), def.encode()?)?;
        Ok(def)
    }

    /// A sequence's definition, if there is one of that name.
    pub fn sequence(&self, name: &str) -> Result<Option<SequenceDef>> {
        self.txn.get(&sequence::def_key(name))?.map(|b| SequenceDef::decode(b.as_ref())).transpose()
    }

    /// Every sequence, by name.
    pub fn sequences(&self) -> Result<Vec<SequenceDef>> {
        self.txn
            .scan_prefix(&KeyPrefix::MetaStartingWith("sequence/").encode())?
            .map(|item| SequenceDef::decode(item?.1.as_ref()))
            .collect()
    }

    /// Replaces a sequence's definition (ALTER SEQUENCE; its position is kept).
    pub fn alter_sequence(&mut self, def: &SequenceDef) -> Result<()> {
        def.validate()?;
        if self.sequence(&def.name)?.is_none_or(|old| old.id != def.id) {
            return Err(Error::NotFound { kind: "sequence", name: def.name.clone() });
        }
        self.txn.set(sequence::def_key(&def.name), def.encode()?)
    }

    /// Drops a sequence. Its durable position stays behind, keyed by a uid never reused.
    pub fn drop_sequence(&mut self, name: &str) -> Result<()> {
        if self.sequence(name)?.is_none() {
            return Err(Error::NotFound { kind: "sequence", name: name.to_string() });
        }
        self.drop_comments(name)?;
        roles::delete_privileges(&mut self.txn, &Object::Relation(name.to_string()))?;
        self.txn.delete(sequence::def_key(name))
    }

    /// Hands out the sequence's next value, for good: a rollback does not return it. The
    /// position is written by a commit of its own, so this transaction may be read-only
    /// (an autocommitted SELECT calling `nextval`).
    pub fn nextval(&self, def: &SequenceDef) -> Result<i64> {
        let mut positions = self.db.shared.sequences.lock();
        let position = match positions.get(&def.uid) {
            Some(p) => *p,
            None => self.db.load_sequence(def)?,
        };
        let (value, mut next) = position.advance(def)?;
        if next.needs_log(def, value, &position) {
            let logged = Position::log_ahead(def, value);
            self.db.log_sequence(def.uid, logged, true)?;
            next.logged = logged;
        }
        positions.insert(def.uid, next);
        Ok(value)
    }

    /// Sets where the sequence stands (`setval`, `ALTER SEQUENCE … RESTART`): the next
    /// value is `value` itself, or the one after it when `called`.
    pub fn setval(&self, def: &SequenceDef, value: i64, called: bool) -> Result<()> {
        if !(def.min..=def.max).contains(&value) {
            return Err(Error::SequenceLimit(format!(
                "setval: value {value} is out of bounds for sequence \"{}\" ({}..{})",
                def.name, def.min, def.max
            )));
        }
        let mut positions = self.db.shared.sequences.lock();
        self.db.log_sequence(def.uid, value, called)?;
        positions.insert(def.uid, Position { last: value, called, logged: value });
        Ok(())
    }

    /// Where the sequence stands now (`SELECT last_value, is_called FROM seq`).
    pub fn sequence_position(&self, def: &SequenceDef) -> Result<Position> {
        let positions = self.db.shared.sequences.lock();
        match positions.get(&def.uid) {
            Some(p) => Ok(*p),
            None => self.db.load_sequence(def),
        }
    }

    // ---- schemas (see `crate::schema`) ----

    /// A schema made by CREATE SCHEMA, by name.
    pub fn schema(&self, name: &str) -> Result<Option<SchemaDef>> {
        schema::get(&self.txn, name)
    }

    /// Every schema made by CREATE SCHEMA, by name.
    pub fn schemas(&self) -> Result<Vec<SchemaDef>> {
        schema::list(&self.txn)
    }

    /// Creates a schema, giving it an id; its name may be no other schema's.
    pub fn create_schema(&mut self, name: &str) -> Result<SchemaDef> {
        if self.schema(name)?.is_some() {
            return Err(Error::AlreadyExists { kind: "schema", name: name.to_string() });
        }
        let def = SchemaDef { name: name.to_string(), id: catalog::next_object_id(&mut self.txn)? };
        schema::put(&mut self.txn, &def)?;
        Ok(def)
    }

    /// Whether the built-in `public` schema has been dropped (and not created again).
    pub fn public_schema_dropped(&self) -> Result<bool> {
        schema::public_dropped(&self.txn)
    }

    /// Marks `public` dropped, or there again. Its relations are the caller's to drop first.
    pub fn set_public_schema_dropped(&mut self, dropped: bool) -> Result<()> {
        schema::set_public_dropped(&mut self.txn, dropped)
    }

    /// Drops a schema record. Its relations are the caller's to drop first.
    pub fn drop_schema(&mut self, name: &str) -> Result<()> {
        if self.schema(name)?.is_none() {
            return Err(Error::NotFound { kind: "schema", name: name.to_string() });
        }
        schema::delete(&mut self.txn, name)
    }

    // ---- comments (COMMENT ON) ----

    /// Sets (`Some`) or removes (`None`) the comment on an object. Comments on a relation
    /// and its columns go when the relation is dropped.
    pub fn set_comment(&mut self, target: &CommentTarget, text: Option<&str>) -> Result<()> {
        let key = Key::Meta(&target.key()).encode();
        match text {
            Some(text) => self.txn.set(key, text.as_bytes().to_vec()),
            None => self.txn.delete(key),
        }
    }

    /// Every comment, with what it is on.
    pub fn comments(&self) -> Result<Vec<(CommentTarget, String)>> {
        self.txn
            .scan_prefix(&KeyPrefix::MetaStartingWith(CommentTarget::PREFIX).encode())?
            .map(|item| {
                let (key, value) = item?;
                let target = CommentTarget::from_key(&crate::keys::decode_meta_key(key.as_ref())?)?;
                let text = String::from_utf8(value.as_ref().to_vec()).map_err(|_| Error::corrupt("comment text"))?;
                Ok((target, text))
            })
            .collect()
    }

    /// Removes the comments on a relation and its columns (DROP of a table, view, index).
    pub fn drop_comments(&mut self, relation: &str) -> Result<()> {
        for (target, _) in self.comments()? {
            if target.kind == CommentKind::Relation && target.name == relation {
                self.set_comment(&target, None)?;
            }
        }
        Ok(())
    }

    // ---- roles and privileges (see `crate::roles`) ----

    /// A role by name (the bootstrap superuser is always there).
    pub fn role(&self, name: &str) -> Result<Option<RoleDef>> {
        roles::get_role(&self.txn, name)
    }

    /// Every role, by name.
    pub fn roles(&self) -> Result<Vec<RoleDef>> {
        roles::list_roles(&self.txn)
    }

    /// Creates a role, giving it an OID; its name may be no other role's.
    pub fn create_role(&mut self, mut role: RoleDef) -> Result<RoleDef> {
        if self.role(&role.name)?.is_some() {
            return Err(Error::AlreadyExists { kind: "role", name: role.name });
        }
        let id = catalog::next_object_id(&mut self.txn)?;
        role.oid = u32::try_from(id)
            .ok()
            .and_then(|id| id.checked_add(roles::FIRST_ROLE_OID))
            .ok_or_else(|| Error::invalid("out of role OIDs"))?;
        roles::put_role(&mut self.txn, &role, None)?;
        Ok(role)
    }

    /// Replaces the role stored as `name` (by OID: the role may be renamed).
    pub fn alter_role(&mut self, name: &str, role: &RoleDef) -> Result<()> {
        let old = self.role(name)?.ok_or_else(|| Error::NotFound { kind: "role", name: name.to_string() })?;
        if old.oid != role.oid {
            return Err(Error::invalid("a role keeps its OID"));
        }
        if role.name != name && self.role(&role.name)?.is_some() {
            return Err(Error::AlreadyExists { kind: "role", name: role.name.clone() });
        }
        roles::put_role(&mut self.txn, role, Some(name))
    }

    /// Drops a role. What it owns or was granted is the caller's to check first.
    pub fn drop_role(&mut self, name: &str) -> Result<()> {
        if self.role(name)?.is_none() {
            return Err(Error::NotFound { kind: "role", name: name.to_string() });
        }
        roles::delete_role(&mut self.txn, name)
    }

    /// Every role membership (`GRANT role TO member`).
    pub fn memberships(&self) -> Result<Vec<Membership>> {
        roles::list_memberships(&self.txn)
    }

    /// Records (replaces) a membership.
    pub fn grant_membership(&mut self, membership: &Membership) -> Result<()> {
        roles::put_membership(&mut self.txn, membership)
    }

    /// Removes a membership (none: nothing to do).
    pub fn revoke_membership(&mut self, role: u32, member: u32) -> Result<()> {
        roles::delete_membership(&mut self.txn, role, member)
    }

    /// An object's owner and ACL, if a record is stored (none: the bootstrap superuser owns
    /// it, with the default ACL).
    pub fn privileges(&self, object: &Object) -> Result<Option<Privileges>> {
        roles::get_privileges(&self.txn, object)
    }

    /// Every stored privileges record.
    pub fn all_privileges(&self) -> Result<Vec<(Object, Privileges)>> {
        roles::list_privileges(&self.txn)
    }

    /// Stores (`Some`) or removes (`None`) an object's privileges record.
    pub fn set_privileges(&mut self, object: &Object, privileges: Option<&Privileges>) -> Result<()> {
        match privileges {
            Some(p) => roles::put_privileges(&mut self.txn, object, p),
            None => roles::delete_privileges(&mut self.txn, object),
        }
    }

    /// A named secret kept beside the catalog (the server's login verifiers), never
    /// visible to SQL.
    pub fn secret(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let key = Key::Meta(&format!("secret:{name}")).encode();
        Ok(self.txn.get(&key)?.map(|bytes| bytes.as_ref().to_vec()))
    }

    /// Stores (replaces) a named secret; see [`secret`](Self::secret).
    pub fn set_secret(&mut self, name: &str, value: Vec<u8>) -> Result<()> {
        self.txn.set(Key::Meta(&format!("secret:{name}")).encode(), value)
    }

    /// Every secret whose name starts with `prefix`, with its name.
    pub fn secrets(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
        self.txn
            .scan_prefix(&KeyPrefix::MetaStartingWith(&format!("secret:{prefix}")).encode())?
            .map(|item| {
                let (key, value) = item?;
                let name = crate::keys::decode_meta_key(key.as_ref())?;
                Ok((name["secret:".len()..].to_string(), value.as_ref().to_vec()))
            })
            .collect()
    }

    /// Removes a named secret.
    pub fn delete_secret(&mut self, name: &str) -> Result<()> {
        self.txn.delete(Key::Meta(&format!("secret:{name}")).encode())
    }

    /// Creates a btree index on `columns` of `table` and fills it from the existing rows.
    pub fn create_index(&mut self, table: &str, name: &str, columns: &[&str], unique: bool) -> Result<TableDef> {
        self.create_derived_index(table, name, columns, Vec::new(), None, unique)
    }

    /// Creates a btree index keyed by `columns`, or by the SQL `expressions` (an expression
    /// index; `columns` then empty), holding only the rows `predicate` accepts if one is
    /// given (a partial index), and fills it from the existing rows. Their entries come from
    /// the [`IndexKeys`] the SQL layer installed.
    pub fn create_derived_index(
        &mut self,
        table: &str,
        name: &str,
        columns: &[&str],
        expressions: Vec<String>,
        predicate: Option<String>,
        unique: bool,
    ) -> Result<TableDef> {
        let mut def = self.table(table)?;
        let positions = columns.iter().map(|c| def.column_index(c).map(|i| i as u32)).collect::<Result<Vec<_>>>()?;
        if positions.is_empty() == expressions.is_empty() {
            return Err(Error::invalid("an index needs columns or expressions"));
        }
        let mut index = self.add_index_def(&mut def, name.to_string(), positions, unique)?;
        index.expressions = expressions;
        index.predicate = predicate;
        *def.indexes.last_mut().expect("just added") = index.clone();
        self.depend_on_rows(&def);
        let rows: Vec<(i64, Vec<Value>)> =
            self.scan(&def, ..)?.map(|r| r.and_then(|r| Ok((r.rowid, r.values()?)))).collect::<Result<_>>()?;
        for (rowid, row) in rows {
            if let Some(key) = self.index_key(&def, &index, &row)? {
                index::open(&index).insert(&mut self.txn, &key, rowid)?;
            }
        }
        catalog::put_table(&mut self.txn, &def)?;
        Ok(def)
    }

    /// Adds a CHECK constraint (SQL text, evaluated by the SQL layer, which has already
    /// tested the rows in place against it).
    pub fn add_check(&mut self, table: &str, sql: &str) -> Result<TableDef> {
        let mut def = self.table(table)?;
        def.checks.push(sql.to_string());
        catalog::put_table(&mut self.txn, &def)?;
        Ok(def)
    }

    /// Adds a foreign key (the SQL layer has checked the rows in place against it).
    pub fn add_foreign_key(&mut self, table: &str, fk: ForeignKeyDef) -> Result<TableDef> {
        let mut def = self.table(table)?;
        if def.foreign_keys.iter().any(|f| f.name == fk.name) {
            return Err(Error::AlreadyExists { kind: "constraint", name: fk.name });
        }
        def.foreign_keys.push(fk);
        catalog::put_table(&mut self.txn, &def)?;
        Ok(def)
    }

    /// Replaces the foreign keys of a table (dropping one, or following a renamed column or
    /// table).
    pub fn set_foreign_keys(&mut self, table: &str, foreign_keys: Vec<ForeignKeyDef>) -> Result<TableDef> {
        let mut def = self.table(table)?;
        def.foreign_keys = foreign_keys;
        catalog::put_table(&mut self.txn, &def)?;
        Ok(def)
    }

    /// Drops an index (by name, from whichever table holds it).
    pub fn drop_index(&mut self, name: &str) -> Result<()> {
        let mut def = self
            .tables()?
            .into_iter()
            .find(|t| t.index(name).is_some())
            .ok_or_else(|| Error::NotFound { kind: "index", name: name.to_string() })?;
        let pos = def.indexes.iter().position(|i| i.name == name).expect("found above");
        let index = def.indexes.remove(pos);
        // A column's UNIQUE lives on as its flag, from which a rebuild would make the index
        // again: dropping the index drops the flag too.
        if let [c] = index.columns.as_slice()
            && let Some(column) = def.columns.get_mut(*c as usize)
            && index.name == format!("{}_{}_key", def.name, column.name)
        {
            column.unique = false;
        }
        self.depend_on_rows(&def);
        self.delete_prefix(&KeyPrefix::Index { index: index.id }.encode())?;
        catalog::put_table(&mut self.txn, &def)
    }

    /// Row writes rely on the table definition they were checked against: a concurrent
    /// CREATE/DROP INDEX or DROP TABLE that commits first makes this transaction conflict.
    fn depend_on_definition(&mut self, table: &TableDef) {
        if self.last_dependency == Some(table.id) {
            return;
        }
        self.last_dependency = Some(table.id);
        let mut key = Key::Table(&table.name).encode();
        let start = key.clone();
        key.push(0); // the smallest key after it
        self.txn.depend_on(start, key);
    }

    /// Declares that this transaction relies on which rows of `table` hold `values` not
    /// changing before it commits: the rows whose entries in `index` start with `values`,
    /// or with no index the row whose rowid is `values[0]`, or with neither every row. A
    /// transaction that commits first and writes such a row (or entry) makes this one fail
    /// with [`Error::Serialization`]. Foreign keys rely on it: a new child row on its parent
    /// staying, a deleted parent on no child of it appearing.
    pub fn depend_on_key(&mut self, table: &TableDef, index: Option<&str>, values: &[Value]) -> Result<()> {
        let prefix = match (index, values.first()) {
            (Some(name), _) => {
                let def = table.index(name).ok_or_else(|| Error::NotFound { kind: "index", name: name.to_string() })?;
                KeyPrefix::IndexValues { index: def.id, values }.encode()
            }
            (None, Some(Value::Integer(rowid))) => {
                let mut key = crate::keys::row_key_array(table.id, *rowid).to_vec();
                let start = key.clone();
                key.push(0);
                self.txn.depend_on(start, key);
                return Ok(());
            }
            (None, _) => {
                self.depend_on_rows(table);
                return Ok(());
            }
        };
        let end = crate::encoding::keycode::prefix_end(&prefix).unwrap_or_else(|| vec![0xFF; prefix.len() + 1]);
        self.txn.depend_on(prefix, end);
        Ok(())
    }

    /// Index DDL reads every row of the table: a concurrent row write that commits first
    /// makes this transaction conflict (else the new index would miss that row).
    fn depend_on_rows(&mut self, table: &TableDef) {
        let prefix = KeyPrefix::Rows { table: table.id }.encode();
        let end = crate::encoding::keycode::prefix_end(&prefix).unwrap_or_else(|| vec![0xFF; prefix.len() + 1]);
        self.txn.depend_on(prefix, end);
    }

    // ---- rows ----

    /// Inserts a row; returns its rowid. For a rowid-alias column, NULL means "assign one".
    pub fn insert(&mut self, table: &TableDef, mut row: Vec<Value>) -> Result<i64> {
        validate_row(table, &mut row)?;
        self.depend_on_definition(table);
        let rowids = match &self.last_rowids {
            Some((id, rowids)) if *id == table.id => rowids.clone(),
            _ => {
                let rowids = self.db.rowids(table.id)?;
                self.last_rowids = Some((table.id, rowids.clone()));
                rowids
            }
        };
        // Fresh rowids (allocated, or above the high-water mark) need no existence check.
        let (rowid, fresh) = match table.rowid_alias.map(|c| &mut row[c as usize]) {
            Some(slot @ Value::Null) => {
                let rowid = rowids.allocate()?;
                *slot = Value::Integer(rowid);
                (rowid, true)
            }
            Some(Value::Integer(rowid)) => (*rowid, rowids.observe(*rowid)),
            Some(_) => unreachable!("validate_row checked the alias is INTEGER"),
            None => (rowids.allocate()?, true),
        };
        let key = Key::Row { table: table.id, rowid }.encode();
        if !fresh && self.txn.contains(&key)? {
            return Err(Error::constraint(
                ConstraintKind::Unique,
                format!(
                    "duplicate key value violates unique constraint \"{}_pkey\"\nDETAIL:  {}",
                    crate::error::bare(&table.name),
                    rowid_exists(table, rowid)
                ),
            ));
        }
        // Check every constraint before writing anything: a failed insert leaves no trace.
        let mut entries = Vec::with_capacity(table.indexes.len());
        for def in &table.indexes {
            if let Some(values) = self.index_key(table, def, &row)? {
                entries.push((def, values));
            }
        }
        for (def, values) in &entries {
            index::open(def).check(&self.txn, values).map_err(|e| key_exists(e, table, def, values))?;
        }
        let encoded = row::encode(&row)?;
        for (def, values) in &entries {
            index::open(def).insert(&mut self.txn, values, rowid)?;
        }
        self.txn.set(key, encoded)?;
        Ok(rowid)
    }

    /// Locks row `rowid` of `table` until this transaction ends (`SELECT … FOR UPDATE`;
    /// UPDATE and DELETE lock the rows they write themselves): see [`crate::mvcc::LockMode`]
    /// and [`LockWait`]. `Ok(false)`: another transaction holds it and `wait` said to skip.
    /// Under snapshot isolation a row another transaction changed and committed after this
    /// one began still fails this one's commit (40001); the lock makes the second writer
    /// wait for the first instead of racing it, and a rollback of the first lets it through.
    pub fn lock_row(&mut self, table: &TableDef, rowid: i64, mode: LockMode, wait: LockWait) -> Result<bool> {
        match self.txn.lock_row((table.id, rowid), mode, wait)? {
            Locked::Granted | Locked::NotHeld => Ok(true),
            Locked::Skipped => Ok(false),
            // The holder may have changed the row and committed: this snapshot's version is
            // then stale, and writing over it would lose that update (PostgreSQL's
            // REPEATABLE READ fails here too, rather than at commit).
            Locked::AfterWait => {
                if self.txn.changed_since_start(&Key::Row { table: table.id, rowid }.encode())? {
                    return Err(Error::Serialization);
                }
                Ok(true)
            }
        }
    }

    /// How UPDATE and DELETE wait for a locked row from now on (`lock_timeout`, as a
    /// [`LockWait::Block`] bound).
    pub fn set_lock_wait(&mut self, wait: LockWait) {
        self.lock_wait = wait;
    }

    /// Replaces the row at `rowid`; returns false if there is none. Changing the rowid-alias
    /// column moves the row.
    pub fn update(&mut self, table: &TableDef, rowid: i64, mut row: Vec<Value>) -> Result<bool> {
        validate_row(table, &mut row)?;
        self.depend_on_definition(table);
        self.lock_row(table, rowid, LockMode::Exclusive, self.lock_wait)?;
        let Some(old) = self.get(table, rowid)? else { return Ok(false) };
        let new_rowid = match table.rowid_alias.map(|c| &mut row[c as usize]) {
            Some(Value::Integer(r)) => *r,
            Some(slot) => {
                *slot = Value::Integer(rowid);
                rowid
            }
            None => rowid,
        };
        if new_rowid != rowid && self.txn.contains(&Key::Row { table: table.id, rowid: new_rowid }.encode())? {
            return Err(Error::constraint(
                ConstraintKind::Unique,
                format!(
                    "duplicate key value violates unique constraint \"{}_pkey\"\nDETAIL:  {}",
                    crate::error::bare(&table.name),
                    rowid_exists(table, new_rowid)
                ),
            ));
        }
        // Check every constraint before writing anything: a failed update leaves no trace.
        let mut changes = Vec::new();
        for def in &table.indexes {
            let (before, after) = (self.index_key(table, def, &old)?, self.index_key(table, def, &row)?);
            if before != after
                && let Some(after) = &after
            {
                index::open(def).check(&self.txn, after).map_err(|e| key_exists(e, table, def, after))?;
            }
            if before != after || new_rowid != rowid {
                changes.push((def, before, after));
            }
        }
        let encoded = row::encode(&row)?;
        if new_rowid != rowid {
            self.db.rowids(table.id)?.observe(new_rowid);
            self.txn.delete(Key::Row { table: table.id, rowid }.encode())?;
        }
        for (def, before, after) in changes {
            let idx = index::open(def);
            if let Some(before) = before {
                idx.remove(&mut self.txn, &before, rowid)?;
            }
            if let Some(after) = after {
                idx.insert(&mut self.txn, &after, new_rowid)?;
            }
        }
        self.txn.set(Key::Row { table: table.id, rowid: new_rowid }.encode(), encoded)?;
        Ok(true)
    }

    /// Deletes the row at `rowid`; returns false if there was none.
    pub fn delete(&mut self, table: &TableDef, rowid: i64) -> Result<bool> {
        self.depend_on_definition(table);
        self.lock_row(table, rowid, LockMode::Exclusive, self.lock_wait)?;
        let Some(old) = self.get(table, rowid)? else { return Ok(false) };
        for def in &table.indexes {
            if let Some(key) = self.index_key(table, def, &old)? {
                index::open(def).remove(&mut self.txn, &key, rowid)?;
            }
        }
        self.txn.delete(Key::Row { table: table.id, rowid }.encode())?;
        Ok(true)
    }

    /// The row at `rowid`, copied out.
    pub fn get(&self, table: &TableDef, rowid: i64) -> Result<Option<Vec<Value>>> {
        self.get_ref(table, rowid)?.map(|r| r.values()).transpose()
    }

    /// The row at `rowid`, read in place (one storage lookup, no copy).
    #[inline]
    pub fn get_ref(&self, table: &TableDef, rowid: i64) -> Result<Option<RowRef<'_, Bytes<S>>>> {
        // On the stack: a point read allocates nothing for its key.
        let key = crate::keys::row_key_array(table.id, rowid);
        Ok(self.txn.get(&key)?.map(|bytes| RowRef::new(rowid, bytes)))
    }

    /// The rows with rowids in `rowids`, in rowid order.
    pub fn scan(&self, table: &TableDef, rowids: impl RangeBounds<i64>) -> Result<RowScan<'_, S::Snapshot>> {
        self.scan_dir(table, rowids, Direction::Forward)
    }

    /// The rows with rowids in `rowids`, in either direction.
    pub fn scan_dir(
        &self,
        table: &TableDef,
        rowids: impl RangeBounds<i64>,
        direction: Direction,
    ) -> Result<RowScan<'_, S::Snapshot>> {
        Ok(RowScan::new(self.txn.scan(rowid_range(table.id, rowids), direction)?))
    }

    /// Index entries `(values, rowid)` between two bounds on the index's leading columns.
    pub fn index_scan(
        &self,
        table: &TableDef,
        index: &str,
        lower: Bound<&[Value]>,
        upper: Bound<&[Value]>,
        direction: Direction,
    ) -> Result<IndexScan<'_, RowBlocks<S>>> {
        let def = table.index(index).ok_or_else(|| Error::NotFound { kind: "index", name: index.to_string() })?;
        index::open(def).scan(&self.txn, lower, upper, direction)
    }

    /// The largest rowid in the table, as this transaction sees it (one seek): a cheap
    /// estimate of its size for the query planner.
    pub fn max_rowid(&self, table: &TableDef) -> Result<Option<i64>> {
        self.scan_dir(table, .., Direction::Reverse)?.next().transpose().map(|r| r.map(|r| r.rowid))
    }

    /// The key of `row` in `index` of `table`: its indexed columns, or for an expression or
    /// partial index what the SQL layer's [`IndexKeys`] computes (`None`: a partial index
    /// leaves the row out).
    pub fn index_key(&self, table: &TableDef, index: &IndexDef, row: &[Value]) -> Result<Option<Vec<Value>>> {
        if !index.is_derived() {
            return index_values(index, row).map(Some);
        }
        let keys = self.db.shared.index_keys.get().cloned().ok_or_else(|| {
            Error::Unsupported(format!(
                "index \"{}\" is defined by SQL, which only the SQL layer evaluates",
                index.name
            ))
        })?;
        keys.key(self, table, index, row)
    }

    /// Rowids of the rows whose indexed columns equal `values`.
    pub fn index_lookup(&self, table: &TableDef, index: &str, values: &[Value]) -> Result<Vec<i64>> {
        self.index_scan(table, index, Bound::Included(values), Bound::Included(values), Direction::Forward)?
            .map(|e| e.map(|(_, rowid)| rowid))
            .collect()
    }
}

/// A unique index's violation with PostgreSQL's detail: `Key (a, b)=(1, x) already exists.`
fn key_exists(e: Error, table: &TableDef, def: &IndexDef, values: &[Value]) -> Error {
    let Error::Constraint { kind: ConstraintKind::Unique, message } = e else { return e };
    let names: Vec<&str> = if def.expressions.is_empty() {
        def.columns.iter().map(|&c| table.columns.get(c as usize).map_or("?", |c| c.name.as_str())).collect()
    } else {
        def.expressions.iter().map(String::as_str).collect()
    };
    let values: Vec<String> = values.iter().map(Value::to_plain_text).collect();
    let detail = already_exists(&names, &values);
    Error::Constraint { kind: ConstraintKind::Unique, message: format!("{message}\nDETAIL:  {detail}") }
}

/// The detail of a primary key (the rowid alias) already taken.
fn rowid_exists(table: &TableDef, rowid: i64) -> String {
    let name = table.rowid_alias.and_then(|c| table.columns.get(c as usize)).map_or("rowid", |c| c.name.as_str());
    already_exists(&[name], &[rowid.to_string()])
}

/// `Key (a, b)=(1, x) already exists.`
fn already_exists(names: &[&str], values: &[String]) -> String {
    format!("Key ({})=({}) already exists.", names.join(", "), values.join(", "))
}

/// The indexed columns of a row. A stored row too short for its table's indexes is damage.
fn index_values(def: &IndexDef, row: &[Value]) -> Result<Vec<Value>> {
    def.columns
        .iter()
        .map(|&c| {
            row.get(c as usize)
                .cloned()
                .ok_or_else(|| Error::corrupt(format!("row too short for index \"{}\"", def.name)))
        })
        .collect()
}
