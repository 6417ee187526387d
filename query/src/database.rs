//! [`Database`]: an open database, shared by its connections.

use std::path::Path;

use crate::connection::Connection;
use crate::error::Result;

/// How to open a database.
pub type OpenOptions = braid_engine::Options;

/// An open database. Cheap to clone; clones share the database. Each thread or task opens
/// its own [`Connection`]; connections see each other's commits with snapshot isolation.
#[derive(Clone)]
pub struct Database {
    engine: braid_engine::Database,
}

impl Database {
    /// Opens (creating if needed) the database in directory `path`, on the default storage
    /// (redb) with `synchronous = full`. `:memory:` opens an in-memory database.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Ok(Database { engine: braid_engine::Database::open(path)? })
    }

    /// Opens with explicit options (backend, synchronous, cache size).
    pub fn open_with(path: impl AsRef<Path>, options: OpenOptions) -> Result<Self> {
        Ok(Database { engine: braid_engine::Database::open_with(path, options)? })
    }

    /// A new, empty in-memory database.
    pub fn open_in_memory() -> Result<Self> {
        Ok(Database { engine: braid_engine::Database::open_in_memory()? })
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
