//! Connections: where statements run, and the transaction is held between them.
//!
//! - `api`: the public [`Connection`], [`Statement`] and [`Transaction`], each a `match`
//!   over where the statements run;
//! - `local`: embedded, on the engine in this process (planning, plan caching, autocommit
//!   retries, savepoints);
//! - [`crate::remote`] (the `remote` feature): over the PostgreSQL protocol to a server;
//! - `params`: what [`Params`] turns Rust values into, for both.

mod api;
mod local;
mod params;

pub use self::api::{Connection, Output, Statement, Transaction};
pub use self::local::PreparedStatement;
pub(crate) use self::params::Args;
pub use self::params::{ParamValues, Params};
