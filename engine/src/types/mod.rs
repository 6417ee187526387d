//! The one runtime value type of Braid, and the column types.
//!
//! SQL rows, cache entries and series points all carry [`Value`]s; there is no second value
//! type anywhere in the project.

mod datatype;
pub(crate) mod interval;
pub(crate) mod numeric;
pub(crate) mod value;

pub use datatype::DataType;
pub use interval::Interval;
pub use value::{ArchivedValue, Value};
