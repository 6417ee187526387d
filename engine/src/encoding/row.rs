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
    let taken = std::mem::take(out);
    // `Vec<u8>` is an rkyv writer; with `unaligned` the leading byte shifts nothing that matters.
    *out = rkyv::api::high::to_bytes_in::<_, rancor::Error>(&ArchiveSlice(values), taken)
        .map_err(|e| Error::invalid(format!("cannot encode row: {e}")))?;
    Ok(())
}

/// Encodes a row into a new buffer.
pub fn encode(values: &[Value]) -> Result<Vec<u8>> {
    // Sized to fit: a growing buffer reallocates (2% of a bulk insert, profiled). Each
    // archived value is a 16-byte enum; text and blobs over 8 bytes also live out of line.
    let payload: usize = values
        .iter()
        .map(|v| match v {
            Value::Text(s) => s.len(),
            Value::Blob(b) => b.len(),
            _ => 0,
        })
        .sum();
    let mut out = Vec::with_capacity(16 + values.len() * 16 + payload);
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
    const ROOT: usize = size_of::<ArchivedRow>();
    const VALUE: usize = size_of::<ArchivedValue>();
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
    if let Some(value) = fixed_size(&archive[at..at + VALUE]) {
        return Ok(Some(value));
    }
    validated_column(archive, at)
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
const TAG_TIMESTAMP: u8 = 6;
const TAG_TIME: u8 = 9;

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

    proptest! {
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

        /// The hand validation of fixed-size columns accepts exactly what rkyv accepts,
        /// and reads the same value, on intact and on damaged rows.
        #[test]
        fn fixed_size_columns_validate_as_rkyv_does(
            row in proptest::collection::vec(any_value(), 1..6),
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
        // Text and blobs hold pointers: always rkyv's validation.
        for value in [Value::Text("x".into()), Value::Blob(vec![1])] {
            let bytes = encode(std::slice::from_ref(&value)).unwrap();
            let archive = archive(&bytes).unwrap();
            let root = archive.len() - size_of::<ArchivedRow>();
            let offset = i32::from_le_bytes(archive[root..root + 4].try_into().unwrap()) as i64;
            assert!(fixed_size(&archive[(root as i64 + offset) as usize..]).is_none());
        }
    }

    #[test]
    fn unknown_format_version_is_corruption() {
        let mut bytes = encode(&[Value::Integer(1)]).unwrap();
        bytes[0] = 99;
        assert!(decode(&bytes).unwrap_err().is_corruption());
    }
}
