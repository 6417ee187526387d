//! NUMERIC: PostgreSQL's exact decimal, on [`Decimal`] (28 significant digits; see
//! `braid_engine`'s `types::numeric` for how it is stored).
//!
//! What follows PostgreSQL to the digit: input syntax (22P02), the scale of every result
//! (`+` and `-` keep the larger scale, `*` the sum of the scales, `/` at least 16
//! significant digits by PostgreSQL's `select_div_scale`), rounding half away from zero
//! (casts to integers, `numeric(p, s)`, `round`), `numeric(p, s)`'s 22003 "numeric field
//! overflow", and a float becoming the NUMERIC of its 15-digit text (`0.1::float8::numeric`
//! is `0.1`). Where Braid's 28 digits end, PostgreSQL's 131,072 go on: a result that needs
//! more integer digits is 22003 "value overflows numeric format"; one that needs more
//! fraction digits is rounded to fit (`1/3` has 20 decimals as in PostgreSQL, but a product
//! of two 20-decimal numbers keeps 28, not 40). `NaN` and `Infinity` are not NUMERIC values
//! in Braid.

use braid_engine::Decimal;
use rust_decimal::RoundingStrategy;
use rust_decimal::prelude::ToPrimitive;

use super::BinaryArith;
use crate::error::{DataError, Error, Result};

/// PostgreSQL's `NUMERIC_MIN_SIG_DIGITS`: a quotient has at least this many.
const MIN_SIG_DIGITS: i32 = 16;

/// Text as a NUMERIC: spaces, a sign, digits with at most one point, an exponent.
pub fn parse(s: &str) -> Result<Decimal> {
    let t = s.trim();
    let invalid =
        || Error::data(DataError::InvalidTextRepresentation, format!("invalid input syntax for type numeric: \"{s}\""));
    if matches!(t.to_ascii_lowercase().trim_start_matches(['+', '-']), "nan" | "infinity" | "inf") {
        return Err(Error::unsupported(format!("NUMERIC value \"{t}\": Braid's NUMERIC has no NaN or infinity")));
    }
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if int.len() + frac.len() == 0 || !digits(int) || !digits(frac) {
        return Err(invalid());
    }
    let exponent: i64 = match exponent {
        None => 0,
        Some(e) => {
            let e_digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if e_digits.is_empty() || !digits(e_digits) {
                return Err(invalid());
            }
            e.parse().map_err(|_| overflow())?
        }
    };
    let negative = t.starts_with('-');
    from_digits(negative, &format!("{int}{frac}"), frac.len() as i64 - exponent)
}

/// The decimal `±digits × 10^-scale`: fraction digits past Braid's 28 rounded half away
/// from zero (as PostgreSQL rounds to a column's scale), more integer digits than NUMERIC
/// holds 22003.
fn from_digits(negative: bool, digits: &str, scale: i64) -> Result<Decimal> {
    let digits = digits.trim_start_matches('0');
    // At most 38 significant digits fit an i128: the rest only round.
    let (kept, rest) = digits.split_at(digits.len().min(38));
    let mut scale = scale - rest.len() as i64;
    let mut mantissa: i128 = if kept.is_empty() { 0 } else { kept.parse().map_err(|_| overflow())? };
    let mut round_up = rest.as_bytes().first().is_some_and(|&d| d >= b'5');
    let max = i64::from(Decimal::MAX_SCALE);
    if scale > max {
        let cut = (scale - max).min(39) as u32;
        let divisor = 10i128.pow(cut.min(38));
        let dropped = if cut > 38 { mantissa } else { mantissa % divisor };
        mantissa = if cut > 38 { 0 } else { mantissa / divisor };
        // The first dropped digit decides (the digits kept above were all significant).
        round_up = cut <= 38 && dropped * 2 >= divisor;
        scale = max;
    }
    if round_up {
        mantissa += 1;
    }
    while scale < 0 {
        mantissa = mantissa.checked_mul(10).ok_or_else(overflow)?;
        scale += 1;
    }
    let signed = if negative { -mantissa } else { mantissa };
    Decimal::try_from_i128_with_scale(signed, scale as u32).map(canonical).map_err(|_| overflow())
}

/// `-0` as `0`: rust_decimal keeps a zero's sign, PostgreSQL has none.
pub fn canonical(mut d: Decimal) -> Decimal {
    if d.is_zero() {
        d.set_sign_positive(true);
    }
    d
}

/// A number literal that is not a 64-bit integer, as PostgreSQL types it: NUMERIC
/// (`1.50`, `1e3`, `99999999999999999999`), keeping its written scale. Past NUMERIC's 28
/// digits Braid falls back to a float (PostgreSQL's NUMERIC would hold it); `None` for
/// text that is no number.
pub fn literal(text: &str) -> Option<braid_engine::Value> {
    use braid_engine::Value;
    match parse(text) {
        Ok(d) => Some(Value::Numeric(d)),
        Err(_) => text.parse::<f64>().ok().filter(|r| r.is_finite()).map(Value::Real),
    }
}

fn overflow() -> Error {
    Error::data(DataError::NumericOutOfRange, "value overflows numeric format")
}

/// A float as PostgreSQL turns it into a NUMERIC: the decimal of its 15 significant digits.
pub fn from_f64(r: f64) -> Result<Decimal> {
    if !r.is_finite() {
        return Err(Error::unsupported(format!("NUMERIC value of {r}: Braid's NUMERIC has no NaN or infinity")));
    }
    parse(&format!("{r:.14e}")).map(|d| d.normalize())
}

/// A NUMERIC as a float, correctly rounded (as PostgreSQL's, through its text).
pub fn to_f64(d: &Decimal) -> f64 {
    // A mantissa below 2^53 and a power of ten up to 10^22 are exact floats, so one
    // division rounds once: correctly. Comparing a float column with a NUMERIC literal
    // takes this path for every row.
    let mantissa = d.mantissa();
    if mantissa.unsigned_abs() < 1 << 53 && d.scale() <= 22 {
        return mantissa as f64 / EXACT_POWERS_OF_TEN[d.scale() as usize];
    }
    d.to_string().parse().unwrap_or(0.0)
}

/// 10^0 to 10^22, each exactly representable as an f64.
const EXACT_POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// A NUMERIC rounded to an integer (half away from zero), or 22003.
pub fn to_i64(d: &Decimal) -> Result<i64> {
    round(d, 0).to_i64().ok_or_else(|| Error::data(DataError::NumericOutOfRange, "bigint out of range"))
}

/// Rounded half away from zero to `scale` decimals, showing exactly that many (as
/// PostgreSQL's `round(numeric, int)` for a scale of 0 or more).
pub fn round(d: &Decimal, scale: u32) -> Decimal {
    let scale = scale.min(Decimal::MAX_SCALE);
    let mut r = d.round_dp_with_strategy(scale, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(scale);
    canonical(r)
}

/// Cut toward zero to `scale` decimals (PostgreSQL's `trunc(numeric, int)`).
pub fn trunc(d: &Decimal, scale: u32) -> Decimal {
    let scale = scale.min(Decimal::MAX_SCALE);
    let mut r = d.round_dp_with_strategy(scale, RoundingStrategy::ToZero);
    r.rescale(scale);
    canonical(r)
}

/// `round(d, digits)` or `trunc(d, digits)`: `digits` may be negative (`round(1234.5, -2)`
/// is `1200`), as in PostgreSQL.
pub fn round_to(d: &Decimal, digits: i64, toward_zero: bool) -> Result<Decimal> {
    let cut = |d: &Decimal, scale: u32| if toward_zero { trunc(d, scale) } else { round(d, scale) };
    if digits >= 0 {
        return Ok(cut(d, digits.min(i64::from(Decimal::MAX_SCALE)) as u32));
    }
    let Some(factor) = u32::try_from(-digits).ok().and_then(|n| 10i128.checked_pow(n)).filter(|f| *f <= 10i128.pow(28))
    else {
        return Ok(Decimal::ZERO);
    };
    let factor = Decimal::from_i128_with_scale(factor, 0);
    cut(&(d / factor), 0).checked_mul(factor).ok_or_else(overflow)
}

/// Arithmetic on two NUMERICs, with PostgreSQL's result scales.
pub fn arith(op: BinaryArith, x: &Decimal, y: &Decimal) -> Result<Decimal> {
    let division_by_zero = || Error::data(DataError::DivisionByZero, "division by zero");
    // rust_decimal may answer with fewer decimals (`0.0 + 0` as `0`); PostgreSQL shows
    // the larger scale of a sum and the sum of the scales of a product.
    let at_least = |r: Option<Decimal>, scale: u32| {
        r.map(|mut r| {
            if r.scale() < scale {
                r.rescale(scale.min(Decimal::MAX_SCALE));
            }
            canonical(r)
        })
        .ok_or_else(overflow)
    };
    match op {
        BinaryArith::Add => at_least(x.checked_add(*y), x.scale().max(y.scale())),
        BinaryArith::Sub => at_least(x.checked_sub(*y), x.scale().max(y.scale())),
        BinaryArith::Mul => at_least(x.checked_mul(*y), x.scale() + y.scale()),
        BinaryArith::Div | BinaryArith::Rem if y.is_zero() => Err(division_by_zero()),
        BinaryArith::Div => divide(x, y),
        BinaryArith::Rem => x.checked_rem(*y).map(canonical).ok_or_else(overflow),
        _ => Err(Error::NotFound { kind: "operator", name: format!("numeric {} numeric", op.symbol()) }),
    }
}

/// `x / y` (y non-zero) at PostgreSQL's scale.
pub fn divide(x: &Decimal, y: &Decimal) -> Result<Decimal> {
    let quotient = x.checked_div(*y).ok_or_else(overflow)?;
    Ok(round(&quotient, division_scale(x, y)))
}

/// PostgreSQL's `select_div_scale`: enough decimals for 16 significant digits of the
/// quotient, estimated from the leading base-10000 digits of the operands, and no fewer
/// than either operand has.
fn division_scale(x: &Decimal, y: &Decimal) -> u32 {
    let (w1, d1) = base10000_lead(x);
    let (w2, d2) = base10000_lead(y);
    let mut qweight = w1 - w2;
    if d1 <= d2 {
        qweight -= 1;
    }
    let scale = (MIN_SIG_DIGITS - qweight * 4).max(x.scale() as i32).max(y.scale() as i32).max(0);
    scale.min(Decimal::MAX_SCALE as i32) as u32
}

/// The weight (power of 10000) and value of the first base-10000 digit of `d`, as
/// PostgreSQL's NumericVar holds them; `(0, 0)` for zero.
fn base10000_lead(d: &Decimal) -> (i32, u32) {
    if d.is_zero() {
        return (0, 0);
    }
    let digits = d.mantissa().unsigned_abs().to_string();
    let exponent10 = digits.len() as i32 - 1 - d.scale() as i32;
    let weight = exponent10.div_euclid(4);
    let lead_len = (exponent10 - weight * 4 + 1) as usize;
    let lead: String = digits.chars().chain(std::iter::repeat('0')).take(lead_len).collect();
    (weight, lead.parse().unwrap_or(0))
}

/// A `numeric(p, s)` type modifier as (precision, scale), if it is one.
pub fn modifier(typmod: i32) -> Option<(u32, u32)> {
    let m = typmod.checked_sub(4).filter(|m| *m >= 0)?;
    Some(((m >> 16) as u32 & 0xFFFF, m as u32 & 0x7FF))
}

/// `numeric(p, s)`'s modifier.
pub fn make_modifier(precision: u32, scale: u32) -> i32 {
    ((precision << 16) | scale) as i32 + 4
}

/// A value fitted to `numeric(p, s)`: rounded to `s` decimals, and 22003 if it then has
/// more than `p - s` digits before the point.
pub fn conform(d: Decimal, typmod: i32) -> Result<Decimal> {
    let Some((precision, scale)) = modifier(typmod) else { return Ok(d) };
    let r = round(&d, scale);
    let int_digits = precision.saturating_sub(scale);
    let limit = 10i128.checked_pow(int_digits).unwrap_or(i128::MAX);
    let whole = r.trunc().mantissa().unsigned_abs();
    if whole >= limit as u128 {
        return Err(Error::data(DataError::NumericOutOfRange, "numeric field overflow"));
    }
    Ok(r)
}

/// PostgreSQL's `avg(numeric)`: the sum divided by the count at the division's scale.
pub fn average(sum: &Decimal, count: i64) -> Result<Decimal> {
    divide(sum, &Decimal::from(count))
}

/// Writes `d` in PostgreSQL's binary `numeric` form (through `put`, in pieces): digit
/// count, weight of the first base-10,000 digit, sign, display scale, then the digits,
/// leading and trailing zero digits left out.
pub fn write_binary(d: &Decimal, mut put: impl FnMut(&[u8])) {
    let digits = d.mantissa().unsigned_abs().to_string();
    let scale = d.scale() as usize;
    let (int, frac) = match digits.len().checked_sub(scale) {
        Some(n) if n > 0 => (digits[..n].to_string(), digits[n..].to_string()),
        _ => (String::new(), format!("{}{digits}", "0".repeat(scale - digits.len()))),
    };
    let int = format!("{}{int}", "0".repeat((4 - int.len() % 4) % 4));
    let frac = format!("{frac}{}", "0".repeat((4 - frac.len() % 4) % 4));
    let mut groups: Vec<u16> = int
        .as_bytes()
        .chunks(4)
        .chain(frac.as_bytes().chunks(4))
        .map(|c| c.iter().fold(0u16, |n, b| n * 10 + u16::from(b - b'0')))
        .collect();
    let mut weight = (int.len() / 4) as i16 - 1;
    let leading = groups.iter().take_while(|&&g| g == 0).count();
    groups.drain(..leading);
    weight -= leading as i16;
    while groups.last() == Some(&0) {
        groups.pop();
    }
    if groups.is_empty() {
        weight = 0;
    }
    let sign: u16 = if d.is_sign_negative() && !d.is_zero() { 0x4000 } else { 0 };
    for word in [groups.len() as u16, weight as u16, sign, scale as u16].into_iter().chain(groups) {
        put(&word.to_be_bytes());
    }
}

/// A decimal from PostgreSQL's binary `numeric` form; `None` for malformed bytes, NaN, an
/// infinity, or a value past Braid's 28 digits.
pub fn read_binary(bytes: &[u8]) -> Option<Decimal> {
    let word = |i: usize| bytes.get(i * 2..i * 2 + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    let (count, weight, sign, scale) = (word(0)? as usize, word(1)? as i16, word(2)?, word(3)?);
    if bytes.len() != 8 + 2 * count || (sign != 0x0000 && sign != 0x4000) {
        return None;
    }
    let mut text = String::with_capacity(8 + 4 * count);
    text.push_str(if sign == 0x4000 { "-0" } else { "0" });
    for i in 0..count {
        let digit = word(4 + i)?;
        if digit > 9999 {
            return None;
        }
        text.push_str(&format!("{digit:04}"));
    }
    let exponent = 4 * (i32::from(weight) + 1 - count as i32);
    let mut value = parse(&format!("{text}e{exponent}")).ok()?;
    // The display scale says how many decimals the value shows (`1.50`).
    value.rescale(u32::from(scale).min(Decimal::MAX_SCALE));
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        parse(s).unwrap()
    }

    fn code<T: std::fmt::Debug>(r: Result<T>) -> String {
        r.unwrap_err().sqlstate().to_string()
    }

    #[test]
    fn text_reads_as_postgresql_reads_it() {
        assert_eq!(dec(" 12.50 ").to_string(), "12.50");
        assert_eq!(dec("-.5").to_string(), "-0.5");
        assert_eq!(dec("1.5e3").to_string(), "1500");
        assert_eq!(dec("+7").to_string(), "7");
        for bad in ["", "abc", "1.2.3", "1e", "--1", ".", "1 2"] {
            assert_eq!(code(parse(bad)), "22P02", "{bad:?}");
        }
        assert_eq!(code(parse("1e40")), "22003");
        assert_eq!(dec("1e-29").to_string(), "0.0000000000000000000000000000");
        assert_eq!(dec("1.55e-27").to_string(), "0.0000000000000000000000000016");
        assert_eq!(dec("0.00000000000000000000000000014999").to_string(), "0.0000000000000000000000000001");
        assert_eq!(dec("-0").to_string(), "0");
        assert_eq!(dec("-0.00").to_string(), "0.00");
        assert_eq!(code(parse("NaN")), "0A000");
    }

    #[test]
    fn result_scales_are_postgresqls() {
        let op = |o, a: &str, b: &str| arith(o, &dec(a), &dec(b)).unwrap().to_string();
        assert_eq!(op(BinaryArith::Add, "0.1", "0.2"), "0.3");
        assert_eq!(op(BinaryArith::Add, "1.50", "1"), "2.50");
        assert_eq!(op(BinaryArith::Add, "0.0", "0"), "0.0");
        assert_eq!(op(BinaryArith::Mul, "0.00", "1.5"), "0.000");
        assert_eq!(op(BinaryArith::Sub, "2.5", "2.50"), "0.00");
        assert_eq!(op(BinaryArith::Add, "-1.5", "1.5"), "0.0");
        assert_eq!(round(&dec("-0.4"), 0).to_string(), "0");
        assert_eq!(op(BinaryArith::Mul, "1.5", "1.25"), "1.875");
        assert_eq!(op(BinaryArith::Div, "1", "3"), "0.33333333333333333333");
        assert_eq!(op(BinaryArith::Div, "10", "3"), "3.3333333333333333");
        assert_eq!(op(BinaryArith::Div, "10", "2"), "5.0000000000000000");
        assert_eq!(op(BinaryArith::Div, "1", "7"), "0.14285714285714285714");
        assert_eq!(op(BinaryArith::Div, "100000", "3"), "33333.333333333333");
        assert_eq!(op(BinaryArith::Div, "7.00", "2"), "3.5000000000000000");
        assert_eq!(op(BinaryArith::Rem, "7.5", "2"), "1.5");
        assert_eq!(code(arith(BinaryArith::Div, &dec("1"), &dec("0"))), "22012");
        assert_eq!(average(&dec("3.0"), 2).unwrap().to_string(), "1.5000000000000000");
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(to_i64(&dec("2.5")).unwrap(), 3);
        assert_eq!(to_i64(&dec("-2.5")).unwrap(), -3);
        assert_eq!(round(&dec("1.005"), 2).to_string(), "1.01");
        assert_eq!(round(&dec("7"), 2).to_string(), "7.00");
        assert_eq!(trunc(&dec("-1.999"), 1).to_string(), "-1.9");
        assert_eq!(code(to_i64(&dec("1e20"))), "22003");
        assert_eq!(round_to(&dec("1234.5"), -2, false).unwrap().to_string(), "1200");
        assert_eq!(round_to(&dec("1250"), -2, false).unwrap().to_string(), "1300");
        assert_eq!(round_to(&dec("-1299"), -2, true).unwrap().to_string(), "-1200");
        assert_eq!(round_to(&dec("5"), -40, false).unwrap().to_string(), "0");
        assert_eq!(round_to(&dec("2.345"), 1, false).unwrap().to_string(), "2.3");
    }

    #[test]
    fn floats_become_their_fifteen_digits() {
        assert_eq!(from_f64(0.1).unwrap().to_string(), "0.1");
        assert_eq!(from_f64(1.0 / 3.0).unwrap().to_string(), "0.333333333333333");
        assert_eq!(from_f64(1e20).unwrap().to_string(), "100000000000000000000");
        assert_eq!(from_f64(-2.5).unwrap().to_string(), "-2.5");
        assert_eq!(from_f64(1e-15).unwrap().to_string(), "0.000000000000001");
        assert_eq!(from_f64(1e-30).unwrap().to_string(), "0");
        for text in ["0.1", "-2.675", "123456789.123456789", "0.0000000000000000000000000001", "9007199254740993"] {
            assert_eq!(to_f64(&dec(text)), text.parse::<f64>().unwrap(), "{text}");
        }
    }

    #[test]
    fn modifiers_round_and_bound() {
        let m = make_modifier(5, 2);
        assert_eq!(modifier(m), Some((5, 2)));
        assert_eq!(conform(dec("1.005"), m).unwrap().to_string(), "1.01");
        assert_eq!(conform(dec("999.994"), m).unwrap().to_string(), "999.99");
        let err = conform(dec("999.995"), m).unwrap_err();
        assert_eq!(err.sqlstate(), "22003");
        assert!(err.to_string().starts_with("numeric field overflow"));
        assert_eq!(conform(dec("0.5"), make_modifier(2, 2)).unwrap().to_string(), "0.50");
        assert_eq!(code(conform(dec("1"), make_modifier(2, 2))), "22003");
        assert_eq!(conform(dec("123.456"), -1).unwrap().to_string(), "123.456");
    }
}
