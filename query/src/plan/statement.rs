//! Bound statements: what the executor is asked to do.

use std::sync::Arc;

use braid_engine::TableDef;

use super::foreign_keys::ForeignKeys;
use super::{Expr, Plan};

/// What an INSERT does when a row collides with a unique key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// Fail the statement (the default, `OR ABORT`, `OR FAIL`, `OR ROLLBACK`).
    Abort,
    /// Skip the row (`OR IGNORE`, `ON CONFLICT DO NOTHING`).
    Ignore,
    /// Delete the rows it collides with, then insert (`OR REPLACE`, `REPLACE`).
    Replace,
}

/// `ON CONFLICT … DO UPDATE`: new values for the row an INSERT collided with, computed over
/// that row (its columns, then its rowid) followed by the row that was to be inserted
/// (`excluded`).
#[derive(Debug, Clone)]
pub struct Upsert {
    pub assignments: Vec<(usize, Expr)>,
    pub filter: Option<Expr>,
}

/// What CREATE or ALTER SEQUENCE says about a sequence; `None` leaves a property as it is
/// (or at its default). `Some(None)` for a bound is `NO MINVALUE` / `NO MAXVALUE`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SequenceChange {
    pub type_oid: Option<u32>,
    pub increment: Option<i64>,
    pub min: Option<Option<i64>>,
    pub max: Option<Option<i64>>,
    pub start: Option<i64>,
    pub cache: Option<i64>,
    pub cycle: Option<bool>,
    /// `OWNED BY table.column` (`Some(None)`: `OWNED BY NONE`).
    pub owned_by: Option<Option<(String, String)>>,
}

impl SequenceChange {
    /// The definition with this change applied; bounds that are not given follow the
    /// type and the direction, as PostgreSQL's do.
    pub fn apply(&self, mut def: braid_engine::SequenceDef) -> braid_engine::SequenceDef {
        let type_oid = self.type_oid.unwrap_or(def.type_oid);
        let increment = self.increment.unwrap_or(def.increment);
        let defaults = braid_engine::SequenceDef::new(def.name.clone(), type_oid, increment);
        let retyped = type_oid != def.type_oid || increment.signum() != def.increment.signum();
        def.min = match self.min {
            Some(Some(m)) => m,
            Some(None) => defaults.min,
            None if retyped => defaults.min,
            None => def.min,
        };
        def.max = match self.max {
            Some(Some(m)) => m,
            Some(None) => defaults.max,
            None if retyped => defaults.max,
            None => def.max,
        };
        def.start = self.start.unwrap_or(if retyped || def.start < def.min || def.start > def.max {
            if increment > 0 { def.min } else { def.max }
        } else {
            def.start
        });
        def.type_oid = type_oid;
        def.increment = increment;
        def.cache = self.cache.unwrap_or(def.cache);
        def.cycle = self.cycle.unwrap_or(def.cycle);
        if let Some(owned_by) = &self.owned_by {
            def.owned_by = owned_by.clone();
        }
        def
    }
}

/// Transaction control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransactionOp {
    Begin { read_only: bool },
    Commit,
    Rollback,
    Savepoint(String),
    Release(String),
    RollbackTo(String),
}

/// A bound statement.
#[derive(Debug, Clone)]
pub enum Statement {
    /// A query: its plan and the names of its output columns.
    Query {
        plan: Plan,
        /// Shared with every result: a prepared query hands them out without copying.
        columns: Arc<[String]>,
    },
    /// `source` yields full rows of the table (defaults filled in), in column order.
    Insert {
        table: Arc<TableDef>,
        source: Plan,
        conflict: Conflict,
        upsert: Option<Upsert>,
        returning: Option<(Vec<Expr>, Vec<String>)>,
        /// CHECK constraints over a new row (its columns), with their text for errors.
        checks: Vec<(String, Expr)>,
        /// The foreign keys the write checks and acts on.
        foreign_keys: Arc<ForeignKeys>,
    },
    /// `source` yields the matching rows (columns then rowid); `assignments` compute the new
    /// values of some columns from the old row.
    Update {
        table: Arc<TableDef>,
        source: Plan,
        assignments: Vec<(usize, Expr)>,
        conflict: Conflict,
        returning: Option<(Vec<Expr>, Vec<String>)>,
        checks: Vec<(String, Expr)>,
        foreign_keys: Arc<ForeignKeys>,
    },
    /// `source` yields the rows to delete (columns then rowid).
    Delete {
        table: Arc<TableDef>,
        source: Plan,
        returning: Option<(Vec<Expr>, Vec<String>)>,
        foreign_keys: Arc<ForeignKeys>,
    },
    /// `unique` lists multi-column UNIQUE constraints (made unique indexes).
    CreateTable {
        def: TableDef,
        if_not_exists: bool,
        unique: Vec<Vec<String>>,
    },
    DropTable {
        name: String,
        if_exists: bool,
    },
    /// `TRUNCATE a, b`: every row of each table goes, in one statement; with `RESTART
    /// IDENTITY`, the sequences their columns own start again.
    Truncate {
        tables: Vec<String>,
        restart_identity: bool,
    },
    /// DDL statements run one after the other (`DROP TABLE a, b, c`): all or none, as one
    /// statement.
    Several(Vec<Statement>),
    CreateIndex {
        table: String,
        /// `None`: PostgreSQL's `{table}_{columns}_idx`, numbered when taken.
        name: Option<String>,
        /// The indexed columns; for an expression index, what names each part (the name
        /// PostgreSQL would make up from it).
        columns: Vec<String>,
        /// An expression index's key parts, as SQL (empty: the columns are the key).
        expressions: Vec<String>,
        /// A partial index's predicate, as SQL.
        predicate: Option<String>,
        unique: bool,
        if_not_exists: bool,
    },
    /// `CREATE SCHEMA [IF NOT EXISTS] name [AUTHORIZATION role]`.
    CreateSchema {
        name: String,
        owner: Option<String>,
        if_not_exists: bool,
    },
    /// Drops a schema's record, its privileges and comment; the binder puts the drops of
    /// what it holds (CASCADE) before it.
    DropSchema {
        name: String,
    },
    /// `ALTER SCHEMA name OWNER TO role` (`None`: the current user).
    SchemaOwner {
        name: String,
        role: Option<String>,
    },
    /// `CREATE DATABASE name` (`owner: None`) or `ALTER DATABASE name OWNER TO owner`.
    Database {
        name: String,
        owner: Option<String>,
    },
    DropIndex {
        name: String,
        if_exists: bool,
    },
    CreateView {
        name: String,
        sql: String,
        if_not_exists: bool,
    },
    DropView {
        name: String,
        if_exists: bool,
    },
    CreateSequence {
        def: braid_engine::SequenceDef,
        if_not_exists: bool,
    },
    /// ALTER SEQUENCE: `change` applied to the definition, then `restart` (`Some(None)`:
    /// back to its start).
    AlterSequence {
        name: String,
        if_exists: bool,
        change: SequenceChange,
        restart: Option<Option<i64>>,
    },
    /// DROP SEQUENCE; a column whose DEFAULT calls it refuses the drop (2BP01), or with
    /// CASCADE loses that default.
    DropSequence {
        name: String,
        if_exists: bool,
        cascade: bool,
    },
    /// `COMMENT ON … IS 'text' | NULL`.
    Comment {
        target: braid_engine::CommentTarget,
        text: Option<String>,
    },
    /// `ALTER TABLE name OWNER TO role` (`None`: the current user), of any relation.
    OwnerTo {
        relation: String,
        role: Option<String>,
    },
    /// `CREATE ROLE` / `CREATE USER` (which implies LOGIN).
    CreateRole {
        name: String,
        options: RoleOptions,
    },
    /// `ALTER ROLE name [WITH] options` or `ALTER ROLE name RENAME TO new`.
    AlterRole {
        name: String,
        options: RoleOptions,
        rename: Option<String>,
    },
    /// `GRANT role, … TO member, …` (`grant`) / `REVOKE … FROM …`; `admin`: WITH ADMIN
    /// OPTION (REVOKE: ADMIN OPTION FOR).
    Membership {
        grant: bool,
        roles: Vec<String>,
        members: Vec<String>,
        admin: bool,
    },
    DropRole {
        names: Vec<String>,
        if_exists: bool,
    },
    /// `GRANT` / `REVOKE` of privileges on tables, sequences or schemas.
    Grant(Grant),
    CreateTrigger {
        name: String,
        table: String,
        sql: String,
        if_not_exists: bool,
    },
    DropTrigger {
        name: String,
        if_exists: bool,
    },
    AlterTable {
        table: String,
        op: AlterOp,
    },
    Transaction(TransactionOp),
    Explain {
        statement: Box<Statement>,
        analyze: bool,
    },
    /// Statements accepted and ignored (REINDEX, ANALYZE, VACUUM).
    Noop,
}

/// An ALTER TABLE action.
#[derive(Debug, Clone)]
pub enum AlterOp {
    /// A new column, and the value existing rows get (its DEFAULT, or NULL).
    AddColumn(braid_engine::ColumnDef, Expr),
    DropColumn(String),
    RenameColumn {
        from: String,
        to: String,
    },
    RenameTable(String),
    /// `ADD PRIMARY KEY (columns)`: the table is rebuilt under the key, so a one-column
    /// INTEGER key becomes the rowid alias as it would in CREATE TABLE.
    AddPrimaryKey(Vec<String>),
    /// `ADD [CONSTRAINT name] UNIQUE (columns)`: a unique index.
    AddUnique {
        name: String,
        columns: Vec<String>,
    },
    /// `ADD [CONSTRAINT name] CHECK (sql)`; `violations` finds a row already breaking it.
    AddCheck {
        name: String,
        sql: String,
        violations: super::Plan,
    },
    /// `ADD [CONSTRAINT name] FOREIGN KEY …`: the rows already there are checked against
    /// `links` (the new key's parent link) first.
    AddForeignKey {
        def: braid_engine::ForeignKeyDef,
        links: Arc<ForeignKeys>,
    },
    /// `DROP CONSTRAINT name`: a foreign key, or a unique constraint's index.
    DropConstraint {
        name: String,
        if_exists: bool,
    },
    /// `ALTER COLUMN column …`.
    AlterColumn {
        column: String,
        change: ColumnChange,
    },
}

/// What `ALTER TABLE … ALTER COLUMN` changes.
#[derive(Debug, Clone)]
pub enum ColumnChange {
    SetNotNull,
    DropNotNull,
    /// `ADD GENERATED … AS IDENTITY`: the column is filled from its sequence (`default`,
    /// `nextval(…)`) and becomes NOT NULL.
    AddIdentity {
        identity: braid_engine::Identity,
        default: String,
    },
    /// The new DEFAULT, as SQL text.
    SetDefault(String),
    DropDefault,
    /// `TYPE t [USING expr]`: the new types, and the new value of each row computed from
    /// the old row (`USING`, or the column cast to the new type).
    Type {
        data_type: braid_engine::DataType,
        declared: Option<braid_engine::DeclaredType>,
        using: Expr,
    },
}

/// The attributes a CREATE or ALTER ROLE names (`None`: not named).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoleOptions {
    pub superuser: Option<bool>,
    pub create_db: Option<bool>,
    pub create_role: Option<bool>,
    pub inherit: Option<bool>,
    pub login: Option<bool>,
    pub replication: Option<bool>,
    pub bypass_rls: Option<bool>,
    pub connection_limit: Option<i32>,
    /// `PASSWORD 'p'` as the verifier to store (`Some(None)`: `PASSWORD NULL`).
    pub password: Option<Option<String>>,
    pub valid_until: Option<String>,
}

/// What a GRANT or REVOKE is on.
#[derive(Debug, Clone, PartialEq)]
pub enum GrantObjects {
    /// `ON [TABLE] t, …`: tables and views (a sequence too, for the privileges it has).
    Tables(Vec<String>),
    Sequences(Vec<String>),
    /// `ON ALL TABLES IN SCHEMA s, …`: every table and view.
    AllTablesInSchema(Vec<String>),
    AllSequencesInSchema(Vec<String>),
    Schemas(Vec<String>),
}

/// A GRANT or REVOKE of privileges.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    pub revoke: bool,
    /// The privilege bits named (`braid_engine::roles`); `None` is ALL.
    pub privileges: Option<braid_engine::Privilege>,
    pub objects: GrantObjects,
    /// Role names; `None` is PUBLIC.
    pub grantees: Vec<Option<String>>,
    /// `WITH GRANT OPTION` of a GRANT; `GRANT OPTION FOR` of a REVOKE.
    pub grant_option: bool,
}
