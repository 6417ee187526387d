//! braid-engine: the storage engine under Braid.
//!
//! It knows nothing of SQL. It offers:
//! - [`storage`]: an ordered byte key-value space with snapshots and atomic batches, on
//!   redb (default), memory or sled;
//! - [`mvcc`]: snapshot-isolated transactions with many concurrent writers and group commit;
//! - [`catalog`], [`table`], [`index`]: tables of rkyv-encoded rows keyed by rowid, and btree
//!   secondary indexes kept in step with every write;
//! - [`Database`] / [`Txn`]: the API that ties them together.
//!
//! Layering, bottom up: `encoding` → `storage` → `mvcc` → `catalog`/`table`/`index` →
//! `database`. The key layout of everything stored is in [`keys`].

pub mod catalog;
pub mod database;
pub mod encoding;
pub mod error;
pub mod index;
pub mod keys;
pub mod mvcc;
pub mod roles;
pub mod schema;
pub mod sequence;
pub mod storage;
pub mod table;
pub mod types;

pub use catalog::{ColumnDef, DeclaredType, ForeignKeyDef, Identity, IndexDef, IndexKind, ReferentialAction, TableDef};
pub use database::{CommentKind, CommentTarget, Database, FORMAT_VERSION, IndexKeys, Options, Txn};
pub use error::{ConstraintKind, Error, Result};
pub use mvcc::{BlockingWait, LockMode, LockWait, Synchronous, set_blocking_wait};
pub use roles::{AclItem, Membership, Object, Privilege, Privileges, RoleDef};
/// NUMERIC's representation, re-exported so that users of [`Value::Numeric`] name one type.
pub use rust_decimal::Decimal;
pub use schema::SchemaDef;
pub use sequence::{Position as SequencePosition, SequenceDef};
pub use storage::Backend;
pub use types::{ArchivedValue, DataType, Interval, Value};
