//! Built-in functions: scalar functions and aggregates, looked up by name.

mod aggregate;
mod catalog;
mod datetime;
mod json;
mod number_format;
mod privilege;
mod regex;
mod scalar;
pub(crate) mod sequence;
mod session;
mod table;
mod zoned;

pub use self::aggregate::{Accumulator, AggregateFunction, KeyOrder};
pub use self::datetime::TimeFunction;
pub use self::json::{JsonFunction, Kind as JsonKind, Returns as JsonReturns};
pub use self::scalar::{PrivilegeOn, ScalarFunction};
pub(crate) use self::sequence::oid as sequence_oid;
pub(crate) use self::session::quote_ident;
pub use self::table::{Rows as TableRows, TableFunction};
