//! Arithmetic: PostgreSQL's errors (division by zero is 22012, integer overflow 22003),
//! with SQLite's reading of text operands as numbers where PostgreSQL would have cast them
//! (see the module doc of `value`).

use braid_engine::Value;

use crate::error::{DataError, Error, Result};

use super::convert::{real_to_i64, to_number};
use super::format::to_text;
use super::{interval, numeric};

/// A binary operator on values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryArith {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Concat,
    BitAnd,
    BitOr,
    ShiftLeft,
    ShiftRight,
}

impl BinaryArith {
    /// The operator as SQL spells it.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryArith::Add => "+",
            BinaryArith::Sub => "-",
            BinaryArith::Mul => "*",
            BinaryArith::Div => "/",
            BinaryArith::Rem => "%",
            BinaryArith::Concat => "||",
            BinaryArith::BitAnd => "&",
            BinaryArith::BitOr => "|",
            BinaryArith::ShiftLeft => "<<",
            BinaryArith::ShiftRight => ">>",
        }
    }
}

/// Applies an arithmetic operator; NULL in, NULL out.
#[inline]
pub fn arith(op: BinaryArith, a: &Value, b: &Value) -> Result<Value> {
    if a.is_null() || b.is_null() {
        return Ok(Value::Null);
    }
    if let (Value::Integer(x), Value::Integer(y)) = (a, b) {
        return int_arith(op, *x, *y);
    }
    if op == BinaryArith::Concat {
        return Ok(Value::Text(to_text(a) + &to_text(b)));
    }
    let temporal_value = |v: &Value| matches!(v, Value::Timestamp(_) | Value::Interval(_) | Value::Time(_));
    if temporal_value(a) || temporal_value(b) {
        return temporal(op, a, b);
    }
    match (to_number(a), to_number(b)) {
        (Value::Integer(x), Value::Integer(y)) => int_arith(op, x, y),
        // NUMERIC with NUMERIC or an integer is exact; with a float it is a float, as
        // PostgreSQL casts numeric to double precision there.
        (Value::Numeric(x), Value::Numeric(y)) => numeric::arith(op, &x, &y).map(Value::Numeric),
        (Value::Numeric(x), Value::Integer(y)) => numeric::arith(op, &x, &y.into()).map(Value::Numeric),
        (Value::Integer(x), Value::Numeric(y)) => numeric::arith(op, &x.into(), &y).map(Value::Numeric),
        (x, y) => {
            let (x, y) = (as_f64(&x), as_f64(&y));
            Ok(match op {
                BinaryArith::Add => real(x + y)?,
                BinaryArith::Sub => real(x - y)?,
                BinaryArith::Mul => real(x * y)?,
                BinaryArith::Div | BinaryArith::Rem if y == 0.0 => return Err(division_by_zero()),
                BinaryArith::Div => real(x / y)?,
                BinaryArith::Rem => {
                    // The remainder of the operands as integers, as a real.
                    let (xi, yi) = (real_to_i64(x), real_to_i64(y));
                    if yi == 0 {
                        return Err(division_by_zero());
                    }
                    Value::Real(xi.checked_rem(yi).unwrap_or(0) as f64)
                }
                _ => return int_arith(op, real_to_i64(x), real_to_i64(y)),
            })
        }
    }
}

/// Arithmetic with a timestamp, a time or an interval: PostgreSQL's operators (a timestamp
/// or a time plus or minus an interval, the interval between two timestamps or two times,
/// intervals added and scaled; a time wraps around midnight);
/// text beside a timestamp reads as an interval (`now() - '1 day'`). Anything else, such as
/// a timestamp plus a number, is 42883 as in PostgreSQL.
fn temporal(op: BinaryArith, a: &Value, b: &Value) -> Result<Value> {
    use BinaryArith::{Add, Div, Mul, Sub};
    let as_interval = |v: &Value| match v {
        Value::Interval(i) => Ok(Some(*i)),
        Value::Text(s) => interval::parse(s).map(Some),
        _ => Ok(None),
    };
    Ok(match (op, a, b) {
        (Sub, Value::Timestamp(x), Value::Timestamp(y)) => Value::Interval(interval::between(*x, *y)?),
        (Add | Sub, Value::Timestamp(t), other) | (Add, other @ Value::Interval(_), Value::Timestamp(t))
            if let Some(i) = as_interval(other)? =>
        {
            let i = if op == Sub { interval::negate(&i)? } else { i };
            Value::Timestamp(interval::add_to_timestamp(*t, &i)?)
        }
        (Sub, Value::Time(x), Value::Time(y)) => Value::Interval(super::time::minus(*x, *y)),
        (Add | Sub, Value::Time(t), other) | (Add, other @ Value::Interval(_), Value::Time(t))
            if let Some(i) = as_interval(other)? =>
        {
            Value::Time(super::time::shift(*t, &i, op == Sub))
        }
        (Add | Sub, Value::Interval(x), other) if let Some(y) = as_interval(other)? => {
            let y = if op == Sub { interval::negate(&y)? } else { y };
            Value::Interval(interval::add(x, &y)?)
        }
        (Mul, Value::Interval(i), n) | (Mul, n, Value::Interval(i)) if is_number(n) => {
            Value::Interval(interval::scale(i, as_f64(&to_number(n)))?)
        }
        (Div, Value::Interval(i), n) if is_number(n) => match as_f64(&to_number(n)) {
            0.0 => return Err(division_by_zero()),
            d => Value::Interval(interval::scale(i, 1.0 / d)?),
        },
        _ => {
            let name = format!("{} {} {}", type_name(a), op.symbol(), type_name(b));
            return Err(Error::NotFound { kind: "operator", name });
        }
    })
}

fn is_number(v: &Value) -> bool {
    matches!(v, Value::Integer(_) | Value::Real(_) | Value::Numeric(_))
}

/// PostgreSQL's name of a value's type, for an error message.
fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "unknown",
        Value::Boolean(_) => "boolean",
        Value::Integer(_) => "bigint",
        Value::Real(_) => "double precision",
        Value::Numeric(_) => "numeric",
        Value::Text(_) => "text",
        Value::Blob(_) => "bytea",
        Value::Timestamp(_) => "timestamp with time zone",
        Value::Interval(_) => "interval",
        Value::Time(_) => "time without time zone",
    }
}

fn division_by_zero() -> Error {
    Error::data(DataError::DivisionByZero, "division by zero")
}

fn out_of_range() -> Error {
    Error::data(DataError::NumericOutOfRange, "bigint out of range")
}

fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Integer(i) => *i as f64,
        Value::Real(r) => *r,
        Value::Numeric(d) => numeric::to_f64(d),
        _ => 0.0,
    }
}

/// A real result; an infinity from finite operands is PostgreSQL's "value out of range".
fn real(r: f64) -> Result<Value> {
    if r.is_infinite() {
        return Err(Error::data(DataError::NumericOutOfRange, "value out of range: overflow"));
    }
    Ok(if r.is_nan() { Value::Null } else { Value::real(r) })
}

#[inline]
fn int_arith(op: BinaryArith, x: i64, y: i64) -> Result<Value> {
    let checked = |r: Option<i64>| r.map(Value::Integer).ok_or_else(out_of_range);
    match op {
        BinaryArith::Add => checked(x.checked_add(y)),
        BinaryArith::Sub => checked(x.checked_sub(y)),
        BinaryArith::Mul => checked(x.checked_mul(y)),
        BinaryArith::Div | BinaryArith::Rem if y == 0 => Err(division_by_zero()),
        BinaryArith::Div => checked(x.checked_div(y)),
        // i64::MIN % -1 is 0 in PostgreSQL, not an overflow.
        BinaryArith::Rem => Ok(Value::Integer(x.checked_rem(y).unwrap_or(0))),
        BinaryArith::Concat => Ok(Value::Text(x.to_string() + &y.to_string())),
        BinaryArith::BitAnd => Ok(Value::Integer(x & y)),
        BinaryArith::BitOr => Ok(Value::Integer(x | y)),
        BinaryArith::ShiftLeft => Ok(Value::Integer(shift(x, y))),
        BinaryArith::ShiftRight => Ok(Value::Integer(shift(x, y.checked_neg().unwrap_or(i64::MAX)))),
    }
}

/// SQLite's `<<`: a negative count shifts right; counts past 63 give 0 (or -1 shifting a
/// negative number right).
fn shift(x: i64, by: i64) -> i64 {
    if by >= 64 {
        0
    } else if by >= 0 {
        x << by
    } else if by <= -64 {
        if x < 0 { -1 } else { 0 }
    } else {
        x >> (-by)
    }
}

/// Unary minus: `-i64::MIN` is out of range, text reads as a number.
pub fn negate(v: &Value) -> Result<Value> {
    Ok(match to_number(v) {
        Value::Integer(i) => Value::Integer(i.checked_neg().ok_or_else(out_of_range)?),
        Value::Real(r) => Value::real(-r),
        Value::Numeric(d) => Value::Numeric(numeric::canonical(-d)),
        Value::Interval(i) => Value::Interval(interval::negate(&i)?),
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use BinaryArith::*;

    fn code(r: Result<Value>) -> String {
        r.unwrap_err().sqlstate().to_string()
    }

    #[test]
    fn integer_division_truncates_and_zero_is_an_error() {
        let int = Value::Integer;
        assert_eq!(arith(Div, &int(-7), &int(2)).unwrap(), int(-3));
        assert_eq!(code(arith(Div, &int(7), &int(0))), "22012");
        assert_eq!(code(arith(Rem, &int(7), &int(0))), "22012");
        assert_eq!(code(arith(Div, &Value::Real(7.0), &Value::Real(0.0))), "22012");
        assert_eq!(arith(Div, &Value::Real(7.0), &int(2)).unwrap(), Value::Real(3.5));
        assert_eq!(arith(Rem, &int(i64::MIN), &int(-1)).unwrap(), int(0));
        assert_eq!(arith(Div, &Value::Null, &int(0)).unwrap(), Value::Null);
    }

    #[test]
    fn integer_overflow_is_out_of_range() {
        let int = Value::Integer;
        assert_eq!(code(arith(Add, &int(i64::MAX), &int(1))), "22003");
        assert_eq!(code(arith(Mul, &int(i64::MIN), &int(2))), "22003");
        assert_eq!(code(arith(Div, &int(i64::MIN), &int(-1))), "22003");
        assert_eq!(code(negate(&int(i64::MIN))), "22003");
        assert_eq!(code(arith(Mul, &Value::Real(1e300), &Value::Real(1e300))), "22003");
        assert_eq!(arith(Add, &Value::Text("12".into()), &int(1)).unwrap(), int(13));
    }
}
