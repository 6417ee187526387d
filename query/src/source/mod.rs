//! Relations that are not user tables, reached by SQL through the same seam as tables: the
//! binder resolves a name to a [`Source`], the plan scans it, the executor reads its rows.
//!
//! - [`system`]: PostgreSQL's system catalogs (`pg_catalog`) and `information_schema`,
//!   made from Braid's catalog as the statement's transaction sees it.
//!
//! The cache (`kv('ns')`) and the series tables are the next kinds of source.

pub(crate) mod system;

pub(crate) use self::system::{SystemTable, ViewInfo};
