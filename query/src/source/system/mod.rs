//! System catalogs as virtual tables: `pg_catalog.*` and `information_schema.*`.
//!
//! PostgreSQL's clients learn the schema by querying its catalogs: psql's `\d`, pg_dump,
//! SQLAlchemy's reflection, Django's introspection, pgJDBC's `DatabaseMetaData`. Each query
//! is different and new ones appear with every release, so Braid does not recognise query
//! texts: it offers the catalogs as relations that any SQL can read, join with each other
//! and with user tables, filter, sort and aggregate.
//!
//! A [`SystemTable`] is a name, PostgreSQL's columns (name and type) and a function that
//! makes its rows from a [`CatalogView`]: the tables and indexes of the statement's
//! transaction (so a table created earlier in the transaction is listed), the views with
//! their columns, and the session. Rows are made when the scan starts; a catalog is small
//! (rows per table and column), and making them costs microseconds beside a client's
//! round trip.
//!
//! OIDs follow PostgreSQL's: built-in objects keep their well-known OIDs (`pg_catalog` is
//! 11, `public` 2200, `int8` 20, `text` 25, the btree access method 403), user objects are
//! numbered from 16384 (a table or index with engine id `n` is `16384 + n`; the primary key
//! Braid keeps as the rowid, which has no index object, is `PKEY_OID_BASE + table id`;
//! views, which have no id, are numbered from `VIEW_OID_BASE` in name order).
//!
//! What the catalogs cannot say yet, they leave as PostgreSQL does for an object without
//! it: no comments (`pg_description` is empty), no functions in `pg_proc` beyond none, every
//! object owned by the bootstrap superuser (OID 10).

mod information_schema;
mod pg_catalog;
mod types;

use std::fmt;

use braid_engine::{DataType, TableDef, Value};

pub(crate) use self::types::{TypeInfo, column_type, format_type, type_info};
use crate::session::Session;

/// The first OID of a user object.
pub const FIRST_USER_OID: i64 = 16_384;
/// OIDs of the primary keys kept as rowids (`{table}_pkey`): this plus the table's id.
pub const PKEY_OID_BASE: i64 = 1 << 30;
/// OIDs of views: this plus the view's position in name order.
pub const VIEW_OID_BASE: i64 = 1 << 29;
/// PostgreSQL's `pg_database_owner` role.
pub const DATABASE_OWNER_OID: i64 = 6171;
/// The namespace of every user object.
pub const PUBLIC_OID: i64 = 2200;
/// The namespace of the catalogs.
pub const PG_CATALOG_OID: i64 = 11;
/// The namespace of `information_schema` (PostgreSQL 15's OID for it).
pub const INFORMATION_SCHEMA_OID: i64 = 13_212;
/// The bootstrap superuser, owner of everything.
pub const SUPERUSER_OID: i64 = 10;
/// The one database.
pub const DATABASE_OID: i64 = 16_383;

/// A view's name, SQL and result columns (worked out by the binder, which alone can bind
/// a view's query).
#[derive(Debug, Clone)]
pub struct ViewInfo {
    pub name: String,
    pub sql: String,
    /// `None` when the view cannot be bound any more (a table it reads was dropped).
    pub columns: Option<Vec<(String, Option<DataType>)>>,
    /// The declared types of the columns that pass a table column on unchanged.
    pub declared: Vec<Option<braid_engine::DeclaredType>>,
}

impl ViewInfo {
    /// The PostgreSQL type of column `i` (of storage type `ty`) and its modifier.
    pub fn column_type(&self, i: usize, ty: Option<DataType>) -> braid_engine::DeclaredType {
        let storage = ty.unwrap_or(DataType::Text);
        self.declared.get(i).copied().flatten().unwrap_or_else(|| crate::value::declared::of_storage(storage))
    }
}

/// What catalog rows are made from.
pub struct CatalogView<'a> {
    pub tables: Vec<TableDef>,
    pub views: &'a [ViewInfo],
    pub sequences: Vec<braid_engine::SequenceDef>,
    pub comments: Vec<(braid_engine::CommentTarget, String)>,
    /// Every role, by name.
    pub roles: Vec<braid_engine::RoleDef>,
    /// Every role membership (`GRANT role TO member`).
    pub memberships: Vec<braid_engine::Membership>,
    /// The stored owners and ACLs (an object without one: the default's).
    pub privileges: std::collections::HashMap<braid_engine::Object, braid_engine::Privileges>,
    pub session: &'a Session,
    /// The database's schemas.
    pub schemas: crate::names::Schemas,
    /// The session's search path, as `regclass` and the `pg_get_*def` functions print names.
    pub path: crate::names::SearchPath,
}

impl CatalogView<'_> {
    /// The OID of the schema a relation's stored name is in.
    fn namespace_of(&self, stored: &str) -> Value {
        Value::Integer(self.schemas.oid(crate::names::split(stored).0).unwrap_or(PUBLIC_OID))
    }

    /// A role's name by OID.
    fn role_name(&self, oid: u32) -> String {
        crate::privileges::role_name(&self.roles, oid)
    }

    /// An object's owner and ACL.
    fn privileges(&self, object: &braid_engine::Object) -> braid_engine::Privileges {
        self.privileges.get(object).cloned().unwrap_or_else(|| {
            let owner = match object {
                braid_engine::Object::Schema(_) => DATABASE_OWNER_OID as u32,
                braid_engine::Object::Relation(_) => braid_engine::roles::BOOTSTRAP_OID,
            };
            braid_engine::Privileges::owned_by(owner)
        })
    }

    /// A relation's owner (OID) and ACL as `aclitem[]` text (NULL: the default),
    /// `sequence` telling which privileges its owner has.
    fn relation_owner_acl(&self, name: &str, sequence: bool) -> (i64, Value) {
        let p = self.privileges(&braid_engine::Object::Relation(name.to_string()));
        let all = if sequence { braid_engine::roles::ALL_ON_SEQUENCE } else { braid_engine::roles::ALL_ON_TABLE };
        let acl = match &p.acl {
            None => Value::Null,
            Some(_) => self.acl_text(&p.effective(all, 0)),
        };
        (i64::from(p.owner), acl)
    }

    /// An ACL as PostgreSQL's `aclitem[]` text: `{braid=arwdDxt/braid,alice=r/braid}`.
    fn acl_text(&self, acl: &[braid_engine::AclItem]) -> Value {
        let items: Vec<String> =
            acl.iter().map(|i| i.text(|oid| crate::privileges::acl_name(&self.role_name(oid)))).collect();
        Value::Text(crate::privileges::acl_array(&items))
    }

    /// Tables in name order (PostgreSQL lists them in OID order; names keep output stable
    /// across a dump and its restore).
    fn sorted_tables(&self) -> Vec<&TableDef> {
        let mut t: Vec<&TableDef> = self.tables.iter().collect();
        t.sort_by(|a, b| a.name.cmp(&b.name));
        t
    }

    /// Views in name order.
    fn sorted_views(&self) -> Vec<&ViewInfo> {
        let mut v: Vec<&ViewInfo> = self.views.iter().collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }
}

/// One catalog relation.
pub struct SystemTable {
    pub schema: &'static str,
    pub name: &'static str,
    pub columns: &'static [(&'static str, DataType)],
    /// Whether its rows need the views' columns (which the binder then works out).
    pub needs_view_columns: bool,
    rows: fn(&CatalogView) -> Vec<Vec<Value>>,
}

impl SystemTable {
    /// The relation's rows as `catalog` describes the database, each followed by the hidden
    /// system column `tableoid` (the relation's own OID, which pg_dump reads of every
    /// catalog).
    pub fn rows(&self, catalog: &CatalogView) -> Vec<Vec<Value>> {
        let mut rows = (self.rows)(catalog);
        let oid = system_oid(self);
        // A generator that forgot a column must not shift the others: pad and cut.
        for row in &mut rows {
            row.resize(self.columns.len(), Value::Null);
            row.push(Value::Integer(oid));
        }
        rows
    }

    /// `schema.name`.
    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
}

impl fmt::Debug for SystemTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.schema, self.name)
    }
}

/// Every system table.
fn all() -> impl Iterator<Item = &'static SystemTable> {
    pg_catalog::TABLES.iter().chain(information_schema::TABLES.iter())
}

/// The system table `schema.name`, or with no schema the `pg_catalog` table `name`
/// (PostgreSQL searches `pg_catalog` before the search path). `information_schema` tables
/// are found only qualified, as in PostgreSQL.
pub fn lookup(schema: Option<&str>, name: &str) -> Option<&'static SystemTable> {
    let schema = schema.unwrap_or("pg_catalog");
    all().find(|t| t.schema == schema && t.name == name)
}

/// PostgreSQL 15's OIDs of the catalogs clients name in `'pg_class'::regclass` (as the
/// `classoid` of `pg_description` and `pg_depend` rows); other system relations get OIDs
/// from 12,000 on, in the order Braid lists them, as PostgreSQL numbers its system views.
const CATALOG_OIDS: &[(&str, i64)] = &[
    ("pg_type", 1247),
    ("pg_attribute", 1249),
    ("pg_proc", 1255),
    ("pg_class", 1259),
    ("pg_authid", 1260),
    ("pg_auth_members", 1261),
    ("pg_database", 1262),
    ("pg_am", 2601),
    ("pg_attrdef", 2604),
    ("pg_constraint", 2606),
    ("pg_depend", 2608),
    ("pg_description", 2609),
    ("pg_index", 2610),
    ("pg_inherits", 2611),
    ("pg_namespace", 2615),
    ("pg_trigger", 2620),
    ("pg_sequence", 2224),
    ("pg_extension", 3079),
    ("pg_init_privs", 3394),
    ("pg_cast", 2605),
    ("pg_transform", 3576),
    ("pg_operator", 2617),
    ("pg_opclass", 2616),
    ("pg_opfamily", 2753),
    ("pg_language", 2612),
    ("pg_rewrite", 2618),
    ("pg_aggregate", 2600),
    ("pg_event_trigger", 3466),
    ("pg_publication", 6104),
    ("pg_largeobject_metadata", 2995),
    ("pg_foreign_data_wrapper", 2328),
    ("pg_foreign_server", 1417),
    ("pg_default_acl", 826),
    ("pg_statistic_ext", 3381),
    ("pg_ts_config", 3602),
    ("pg_ts_dict", 3600),
    ("pg_ts_parser", 3601),
    ("pg_ts_template", 3764),
    ("pg_conversion", 2607),
    ("pg_seclabel", 3596),
    ("pg_policy", 3256),
    ("pg_collation", 3456),
    ("pg_enum", 3501),
    ("pg_partitioned_table", 3350),
];

/// The OID of a system relation.
pub(crate) fn system_oid(t: &SystemTable) -> i64 {
    if t.schema == "pg_catalog"
        && let Some(&(_, oid)) = CATALOG_OIDS.iter().find(|(name, _)| *name == t.name)
    {
        return oid;
    }
    12_000 + all().position(|s| std::ptr::eq(s, t)).unwrap_or(0) as i64
}

/// Splits a relation or type name as `::regclass` reads it: `name`, `schema.name`,
/// `"Quoted"."Name"` (unquoted parts fold to lower case).
pub fn split_qualified(text: &str) -> Vec<String> {
    let mut parts = vec![];
    let mut current = String::new();
    let (mut quoted, mut chars) = (false, text.trim().chars().peekable());
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                current.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(std::mem::take(&mut current)),
            c if quoted => current.push(c),
            c => current.extend(c.to_lowercase()),
        }
    }
    parts.push(current);
    parts
}

/// The OID of a relation (table, index, view or system relation) by its stored name (see
/// [`crate::names`]); a catalog also as `pg_catalog.name` or bare. `views` are the views'
/// names in name order. Sequences are numbered apart ([`crate::functions::sequence_oid`]).
pub fn relation_oid(tables: &[TableDef], views: &[String], stored: &str) -> Option<i64> {
    let (schema, name) = crate::names::split(stored);
    let system = if is_system_schema(schema) { Some(schema) } else { None };
    if (system.is_some() || schema == crate::names::PUBLIC)
        && let Some(t) = lookup(system, name)
    {
        return Some(system_oid(t));
    }
    for t in tables {
        if t.name == stored {
            return Some(table_oid(t));
        }
        if let Some(oid) = pg_catalog::index_oid(t, stored) {
            return Some(oid);
        }
    }
    let mut sorted: Vec<&String> = views.iter().collect();
    sorted.sort();
    sorted.iter().position(|v| *v == stored).map(|i| VIEW_OID_BASE + i as i64)
}

/// The relation with this OID: a catalog's name as `oid::regclass` prints it (qualified
/// outside `pg_catalog`), or a user relation's stored name; `None` if there is none.
pub fn relation_name(tables: &[TableDef], views: &[String], oid: i64) -> Option<RelationName> {
    if let Some(t) = all().find(|t| system_oid(t) == oid) {
        let text = if t.schema == "pg_catalog" { t.name.to_string() } else { t.qualified_name() };
        return Some(RelationName::System(text));
    }
    for t in tables {
        if table_oid(t) == oid {
            return Some(RelationName::Stored(t.name.clone()));
        }
        if let Some(name) = pg_catalog::index_name(t, oid) {
            return Some(RelationName::Stored(name));
        }
    }
    let mut sorted: Vec<&String> = views.iter().collect();
    sorted.sort();
    let i = usize::try_from(oid.checked_sub(VIEW_OID_BASE)?).ok()?;
    sorted.get(i).map(|v| RelationName::Stored(v.to_string()))
}

/// What [`relation_name`] finds.
pub enum RelationName {
    /// A catalog, as `regclass` prints it.
    System(String),
    /// A user relation's stored name.
    Stored(String),
}

/// The names of a table's CHECK constraints, in order, as PostgreSQL would choose them.
pub fn check_names(t: &TableDef) -> Vec<String> {
    let mut names: Vec<String> = vec![];
    for check in &t.checks {
        let name = pg_catalog::check_name(t, check, &names);
        names.push(name);
    }
    names
}

/// The rows of `pg_description`: (objoid, classoid, objsubid, description) of each comment
/// (COMMENT ON), and `public`'s built-in one unless a comment replaced it.
pub fn descriptions(
    tables: &[TableDef],
    views: &[String],
    sequences: &[braid_engine::SequenceDef],
    comments: &[(braid_engine::CommentTarget, String)],
    schemas: &crate::names::Schemas,
) -> Vec<(i64, i64, i64, String)> {
    use braid_engine::CommentKind;
    let class = |name: &str| CATALOG_OIDS.iter().find(|(n, _)| *n == name).map_or(0, |(_, o)| *o);
    let mut out = vec![];
    let public_replaced = comments.iter().any(|(t, _)| t.kind == CommentKind::Schema && t.name == "public");
    if !public_replaced {
        out.push((PUBLIC_OID, class("pg_namespace"), 0, "standard public schema".to_string()));
    }
    for (target, text) in comments.iter().filter(|(_, text)| !text.is_empty()) {
        match target.kind {
            CommentKind::Schema => {
                if let Some(oid) = schemas.oid(&target.name) {
                    out.push((oid, class("pg_namespace"), 0, text.clone()));
                }
            }
            CommentKind::Relation => {
                let oid = relation_oid(tables, views, &target.name)
                    .or_else(|| sequences.iter().find(|s| s.name == target.name).map(crate::functions::sequence_oid));
                let Some(oid) = oid else { continue };
                let subid = match &target.column {
                    None => 0,
                    Some(column) => {
                        let table = tables.iter().find(|t| t.name == target.name);
                        match table.and_then(|t| t.columns.iter().position(|c| c.name == *column)) {
                            Some(i) => i as i64 + 1,
                            None => continue,
                        }
                    }
                };
                out.push((oid, class("pg_class"), subid, text.clone()));
            }
        }
    }
    out
}

/// The index with this OID: its table, and its engine index id (`None` for a rowid primary
/// key, whose entries are the table's rows).
pub fn index_of_oid(tables: &[TableDef], oid: i64) -> Option<(&TableDef, Option<u64>)> {
    tables.iter().find_map(|t| {
        if t.rowid_alias.is_some() && oid == PKEY_OID_BASE + t.id as i64 {
            return Some((t, None));
        }
        t.indexes.iter().find(|i| FIRST_USER_OID + i.id as i64 == oid).map(|i| (t, Some(i.id)))
    })
}

/// Whether `schema` is one of the system schemas.
pub fn is_system_schema(schema: &str) -> bool {
    matches!(schema, "pg_catalog" | "information_schema" | "pg_toast")
}

/// `pg_get_indexdef(oid [, column [, pretty]])` over `tables`.
pub fn get_indexdef(tables: &[TableDef], oid: i64, column: i64, pretty: bool) -> Option<String> {
    pg_catalog::get_indexdef(tables, oid, column, pretty)
}

/// `pg_get_constraintdef(oid [, pretty])` over `tables`.
/// `display` prints a referenced table's stored name as the session's path sees it.
pub fn get_constraintdef(tables: &[TableDef], oid: i64, display: &dyn Fn(&str) -> String) -> Option<String> {
    pg_catalog::get_constraintdef(tables, oid, display)
}

/// `to_regtype(name)`: the OID of a type by name.
pub fn type_oid_by_name(name: &str) -> Option<i64> {
    types::oid_by_name(name)
}

/// The OID of a table.
pub fn table_oid(t: &TableDef) -> i64 {
    FIRST_USER_OID + t.id as i64
}

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

fn int(i: impl Into<i64>) -> Value {
    Value::Integer(i.into())
}

fn boolean(b: bool) -> Value {
    Value::Boolean(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_rows_have_their_columns() {
        let names: Vec<String> = all().map(SystemTable::qualified_name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "duplicate system table names");
        let db = braid_engine::Database::open_in_memory().unwrap();
        let mut txn = db.begin().unwrap();
        let def = TableDef::new(
            "t",
            vec![
                braid_engine::ColumnDef::new("id", DataType::Integer),
                braid_engine::ColumnDef::new("v", DataType::Text),
            ],
        )
        .primary_key(&["id"])
        .unwrap();
        txn.create_table(def).unwrap();
        txn.create_index("t", "t_v", &["v"], true).unwrap();
        let session = Session::default();
        let views = [ViewInfo {
            name: "w".into(),
            sql: "SELECT 1".into(),
            columns: Some(vec![("x".into(), None)]),
            declared: vec![],
        }];
        let catalog = CatalogView {
            tables: txn.tables().unwrap(),
            views: &views,
            sequences: vec![],
            comments: vec![],
            roles: txn.roles().unwrap(),
            privileges: Default::default(),
            memberships: vec![],
            session: &session,
            schemas: Default::default(),
            path: Default::default(),
        };
        for table in all() {
            for row in table.rows(&catalog) {
                // The columns, then the hidden `tableoid`: the relation's own OID.
                assert_eq!(row.len(), table.columns.len() + 1, "{table:?}");
                assert_eq!(row.last(), Some(&Value::Integer(system_oid(table))), "{table:?}");
                for (value, (column, ty)) in row.iter().zip(table.columns) {
                    assert!(
                        value.is_null() || value.data_type() == Some(*ty),
                        "{table:?}.{column} is {ty} but holds {value}"
                    );
                }
            }
        }
        assert!(lookup(None, "pg_class").is_some());
        assert!(lookup(Some("information_schema"), "tables").is_some());
        assert!(lookup(None, "tables").is_none());
    }
}
