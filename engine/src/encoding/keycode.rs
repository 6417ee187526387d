//! The order-preserving key codec: encoded keys compare bytewise exactly as the values do.
//!
//! Every key in the store is made here, so that the storage can stay a plain ordered byte
//! map and range scans over encoded keys are range scans over values. A key is a sequence
//! of *fields*; fields are self-delimiting, so a composite key `(a, b)` sorts by `a`, then
//! `b`, and the encoding of `(a)` is a prefix of that of every `(a, b)`.
//!
//! | field            | bytes                                                              |
//! |------------------|--------------------------------------------------------------------|
//! | `u8` tag         | the byte itself                                                    |
//! | `u64`            | 8 bytes big-endian                                                 |
//! | `i64`            | 8 bytes big-endian with the sign bit flipped                       |
//! | `f64`            | big-endian bits; positive: sign bit flipped; negative: all bits flipped (after `-0.0`→`0.0`, NaN→canonical) |
//! | bytes, string    | each `0x00` written as `0x00 0xFF`, then the terminator `0x00 0x00` |
//! | [`Value`]        | a type tag (below), then the payload as above                      |
//!
//! | value tag | type      | payload                    |
//! |-----------|-----------|----------------------------|
//! | `0x00`    | NULL      | none                       |
//! | `0x01`    | BOOLEAN   | `0x00` or `0x01`           |
//! | `0x02`    | INTEGER   | `i64`                      |
//! | `0x03`    | REAL      | `f64`                      |
//! | `0x04`    | TIMESTAMP | `i64` (microseconds)       |
//! | `0x05`    | TEXT      | bytes of the UTF-8         |
//! | `0x06`    | BLOB      | bytes                      |
//! | `0x07`    | NUMERIC   | class, exponent, digits ([`crate::types::numeric`]) |
//! | `0x08`    | INTERVAL  | the span, `i128` big-endian, sign bit flipped ([`crate::types::interval`]) |
//! | `0x09`    | TIME      | `i64` (microseconds since midnight) |
//!
//! Tags follow [`Value`]'s type rank, so mixed-type keys order as `Value::cmp` does.
//! The escape keeps order: `0x00 0xFF` (an embedded zero) sorts after `0x00 0x00` (the end),
//! so `"a"` < `"a\0"` < `"ab"`, as with the raw strings.
//!
//! Decoding never trusts its input: truncated or malformed bytes are a
//! [`Error::Corruption`], not a panic.

use crate::error::{Error, Result};
use crate::types::Value;
use crate::types::value::normalize_f64;
use crate::types::{interval, numeric};

/// Appends key fields to a buffer.
#[derive(Debug, Default, Clone)]
pub struct KeyWriter {
    buf: Vec<u8>,
}

impl KeyWriter {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_capacity(n: usize) -> Self {
        KeyWriter { buf: Vec::with_capacity(n) }
    }

    pub fn tag(mut self, tag: u8) -> Self {
        self.buf.push(tag);
        self
    }

    pub fn u64(mut self, v: u64) -> Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub fn i64(mut self, v: i64) -> Self {
        self.buf.extend_from_slice(&encode_i64(v));
        self
    }

    pub fn bytes(mut self, v: &[u8]) -> Self {
        put_escaped(&mut self.buf, v);
        self
    }

    pub fn str(self, v: &str) -> Self {
        self.bytes(v.as_bytes())
    }

    /// The start of a string field: `v` escaped, without the terminator, so that the key is
    /// a prefix of the key of every string that starts with `v`.
    pub fn str_start(mut self, v: &str) -> Self {
        put_escaped(&mut self.buf, v.as_bytes());
        self.buf.truncate(self.buf.len() - 2);
        self
    }

    pub fn value(mut self, v: &Value) -> Self {
        put_value(&mut self.buf, v);
        self
    }

    pub fn values<'a>(mut self, vs: impl IntoIterator<Item = &'a Value>) -> Self {
        for v in vs {
            put_value(&mut self.buf, v);
        }
        self
    }

    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads key fields back, front to back.
#[derive(Debug, Clone)]
pub struct KeyReader<'a> {
    rest: &'a [u8],
}

impl<'a> KeyReader<'a> {
    pub fn new(key: &'a [u8]) -> Self {
        KeyReader { rest: key }
    }

    /// The bytes not yet read.
    pub fn remaining(&self) -> &'a [u8] {
        self.rest
    }

    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.rest.len() < n {
            return Err(Error::corrupt(format!("key truncated: wanted {n} more bytes")));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    pub fn tag(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    pub fn u64(&mut self) -> Result<u64> {
        let b: [u8; 8] = self.take(8)?.try_into().expect("took 8 bytes");
        Ok(u64::from_be_bytes(b))
    }

    pub fn i64(&mut self) -> Result<i64> {
        Ok((self.u64()? ^ (1 << 63)) as i64)
    }

    pub fn bytes(&mut self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut i = 0;
        loop {
            match self.rest.get(i..i + 2) {
                Some([0x00, 0x00]) => break,
                Some([0x00, 0xFF]) => {
                    out.push(0x00);
                    i += 2;
                }
                Some([0x00, b]) => return Err(Error::corrupt(format!("bad escape 0x00 0x{b:02x} in key"))),
                Some([b, _]) => {
                    out.push(*b);
                    i += 1;
                }
                _ => return Err(Error::corrupt("unterminated byte string in key")),
            }
        }
        self.rest = &self.rest[i + 2..];
        Ok(out)
    }

    pub fn string(&mut self) -> Result<String> {
        String::from_utf8(self.bytes()?).map_err(|_| Error::corrupt("key string is not UTF-8"))
    }

    pub fn value(&mut self) -> Result<Value> {
        Ok(match self.tag()? {
            0x00 => Value::Null,
            0x01 => match self.tag()? {
                0 => Value::Boolean(false),
                1 => Value::Boolean(true),
                b => return Err(Error::corrupt(format!("bad boolean byte {b} in key"))),
            },
            0x02 => Value::Integer(self.i64()?),
            0x03 => Value::Real(decode_f64(self.u64()?)),
            0x04 => Value::Timestamp(self.i64()?),
            0x05 => Value::Text(self.string()?),
            0x06 => Value::Blob(self.bytes()?),
            0x07 => {
                let (d, used) = numeric::read_key(self.rest)?;
                self.rest = &self.rest[used..];
                Value::Numeric(d)
            }
            0x08 => Value::Interval(interval::read_key(self.take(16)?)?.0),
            0x09 => Value::Time(self.i64()?),
            t => return Err(Error::corrupt(format!("unknown value tag 0x{t:02x} in key"))),
        })
    }

    /// Steps over one value, checking its encoding without decoding it (a text's bytes are
    /// not checked for UTF-8): for readers that want what follows, such as an index
    /// entry's rowid.
    pub fn skip_value(&mut self) -> Result<()> {
        match self.tag()? {
            0x00 => {}
            0x01 => match self.tag()? {
                0 | 1 => {}
                b => return Err(Error::corrupt(format!("bad boolean byte {b} in key"))),
            },
            0x02..=0x04 | 0x09 => {
                self.take(8)?;
            }
            0x05 | 0x06 => self.skip_bytes()?,
            0x07 => {
                let (_, used) = numeric::read_key(self.rest)?;
                self.rest = &self.rest[used..];
            }
            0x08 => {
                self.take(16)?;
            }
            t => return Err(Error::corrupt(format!("unknown value tag 0x{t:02x} in key"))),
        }
        Ok(())
    }

    fn skip_bytes(&mut self) -> Result<()> {
        let mut i = 0;
        loop {
            match self.rest.get(i..i + 2) {
                Some([0x00, 0x00]) => break,
                Some([0x00, 0xFF]) => i += 2,
                Some([0x00, b]) => return Err(Error::corrupt(format!("bad escape 0x00 0x{b:02x} in key"))),
                Some(_) => i += 1,
                None => return Err(Error::corrupt("unterminated byte string in key")),
            }
        }
        self.rest = &self.rest[i + 2..];
        Ok(())
    }

    /// Fails unless every byte has been read: trailing bytes mean a malformed key.
    pub fn end(&self) -> Result<()> {
        match self.rest.len() {
            0 => Ok(()),
            n => Err(Error::corrupt(format!("{n} unexpected trailing bytes in key"))),
        }
    }
}

fn encode_i64(v: i64) -> [u8; 8] {
    ((v as u64) ^ (1 << 63)).to_be_bytes()
}

fn encode_f64(f: f64) -> [u8; 8] {
    let bits = normalize_f64(f).to_bits();
    let flipped = if bits >> 63 == 0 { bits ^ (1 << 63) } else { !bits };
    flipped.to_be_bytes()
}

fn decode_f64(flipped: u64) -> f64 {
    let bits = if flipped >> 63 == 1 { flipped ^ (1 << 63) } else { !flipped };
    f64::from_bits(bits)
}

fn put_escaped(buf: &mut Vec<u8>, v: &[u8]) {
    buf.reserve(v.len() + 2);
    for &b in v {
        if b == 0 {
            buf.extend_from_slice(&[0x00, 0xFF]);
        } else {
            buf.push(b);
        }
    }
    buf.extend_from_slice(&[0x00, 0x00]);
}

fn put_value(buf: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => buf.push(0x00),
        Value::Boolean(b) => buf.extend_from_slice(&[0x01, *b as u8]),
        Value::Integer(i) => {
            buf.push(0x02);
            buf.extend_from_slice(&encode_i64(*i));
        }
        Value::Real(f) => {
            buf.push(0x03);
            buf.extend_from_slice(&encode_f64(*f));
        }
        Value::Timestamp(t) => {
            buf.push(0x04);
            buf.extend_from_slice(&encode_i64(*t));
        }
        Value::Time(t) => {
            buf.push(0x09);
            buf.extend_from_slice(&encode_i64(*t));
        }
        Value::Text(s) => {
            buf.push(0x05);
            put_escaped(buf, s.as_bytes());
        }
        Value::Blob(b) => {
            buf.push(0x06);
            put_escaped(buf, b);
        }
        Value::Numeric(d) => {
            buf.push(0x07);
            numeric::put_key(buf, d);
        }
        Value::Interval(i) => {
            buf.push(0x08);
            interval::put_key(buf, i);
        }
    }
}

/// Encodes a sequence of values as one composite key.
pub fn encode_values<'a>(values: impl IntoIterator<Item = &'a Value>) -> Vec<u8> {
    KeyWriter::new().values(values).finish()
}

/// Decodes a composite key made by [`encode_values`].
pub fn decode_values(mut key: &[u8]) -> Result<Vec<Value>> {
    let mut reader = KeyReader::new(key);
    let mut out = Vec::new();
    while !reader.is_empty() {
        out.push(reader.value()?);
    }
    key = reader.remaining();
    debug_assert!(key.is_empty());
    Ok(out)
}

/// The smallest key greater than every key that starts with `prefix`, or `None` when no
/// such key exists (the prefix is all `0xFF`). Used as the exclusive end of prefix scans.
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    into_prefix_end(prefix.to_vec())
}

/// [`prefix_end`] of a prefix the caller no longer needs, made in its own buffer: an index
/// range's bounds are made this way once per scan, and copying each cost an allocation.
pub fn into_prefix_end(mut end: Vec<u8>) -> Option<Vec<u8>> {
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) fn any_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Boolean),
            any::<i64>().prop_map(Value::Integer),
            prop_oneof![
                any::<f64>(),
                Just(-0.0),
                Just(0.0),
                Just(f64::NAN),
                Just(f64::INFINITY),
                Just(f64::NEG_INFINITY)
            ]
            .prop_map(Value::real),
            any::<i64>().prop_map(Value::Timestamp),
            "[a\\x00b\\u{ff}\\u{1F600}]{0,6}".prop_map(Value::Text),
            proptest::collection::vec(prop_oneof![Just(0u8), Just(0xFFu8), any::<u8>()], 0..6).prop_map(Value::Blob),
            (any::<i128>(), 0u32..=28).prop_filter_map("fits 96 bits", |(m, s)| {
                rust_decimal::Decimal::try_from_i128_with_scale(m >> 32, s).ok().map(Value::Numeric)
            }),
            any::<(i32, i32, i64)>().prop_map(|(m, d, us)| Value::Interval(crate::types::Interval::new(m, d, us))),
            (0..=86_400_000_000i64).prop_map(Value::Time),
        ]
    }

    proptest! {
        #[test]
        fn value_order_is_byte_order(a in any_value(), b in any_value()) {
            let (ea, eb) = (encode_values([&a]), encode_values([&b]));
            prop_assert_eq!(a.cmp(&b), ea.cmp(&eb), "{:?} vs {:?}", a, b);
        }

        #[test]
        fn composite_order_is_byte_order(
            a in proptest::collection::vec(any_value(), 0..4),
            b in proptest::collection::vec(any_value(), 0..4),
        ) {
            prop_assert_eq!(a.cmp(&b), encode_values(&a).cmp(&encode_values(&b)));
        }

        #[test]
        fn decode_inverts_encode(values in proptest::collection::vec(any_value(), 0..5)) {
            prop_assert_eq!(decode_values(&encode_values(&values)).unwrap(), values);
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..32)) {
            let _ = decode_values(&bytes);
        }

        #[test]
        fn integer_fields_keep_order(a: u64, b: u64, c: i64, d: i64) {
            let k = |x: u64, y: i64| KeyWriter::new().u64(x).i64(y).finish();
            prop_assert_eq!((a, c).cmp(&(b, d)), k(a, c).cmp(&k(b, d)));
        }
    }

    #[test]
    fn prefix_end_bounds_every_extension() {
        assert_eq!(prefix_end(&[1, 2]), Some(vec![1, 3]));
        assert_eq!(prefix_end(&[1, 0xFF]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xFF, 0xFF]), None);
        assert_eq!(into_prefix_end(vec![1, 0xFF]), Some(vec![2]));
    }
}
