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

/// SQL LIKE on its own, for callers that match names against a client's pattern (the
/// server's catalog answers): `%` any run, `_` one character, `escape` before a literal
/// `%` or `_`; ASCII letters compared exactly when `case_sensitive` (PostgreSQL's LIKE),
/// else without case (SQLite's). No pattern can make it recurse or run for ever.
pub fn like(text: &str, pattern: &str, escape: Option<char>, case_sensitive: bool) -> bool {
    crate::execute::like::like_with_case(text, pattern, escape, case_sensitive)
}
