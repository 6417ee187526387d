//! [`Value`]: the one runtime value, and its contract.
//!
//! # Equality, ordering and hashing "in code"
//!
//! `Value` implements `Eq`, `Ord` and `Hash` as a *total* order, so that values can be keys
//! of maps, be sorted, and be encoded into order-preserving keys
//! ([`crate::encoding::keycode`]). This is deliberately not SQL comparison:
//!
//! - Values of different types order by type first:
//!   `Null < Boolean < Integer < Real < Timestamp < Text < Blob < Numeric < Interval < Time`. `Integer(1)`,
//!   `Real(1.0)` and `Numeric(1)` are different values here; the SQL layer coerces to the
//!   column's type before storing and compares numbers across types itself.
//! - `Null == Null` and `Null` sorts first. SQL's three-valued logic (`NULL = NULL` is
//!   unknown) lives in the expression evaluator, not here.
//! - Reals are normalised when constructed through [`Value::real`] and whenever compared,
//!   hashed or encoded: `-0.0` becomes `0.0`, and every NaN becomes the one canonical NaN,
//!   which is equal to itself and greater than `+inf`. Thus `a == b` implies
//!   `hash(a) == hash(b)` and `encode(a) == encode(b)`.
//! - Text orders bytewise by its UTF-8 encoding (which is code-point order); blobs bytewise.
//! - Booleans: `false < true`. Timestamps: by microseconds. Numerics by value, whatever
//!   their scale: `Numeric(1.0) == Numeric(1.00)`, and they hash alike. Intervals by their
//!   span ([`Interval::span`]): `'1 mon' == '30 days'`. Times of day by microseconds.
//!
//! The key codec's proptests check that encoded bytes order exactly as this `Ord` does.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use rust_decimal::Decimal;

use super::DataType;
use super::interval::{Interval, OutOfLineInterval};
use super::numeric::{CompactDecimal, from_compact};

/// A value of any type, or NULL.
#[derive(Debug, Clone, Default, rkyv::Archive, rkyv::Serialize, rkyv::Deserialize)]
pub enum Value {
    #[default]
    Null,
    Boolean(bool),
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
    /// Microseconds since the Unix epoch, UTC.
    Timestamp(i64),
    /// An exact decimal (NUMERIC), kept out of line in a row ([`super::numeric`]).
    Numeric(#[rkyv(with = CompactDecimal)] Decimal),
    /// A span of time (INTERVAL), kept out of line in a row ([`super::interval`]).
    Interval(#[rkyv(with = OutOfLineInterval)] Interval),
    /// A time of day (TIME): microseconds since midnight, `0..=86_400_000_000` (24:00:00
    /// is PostgreSQL's end of the day). An `i64` inline, as compact as a timestamp.
    Time(i64),
}

impl Value {
    /// A real with `-0.0` and NaN normalised (see the module doc).
    pub fn real(f: f64) -> Value {
        Value::Real(normalize_f64(f))
    }

    /// The value's type, or `None` for NULL.
    pub fn data_type(&self) -> Option<DataType> {
        Some(match self {
            Value::Null => return None,
            Value::Boolean(_) => DataType::Boolean,
            Value::Integer(_) => DataType::Integer,
            Value::Real(_) => DataType::Real,
            Value::Text(_) => DataType::Text,
            Value::Blob(_) => DataType::Blob,
            Value::Timestamp(_) => DataType::Timestamp,
            Value::Numeric(_) => DataType::Numeric,
            Value::Interval(_) => DataType::Interval,
            Value::Time(_) => DataType::Time,
        })
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The rank of the value's type in the total order.
    pub(crate) fn type_rank(&self) -> u8 {
        match self {
            Value::Null => 0,
            Value::Boolean(_) => 1,
            Value::Integer(_) => 2,
            Value::Real(_) => 3,
            Value::Timestamp(_) => 4,
            Value::Text(_) => 5,
            Value::Blob(_) => 6,
            Value::Numeric(_) => 7,
            Value::Interval(_) => 8,
            Value::Time(_) => 9,
        }
    }
}

/// `-0.0` → `0.0`; every NaN → the canonical NaN.
pub(crate) fn normalize_f64(f: f64) -> f64 {
    if f.is_nan() {
        f64::NAN
    } else if f == 0.0 {
        0.0
    } else {
        f
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Value {}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Value {
    fn cmp(&self, other: &Self) -> Ordering {
        use Value::*;
        match (self, other) {
            (Null, Null) => Ordering::Equal,
            (Boolean(a), Boolean(b)) => a.cmp(b),
            (Integer(a), Integer(b)) | (Timestamp(a), Timestamp(b)) | (Time(a), Time(b)) => a.cmp(b),
            (Real(a), Real(b)) => normalize_f64(*a).total_cmp(&normalize_f64(*b)),
            (Text(a), Text(b)) => a.cmp(b),
            (Blob(a), Blob(b)) => a.cmp(b),
            (Numeric(a), Numeric(b)) => a.cmp(b),
            (Interval(a), Interval(b)) => a.span().cmp(&b.span()),
            _ => self.type_rank().cmp(&other.type_rank()),
        }
    }
}

impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.type_rank().hash(state);
        match self {
            Value::Null => {}
            Value::Boolean(b) => b.hash(state),
            Value::Integer(i) | Value::Timestamp(i) | Value::Time(i) => i.hash(state),
            Value::Real(f) => normalize_f64(*f).to_bits().hash(state),
            Value::Text(s) => s.hash(state),
            Value::Blob(b) => b.hash(state),
            // Decimal's hash normalises the scale, as its equality ignores it.
            Value::Numeric(d) => d.hash(state),
            Value::Interval(i) => i.span().hash(state),
        }
    }
}

impl Value {
    /// The value as a message shows it inside `Key (…)=(…)`: text as is, numbers as
    /// digits, NULL as `null`, as PostgreSQL's constraint details do.
    pub fn to_plain_text(&self) -> String {
        match self {
            Value::Null => "null".to_string(),
            Value::Boolean(b) => if *b { "t" } else { "f" }.to_string(),
            Value::Text(s) => s.clone(),
            other => other.to_string(),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("NULL"),
            Value::Boolean(b) => write!(f, "{}", if *b { "TRUE" } else { "FALSE" }),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Real(r) => write!(f, "{r:?}"),
            Value::Text(s) => write!(f, "'{}'", s.replace('\'', "''")),
            Value::Blob(b) => {
                f.write_str("x'")?;
                b.iter().try_for_each(|byte| write!(f, "{byte:02x}"))?;
                f.write_str("'")
            }
            Value::Timestamp(us) => write!(f, "TIMESTAMP {us}us"),
            Value::Numeric(d) => write!(f, "{d}"),
            Value::Interval(i) => write!(f, "INTERVAL {} mons {} days {}us", i.months, i.days, i.micros),
            Value::Time(us) => write!(f, "TIME {us}us"),
        }
    }
}

impl ArchivedValue {
    /// Copies the archived value out into an owned [`Value`].
    pub fn to_value(&self) -> Value {
        match self {
            ArchivedValue::Null => Value::Null,
            ArchivedValue::Boolean(b) => Value::Boolean(*b),
            ArchivedValue::Integer(i) => Value::Integer(i.to_native()),
            ArchivedValue::Real(r) => Value::Real(r.to_native()),
            ArchivedValue::Text(s) => Value::Text(s.as_str().to_owned()),
            ArchivedValue::Blob(b) => Value::Blob(b.as_slice().to_vec()),
            ArchivedValue::Timestamp(t) => Value::Timestamp(t.to_native()),
            ArchivedValue::Numeric(d) => Value::Numeric(from_compact(d.as_slice())),
            ArchivedValue::Interval(i) => Value::Interval(Interval::from_bytes(i.as_slice())),
            ArchivedValue::Time(t) => Value::Time(t.to_native()),
        }
    }

    /// The value as an `f64` when it is a real or an integer, without copying anything else.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            ArchivedValue::Real(r) => Some(r.to_native()),
            ArchivedValue::Integer(i) => Some(i.to_native() as f64),
            _ => None,
        }
    }

    /// The value as an `i64` when it is an integer or a timestamp.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            ArchivedValue::Integer(i) | ArchivedValue::Timestamp(i) => Some(i.to_native()),
            _ => None,
        }
    }

    /// The text, borrowed from the archive.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            ArchivedValue::Text(s) => Some(s.as_str()),
            _ => None,
        }
    }
}

macro_rules! from_impl {
    ($($t:ty => $arm:expr),* $(,)?) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self {
                $arm(v)
            }
        }
    )*};
}
from_impl!(
    bool => Value::Boolean,
    i64 => Value::Integer,
    i32 => |v: i32| Value::Integer(v.into()),
    f64 => Value::real,
    String => Value::Text,
    &str => |v: &str| Value::Text(v.to_owned()),
    Vec<u8> => Value::Blob,
);

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;

    fn hash(v: &Value) -> u64 {
        let mut h = DefaultHasher::new();
        v.hash(&mut h);
        h.finish()
    }

    #[test]
    fn numerics_equal_whatever_their_scale_and_hash_alike() {
        let (a, b) = (Value::Numeric(Decimal::new(10, 1)), Value::Numeric(Decimal::new(100, 2)));
        assert_eq!(a, b);
        assert_eq!(hash(&a), hash(&b));
    }

    #[test]
    fn negative_zero_equals_zero_and_hashes_alike() {
        assert_eq!(Value::Real(-0.0), Value::Real(0.0));
        assert_eq!(hash(&Value::Real(-0.0)), hash(&Value::Real(0.0)));
    }

    #[test]
    fn nan_equals_itself_and_sorts_above_infinity() {
        let nan = Value::Real(f64::NAN);
        assert_eq!(nan, Value::Real(-f64::NAN));
        assert!(nan > Value::Real(f64::INFINITY));
        assert_eq!(hash(&nan), hash(&Value::Real(-f64::NAN)));
    }

    #[test]
    fn types_order_by_rank_first() {
        let ordered = [
            Value::Null,
            Value::Boolean(true),
            Value::Integer(i64::MAX),
            Value::Real(f64::NEG_INFINITY),
            Value::Timestamp(i64::MIN),
            Value::Text(String::new()),
            Value::Blob(vec![]),
            Value::Numeric(Decimal::MIN),
            Value::Interval(Interval::new(-1, 0, 0)),
            Value::Time(0),
        ];
        assert!(ordered.windows(2).all(|w| w[0] < w[1]));
    }
}
