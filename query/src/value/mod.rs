//! SQL semantics of values: comparison, arithmetic, conversion.
//!
//! The engine's [`Value`] has a total order made for keys (by type first). SQL compares
//! differently, and Braid follows SQLite wherever SQLite's sqllogictest corpus judges:
//!
//! - numbers compare by value across INTEGER and REAL (and BOOLEAN, which is 0 or 1);
//! - in sort order, NULL < numbers < TEXT < BLOB (timestamps sort with numbers);
//! - a comparison with NULL is unknown (`None`), which WHERE treats as false;
//! - arithmetic converts its operands to numbers (`'12x'` is 12, `'abc'` is 0); integer
//!   overflow is an error (22003) and so is `x / 0` (22012), as in PostgreSQL.
//!
//! [`Value`]: braid_engine::Value

mod arith;
pub mod array;
mod compare;
mod convert;
pub mod datetime;
pub mod declared;
mod format;
mod hash;
pub mod interval;
pub mod interval_fields;
pub mod json;
pub mod numeric;
pub mod time;
pub mod zone;

pub use self::arith::{BinaryArith, arith, negate};
pub(crate) use self::compare::hash_value;
pub use self::compare::{GroupKey, compare, sort_cmp};
pub use self::convert::{
    Affinity, FromValue, ToValue, apply_affinity, cast, coerce_for_column, to_f64_lossy, to_i64_lossy, to_number,
    truthy,
};
pub use self::format::{format_real, to_text};
pub(crate) use self::hash::{FxHasher, GroupMap, GroupSet};

/// 2^63 as a real: reals at or above it (or below its negation) lie outside `i64`.
pub const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
