//! `braid`: the embeddable database library.
//!
//! This crate will hold the SQL pipeline — parse (sqlparser, PostgreSQL dialect) → bind →
//! plan → optimize → execute — and the public API an application embeds (`Database`,
//! `Connection`, `Statement`, `Rows`), built with the SQL issue. Today it re-exports the
//! engine, so applications can already open a database and use tables and transactions.

pub use braid_engine::{
    Backend, ColumnDef, DataType, Database, Error, IndexDef, Options, Result, Synchronous, TableDef, Txn, Value,
};
