//! NUMERIC values: how a [`Decimal`] is kept in a row and in a key.
//!
//! A NUMERIC is a [`rust_decimal::Decimal`]: a 96-bit mantissa, a sign and a scale of 0 to
//! 28, so 28 significant digits exactly (29 for some), in 16 bytes that are `Copy` and need
//! no allocation to add or compare. That is Braid's NUMERIC limit; PostgreSQL's is wider
//! (131,072 digits before the point), and a value past Braid's is an error, never rounded
//! into something else.
//!
//! # In a row: out of line, trimmed
//!
//! Every archived [`super::Value`] is a one-byte tag and an eight-byte payload, and a
//! row's columns are found by multiplying by that size. An inline 16-byte decimal would
//! make every value of every row twice as large, so a NUMERIC's payload is a relative
//! pointer and length (an `ArchivedVec<u8>`, as text's) to its compact bytes: one byte with
//! the scale (bits 0–6) and the sign (bit 7), then the mantissa little-endian with its
//! high zero bytes left off. `12345.67` costs 9 + 4 bytes. Reading is total: any bytes
//! give some decimal (the scale is clamped as [`Decimal::deserialize`] does), so a damaged
//! value can be wrong but never a panic; rkyv's validator has already checked its bounds.
//!
//! # In a key: order-preserving, normalised
//!
//! Keys must compare bytewise as the values do and must be equal for equal values
//! (`1.0 = 1.00`, as a UNIQUE index in PostgreSQL sees them), so the key form is scale-free:
//! a class byte (`0x01` negative, `0x02` zero, `0x03` positive), then for a non-zero value
//! `0.d₁d₂…dₙ × 10^e` the exponent `e + 64` as one byte and each digit as `d + 1`
//! (trailing zeros dropped), ended by `0x00`. Comparing exponents first and then digits,
//! with the terminator below every digit, orders magnitudes; a negative value's bytes after
//! the class are inverted, which reverses the order. Decoding a key gives the normalised
//! value (`1.00` comes back as `1`).

use rkyv::Place;
use rkyv::rancor::Fallible;
use rkyv::ser::{Allocator, Writer};
use rkyv::vec::{ArchivedVec, VecResolver};
use rkyv::with::{ArchiveWith, DeserializeWith, SerializeWith};
use rust_decimal::Decimal;

use crate::error::{Error, Result};

/// The rkyv wrapper that archives a [`Decimal`] in its compact out-of-line form.
#[derive(Debug)]
pub struct CompactDecimal;

/// The compact bytes of `d` (see the module doc) and how many of them are used.
fn compact(d: &Decimal) -> ([u8; 13], usize) {
    let raw = d.serialize();
    let mut out = [0u8; 13];
    out[0] = raw[2] | (raw[3] & 0x80);
    out[1..].copy_from_slice(&raw[4..16]);
    let used = 1 + raw[4..16].iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    (out, used)
}

/// The decimal of compact bytes; total (see the module doc).
pub(crate) fn from_compact(bytes: &[u8]) -> Decimal {
    let mut raw = [0u8; 16];
    if let Some((&head, mantissa)) = bytes.split_first() {
        raw[2] = head & 0x7F;
        raw[3] = head & 0x80;
        let n = mantissa.len().min(12);
        raw[4..4 + n].copy_from_slice(&mantissa[..n]);
    }
    Decimal::deserialize(raw)
}

impl ArchiveWith<Decimal> for CompactDecimal {
    type Archived = ArchivedVec<u8>;
    type Resolver = VecResolver;

    fn resolve_with(field: &Decimal, resolver: VecResolver, out: Place<ArchivedVec<u8>>) {
        ArchivedVec::<u8>::resolve_from_len(compact(field).1, resolver, out);
    }
}

impl<S: Fallible + Allocator + Writer + ?Sized> SerializeWith<Decimal, S> for CompactDecimal {
    fn serialize_with(field: &Decimal, serializer: &mut S) -> std::result::Result<VecResolver, S::Error> {
        let (bytes, used) = compact(field);
        ArchivedVec::<u8>::serialize_from_slice(&bytes[..used], serializer)
    }
}

impl<D: Fallible + ?Sized> DeserializeWith<ArchivedVec<u8>, Decimal, D> for CompactDecimal {
    fn deserialize_with(field: &ArchivedVec<u8>, _: &mut D) -> std::result::Result<Decimal, D::Error> {
        Ok(from_compact(field.as_slice()))
    }
}

const NEGATIVE: u8 = 0x01;
const ZERO: u8 = 0x02;
const POSITIVE: u8 = 0x03;
const EXPONENT_BIAS: i32 = 64;

/// Appends the key form of `d` (see the module doc).
pub(crate) fn put_key(buf: &mut Vec<u8>, d: &Decimal) {
    if d.is_zero() {
        buf.push(ZERO);
        return;
    }
    let negative = d.is_sign_negative();
    buf.push(if negative { NEGATIVE } else { POSITIVE });
    let digits = d.mantissa().unsigned_abs().to_string();
    let exponent = digits.len() as i32 - d.scale() as i32;
    let start = buf.len();
    buf.push((exponent + EXPONENT_BIAS) as u8);
    buf.extend(digits.trim_end_matches('0').bytes().map(|b| b - b'0' + 1));
    buf.push(0x00);
    if negative {
        buf[start..].iter_mut().for_each(|b| *b = !*b);
    }
}

/// Reads a key form written by [`put_key`] from the front of `bytes`: the decimal and the
/// number of bytes it took.
pub(crate) fn read_key(bytes: &[u8]) -> Result<(Decimal, usize)> {
    let corrupt = |what: &str| Error::corrupt(format!("bad numeric in key: {what}"));
    let (&class, rest) = bytes.split_first().ok_or_else(|| corrupt("truncated"))?;
    let flip = match class {
        ZERO => return Ok((Decimal::ZERO, 1)),
        NEGATIVE => 0xFF,
        POSITIVE => 0x00,
        _ => return Err(corrupt("unknown class")),
    };
    let end = rest.iter().position(|&b| b ^ flip == 0).ok_or_else(|| corrupt("unterminated"))?;
    let (&exponent, digits) = rest[..end].split_first().ok_or_else(|| corrupt("no exponent"))?;
    let exponent = (exponent ^ flip) as i32 - EXPONENT_BIAS;
    if digits.is_empty() || digits.len() > 29 {
        return Err(corrupt("digit count"));
    }
    let mut mantissa: i128 = 0;
    for &d in digits {
        let d = (d ^ flip).checked_sub(1).filter(|d| *d <= 9).ok_or_else(|| corrupt("digit"))?;
        mantissa = mantissa * 10 + d as i128;
    }
    // 0.d₁…dₙ × 10^e = d₁…dₙ × 10^(e − n)
    let shift = exponent - digits.len() as i32;
    let (mantissa, scale) = if shift >= 0 {
        let factor = 10i128.checked_pow(shift as u32).ok_or_else(|| corrupt("exponent"))?;
        (mantissa.checked_mul(factor).ok_or_else(|| corrupt("exponent"))?, 0)
    } else {
        (mantissa, (-shift) as u32)
    };
    let mantissa = if flip == 0xFF { -mantissa } else { mantissa };
    let value = Decimal::try_from_i128_with_scale(mantissa, scale).map_err(|_| corrupt("out of range"))?;
    Ok((value, 2 + end))
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use proptest::prelude::*;

    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn key(d: &Decimal) -> Vec<u8> {
        let mut buf = Vec::new();
        put_key(&mut buf, d);
        buf
    }

    fn any_decimal() -> impl Strategy<Value = Decimal> {
        (any::<i128>(), 0u32..=28)
            .prop_filter_map("in range", |(m, s)| Decimal::try_from_i128_with_scale(m % 10i128.pow(28), s).ok())
    }

    #[test]
    fn compact_form_keeps_scale_and_is_short() {
        for s in ["0", "1.00", "-12345.67", "-7922816251426433759354395033.5", "-0.0000000000000000000000000001"] {
            let d = dec(s);
            let (bytes, used) = compact(&d);
            assert_eq!(from_compact(&bytes[..used]).to_string(), d.to_string());
        }
        assert_eq!(compact(&dec("12345.67")).1, 4);
        assert_eq!(compact(&Decimal::ZERO).1, 1);
    }

    #[test]
    fn any_bytes_decode_without_panic() {
        for bytes in [&[][..], &[0xFF; 20], &[0x7F, 1, 2]] {
            let _ = from_compact(bytes).to_string();
        }
    }

    #[test]
    fn equal_values_have_equal_keys() {
        assert_eq!(key(&dec("1.0")), key(&dec("1.000")));
        assert_eq!(key(&dec("1200")), key(&dec("1200.00")));
        assert_eq!(read_key(&key(&dec("-1200.50"))).unwrap(), (dec("-1200.5"), key(&dec("-1200.5")).len()));
    }

    proptest! {
        #[test]
        fn keys_order_as_values(a in any_decimal(), b in any_decimal()) {
            prop_assert_eq!(key(&a).cmp(&key(&b)), a.cmp(&b));
        }

        #[test]
        fn keys_round_trip(a in any_decimal()) {
            let bytes = key(&a);
            let (back, used) = read_key(&bytes).unwrap();
            prop_assert_eq!(back, a);
            prop_assert_eq!(used, bytes.len());
        }

        #[test]
        fn bad_keys_are_errors(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = read_key(&bytes);
        }
    }
}
