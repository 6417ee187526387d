//! [`Database`]: an open database, shared by its connections.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::connection::Connection;
use crate::error::Result;

/// How to open a database.
pub type OpenOptions = braid_engine::Options;

/// An open database. Cheap to clone; clones share the database. Each thread or task opens
/// its own [`Connection`]; connections see each other's commits with snapshot isolation.
#[derive(Clone)]
pub struct Database {
    engine: braid_engine::Database,
    /// Bumped by every schema change: prepared statements made for an older schema are
    /// planned again.
    schema: Arc<AtomicU64>,
}

impl Database {
    /// Opens (creating if needed) the database in directory `path`, on the default storage
    /// (redb) with `synchronous = full`. `:memory:` opens an in-memory database.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Ok(Self::new(braid_engine::Database::open(path)?))
    }

    /// Opens with explicit options (backend, synchronous, cache size).
    pub fn open_with(path: impl AsRef<Path>, options: OpenOptions) -> Result<Self> {
        Ok(Self::new(braid_engine::Database::open_with(path, options)?))
    }

    /// A new, empty in-memory database.
    pub fn open_in_memory() -> Result<Self> {
        Ok(Self::new(braid_engine::Database::open_in_memory()?))
    }

    fn new(engine: braid_engine::Database) -> Self {
        engine.set_index_keys(Arc::new(crate::index_keys::SqlIndexKeys::default()));
        Database { engine, schema: Arc::new(AtomicU64::new(0)) }
    }

    pub(crate) fn schema_generation(&self) -> u64 {
        self.schema.load(Ordering::Acquire)
    }

    pub(crate) fn schema_changed(&self) {
        self.schema.fetch_add(1, Ordering::AcqRel);
    }

    /// A new connection, in autocommit mode.
    pub fn connect(&self) -> Connection {
        Connection::new(self.clone())
    }

    /// The storage engine underneath.
    pub fn engine(&self) -> &braid_engine::Database {
        &self.engine
    }

    /// Makes every commit so far durable.
    pub fn flush(&self) -> Result<()> {
        Ok(self.engine.flush()?)
    }
}
