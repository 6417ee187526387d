//! Comparing values the SQL way (see the module doc of `value`).

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

use braid_engine::{Decimal, Value};
use rust_decimal::prelude::ToPrimitive;

use super::numeric;

/// The class of a value in sort order: NULL < numbers < text < blob < interval < time.
fn class(v: &Value) -> u8 {
    match v {
        Value::Null => 0,
        Value::Boolean(_) | Value::Integer(_) | Value::Real(_) | Value::Timestamp(_) | Value::Numeric(_) => 1,
        Value::Text(_) => 2,
        Value::Blob(_) => 3,
        Value::Interval(_) => 4,
        Value::Time(_) => 5,
    }
}

/// Compares two numbers exactly (an `i64` against an `f64` without rounding the integer).
fn cmp_int_real(i: i64, r: f64) -> Ordering {
    if r.is_nan() {
        return Ordering::Greater; // NaN sorts first among numbers
    }
    if r >= crate::value::TWO_POW_63 {
        return Ordering::Less;
    }
    if r < -crate::value::TWO_POW_63 {
        return Ordering::Greater;
    }
    let t = r.trunc();
    match i.cmp(&(t as i64)) {
        Ordering::Equal => 0.0f64.partial_cmp(&(r - t)).unwrap_or(Ordering::Equal),
        o => o,
    }
}

fn int_of(v: &Value) -> Option<i64> {
    match v {
        Value::Integer(i) | Value::Timestamp(i) => Some(*i),
        Value::Boolean(b) => Some(*b as i64),
        _ => None,
    }
}

/// The total order of ORDER BY, DISTINCT, GROUP BY, min and max.
pub fn sort_cmp(a: &Value, b: &Value) -> Ordering {
    let (ca, cb) = (class(a), class(b));
    if ca != cb {
        return ca.cmp(&cb);
    }
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Text(x), Value::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Blob(x), Value::Blob(y)) => x.cmp(y),
        (Value::Interval(x), Value::Interval(y)) => x.span().cmp(&y.span()),
        (Value::Time(x), Value::Time(y)) => x.cmp(y),
        // NUMERIC against a float compares as floats (PostgreSQL casts numeric to double
        // precision there), against an integer exactly.
        (Value::Numeric(x), Value::Numeric(y)) => x.cmp(y),
        (Value::Numeric(x), Value::Real(_)) => sort_cmp(&Value::Real(numeric::to_f64(x)), b),
        (Value::Real(_), Value::Numeric(y)) => sort_cmp(a, &Value::Real(numeric::to_f64(y))),
        (Value::Numeric(x), _) => x.cmp(&Decimal::from(int_of(b).unwrap_or(0))),
        (_, Value::Numeric(y)) => Decimal::from(int_of(a).unwrap_or(0)).cmp(y),
        (Value::Real(x), Value::Real(y)) => x.partial_cmp(y).unwrap_or_else(|| x.is_nan().cmp(&y.is_nan()).reverse()),
        (Value::Real(x), _) => cmp_int_real(int_of(b).unwrap_or(0), *x).reverse(),
        (_, Value::Real(y)) => cmp_int_real(int_of(a).unwrap_or(0), *y),
        _ => int_of(a).cmp(&int_of(b)),
    }
}

/// SQL comparison: `None` when either side is NULL (unknown).
#[inline]
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    if a.is_null() || b.is_null() {
        return None;
    }
    if let (Value::Integer(x), Value::Integer(y)) = (a, b) {
        return Some(x.cmp(y));
    }
    Some(sort_cmp(a, b))
}

/// A value as a key of GROUP BY, DISTINCT and hash joins: equal exactly when SQL calls the
/// values equal (`1` and `1.0` are one group; NULLs are one group).
#[derive(Debug, Clone)]
pub struct GroupKey(pub Vec<Value>);

impl PartialEq for GroupKey {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len() && self.0.iter().zip(&other.0).all(|(a, b)| sort_cmp(a, b).is_eq())
    }
}

impl Eq for GroupKey {}

impl Hash for GroupKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for v in &self.0 {
            hash_value(v, state);
        }
    }
}

/// Hashes numbers by value, so that `1`, `1.0` and `TRUE` hash alike.
pub(crate) fn hash_value<H: Hasher>(v: &Value, state: &mut H) {
    match v {
        Value::Null => 0u8.hash(state),
        Value::Boolean(_) | Value::Integer(_) | Value::Timestamp(_) => {
            1u8.hash(state);
            // As a bare i64, exactly as an integral real hashes below.
            int_of(v).unwrap_or(0).hash(state);
        }
        Value::Real(r) => {
            1u8.hash(state);
            hash_real(*r, state);
        }
        // An integral NUMERIC equals that integer; any other equals the float it rounds to.
        Value::Numeric(d) => {
            1u8.hash(state);
            match d.normalize() {
                n if n.scale() == 0
                    && let Some(i) = n.to_i64() =>
                {
                    i.hash(state)
                }
                _ => hash_real(numeric::to_f64(d), state),
            }
        }
        Value::Text(s) => {
            2u8.hash(state);
            s.hash(state);
        }
        Value::Blob(b) => {
            3u8.hash(state);
            b.hash(state);
        }
        Value::Interval(i) => {
            4u8.hash(state);
            i.span().hash(state);
        }
        Value::Time(t) => {
            5u8.hash(state);
            t.hash(state);
        }
    }
}

/// Every integral real an i64 holds equals that integer exactly (cmp_int_real), so it
/// hashes as that integer; NaNs, whatever their payload, hash alike.
fn hash_real<H: Hasher>(r: f64, state: &mut H) {
    if r.fract() == 0.0 && (-crate::value::TWO_POW_63..crate::value::TWO_POW_63).contains(&r) {
        (r as i64).hash(state);
    } else if r.is_nan() {
        f64::NAN.to_bits().hash(state);
    } else {
        r.to_bits().hash(state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{Hash, Hasher};

    #[test]
    fn numbers_compare_across_types_and_before_text() {
        use Value::*;
        assert_eq!(compare(&Integer(1), &Real(1.0)), Some(Ordering::Equal));
        assert_eq!(compare(&Integer(2), &Real(1.5)), Some(Ordering::Greater));
        assert_eq!(compare(&Real(-0.5), &Integer(0)), Some(Ordering::Less));
        assert_eq!(compare(&Integer(i64::MAX), &Real(9.3e18)), Some(Ordering::Less));
        assert_eq!(compare(&Integer(5), &Text("1".into())), Some(Ordering::Less));
        assert_eq!(compare(&Null, &Integer(1)), None);
        assert_eq!(sort_cmp(&Null, &Integer(i64::MIN)), Ordering::Less);
        assert_eq!(sort_cmp(&Text("b".into()), &Blob(vec![0])), Ordering::Less);
        assert_eq!(GroupKey(vec![Integer(1)]), GroupKey(vec![Real(1.0)]));
        let hash = |k: &GroupKey| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            k.hash(&mut h);
            h.finish()
        };
        assert_eq!(hash(&GroupKey(vec![Integer(1)])), hash(&GroupKey(vec![Real(1.0)])));
        // Near 2^63 too, where an integral real is still exactly an i64.
        let (big, big_real) = (Integer(9_210_000_000_000_000_000), Real(9.21e18));
        assert_eq!(GroupKey(vec![big.clone()]), GroupKey(vec![big_real.clone()]));
        assert_eq!(hash(&GroupKey(vec![big])), hash(&GroupKey(vec![big_real])));
        // NUMERIC joins them, whatever its scale.
        let n = |s: &str| Numeric(numeric::parse(s).unwrap());
        assert_eq!(compare(&n("1.50"), &Real(1.5)), Some(Ordering::Equal));
        assert_eq!(compare(&n("2.00"), &Integer(2)), Some(Ordering::Equal));
        assert_eq!(compare(&n("-0.1"), &Integer(0)), Some(Ordering::Less));
        assert_eq!(compare(&n("10"), &n("9.99")), Some(Ordering::Greater));
        for (a, b) in [(n("2.00"), Integer(2)), (n("0.50"), Real(0.5)), (n("1.0"), n("1"))] {
            assert_eq!(GroupKey(vec![a.clone()]), GroupKey(vec![b.clone()]));
            assert_eq!(hash(&GroupKey(vec![a])), hash(&GroupKey(vec![b])));
        }
    }
}
