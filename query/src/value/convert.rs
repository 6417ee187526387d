//! Conversions between values: text to number, affinity, CAST, truth, and Rust types.

use braid_engine::{DataType, Decimal, Value};

use super::format::to_text;
use super::numeric;
use crate::error::{DataError, Error, Result};

/// The longest prefix of `s` that reads as a number, SQLite style: leading spaces, a sign,
/// digits, a fraction, an exponent. `"12x"` is 12, `"1.5e3!"` is 1500.0, `"abc"` is 0.
/// Returns the number and whether the whole text (bar surrounding spaces) was consumed.
pub(crate) fn parse_number_prefix(s: &str) -> (Value, bool) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    let start = i;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let digits_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut int_digits = i - digits_start;
    let mut is_real = false;
    if i < b.len() && b[i] == b'.' {
        let frac_start = i + 1;
        let mut j = frac_start;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if int_digits > 0 || j > frac_start {
            is_real = true;
            int_digits += j - frac_start;
            i = j;
        }
    }
    if int_digits == 0 {
        return (Value::Integer(0), false);
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        let exp_start = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > exp_start {
            is_real = true;
            i = j;
        }
    }
    let text = &s[start..i];
    let mut end = i;
    while end < b.len() && b[end].is_ascii_whitespace() {
        end += 1;
    }
    let whole = end == b.len();
    if !is_real && let Ok(n) = text.parse::<i64>() {
        return (Value::Integer(n), whole);
    }
    (Value::Real(text.parse::<f64>().unwrap_or(0.0)), whole)
}

/// A value as a number for arithmetic: NULL stays NULL, text and blobs read their numeric
/// prefix, booleans are 0 or 1.
pub fn to_number(v: &Value) -> Value {
    match v {
        Value::Null | Value::Integer(_) | Value::Real(_) | Value::Numeric(_) | Value::Interval(_) | Value::Time(_) => {
            v.clone()
        }
        Value::Boolean(b) => Value::Integer(*b as i64),
        Value::Timestamp(t) => Value::Integer(*t),
        Value::Text(s) => parse_number_prefix(s).0,
        Value::Blob(b) => parse_number_prefix(&String::from_utf8_lossy(b)).0,
    }
}

/// A value as an `i64`, as SQLite's `sqlite3_column_int64` gives it (reals truncate,
/// saturating; text reads its numeric prefix; NULL is 0).
pub fn to_i64_lossy(v: &Value) -> i64 {
    match to_number(v) {
        Value::Integer(i) => i,
        Value::Real(r) => real_to_i64(r),
        Value::Numeric(d) => real_to_i64(numeric::to_f64(&d)),
        _ => 0,
    }
}

/// A real truncated toward zero, saturating at the ends of `i64` (NaN is 0).
pub(crate) fn real_to_i64(r: f64) -> i64 {
    if r.is_nan() {
        0
    } else if r >= crate::value::TWO_POW_63 {
        i64::MAX
    } else if r <= -crate::value::TWO_POW_63 {
        i64::MIN
    } else {
        r as i64
    }
}

/// A value as an `f64` (NULL is 0.0).
pub fn to_f64_lossy(v: &Value) -> f64 {
    match to_number(v) {
        Value::Integer(i) => i as f64,
        Value::Real(r) => r,
        Value::Numeric(d) => numeric::to_f64(&d),
        _ => 0.0,
    }
}

/// The truth of a value in WHERE, CASE, AND/OR/NOT: `None` is unknown (NULL).
#[inline]
pub fn truthy(v: &Value) -> Option<bool> {
    match v {
        Value::Null => None,
        Value::Boolean(b) => Some(*b),
        Value::Integer(i) => Some(*i != 0),
        Value::Real(r) => Some(*r != 0.0),
        Value::Numeric(d) => Some(!d.is_zero()),
        Value::Interval(i) => Some(i.span() != 0),
        other => Some(to_f64_lossy(other) != 0.0),
    }
}

/// A column's affinity, SQLite's name for the conversion applied to values compared with
/// it or stored in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Affinity {
    Integer,
    Real,
    Text,
    /// No conversion (blobs, expressions).
    None,
}

impl Affinity {
    pub fn of(t: DataType) -> Affinity {
        match t {
            DataType::Integer | DataType::Boolean | DataType::Timestamp => Affinity::Integer,
            DataType::Real | DataType::Numeric => Affinity::Real,
            DataType::Text => Affinity::Text,
            _ => Affinity::None,
        }
    }

    pub fn is_numeric(self) -> bool {
        matches!(self, Affinity::Integer | Affinity::Real)
    }
}

/// Applies an affinity as SQLite does before a comparison: numeric affinity turns text that
/// is wholly a number into that number; text affinity turns numbers into text.
pub fn apply_affinity(v: Value, affinity: Affinity) -> Value {
    match (affinity, v) {
        (Affinity::Integer | Affinity::Real, Value::Text(s)) => match parse_number_prefix(&s) {
            (n, true) => n,
            _ => Value::Text(s),
        },
        (Affinity::Text, v @ (Value::Integer(_) | Value::Real(_) | Value::Numeric(_))) => Value::Text(to_text(&v)),
        (_, v) => v,
    }
}

/// Converts a value for storage in a column of type `t`: SQLite's affinity where it gives a
/// value of the column's type, else a type error naming the column (formatted only then:
/// this runs for every value written).
pub fn coerce_for_column(v: Value, t: DataType, column: &dyn std::fmt::Display) -> Result<Value> {
    let mismatch = |v: &Value| Error::type_error(format!("column {column} is {t}, but the value {v} is not"));
    Ok(match (t, v) {
        (_, Value::Null) => Value::Null,
        (DataType::Integer, Value::Integer(i)) => Value::Integer(i),
        (DataType::Integer, Value::Boolean(b)) => Value::Integer(b as i64),
        (DataType::Integer, Value::Real(r)) if r.fract() == 0.0 && r.abs() < 9.2e18 => Value::Integer(r as i64),
        (DataType::Real, Value::Real(r)) => Value::real(r),
        (DataType::Real, Value::Integer(i)) => Value::Real(i as f64),
        (DataType::Real, Value::Boolean(b)) => Value::Real(b as i64 as f64),
        // PostgreSQL's assignment casts to and from NUMERIC, and text into an INTERVAL, are
        // its explicit casts: NUMERIC rounds into an integer, becomes a float, and takes
        // integers, floats (their 15 digits) and text that spells one.
        (DataType::Integer | DataType::Real, ref v @ Value::Numeric(_))
        | (DataType::Numeric, ref v @ (Value::Integer(_) | Value::Real(_) | Value::Text(_)))
        | (DataType::Interval | DataType::Time, ref v @ Value::Text(_)) => cast(v, t)?,
        (DataType::Integer | DataType::Real, Value::Text(s)) => match parse_number_prefix(&s) {
            (n, true) => return coerce_for_column(n, t, column),
            _ => {
                let name = if t == DataType::Integer { "bigint" } else { "double precision" };
                return Err(invalid_text(name, &s));
            }
        },
        (DataType::Timestamp, Value::Text(s)) => Value::Timestamp(super::datetime::parse_timestamp(&s)?),
        (DataType::Text, v @ (Value::Integer(_) | Value::Real(_) | Value::Numeric(_))) => Value::Text(to_text(&v)),
        (DataType::Text, Value::Boolean(b)) => Value::Text(if b { "1" } else { "0" }.into()),
        (DataType::Boolean, v) => match truthy(&v) {
            Some(b) if !matches!(v, Value::Text(_) | Value::Blob(_)) => Value::Boolean(b),
            _ => match &v {
                Value::Text(s) if matches!(s.to_ascii_lowercase().as_str(), "true" | "t" | "yes" | "on" | "1") => {
                    Value::Boolean(true)
                }
                Value::Text(s) if matches!(s.to_ascii_lowercase().as_str(), "false" | "f" | "no" | "off" | "0") => {
                    Value::Boolean(false)
                }
                _ => return Err(mismatch(&v)),
            },
        },
        (DataType::Timestamp, Value::Integer(i)) => Value::Timestamp(i),
        (DataType::Blob, Value::Text(s)) => Value::Blob(s.into_bytes()),
        (t, v) if v.data_type() == Some(t) => v,
        (_, v) => return Err(mismatch(&v)),
    })
}

/// `CAST(v AS t)`, PostgreSQL's rules: text must spell a value of the type (`'a'::int` is
/// 22P02, `'2024-13-45'::date` 22008), reals round to the nearest integer (halves to even,
/// as PostgreSQL's `rint`) and must fit; to TEXT renders the value; NULL stays NULL.
pub fn cast(v: &Value, t: DataType) -> Result<Value> {
    Ok(match (t, v) {
        (_, Value::Null) => Value::Null,
        (DataType::Integer, Value::Integer(_)) => v.clone(),
        (DataType::Integer, Value::Boolean(b)) => Value::Integer(*b as i64),
        (DataType::Integer, Value::Timestamp(t)) => Value::Integer(*t),
        (DataType::Integer, Value::Real(r)) => Value::Integer(real_to_integer(*r)?),
        (DataType::Integer, Value::Numeric(d)) => Value::Integer(numeric::to_i64(d)?),
        (DataType::Numeric, Value::Numeric(_)) => v.clone(),
        (DataType::Numeric, Value::Integer(i)) => Value::Numeric((*i).into()),
        (DataType::Numeric, Value::Real(r)) => Value::Numeric(numeric::from_f64(*r)?),
        (DataType::Numeric, Value::Text(s)) => Value::Numeric(numeric::parse(s)?),
        (DataType::Numeric, _) | (DataType::Boolean, Value::Numeric(_)) => return Err(cannot_cast(v, t)),
        // TIME: from text, a timestamp's time of day, an interval's time part; to an
        // interval and to text. Nothing else casts to or from it, as in PostgreSQL.
        (DataType::Time, Value::Time(_)) => v.clone(),
        (DataType::Time, Value::Text(s)) => Value::Time(super::time::parse(s)?),
        (DataType::Time, Value::Timestamp(at)) => Value::Time(super::time::of_moment(*at)),
        (DataType::Time, Value::Interval(i)) => Value::Time(super::time::of_interval(i)),
        (DataType::Interval, Value::Time(t)) => Value::Interval(braid_engine::Interval::new(0, 0, *t)),
        (DataType::Time, _) => return Err(cannot_cast(v, t)),
        (_, Value::Time(_)) if !matches!(t, DataType::Text | DataType::Blob) => return Err(cannot_cast(v, t)),
        (DataType::Interval, Value::Interval(_)) => v.clone(),
        (DataType::Interval, Value::Text(s)) => Value::Interval(super::interval::parse(s)?),
        (DataType::Interval, _) | (_, Value::Interval(_)) if t != DataType::Text => return Err(cannot_cast(v, t)),
        (DataType::Integer, Value::Text(s)) => Value::Integer(parse_integer(s)?),
        (DataType::Integer, Value::Blob(_)) => return Err(cannot_cast(v, t)),
        (DataType::Real, Value::Text(s)) => Value::real(parse_real(s)?),
        (DataType::Real, Value::Blob(_)) => return Err(cannot_cast(v, t)),
        (DataType::Real, v) => Value::Real(to_f64_lossy(v)),
        (DataType::Text, Value::Blob(b)) => Value::Text(String::from_utf8_lossy(b).into_owned()),
        (DataType::Text, v) => Value::Text(to_text(v)),
        (DataType::Blob, Value::Blob(b)) => Value::Blob(b.clone()),
        (DataType::Blob, v) => Value::Blob(to_text(v).into_bytes()),
        (DataType::Boolean, Value::Text(s)) => Value::Boolean(parse_boolean(s)?),
        (DataType::Boolean, Value::Blob(_)) => return Err(cannot_cast(v, t)),
        (DataType::Boolean, v) => truthy(v).map_or(Value::Null, Value::Boolean),
        (DataType::Timestamp, Value::Text(s)) => Value::Timestamp(super::datetime::parse_timestamp(s)?),
        (DataType::Timestamp, Value::Timestamp(_)) => v.clone(),
        (DataType::Timestamp, Value::Integer(i)) => Value::Timestamp(*i),
        (DataType::Timestamp, _) => return Err(cannot_cast(v, t)),
        (_, v) => v.clone(),
    })
}

fn cannot_cast(v: &Value, t: DataType) -> Error {
    let from = v.data_type().map_or("unknown".to_string(), |d| d.to_string());
    Error::type_error(format!("cannot cast type {} to {}", from.to_lowercase(), t.to_string().to_lowercase()))
}

fn invalid_text(type_name: &str, s: &str) -> Error {
    Error::data(DataError::InvalidTextRepresentation, format!("invalid input syntax for type {type_name}: \"{s}\""))
}

/// Text as an integer, PostgreSQL's way: surrounding spaces, a sign, digits; nothing else.
pub fn parse_integer(s: &str) -> Result<i64> {
    let t = s.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid_text("bigint", s));
    }
    t.parse::<i64>().map_err(|_| {
        Error::data(DataError::NumericOutOfRange, format!("value \"{s}\" is out of range for type bigint"))
    })
}

/// Text as a real: a decimal number with optional exponent, or `NaN` / `Infinity`.
pub fn parse_real(s: &str) -> Result<f64> {
    let t = s.trim();
    let special = match t.to_ascii_lowercase().as_str() {
        "nan" => Some(f64::NAN),
        "infinity" | "+infinity" | "inf" | "+inf" => Some(f64::INFINITY),
        "-infinity" | "-inf" => Some(f64::NEG_INFINITY),
        _ => None,
    };
    if let Some(r) = special {
        return Ok(r);
    }
    match parse_number_prefix(t) {
        (n, true) if !t.is_empty() => Ok(to_f64_lossy(&n)),
        _ => Err(invalid_text("double precision", s)),
    }
}

/// Text as a boolean: PostgreSQL's words (`t`, `true`, `yes`, `on`, `1`, and their opposites,
/// any case, or any unique prefix of the words).
pub fn parse_boolean(s: &str) -> Result<bool> {
    let t = s.trim().to_ascii_lowercase();
    let is_prefix = |word: &str| !t.is_empty() && word.starts_with(t.as_str());
    match t.as_str() {
        "1" | "on" => Ok(true),
        "0" | "of" | "off" => Ok(false),
        _ if is_prefix("true") || is_prefix("yes") => Ok(true),
        _ if is_prefix("false") || is_prefix("no") => Ok(false),
        _ => Err(invalid_text("boolean", s)),
    }
}

/// A real rounded to the nearest integer (halves to even), or 22003 if it does not fit.
fn real_to_integer(r: f64) -> Result<i64> {
    let rounded = r.round_ties_even();
    if rounded.is_nan() || !(-crate::value::TWO_POW_63..crate::value::TWO_POW_63).contains(&rounded) {
        return Err(Error::data(DataError::NumericOutOfRange, "bigint out of range"));
    }
    Ok(rounded as i64)
}

/// Rust types that a [`Value`] converts into (typed getters on rows).
pub trait FromValue: Sized {
    fn from_value(v: &Value) -> Result<Self>;
}

/// Rust types that convert into a [`Value`] (statement parameters).
pub trait ToValue {
    fn to_value(&self) -> Value;
}

fn wrong(v: &Value, want: &str) -> Error {
    Error::type_error(format!("cannot read {v} as {want}"))
}

impl FromValue for Value {
    fn from_value(v: &Value) -> Result<Self> {
        Ok(v.clone())
    }
}

impl FromValue for i64 {
    fn from_value(v: &Value) -> Result<Self> {
        match v {
            Value::Integer(i) | Value::Timestamp(i) => Ok(*i),
            Value::Boolean(b) => Ok(*b as i64),
            _ => Err(wrong(v, "an integer")),
        }
    }
}

impl FromValue for i32 {
    fn from_value(v: &Value) -> Result<Self> {
        i64::from_value(v)?.try_into().map_err(|_| wrong(v, "a 32-bit integer"))
    }
}

impl FromValue for f64 {
    fn from_value(v: &Value) -> Result<Self> {
        match v {
            Value::Real(r) => Ok(*r),
            Value::Integer(i) => Ok(*i as f64),
            Value::Numeric(d) => Ok(numeric::to_f64(d)),
            _ => Err(wrong(v, "a real")),
        }
    }
}

impl FromValue for Decimal {
    fn from_value(v: &Value) -> Result<Self> {
        match v {
            Value::Numeric(d) => Ok(*d),
            Value::Integer(i) => Ok((*i).into()),
            _ => Err(wrong(v, "a numeric")),
        }
    }
}

impl FromValue for bool {
    fn from_value(v: &Value) -> Result<Self> {
        match v {
            Value::Boolean(b) => Ok(*b),
            Value::Integer(i) => Ok(*i != 0),
            _ => Err(wrong(v, "a boolean")),
        }
    }
}

impl FromValue for String {
    fn from_value(v: &Value) -> Result<Self> {
        match v {
            Value::Text(s) => Ok(s.clone()),
            _ => Err(wrong(v, "text")),
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(v: &Value) -> Result<Self> {
        match v {
            Value::Blob(b) => Ok(b.clone()),
            Value::Text(s) => Ok(s.clone().into_bytes()),
            _ => Err(wrong(v, "a blob")),
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> Result<Self> {
        if v.is_null() { Ok(None) } else { T::from_value(v).map(Some) }
    }
}

macro_rules! to_value {
    ($($t:ty => |$x:ident| $e:expr),* $(,)?) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                let $x = self;
                $e
            }
        }
    )*};
}

to_value! {
    Value => |x| x.clone(),
    i64 => |x| Value::Integer(*x),
    i32 => |x| Value::Integer(*x as i64),
    u32 => |x| Value::Integer(*x as i64),
    f64 => |x| Value::real(*x),
    bool => |x| Value::Boolean(*x),
    Decimal => |x| Value::Numeric(*x),
    String => |x| Value::Text(x.clone()),
    str => |x| Value::Text(x.to_string()),
    Vec<u8> => |x| Value::Blob(x.clone()),
    [u8] => |x| Value::Blob(x.to_vec()),
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_reads_its_numeric_prefix() {
        assert_eq!(parse_number_prefix("12x"), (Value::Integer(12), false));
        assert_eq!(parse_number_prefix(" 1.5e3 "), (Value::Real(1500.0), true));
        assert_eq!(parse_number_prefix("abc"), (Value::Integer(0), false));
        assert_eq!(parse_number_prefix("-7"), (Value::Integer(-7), true));
        assert_eq!(parse_number_prefix(".5"), (Value::Real(0.5), true));
        assert_eq!(to_i64_lossy(&Value::Real(2.9)), 2);
    }

    #[test]
    fn casts_of_text_follow_postgresql() {
        let text = |s: &str| Value::Text(s.into());
        let code = |v: Value, t| cast(&v, t).unwrap_err().sqlstate().to_string();
        assert_eq!(cast(&text(" 12 "), DataType::Integer).unwrap(), Value::Integer(12));
        assert_eq!(code(text("12.7x"), DataType::Integer), "22P02");
        assert_eq!(code(text("a"), DataType::Integer), "22P02");
        assert_eq!(code(text(""), DataType::Integer), "22P02");
        assert_eq!(code(text("99999999999999999999"), DataType::Integer), "22003");
        assert_eq!(cast(&Value::Real(2.5), DataType::Integer).unwrap(), Value::Integer(2));
        assert_eq!(cast(&Value::Real(-2.7), DataType::Integer).unwrap(), Value::Integer(-3));
        assert_eq!(code(Value::Real(1e19), DataType::Integer), "22003");
        assert_eq!(cast(&text("1.5e3"), DataType::Real).unwrap(), Value::Real(1500.0));
        assert_eq!(code(text("x1"), DataType::Real), "22P02");
        assert_eq!(cast(&text("yes"), DataType::Boolean).unwrap(), Value::Boolean(true));
        assert_eq!(cast(&text("f"), DataType::Boolean).unwrap(), Value::Boolean(false));
        assert_eq!(code(text("maybe"), DataType::Boolean), "22P02");
        assert_eq!(code(text("2024-13-45"), DataType::Timestamp), "22008");
        assert_eq!(cast(&Value::Timestamp(0), DataType::Text).unwrap(), text("1970-01-01 00:00:00+00"));
    }
}
