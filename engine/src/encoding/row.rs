//! Rows as rkyv archives: written once, read in place, always validated.
//!
//! ```text
//! +---------+------------------------------------------+
//! | version | rkyv archive of Vec<Value>  (root last)  |
//! +---------+------------------------------------------+
//!   1 byte
//! ```
//!
//! # Why this layout
//!
//! Stores hand back values at arbitrary addresses (sled inlines values of 22 bytes or less,
//! unaligned). Rather than copying every row into an aligned buffer before reading it, rkyv
//! is built with `unaligned`, `little_endian` and `pointer_width_32`: archived integers are
//! byte arrays, so an archive can be read in place at any address. That is an on-disk format
//! decision, hence the leading format version byte (rkyv archives carry none).
//!
//! Every read goes through [`access`], which runs rkyv's validator (bytecheck): a damaged row
//! is an [`Error::Corruption`], never undefined behaviour or a panic.
//!
//! # Hand-written paths, same bytes
//!
//! The format is rkyv's, but the hot paths do not all run rkyv's code: rows of NULLs,
//! booleans, integers, reals, timestamps, times and text are written by `encode_by_hand`
//! (byte for byte what rkyv writes, checked by a proptest against rkyv itself; other rows go
//! through rkyv's serializer), and [`access_column`] validates fixed-size and text columns
//! by hand (accepting only what rkyv's validator accepts, again checked against it). A row
//! written by either path reads back through the other: the format version stays 1.

use rkyv::rancor;
use rkyv::vec::ArchivedVec;

use crate::error::{Error, Result};
use crate::types::{ArchivedValue, Value};

/// The row format written by this build.
pub const ROW_FORMAT: u8 = 1;

/// A row read in place: the archived values, borrowed from the stored bytes.
pub type ArchivedRow = ArchivedVec<ArchivedValue>;

/// Encodes a row, appending to `out` (cleared first).
pub fn encode_into(values: &[Value], out: &mut Vec<u8>) -> Result<()> {
    out.clear();
    out.push(ROW_FORMAT);
    if encode_by_hand(values, out) {
        return Ok(());
    }
    encode_with_rkyv(values, out)
}

/// rkyv's serializer, for the rows [`encode_by_hand`] leaves to it; `out` holds the format
/// byte.
fn encode_with_rkyv(values: &[Value], out: &mut Vec<u8>) -> Result<()> {
    let taken = std::mem::take(out);
    // `Vec<u8>` is an rkyv writer; with `unaligned` the leading byte shifts nothing that matters.
    *out = rkyv::api::high::to_bytes_in::<_, rancor::Error>(&ArchiveSlice(values), taken)
        .map_err(|e| Error::invalid(format!("cannot encode row: {e}")))?;
    Ok(())
}

/// Encodes a row into a new buffer.
pub fn encode(values: &[Value]) -> Result<Vec<u8>> {
    // Sized to fit: a growing buffer reallocates (2% of a bulk insert, profiled). Each
    // archived value is a 9-byte enum; text and blobs over 8 bytes also live out of line;
    // the format byte and the root take 9 more.
    let payload: usize = values
        .iter()
        .map(|v| match v {
            Value::Text(s) => s.len(),
            Value::Blob(b) => b.len(),
            _ => 0,
        })
        .sum();
    let mut out = Vec::with_capacity(1 + ROOT + values.len() * VALUE + payload);
    encode_into(values, &mut out)?;
    Ok(out)
}

/// The archive after the format byte.
fn archive(bytes: &[u8]) -> Result<&[u8]> {
    let Some((&version, archive)) = bytes.split_first() else {
        return Err(Error::corrupt("empty row"));
    };
    if version != ROW_FORMAT {
        return Err(Error::corrupt(format!("unknown row format {version}")));
    }
    Ok(archive)
}

/// Validates stored bytes and returns the archived row, borrowed in place.
pub fn access(bytes: &[u8]) -> Result<&ArchivedRow> {
    let archive = archive(bytes)?;
    // The low-level validator checks bounds, layout and UTF-8 but keeps no table of shared
    // pointers: rows hold none (no Rc/Arc), so the high-level one would only cost time.
    rkyv::api::low::access::<ArchivedRow, rancor::Error>(archive)
        .map_err(|e| Error::corrupt(format!("row failed validation: {e}")))
}

/// Validates only column `i` of a stored row and returns it, borrowed in place (`None`
/// past the row's end).
///
/// A scan that reads one column of each row (`SUM(score)`) need not validate the others:
/// whole-row validation was 17% of a range sum (profiled). Soundness does not depend on the
/// rest of the row: rkyv's validator checks that this element and everything it points to
/// lie inside the bytes and are well formed, which is all that reading it requires.
pub fn access_column(bytes: &[u8], i: usize) -> Result<Option<&ArchivedValue>> {
    let corrupt = || Error::corrupt("row header out of range");
    let archive = archive(bytes)?;
    // The root, last in the archive: a relative offset (i32) to the elements, then the
    // length (u32), both little-endian (`pointer_width_32`, `little_endian`).
    let root = archive.len().checked_sub(ROOT).ok_or_else(corrupt)?;
    let word = |at: usize| u32::from_le_bytes(archive[at..at + 4].try_into().expect("4 bytes"));
    let (offset, len) = (word(root) as i32, word(root + 4) as usize);
    if i >= len {
        return Ok(None);
    }
    // Elements lie before their root, as rkyv writes and validates them.
    let at = (root as i64 + offset as i64 + (i * VALUE) as i64).try_into().map_err(|_| corrupt())?;
    if at as u64 + VALUE as u64 > root as u64 {
        return Err(corrupt());
    }
    if let Some(value) = fixed_size(&archive[at..at + VALUE]).or_else(|| text(archive, at)) {
        return Ok(Some(value));
    }
    validated_column(archive, at)
}

/// A text column validated by hand, as rkyv checks an `ArchivedString`: inline (its first
/// byte is not `0b10xxxxxx`), its bytes up to the first 0xFF; out of line, a length over 8
/// and bytes that lie in the archive, before the value (where rkyv writes them); UTF-8
/// either way. rkyv's validator cost 150 instructions a text column (callgrind, `PROBE=t`),
/// for these few checks. `None`: anything else, for rkyv to validate or refuse.
#[inline]
fn text(archive: &[u8], at: usize) -> Option<&ArchivedValue> {
    let value = archive.get(at..at + VALUE)?;
    if value[0] != TAG_TEXT {
        return None;
    }
    let repr = &value[1..];
    let bytes = if repr[0] & 0xC0 != 0x80 {
        &repr[..repr.iter().position(|&b| b == 0xFF).unwrap_or(INLINE_TEXT)]
    } else {
        let word = u32::from_le_bytes(repr[..4].try_into().ok()?);
        let len = ((word & 0x3F) | ((word & !0xFF) >> 2)) as usize;
        // Relative to the string's own position, one byte into the value.
        let offset = i32::from_le_bytes(repr[4..].try_into().ok()?) as i64;
        let start = usize::try_from(at as i64 + 1 + offset).ok()?;
        if len <= INLINE_TEXT || start.checked_add(len)? > at {
            return None;
        }
        &archive[start..start + len]
    };
    // ASCII first: `from_utf8` cost a 13-byte name 127 instructions, `is_ascii` a tenth.
    if !bytes.is_ascii() {
        std::str::from_utf8(bytes).ok()?;
    }
    // SAFETY: `value` holds a whole `ArchivedValue` (alignment 1, asserted below) tagged as
    // text, whose string passes what rkyv's `CheckBytes` and `Verify` for `ArchivedString`
    // require: an inline string's bytes are UTF-8; an out-of-line one is longer than the
    // inline capacity and its bytes, UTF-8, lie inside `archive`, which outlives the result.
    Some(unsafe { &*value.as_ptr().cast::<ArchivedValue>() })
}

/// rkyv's validation of the column at `at`: every variant, pointers followed.
fn validated_column(archive: &[u8], at: usize) -> Result<Option<&ArchivedValue>> {
    rkyv::api::low::access_pos::<ArchivedValue, rancor::Error>(archive, at)
        .map(Some)
        .map_err(|e| Error::corrupt(format!("row failed validation: {e}")))
}

// The archived tags of the variants whose payload holds no pointer, in declaration order of
// `Value` (rkyv's `repr(u8)` archived enum); `fixed_size_tags_are_rkyvs` checks them.
const TAG_NULL: u8 = 0;
const TAG_BOOLEAN: u8 = 1;
const TAG_INTEGER: u8 = 2;
const TAG_REAL: u8 = 3;
const TAG_TEXT: u8 = 4;
const TAG_TIMESTAMP: u8 = 6;
const TAG_TIME: u8 = 9;

/// An archived value: its tag, then eight bytes of payload.
const VALUE: usize = size_of::<ArchivedValue>();
/// An archived row's root: a 32-bit relative offset to the elements, then their count.
const ROOT: usize = size_of::<ArchivedRow>();
/// The longest string kept inside its archived value (rkyv's `INLINE_CAPACITY`).
const INLINE_TEXT: usize = 8;
/// The longest text written by hand: rkyv's out-of-line limit is 2^30 - 1 bytes, and every
/// relative offset must fit an `i32` (longer rows go through rkyv, which checks both).
const MAX_HAND_TEXT: usize = 1 << 24;

/// Appends the archive of `values` to `out` exactly as rkyv writes it, for rows of NULLs,
/// booleans, integers, reals, timestamps, times and text; `false` (and `out` untouched)
/// for any other row, which rkyv encodes.
///
/// rkyv's serializer cost 590 instructions a row of a bulk insert (its arena, a resolver per
/// value, a writer behind a trait), this loop about 100 (callgrind, `PROBE=a`). The layout
/// it writes (`unaligned`, `little_endian`, `pointer_width_32`), positions relative to the
/// archive:
///
/// ```text
/// +-----------------------------+---------------------------+---------------------------+
/// | text over 8 bytes, in order | values, 9 bytes each      | root: i32 offset to the   |
/// | (bytes only)                | tag u8 + 8 payload bytes  | values, u32 count         |
/// +-----------------------------+---------------------------+---------------------------+
/// payloads: integer, timestamp, time: i64 LE; real: f64 bits LE; boolean: 0/1 then 7
/// zeros; NULL: 8 zeros; text up to 8 bytes: its bytes, then 0xFF up to 8; longer text:
/// u32 LE length with 0b10 in bits 7–6 (`(len & 0x3F) | 0x80 | (len & !0x3F) << 2`),
/// then the i32 LE offset from the payload's start to the text's bytes.
/// ```
///
/// `hand_encoding_is_rkyvs` checks the bytes against rkyv's for any such row: the format
/// is rkyv's, unchanged, and every reader still validates through rkyv.
fn encode_by_hand(values: &[Value], out: &mut Vec<u8>) -> bool {
    let by_hand = |v: &Value| match v {
        Value::Null | Value::Boolean(_) | Value::Integer(_) | Value::Real(_) | Value::Timestamp(_) | Value::Time(_) => {
            true
        }
        Value::Text(s) => s.len() <= MAX_HAND_TEXT,
        _ => false,
    };
    if values.len() > MAX_HAND_TEXT || !values.iter().all(by_hand) {
        return false;
    }
    fn long(v: &Value) -> Option<&[u8]> {
        match v {
            Value::Text(s) if s.len() > INLINE_TEXT => Some(s.as_bytes()),
            _ => None,
        }
    }
    let mut text_at = out.len();
    let text_bytes: usize = values.iter().filter_map(long).map(<[u8]>::len).sum();
    if text_bytes > MAX_HAND_TEXT {
        return false;
    }
    out.reserve(text_bytes + values.len() * VALUE + ROOT);
    for text in values.iter().filter_map(long) {
        out.extend_from_slice(text);
    }
    let elements = out.len();
    for v in values {
        let at = out.len();
        let (tag, payload) = match v {
            Value::Null => (TAG_NULL, [0; 8]),
            Value::Boolean(b) => (TAG_BOOLEAN, (*b as u64).to_le_bytes()),
            Value::Integer(i) => (TAG_INTEGER, i.to_le_bytes()),
            Value::Real(r) => (TAG_REAL, r.to_le_bytes()),
            Value::Timestamp(t) => (TAG_TIMESTAMP, t.to_le_bytes()),
            Value::Time(t) => (TAG_TIME, t.to_le_bytes()),
            Value::Text(s) if s.len() <= INLINE_TEXT => {
                let mut inline = [0xFF; 8];
                inline[..s.len()].copy_from_slice(s.as_bytes());
                (TAG_TEXT, inline)
            }
            Value::Text(s) => {
                let len = s.len() as u32;
                let len = (len & 0x3F) | 0x80 | ((len & !0x3F) << 2);
                // Both fit: the archive is under 2^28 bytes (checked above).
                let offset = text_at as i64 - (at + 1) as i64;
                text_at += s.len();
                let mut out_of_line = [0; 8];
                out_of_line[..4].copy_from_slice(&len.to_le_bytes());
                out_of_line[4..].copy_from_slice(&(offset as i32).to_le_bytes());
                (TAG_TEXT, out_of_line)
            }
            _ => unreachable!("checked by `by_hand`"),
        };
        out.push(tag);
        out.extend_from_slice(&payload);
    }
    let root = out.len();
    out.extend_from_slice(&((elements as i64 - root as i64) as i32).to_le_bytes());
    out.extend_from_slice(&(values.len() as u32).to_le_bytes());
    true
}

/// A column of a fixed-size variant, validated by hand: rkyv's validator costs a context
/// per call, a fifth of a range sum's time (profiled), for what amounts to reading one tag
/// byte. `None`: another variant (or a bad tag), for rkyv to validate or refuse.
#[inline]
fn fixed_size(bytes: &[u8]) -> Option<&ArchivedValue> {
    let valid = match *bytes.first()? {
        TAG_NULL | TAG_INTEGER | TAG_REAL | TAG_TIMESTAMP | TAG_TIME => true,
        TAG_BOOLEAN => bytes.get(1).is_some_and(|&b| b <= 1),
        _ => false,
    };
    if !valid || bytes.len() < size_of::<ArchivedValue>() {
        return None;
    }
    // SAFETY: `bytes` holds a whole `ArchivedValue`, whose alignment is 1 (asserted below).
    // Its tag names a variant whose payload is an `i64` or `f64` in little-endian form
    // (valid for every bit pattern), nothing, or a bool checked to be 0 or 1: exactly what
    // rkyv's `check_bytes` requires of these variants. Other variants never get here.
    Some(unsafe { &*bytes.as_ptr().cast::<ArchivedValue>() })
}

const _: () = assert!(align_of::<ArchivedValue>() == 1, "fixed_size reads archived values at any address");

const _: () = assert!(size_of::<ArchivedRow>() == 8, "access_column reads a 32-bit relative pointer and length");

const _: () = assert!(size_of::<ArchivedValue>() == 9, "encode_by_hand writes a tag and eight payload bytes");

/// Validates and copies a stored row out into owned values.
pub fn decode(bytes: &[u8]) -> Result<Vec<Value>> {
    Ok(access(bytes)?.iter().map(ArchivedValue::to_value).collect())
}

/// Serializes a borrowed slice exactly as rkyv would a `Vec<Value>`, so callers need not
/// clone their values into a `Vec` to encode them.
struct ArchiveSlice<'a>(&'a [Value]);

impl rkyv::Archive for ArchiveSlice<'_> {
    type Archived = ArchivedRow;
    type Resolver = rkyv::vec::VecResolver;

    fn resolve(&self, resolver: Self::Resolver, out: rkyv::Place<Self::Archived>) {
        ArchivedVec::resolve_from_len(self.0.len(), resolver, out);
    }
}

impl<S> rkyv::Serialize<S> for ArchiveSlice<'_>
where
    S: rancor::Fallible + rkyv::ser::Allocator + rkyv::ser::Writer + ?Sized,
    Value: rkyv::Serialize<S>,
{
    fn serialize(&self, serializer: &mut S) -> Result<Self::Resolver, S::Error> {
        ArchivedVec::serialize_from_slice(self.0, serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn any_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Boolean),
            any::<i64>().prop_map(Value::Integer),
            any::<f64>().prop_map(Value::real),
            any::<i64>().prop_map(Value::Timestamp),
            ".{0,20}".prop_map(Value::Text),
            proptest::collection::vec(any::<u8>(), 0..20).prop_map(Value::Blob),
            (any::<i64>(), 0u32..=28).prop_map(|(m, s)| Value::Numeric(rust_decimal::Decimal::new(m, s))),
            any::<(i32, i32, i64)>().prop_map(|(m, d, us)| Value::Interval(crate::types::Interval::new(m, d, us))),
            any::<i64>().prop_map(Value::Time),
        ]
    }

    /// Any value, with text long enough for every width of rkyv's out-of-line length.
    fn any_value_long_text() -> impl Strategy<Value = Value> {
        prop_oneof![any_value(), ".{0,300}".prop_map(Value::Text), "[a-z]{60,70}".prop_map(Value::Text)]
    }

    proptest! {
        #[test]
        fn hand_encoding_is_rkyvs(row in proptest::collection::vec(any_value_long_text(), 0..8)) {
            let (mut hand, mut rkyv) = (vec![ROW_FORMAT], vec![ROW_FORMAT]);
            encode_with_rkyv(&row, &mut rkyv).unwrap();
            if encode_by_hand(&row, &mut hand) {
                prop_assert_eq!(hand, rkyv);
            } else {
                prop_assert!(row.iter().any(|v| matches!(v, Value::Blob(_) | Value::Numeric(_) | Value::Interval(_))));
            }
        }

        #[test]
        fn decode_inverts_encode(row in proptest::collection::vec(any_value(), 0..8)) {
            prop_assert_eq!(decode(&encode(&row).unwrap()).unwrap(), row);
        }

        #[test]
        fn reads_at_any_alignment(row in proptest::collection::vec(any_value(), 0..8), shift in 0usize..8) {
            let bytes = encode(&row).unwrap();
            let mut shifted = vec![0u8; shift];
            shifted.extend_from_slice(&bytes);
            prop_assert_eq!(decode(&shifted[shift..]).unwrap(), row);
        }

        #[test]
        fn a_column_reads_as_in_the_whole_row(row in proptest::collection::vec(any_value(), 0..8), shift in 0usize..4) {
            let mut bytes = vec![0u8; shift];
            bytes.extend_from_slice(&encode(&row).unwrap());
            let bytes = &bytes[shift..];
            for i in 0..row.len() + 2 {
                let column = access_column(bytes, i).unwrap().map(ArchivedValue::to_value);
                prop_assert_eq!(column.as_ref(), row.get(i));
            }
        }

        #[test]
        fn damaged_columns_are_errors_not_panics(
            row in proptest::collection::vec(any_value(), 1..6),
            flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4),
            column in 0usize..6,
        ) {
            let mut bytes = encode(&row).unwrap();
            for (i, x) in flips {
                let i = i.index(bytes.len());
                bytes[i] ^= x;
            }
            if let Err(e) = access_column(&bytes, column) {
                prop_assert!(e.is_corruption());
            }
        }

        /// The hand validation of fixed-size and text columns accepts exactly what rkyv
        /// accepts, and reads the same value, on intact and on damaged rows.
        #[test]
        fn fixed_size_and_text_columns_validate_as_rkyv_does(
            row in proptest::collection::vec(any_value_long_text(), 1..6),
            flips in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..=255), 0..3),
            column in 0usize..6,
        ) {
            let mut bytes = encode(&row).unwrap();
            for (i, x) in flips {
                let i = i.index(bytes.len());
                bytes[i] ^= x;
            }
            let fast = access_column(&bytes, column).map(|v| v.map(ArchivedValue::to_value));
            let Ok(archive) = archive(&bytes) else { return Ok(()) };
            let Some(root) = archive.len().checked_sub(size_of::<ArchivedRow>()) else { return Ok(()) };
            let word = |at: usize| u32::from_le_bytes(archive[at..at + 4].try_into().unwrap());
            let (offset, len) = (word(root) as i32 as i64, word(root + 4) as usize);
            let at = root as i64 + offset + (column * size_of::<ArchivedValue>()) as i64;
            if column >= len || at < 0 || at as usize + size_of::<ArchivedValue>() > root {
                return Ok(());
            }
            let slow = validated_column(archive, at as usize).map(|v| v.map(ArchivedValue::to_value));
            match (fast, slow) {
                (Ok(a), Ok(b)) => prop_assert_eq!(a.map(|v| format!("{v:?}")), b.map(|v| format!("{v:?}"))),
                (Err(_), Err(_)) => {}
                (a, b) => prop_assert!(false, "hand validation {:?}, rkyv {:?}", a.is_ok(), b.is_ok()),
            }
        }

        #[test]
        fn damaged_rows_are_errors_not_panics(
            row in proptest::collection::vec(any_value(), 1..6),
            flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4),
        ) {
            let mut bytes = encode(&row).unwrap();
            for (i, x) in flips {
                let i = i.index(bytes.len());
                bytes[i] ^= x;
            }
            // Either still a valid row or a corruption error; never a panic.
            if let Err(e) = decode(&bytes) {
                prop_assert!(e.is_corruption());
            }
        }

        #[test]
        fn truncated_rows_are_errors(row in proptest::collection::vec(any_value(), 1..6), cut in any::<prop::sample::Index>()) {
            let bytes = encode(&row).unwrap();
            let cut = cut.index(bytes.len());
            if let Err(e) = decode(&bytes[..cut]) {
                prop_assert!(e.is_corruption());
            }
        }
    }

    #[test]
    fn fixed_size_tags_are_rkyvs() {
        let cases = [
            (Value::Null, TAG_NULL),
            (Value::Boolean(true), TAG_BOOLEAN),
            (Value::Integer(-7), TAG_INTEGER),
            (Value::Real(2.5), TAG_REAL),
            (Value::Timestamp(9), TAG_TIMESTAMP),
            (Value::Time(45_000_000), TAG_TIME),
        ];
        for (value, tag) in cases {
            let bytes = encode(std::slice::from_ref(&value)).unwrap();
            let archive = archive(&bytes).unwrap();
            let root = archive.len() - size_of::<ArchivedRow>();
            let offset = i32::from_le_bytes(archive[root..root + 4].try_into().unwrap()) as i64;
            let at = (root as i64 + offset) as usize;
            assert_eq!(archive[at], tag, "{value:?}");
            assert_eq!(validated_column(archive, at).unwrap().unwrap().to_value(), value);
            assert_eq!(fixed_size(&archive[at..]).unwrap().to_value(), value);
        }
        // Blobs hold pointers: always rkyv's validation.
        let bytes = encode(&[Value::Blob(vec![1])]).unwrap();
        let archive = archive(&bytes).unwrap();
        let root = archive.len() - size_of::<ArchivedRow>();
        let offset = i32::from_le_bytes(archive[root..root + 4].try_into().unwrap()) as i64;
        let at = (root as i64 + offset) as usize;
        assert!(fixed_size(&archive[at..]).is_none());
        assert!(text(archive, at).is_none());
    }

    #[test]
    fn unknown_format_version_is_corruption() {
        let mut bytes = encode(&[Value::Integer(1)]).unwrap();
        bytes[0] = 99;
        assert!(decode(&bytes).unwrap_err().is_corruption());
    }
}
