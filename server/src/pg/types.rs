//! Values on the wire: Braid's types as PostgreSQL types, in text and binary format.
//!
//! | Braid     | PostgreSQL    | binary                                    |
//! |-----------|---------------|-------------------------------------------|
//! | BOOLEAN   | `bool`        | one byte, 0 or 1                          |
//! | INTEGER   | `int8`        | 8 bytes, big-endian                       |
//! | REAL      | `float8`      | IEEE 754 bits, big-endian                 |
//! | TEXT      | `text`        | UTF-8 bytes                               |
//! | BLOB      | `bytea`       | the bytes                                 |
//! | TIMESTAMP | `timestamptz` | microseconds since 2000-01-01 UTC, 8 bytes |
//! | NUMERIC   | `numeric`     | digit count, weight, sign, display scale, then base-10,000 digits (2 bytes each) |
//! | INTERVAL  | `interval`    | microseconds (8 bytes), days (4), months (4), big-endian |
//! | TIME      | `time`        | microseconds since midnight, 8 bytes      |
//!
//! A result column that passes a table column on unchanged goes out as the type the column
//! was declared with (`braid::value::declared`), encoded as PostgreSQL encodes it: `int2` /
//! `int4` in 2 / 4 bytes, `float4` as an IEEE single, `date` as days since 2000-01-01 (4
//! bytes), `timestamp` like `timestamptz` but printed without a zone, `uuid` as 16 bytes,
//! `jsonb` as a version byte and the text, `varchar` / `bpchar` / `json` as text.
//! Arrays (`array_agg`, `ARRAY(SELECT …)`: `_text`, `_int4`, …) are TEXT in PostgreSQL's
//! text form; in binary they go out as PostgreSQL's one-dimensional array: dimensions,
//! NULL flag, element OID, length and lower bound 1, then each element in binary.
//!
//! A column whose type the planner cannot promise (`coalesce(1, 'a')`) goes out as `text`,
//! each value in its text form. Values are written straight into the `DataRow` buffer: no
//! per-value allocation on the hot path of a point select.
//!
//! Parameters arrive typed by the client (`Parse` may name their types) or by what Braid
//! inferred at Describe time; anything else is text, which the statement's comparisons
//! convert by SQLite's affinity rules.

use bytes::{BufMut, BytesMut};
use pgwire::api::Type;
use pgwire::api::results::FieldFormat;

use braid::value::datetime;
use braid::value::zone::Zone;
use braid::{DataType, Decimal, Value};

/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01 UTC).
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// The PostgreSQL type a Braid type goes out as; `None` (no single type) is text.
pub fn pg_type(t: Option<DataType>) -> Type {
    match t {
        Some(DataType::Boolean) => Type::BOOL,
        Some(DataType::Integer) => Type::INT8,
        Some(DataType::Real) => Type::FLOAT8,
        Some(DataType::Blob) => Type::BYTEA,
        Some(DataType::Timestamp) => Type::TIMESTAMPTZ,
        Some(DataType::Numeric) => Type::NUMERIC,
        Some(DataType::Interval) => Type::INTERVAL,
        Some(DataType::Time) => Type::TIME,
        _ => Type::TEXT,
    }
}

/// The PostgreSQL type a result column goes out as: its declared type where it has one
/// (`int4`, `varchar`, `date`, …), else its storage type's.
pub fn column_pg_type(t: Option<DataType>, declared: Option<braid::DeclaredType>) -> Type {
    let Some(declared) = declared else { return pg_type(t) };
    Type::from_oid(declared.oid).unwrap_or_else(|| pg_type(t))
}

/// The PostgreSQL type parameter `i` (from 0) of a statement is described as: the declared
/// type it takes from its column where it has one (`int4` for `id = $1` on an `integer`),
/// else its inferred storage type's.
pub fn param_pg_type(description: &braid::Description, i: usize) -> Type {
    column_pg_type(description.params.get(i).copied().flatten(), description.param_declared(i))
}

/// Why a value could not be written or read.
#[derive(Debug, PartialEq)]
pub struct TypeError(pub String);

/// Appends one DataRow field: its length, then `value` as `ty` in `format` (a
/// `timestamptz` in text as UTC).
pub fn encode(buf: &mut BytesMut, value: &Value, ty: &Type, format: FieldFormat) -> Result<(), TypeError> {
    encode_in(buf, value, ty, format, Zone::Utc)
}

/// [`encode`] for a session in time zone `zone`: a `timestamptz` in text is its local time
/// there (`2024-07-01 14:00:00+02`); binary stays UTC microseconds, as PostgreSQL's.
pub fn encode_in(
    buf: &mut BytesMut,
    value: &Value,
    ty: &Type,
    format: FieldFormat,
    zone: Zone,
) -> Result<(), TypeError> {
    if value.is_null() {
        buf.put_i32(-1);
        return Ok(());
    }
    let at = buf.len();
    buf.put_i32(0);
    match format {
        FieldFormat::Binary => encode_binary(buf, value, ty)?,
        FieldFormat::Text => encode_text(buf, value, ty, zone)?,
    }
    let len = (buf.len() - at - 4) as i32;
    buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
    Ok(())
}

fn mismatch(value: &Value, ty: &Type) -> TypeError {
    TypeError(format!("value {value} does not fit result column type {}", ty.name()))
}

/// The value as an i64 for an `int8` column: integers, and reals without a fraction.
fn as_int(value: &Value, ty: &Type) -> Result<i64, TypeError> {
    match value {
        Value::Integer(i) | Value::Timestamp(i) => Ok(*i),
        Value::Boolean(b) => Ok(*b as i64),
        Value::Real(r) if r.fract() == 0.0 && r.abs() < 9.2e18 => Ok(*r as i64),
        _ => Err(mismatch(value, ty)),
    }
}

fn as_real(value: &Value, ty: &Type) -> Result<f64, TypeError> {
    match value {
        Value::Real(r) => Ok(*r),
        Value::Integer(i) => Ok(*i as f64),
        Value::Numeric(d) => Ok(braid::value::numeric::to_f64(d)),
        _ => Err(mismatch(value, ty)),
    }
}

fn as_bool(value: &Value, ty: &Type) -> Result<bool, TypeError> {
    match value {
        Value::Boolean(b) => Ok(*b),
        Value::Integer(i) => Ok(*i != 0),
        _ => Err(mismatch(value, ty)),
    }
}

fn encode_binary(buf: &mut BytesMut, value: &Value, ty: &Type) -> Result<(), TypeError> {
    if let Some(element) = braid::value::declared::element_of(ty.oid()).and_then(Type::from_oid) {
        return encode_array(buf, value, &element);
    }
    match *ty {
        Type::INT8 => buf.put_i64(as_int(value, ty)?),
        Type::INT4 => buf.put_i32(i32::try_from(as_int(value, ty)?).map_err(|_| mismatch(value, ty))?),
        Type::INT2 => buf.put_i16(i16::try_from(as_int(value, ty)?).map_err(|_| mismatch(value, ty))?),
        Type::FLOAT8 => buf.put_f64(as_real(value, ty)?),
        Type::OID => buf.put_u32(u32::try_from(as_int(value, ty)?).map_err(|_| mismatch(value, ty))?),
        Type::FLOAT4 => buf.put_f32(as_real(value, ty)? as f32),
        Type::BOOL => buf.put_u8(as_bool(value, ty)? as u8),
        Type::TIMESTAMPTZ | Type::TIMESTAMP => buf.put_i64(as_int(value, ty)?.saturating_sub(PG_EPOCH_MICROS)),
        // Days since 2000-01-01.
        Type::DATE => {
            let days = (as_int(value, ty)?.saturating_sub(PG_EPOCH_MICROS)).div_euclid(86_400_000_000);
            buf.put_i32(i32::try_from(days).map_err(|_| mismatch(value, ty))?)
        }
        Type::UUID => match value {
            Value::Text(t) => buf.put_slice(&uuid_bytes(t).ok_or_else(|| mismatch(value, ty))?),
            _ => return Err(mismatch(value, ty)),
        },
        // jsonb's binary form is a version byte, then the text.
        Type::JSONB => {
            buf.put_u8(1);
            write_text(buf, value)
        }
        Type::NUMERIC => braid::value::numeric::write_binary(&as_numeric(value, ty)?, |bytes| buf.put_slice(bytes)),
        Type::INTERVAL => match value {
            Value::Interval(i) => braid::value::interval::write_binary(i, |bytes| buf.put_slice(bytes)),
            _ => return Err(mismatch(value, ty)),
        },
        // Microseconds since midnight.
        Type::TIME => match value {
            Value::Time(t) => buf.put_i64(*t),
            _ => return Err(mismatch(value, ty)),
        },
        Type::BYTEA => match value {
            Value::Blob(b) => buf.put_slice(b),
            Value::Text(t) => buf.put_slice(t.as_bytes()),
            _ => return Err(mismatch(value, ty)),
        },
        _ => write_text(buf, value),
    }
    Ok(())
}

fn encode_text(buf: &mut BytesMut, value: &Value, ty: &Type, zone: Zone) -> Result<(), TypeError> {
    use std::fmt::Write as _;
    let mut w = Writer(buf);
    match *ty {
        Type::INT8 | Type::INT4 | Type::INT2 | Type::OID => _ = write!(w, "{}", as_int(value, ty)?),
        Type::FLOAT8 => write_float(&mut w, as_real(value, ty)?),
        Type::FLOAT4 => write_float(&mut w, as_real(value, ty)?),
        Type::BOOL => w.0.put_u8(if as_bool(value, ty)? { b't' } else { b'f' }),
        Type::TIMESTAMPTZ => _ = datetime::write_timestamptz(&mut w, as_int(value, ty)?, zone),
        Type::TIMESTAMP => _ = datetime::write_datetime(&mut w, as_int(value, ty)?, datetime::Shown::Timestamp),
        Type::DATE => _ = datetime::write_datetime(&mut w, as_int(value, ty)?, datetime::Shown::Date),
        Type::BYTEA => match value {
            Value::Blob(b) => write_hex(w.0, b),
            Value::Text(t) => write_hex(w.0, t.as_bytes()),
            _ => return Err(mismatch(value, ty)),
        },
        _ => write_text(w.0, value),
    }
    Ok(())
}

/// An array value (its text form) in PostgreSQL's binary array format.
fn encode_array(buf: &mut BytesMut, value: &Value, element: &Type) -> Result<(), TypeError> {
    let Value::Text(text) = value else { return Err(mismatch(value, element)) };
    let items = braid::value::array::parse(text).map_err(|e| TypeError(e.to_string()))?;
    buf.put_i32(if items.is_empty() { 0 } else { 1 });
    buf.put_i32(items.iter().any(Option::is_none) as i32);
    buf.put_u32(element.oid());
    if !items.is_empty() {
        buf.put_i32(i32::try_from(items.len()).map_err(|_| mismatch(value, element))?);
        buf.put_i32(1);
    }
    for item in items {
        let item = match item {
            None => Value::Null,
            Some(s) => match *element {
                Type::INT2 | Type::INT4 | Type::INT8 | Type::OID => {
                    Value::Integer(s.trim().parse().map_err(|_| mismatch(&Value::Text(s.clone()), element))?)
                }
                Type::FLOAT4 | Type::FLOAT8 => {
                    Value::Real(parse_float(&s).ok_or_else(|| mismatch(&Value::Text(s.clone()), element))?)
                }
                Type::BOOL => Value::Boolean(matches!(s.as_str(), "t" | "true" | "1")),
                _ => Value::Text(s),
            },
        };
        encode(buf, &item, element, FieldFormat::Binary)?;
    }
    Ok(())
}

/// A value's text form in a `text` column.
fn write_text(buf: &mut BytesMut, value: &Value) {
    use std::fmt::Write as _;
    let mut w = Writer(buf);
    match value {
        Value::Null => {}
        Value::Boolean(b) => w.0.put_slice(if *b { b"t" } else { b"f" }),
        Value::Integer(i) => _ = write!(w, "{i}"),
        Value::Real(r) => w.0.put_slice(braid::value::format_real(*r).as_bytes()),
        Value::Text(t) => w.0.put_slice(t.as_bytes()),
        Value::Blob(b) => write_hex(w.0, b),
        Value::Timestamp(t) => write_timestamp(&mut w, *t),
        Value::Numeric(d) => _ = write!(w, "{d}"),
        Value::Interval(i) => w.0.put_slice(braid::value::interval::format(i).as_bytes()),
        Value::Time(t) => w.0.put_slice(braid::value::time::format(*t).as_bytes()),
    }
}

/// The value as a decimal for a `numeric` column: numerics, integers, finite reals.
fn as_numeric(value: &Value, ty: &Type) -> Result<Decimal, TypeError> {
    match value {
        Value::Numeric(d) => Ok(*d),
        Value::Integer(i) => Ok((*i).into()),
        Value::Real(r) => braid::value::numeric::from_f64(*r).map_err(|_| mismatch(value, ty)),
        _ => Err(mismatch(value, ty)),
    }
}

/// `float8` as PostgreSQL prints it: the shortest text that reads back the same value.
fn write_float(w: &mut Writer, r: f64) {
    use std::fmt::Write as _;
    if r.is_nan() {
        w.0.put_slice(b"NaN");
    } else if r.is_infinite() {
        w.0.put_slice(if r > 0.0 { b"Infinity" } else { b"-Infinity" });
    } else {
        _ = write!(w, "{r}");
    }
}

/// A UUID's 16 bytes from its text (`a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11`, hyphens
/// anywhere, braces allowed as PostgreSQL allows them).
fn uuid_bytes(text: &str) -> Option<[u8; 16]> {
    let hex: Vec<u8> = text.trim_matches(|c| c == '{' || c == '}').bytes().filter(|&b| b != b'-').collect();
    if hex.len() != 32 {
        return None;
    }
    let digit = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = [0u8; 16];
    for (i, pair) in hex.chunks(2).enumerate() {
        out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

/// `bytea`'s hex format: `\x` and two digits a byte.
fn write_hex(buf: &mut BytesMut, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    buf.reserve(2 + 2 * bytes.len());
    buf.put_slice(b"\\x");
    for b in bytes {
        buf.put_u8(DIGITS[(b >> 4) as usize]);
        buf.put_u8(DIGITS[(b & 15) as usize]);
    }
}

/// `timestamptz` in ISO form, UTC (`braid::value::datetime`).
fn write_timestamp(w: &mut Writer, micros: i64) {
    _ = datetime::write_timestamp(w, micros);
}

/// Reads one parameter sent as `ty` in `binary` or text format (a `timestamptz` in text
/// without an offset as UTC).
pub fn decode(bytes: Option<&[u8]>, ty: &Type, binary: bool) -> Result<Value, TypeError> {
    decode_in(bytes, ty, binary, Zone::Utc)
}

/// [`decode`] for a session in time zone `zone`: `timestamptz` text without an offset is a
/// local time there.
pub fn decode_in(bytes: Option<&[u8]>, ty: &Type, binary: bool, zone: Zone) -> Result<Value, TypeError> {
    let Some(bytes) = bytes else { return Ok(Value::Null) };
    let bad = || TypeError(format!("invalid value for a parameter of type {}", ty.name()));
    if binary {
        let fixed = |n: usize| -> Result<&[u8], TypeError> { if bytes.len() == n { Ok(bytes) } else { Err(bad()) } };
        return Ok(match *ty {
            Type::BOOL => Value::Boolean(fixed(1)?[0] != 0),
            Type::INT2 => Value::Integer(i16::from_be_bytes(fixed(2)?.try_into().map_err(|_| bad())?).into()),
            Type::INT4 => Value::Integer(i32::from_be_bytes(fixed(4)?.try_into().map_err(|_| bad())?).into()),
            Type::INT8 => Value::Integer(i64::from_be_bytes(fixed(8)?.try_into().map_err(|_| bad())?)),
            Type::FLOAT4 => Value::Real(f32::from_be_bytes(fixed(4)?.try_into().map_err(|_| bad())?).into()),
            Type::FLOAT8 => Value::Real(f64::from_be_bytes(fixed(8)?.try_into().map_err(|_| bad())?)),
            Type::TIMESTAMPTZ | Type::TIMESTAMP => {
                let pg = i64::from_be_bytes(fixed(8)?.try_into().map_err(|_| bad())?);
                Value::Timestamp(pg.saturating_add(PG_EPOCH_MICROS))
            }
            Type::DATE => {
                let days = i32::from_be_bytes(fixed(4)?.try_into().map_err(|_| bad())?);
                Value::Timestamp((days as i64 * 86_400_000_000).saturating_add(PG_EPOCH_MICROS))
            }
            Type::UUID => {
                let b = fixed(16)?;
                let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
                Value::Text(format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..]))
            }
            // jsonb's binary form: a version byte (1), then the text.
            Type::JSONB => match bytes.split_first() {
                Some((1, text)) => Value::Text(std::str::from_utf8(text).map_err(|_| bad())?.to_string()),
                _ => return Err(bad()),
            },
            Type::INTERVAL => Value::Interval(braid::value::interval::read_binary(bytes).ok_or_else(bad)?),
            Type::TIME => match i64::from_be_bytes(fixed(8)?.try_into().map_err(|_| bad())?) {
                t @ 0..=86_400_000_000 => Value::Time(t),
                _ => return Err(bad()),
            },
            // pgJDBC sends BigDecimal so.
            Type::NUMERIC => Value::Numeric(braid::value::numeric::read_binary(bytes).ok_or_else(bad)?),
            Type::BYTEA => Value::Blob(bytes.to_vec()),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN | Type::JSON => {
                Value::Text(std::str::from_utf8(bytes).map_err(|_| bad())?.to_string())
            }
            _ => return Err(TypeError(format!("parameters of type {} are not supported", ty.name()))),
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|_| bad())?;
    Ok(match *ty {
        Type::BOOL => match text.trim().to_ascii_lowercase().as_str() {
            "t" | "true" | "yes" | "on" | "1" | "y" => Value::Boolean(true),
            "f" | "false" | "no" | "off" | "0" | "n" => Value::Boolean(false),
            _ => return Err(bad()),
        },
        Type::INT2 | Type::INT4 | Type::INT8 | Type::OID => Value::Integer(text.trim().parse().map_err(|_| bad())?),
        Type::FLOAT4 | Type::FLOAT8 => Value::Real(parse_float(text.trim()).ok_or_else(bad)?),
        Type::NUMERIC => Value::Numeric(braid::value::numeric::parse(text).map_err(|e| TypeError(e.to_string()))?),
        Type::INTERVAL => Value::Interval(braid::value::interval::parse(text).map_err(|e| TypeError(e.to_string()))?),
        Type::TIME => Value::Time(braid::value::time::parse(text).map_err(|e| TypeError(e.to_string()))?),
        Type::TIMESTAMPTZ => match datetime::parse_with_offset(text).map_err(|_| bad())? {
            (at, Some(_)) => Value::Timestamp(at),
            (local, None) => Value::Timestamp(zone.from_local(local)),
        },
        Type::TIMESTAMP | Type::DATE => Value::Timestamp(datetime::parse_timestamp(text).map_err(|_| bad())?),
        Type::BYTEA => Value::Blob(parse_bytea(text).ok_or_else(bad)?),
        _ => Value::Text(text.to_string()),
    })
}

fn parse_float(text: &str) -> Option<f64> {
    match text.to_ascii_lowercase().as_str() {
        "nan" => Some(f64::NAN),
        "infinity" | "inf" | "+infinity" => Some(f64::INFINITY),
        "-infinity" | "-inf" => Some(f64::NEG_INFINITY),
        t => t.parse().ok(),
    }
}

/// `bytea` text input: `\x` hex, or the bytes of the text as written.
fn parse_bytea(text: &str) -> Option<Vec<u8>> {
    let Some(hex) = text.strip_prefix("\\x") else { return Some(text.as_bytes().to_vec()) };
    let digit = |c: u8| (c as char).to_digit(16);
    let hex = hex.as_bytes();
    if hex.len() % 2 != 0 {
        return None;
    }
    hex.chunks(2).map(|p| Some((digit(p[0])? * 16 + digit(p[1])?) as u8)).collect()
}

/// `fmt::Write` into a `BytesMut`, for numbers without a temporary `String`.
struct Writer<'a>(&'a mut BytesMut);

impl std::fmt::Write for Writer<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.put_slice(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(value: &Value, ty: &Type) -> String {
        let mut buf = BytesMut::new();
        encode(&mut buf, value, ty, FieldFormat::Text).unwrap();
        String::from_utf8(buf[4..].to_vec()).unwrap()
    }

    #[test]
    fn timestamps_round_trip_through_text() {
        for micros in [0, 1, -1, 1_764_435_723_123_456, -62_135_596_800_000_000, 253_402_300_799_999_999] {
            let t = text(&Value::Timestamp(micros), &Type::TIMESTAMPTZ);
            assert_eq!(datetime::parse_timestamp(&t).ok(), Some(micros), "{t}");
        }
        assert_eq!(text(&Value::Timestamp(0), &Type::TIMESTAMPTZ), "1970-01-01 00:00:00+00");
        assert_eq!(datetime::parse_timestamp("2000-01-01 02:00:00+02").ok(), Some(PG_EPOCH_MICROS));
        assert_eq!(datetime::parse_timestamp("2000-01-01T00:00:00Z").ok(), Some(PG_EPOCH_MICROS));
        assert!(datetime::parse_timestamp("2000-13-01").is_err());
    }

    #[test]
    fn binary_parameters_round_trip_with_results() {
        for (value, ty) in [
            (Value::Integer(-42), Type::INT8),
            (Value::Real(2.5), Type::FLOAT8),
            (Value::Boolean(true), Type::BOOL),
            (Value::Text("héllo".into()), Type::TEXT),
            (Value::Blob(vec![0, 255, 7]), Type::BYTEA),
            (Value::Timestamp(1_764_435_723_123_456), Type::TIMESTAMPTZ),
        ] {
            let mut buf = BytesMut::new();
            encode(&mut buf, &value, &ty, FieldFormat::Binary).unwrap();
            assert_eq!(decode(Some(&buf[4..]), &ty, true).unwrap(), value, "{ty}");
        }
    }

    #[test]
    fn text_forms_match_postgresql() {
        assert_eq!(text(&Value::Real(1.0), &Type::FLOAT8), "1");
        assert_eq!(text(&Value::Real(f64::NEG_INFINITY), &Type::FLOAT8), "-Infinity");
        assert_eq!(text(&Value::Boolean(false), &Type::BOOL), "f");
        assert_eq!(text(&Value::Blob(vec![1, 0xab]), &Type::BYTEA), "\\x01ab");
        assert_eq!(text(&Value::Integer(3), &Type::FLOAT8), "3");
        assert_eq!(decode(Some(b"\\x01ab"), &Type::BYTEA, false).unwrap(), Value::Blob(vec![1, 0xab]));
    }

    #[test]
    fn binary_numerics_round_trip() {
        let numeric = |words: &[u16]| words.iter().flat_map(|w| w.to_be_bytes()).collect::<Vec<u8>>();
        let read = |words: &[u16]| decode(Some(&numeric(words)), &Type::NUMERIC, true).map(|v| v.to_string());
        // 15.5: digits [15, 5000], weight 0, scale 1.
        assert_eq!(read(&[2, 0, 0, 1, 15, 5000]), Ok("15.5".into()));
        // -0.0012: digits [12], weight -1.
        assert_eq!(read(&[1, 0xffff, 0x4000, 4, 12]), Ok("-0.0012".into()));
        // 1e8: digits [1], weight 2.
        assert_eq!(read(&[1, 2, 0, 0, 1]), Ok("100000000".into()));
        assert_eq!(read(&[0, 0, 0, 2]), Ok("0.00".into()));
        assert!(read(&[0, 0, 0xC000, 0]).is_err(), "NaN");
        for text in ["15.5", "-0.0012", "100000000", "0.00", "12345.6789", "-7", "0.5", "10000", "123456789.000100"] {
            let d: Decimal = braid::value::numeric::parse(text).unwrap();
            let mut buf = BytesMut::new();
            encode(&mut buf, &Value::Numeric(d), &Type::NUMERIC, FieldFormat::Binary).unwrap();
            assert_eq!(decode(Some(&buf[4..]), &Type::NUMERIC, true).map(|v| v.to_string()), Ok(text.to_string()));
        }
        // Malformed: a short body, a digit over 9999, an unknown sign.
        assert!(read(&[2, 0, 0, 0, 1]).is_err());
        assert!(read(&[1, 0, 0, 0, 10_000]).is_err());
        assert!(read(&[1, 0, 0x1234, 0, 1]).is_err());
    }

    #[test]
    fn values_that_do_not_fit_are_errors_not_panics() {
        let mut buf = BytesMut::new();
        assert!(encode(&mut buf, &Value::Text("x".into()), &Type::INT8, FieldFormat::Binary).is_err());
        assert!(decode(Some(b"abc"), &Type::INT8, false).is_err());
        assert!(decode(Some(&[1, 2, 3]), &Type::INT8, true).is_err());
        assert!(decode(Some(&[0xff, 0xfe]), &Type::TEXT, true).is_err());
    }
}
