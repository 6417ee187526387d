//! Column types.

use std::fmt;

/// The type of a column. NULL is a value, not a type: any nullable column may hold it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize,
)]
#[non_exhaustive]
pub enum DataType {
    Boolean,
    /// A signed 64-bit integer.
    Integer,
    /// An IEEE 754 double.
    Real,
    /// UTF-8 text.
    Text,
    /// Raw bytes.
    Blob,
    /// Microseconds since the Unix epoch, UTC.
    Timestamp,
    /// An exact decimal (NUMERIC), up to 28 significant digits.
    Numeric,
    /// A span of months, days and microseconds (INTERVAL).
    Interval,
    /// A time of day without a zone (TIME): microseconds since midnight.
    Time,
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DataType::Boolean => "BOOLEAN",
            DataType::Integer => "INTEGER",
            DataType::Real => "REAL",
            DataType::Text => "TEXT",
            DataType::Blob => "BLOB",
            DataType::Timestamp => "TIMESTAMP",
            DataType::Numeric => "NUMERIC",
            DataType::Interval => "INTERVAL",
            DataType::Time => "TIME",
        })
    }
}
