//! Values on the wire, from the client's side: each [`Value`] as the PostgreSQL type the
//! server maps it to (`server/src/pg/types.rs`), in binary format (tokio-postgres's).
//!
//! | Braid     | PostgreSQL    | binary                                     |
//! |-----------|---------------|--------------------------------------------|
//! | BOOLEAN   | `bool`        | one byte, 0 or 1                           |
//! | INTEGER   | `int8`        | 8 bytes, big-endian                        |
//! | REAL      | `float8`      | IEEE 754 bits, big-endian                  |
//! | TEXT      | `text`        | UTF-8 bytes                                |
//! | BLOB      | `bytea`       | the bytes                                  |
//! | TIMESTAMP | `timestamptz` | microseconds since 2000-01-01 UTC, 8 bytes |
//! | NUMERIC   | `numeric`     | PostgreSQL's base-10,000 digits (`crate::value::numeric`) |
//! | INTERVAL  | `interval`    | microseconds (8 bytes), days (4), months (4)  |
//! | TIME      | `time`        | microseconds since midnight, 8 bytes       |
//!
//! A parameter is declared with its value's type (NULL: `unknown`, which the server
//! replaces by the type it inferred), as an embedded statement receives typed values: a
//! TEXT `'5'` compared with an INTEGER column behaves the same on both. Results accept
//! every type the server sends, and the narrower integer and float types a PostgreSQL
//! server would.

use std::error::Error as StdError;

use braid_engine::Value;

use crate::value::{interval, numeric};
use bytes::{BufMut, BytesMut};
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};

/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01 UTC).
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

type BoxError = Box<dyn StdError + Sync + Send>;

/// A value that does not fit the type on the wire: [`Error::Type`](crate::Error::Type).
#[derive(Debug)]
pub(crate) struct Mismatch(pub String);

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for Mismatch {}

/// The type a parameter holding `value` is declared as.
pub(crate) fn param_type(value: &Value) -> Type {
    match value {
        Value::Null => Type::UNKNOWN,
        Value::Boolean(_) => Type::BOOL,
        Value::Integer(_) => Type::INT8,
        Value::Real(_) => Type::FLOAT8,
        Value::Text(_) => Type::TEXT,
        Value::Blob(_) => Type::BYTEA,
        Value::Timestamp(_) => Type::TIMESTAMPTZ,
        Value::Numeric(_) => Type::NUMERIC,
        Value::Interval(_) => Type::INTERVAL,
        Value::Time(_) => Type::TIME,
    }
}

/// A parameter going out.
#[derive(Debug)]
pub(crate) struct Param<'a>(pub &'a Value);

impl ToSql for Param<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        match (self.0, ty) {
            (Value::Null, _) => return Ok(IsNull::Yes),
            (Value::Boolean(b), &Type::BOOL) => out.put_u8(u8::from(*b)),
            (Value::Integer(i), &Type::INT8) => out.put_i64(*i),
            (Value::Integer(i), &Type::INT4) => out.put_i32(i32::try_from(*i).map_err(|_| self.mismatch(ty))?),
            (Value::Integer(i), &Type::INT2) => out.put_i16(i16::try_from(*i).map_err(|_| self.mismatch(ty))?),
            (Value::Integer(i), &Type::FLOAT8) => out.put_f64(*i as f64),
            (Value::Real(r), &Type::FLOAT8) => out.put_f64(*r),
            (Value::Text(t), &Type::TEXT | &Type::VARCHAR | &Type::BPCHAR | &Type::NAME | &Type::UNKNOWN) => {
                out.put_slice(t.as_bytes())
            }
            (Value::Blob(b), &Type::BYTEA) => out.put_slice(b),
            (Value::Numeric(d), &Type::NUMERIC) => numeric::write_binary(d, |bytes| out.put_slice(bytes)),
            (Value::Interval(i), &Type::INTERVAL) => interval::write_binary(i, |bytes| out.put_slice(bytes)),
            (Value::Time(t), &Type::TIME) => out.put_i64(*t),
            (Value::Timestamp(t), &Type::TIMESTAMPTZ | &Type::TIMESTAMP) => {
                out.put_i64(t.saturating_sub(PG_EPOCH_MICROS))
            }
            _ => return Err(Box::new(self.mismatch(ty))),
        }
        Ok(IsNull::No)
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl Param<'_> {
    fn mismatch(&self, ty: &Type) -> Mismatch {
        Mismatch(format!("parameter value {} does not fit type {}", self.0, ty.name()))
    }
}

/// A result value coming in.
pub(crate) struct Field(pub Value);

impl<'a> FromSql<'a> for Field {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        let value = match *ty {
            Type::BOOL => Value::Boolean(fixed::<1>(ty, raw)?[0] != 0),
            Type::INT2 => Value::Integer(i16::from_be_bytes(fixed(ty, raw)?).into()),
            Type::INT4 => Value::Integer(i32::from_be_bytes(fixed(ty, raw)?).into()),
            Type::OID => Value::Integer(u32::from_be_bytes(fixed(ty, raw)?).into()),
            Type::INT8 => Value::Integer(i64::from_be_bytes(fixed(ty, raw)?)),
            Type::FLOAT4 => Value::Real(f32::from_be_bytes(fixed(ty, raw)?).into()),
            Type::FLOAT8 => Value::Real(f64::from_be_bytes(fixed(ty, raw)?)),
            Type::TIMESTAMPTZ | Type::TIMESTAMP => {
                Value::Timestamp(i64::from_be_bytes(fixed(ty, raw)?).saturating_add(PG_EPOCH_MICROS))
            }
            Type::BYTEA => Value::Blob(raw.to_vec()),
            Type::TIME => Value::Time(i64::from_be_bytes(fixed(ty, raw)?)),
            Type::INTERVAL => Value::Interval(
                interval::read_binary(raw)
                    .ok_or_else(|| Mismatch(format!("an interval value of {} bytes, not 16", raw.len())))?,
            ),
            Type::NUMERIC => Value::Numeric(
                numeric::read_binary(raw).ok_or_else(|| Mismatch("a numeric value Braid cannot hold".into()))?,
            ),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN | Type::JSON => Value::Text(
                std::str::from_utf8(raw)
                    .map_err(|_| Mismatch(format!("invalid UTF-8 in a {} value", ty.name())))?
                    .into(),
            ),
            _ => return Err(Box::new(Mismatch(format!("result columns of type {} are not supported", ty.name())))),
        };
        Ok(Field(value))
    }

    fn from_sql_null(_: &Type) -> Result<Self, BoxError> {
        Ok(Field(Value::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// The `N` bytes of a fixed-size binary value.
fn fixed<const N: usize>(ty: &Type, raw: &[u8]) -> Result<[u8; N], Mismatch> {
    raw.try_into().map_err(|_| Mismatch(format!("a {} value of {} bytes, not {N}", ty.name(), raw.len())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips_through_its_declared_type() {
        for value in [
            Value::Boolean(true),
            Value::Integer(-42),
            Value::Real(2.5),
            Value::Text("héllo".into()),
            Value::Blob(vec![0, 255, 7]),
            Value::Timestamp(1_764_435_723_123_456),
            Value::Timestamp(-1),
            Value::Numeric(numeric::parse("-12345.6700").unwrap()),
            Value::Interval(braid_engine::Interval::new(-14, 3, 4_000_001)),
            Value::Time(49_530_500_000),
        ] {
            let ty = param_type(&value);
            let mut buf = BytesMut::new();
            assert!(matches!(Param(&value).to_sql(&ty, &mut buf).unwrap(), IsNull::No));
            assert_eq!(Field::from_sql(&ty, &buf).unwrap().0, value, "{ty}");
        }
        assert!(matches!(Param(&Value::Null).to_sql(&Type::INT8, &mut BytesMut::new()).unwrap(), IsNull::Yes));
        assert_eq!(Field::from_sql_null(&Type::INT8).unwrap().0, Value::Null);
    }

    #[test]
    fn values_that_do_not_fit_are_errors_not_panics() {
        assert!(Param(&Value::Text("x".into())).to_sql(&Type::INT8, &mut BytesMut::new()).is_err());
        assert!(Param(&Value::Integer(1 << 40)).to_sql(&Type::INT4, &mut BytesMut::new()).is_err());
        assert!(Field::from_sql(&Type::INT8, &[1, 2, 3]).is_err());
        assert!(Field::from_sql(&Type::TEXT, &[0xff, 0xfe]).is_err());
        assert!(Field::from_sql(&Type::NUMERIC, &[0; 7]).is_err());
        assert!(Field::from_sql(&Type::NUMERIC, &[0, 0, 0, 0, 0xC0, 0, 0, 0]).is_err(), "NaN");
    }
}
