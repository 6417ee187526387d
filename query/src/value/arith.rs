//! Arithmetic with SQLite's rules (see the module doc of `value`).

use braid_engine::Value;

use super::convert::{real_to_i64, to_number};
use super::format::to_text;

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

/// Applies an arithmetic operator; NULL in, NULL out.
#[inline]
pub fn arith(op: BinaryArith, a: &Value, b: &Value) -> Value {
    if a.is_null() || b.is_null() {
        return Value::Null;
    }
    if let (Value::Integer(x), Value::Integer(y)) = (a, b) {
        return int_arith(op, *x, *y);
    }
    if op == BinaryArith::Concat {
        return Value::Text(to_text(a) + &to_text(b));
    }
    match (to_number(a), to_number(b)) {
        (Value::Integer(x), Value::Integer(y)) => int_arith(op, x, y),
        (x, y) => {
            let (x, y) = (as_f64(&x), as_f64(&y));
            match op {
                BinaryArith::Add => real(x + y),
                BinaryArith::Sub => real(x - y),
                BinaryArith::Mul => real(x * y),
                BinaryArith::Div if y == 0.0 => Value::Null,
                BinaryArith::Div => real(x / y),
                BinaryArith::Rem => {
                    // SQLite: the remainder of the operands as integers, as a real.
                    let (xi, yi) = (real_to_i64(x), real_to_i64(y));
                    if yi == 0 { Value::Null } else { Value::Real(xi.checked_rem(yi).unwrap_or(0) as f64) }
                }
                _ => int_arith(op, real_to_i64(x), real_to_i64(y)),
            }
        }
    }
}

fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Integer(i) => *i as f64,
        Value::Real(r) => *r,
        _ => 0.0,
    }
}

fn real(r: f64) -> Value {
    if r.is_nan() { Value::Null } else { Value::real(r) }
}

#[inline]
fn int_arith(op: BinaryArith, x: i64, y: i64) -> Value {
    match op {
        BinaryArith::Add => x.checked_add(y).map_or_else(|| Value::Real(x as f64 + y as f64), Value::Integer),
        BinaryArith::Sub => x.checked_sub(y).map_or_else(|| Value::Real(x as f64 - y as f64), Value::Integer),
        BinaryArith::Mul => x.checked_mul(y).map_or_else(|| Value::Real(x as f64 * y as f64), Value::Integer),
        BinaryArith::Div if y == 0 => Value::Null,
        BinaryArith::Div => x.checked_div(y).map_or_else(|| Value::Real(x as f64 / y as f64), Value::Integer),
        BinaryArith::Rem if y == 0 => Value::Null,
        BinaryArith::Rem => Value::Integer(x.checked_rem(y).unwrap_or(0)),
        BinaryArith::Concat => Value::Text(x.to_string() + &y.to_string()),
        BinaryArith::BitAnd => Value::Integer(x & y),
        BinaryArith::BitOr => Value::Integer(x | y),
        BinaryArith::ShiftLeft => Value::Integer(shift(x, y)),
        BinaryArith::ShiftRight => Value::Integer(shift(x, y.checked_neg().unwrap_or(i64::MAX))),
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

/// Unary minus: `-i64::MIN` becomes a real, text reads as a number.
pub fn negate(v: &Value) -> Value {
    match to_number(v) {
        Value::Integer(i) => i.checked_neg().map_or(Value::Real(-(i as f64)), Value::Integer),
        Value::Real(r) => Value::real(-r),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use BinaryArith::*;

    #[test]
    fn integer_division_truncates_and_zero_gives_null() {
        assert_eq!(arith(Div, &Value::Integer(-7), &Value::Integer(2)), Value::Integer(-3));
        assert_eq!(arith(Div, &Value::Integer(7), &Value::Integer(0)), Value::Null);
        assert_eq!(arith(Rem, &Value::Integer(7), &Value::Integer(0)), Value::Null);
        assert_eq!(arith(Div, &Value::Real(7.0), &Value::Integer(2)), Value::Real(3.5));
        assert_eq!(arith(Add, &Value::Integer(i64::MAX), &Value::Integer(1)), Value::Real(crate::value::TWO_POW_63));
        assert_eq!(arith(Add, &Value::Text("12x".into()), &Value::Integer(1)), Value::Integer(13));
        assert_eq!(negate(&Value::Integer(i64::MIN)), Value::Real(crate::value::TWO_POW_63));
    }
}
