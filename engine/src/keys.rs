//! The engine's key layout: every kind of record it stores, and the key each is stored under.
//!
//! ```text
//!  0x01 Meta      name(str)                         → meta value (format version, id counter)
//!  0x02 Table     name(str)                         → TableDef (rkyv)
//!  0x03 Row       table_id(u64) rowid(i64)          → row (encoding::row)          [logical]
//!  0x03 RowBlock  table_id(u64) block(i64)          → row block (table::blocks)  [physical]
//!  0x04 Index     index_id(u64) values… [rowid(i64)]→ rowid(i64) for unique entries, empty otherwise
//! ```
//!
//! Rows are *logical* keys: MVCC, conflict detection and everything above see one key per
//! row. Below MVCC, [`crate::table::RowBlocks`] stores them packed, 32 rowid-contiguous rows
//! per physical `RowBlock` entry (block = rowid >> 5), in the same `0x03` region, so
//! physical order is logical order.
//!
//! Tags 0x05.. are reserved for kv namespaces and series. Every key is made by
//! [`crate::encoding::keycode`]; [`KeyPrefix`] mirrors [`Key`] for prefix scans, and a test
//! checks that each prefix is a prefix of its keys.

use crate::encoding::keycode::{KeyReader, KeyWriter};
use crate::error::{Error, Result};
use crate::types::Value;

const META: u8 = 0x01;
const TABLE: u8 = 0x02;
/// The tag of row keys (logical) and row-block keys (physical).
pub const ROW: u8 = 0x03;
/// Length of a row or row-block key: tag, table id, rowid or block number.
pub const ROW_KEY_LEN: usize = 17;
const INDEX: u8 = 0x04;

/// A key of the engine's key space.
#[derive(Debug, Clone, PartialEq)]
pub enum Key<'a> {
    Meta(&'a str),
    Table(&'a str),
    Row {
        table: u64,
        rowid: i64,
    },
    /// Physical: the block holding rows `block << 5 ..= (block << 5) + 31` of a table.
    RowBlock {
        table: u64,
        block: i64,
    },
    /// A secondary index entry. Unique entries without NULLs carry no rowid in the key, so
    /// that two transactions inserting the same value write the same key and conflict.
    Index {
        index: u64,
        values: &'a [Value],
        rowid: Option<i64>,
    },
}

/// The room an index key or prefix is made in: its tag and index id, a value or two and
/// a rowid fit without growing the buffer (grown from empty, a key was reallocated twice
/// or three times: a third of opening an index scan, callgrind, `PROBE=t`).
const INDEX_KEY_CAPACITY: usize = 40;

impl Key<'_> {
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Key::Meta(name) => KeyWriter::new().tag(META).str(name).finish(),
            Key::Table(name) => KeyWriter::new().tag(TABLE).str(name).finish(),
            // The fixed-size form, copied once: a row key is made for every row inserted.
            Key::Row { table, rowid } => row_key_array(*table, *rowid).to_vec(),
            Key::RowBlock { table, block } => {
                KeyWriter::with_capacity(ROW_KEY_LEN).tag(ROW).u64(*table).i64(*block).finish()
            }
            Key::Index { index, values, rowid } => {
                let w = KeyWriter::with_capacity(INDEX_KEY_CAPACITY).tag(INDEX).u64(*index).values(*values);
                match rowid {
                    Some(r) => w.i64(*r).finish(),
                    None => w.finish(),
                }
            }
        }
    }
}

/// Decodes a row key into `(table, rowid)`; anything else is corruption.
pub fn decode_row_key(key: &[u8]) -> Result<(u64, i64)> {
    row_key_parts(key).ok_or_else(|| Error::corrupt("expected a row key"))
}

/// `(table, rowid)` if `key` is a well-formed row key, without allocating.
#[inline]
pub fn row_key_parts(key: &[u8]) -> Option<(u64, i64)> {
    if key.len() != ROW_KEY_LEN || key[0] != ROW {
        return None;
    }
    let table = u64::from_be_bytes(key[1..9].try_into().ok()?);
    let rowid = (u64::from_be_bytes(key[9..17].try_into().ok()?) ^ (1 << 63)) as i64;
    Some((table, rowid))
}

/// The row key of `(table, rowid)` as a fixed array (the same bytes as [`Key::Row`]).
#[inline]
pub fn row_key_array(table: u64, rowid: i64) -> [u8; ROW_KEY_LEN] {
    let mut key = [0u8; ROW_KEY_LEN];
    key[0] = ROW;
    key[1..9].copy_from_slice(&table.to_be_bytes());
    key[9..17].copy_from_slice(&((rowid as u64) ^ (1 << 63)).to_be_bytes());
    key
}

/// Decodes an index key of `width` values: the values and, if present, the rowid suffix.
pub fn decode_index_key(key: &[u8], width: usize) -> Result<(Vec<Value>, Option<i64>)> {
    let mut r = KeyReader::new(key);
    if r.tag()? != INDEX {
        return Err(Error::corrupt("expected an index key"));
    }
    r.u64()?;
    let values = (0..width).map(|_| r.value()).collect::<Result<Vec<_>>>()?;
    let rowid = if r.is_empty() { None } else { Some(r.i64()?) };
    r.end()?;
    Ok((values, rowid))
}

/// The name of a meta key.
pub fn decode_meta_key(key: &[u8]) -> Result<String> {
    let mut r = KeyReader::new(key);
    if r.tag()? != META {
        return Err(Error::corrupt("expected a meta key"));
    }
    let name = r.string()?;
    r.end()?;
    Ok(name)
}

/// The rowid suffix of an index key of `width` values, if present, without decoding the
/// values (their encoding is still checked).
pub fn decode_index_rowid(key: &[u8], width: usize) -> Result<Option<i64>> {
    let mut r = KeyReader::new(key);
    if r.tag()? != INDEX {
        return Err(Error::corrupt("expected an index key"));
    }
    r.u64()?;
    for _ in 0..width {
        r.skip_value()?;
    }
    let rowid = if r.is_empty() { None } else { Some(r.i64()?) };
    r.end()?;
    Ok(rowid)
}

/// The rowid suffix of an index key known to have one, read from its last eight bytes
/// without walking the values before it (see `index::btree::Rowids`).
#[inline]
pub fn index_rowid_suffix(key: &[u8]) -> Result<i64> {
    match key.len().checked_sub(8) {
        Some(at) if at > 8 && key[0] == INDEX => KeyReader::new(&key[at..]).i64(),
        _ => Err(Error::corrupt("expected an index key with a rowid")),
    }
}

/// Prefixes of [`Key`]s, for scans.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyPrefix<'a> {
    Table,
    Rows {
        table: u64,
    },
    Index {
        index: u64,
    },
    IndexValues {
        index: u64,
        values: &'a [Value],
    },
    /// Meta keys whose name starts with the string (`view/` for every view).
    MetaStartingWith(&'a str),
}

impl KeyPrefix<'_> {
    pub fn encode(&self) -> Vec<u8> {
        match self {
            KeyPrefix::Table => vec![TABLE],
            KeyPrefix::Rows { table } => KeyWriter::with_capacity(9).tag(ROW).u64(*table).finish(),
            KeyPrefix::Index { index } => KeyWriter::with_capacity(9).tag(INDEX).u64(*index).finish(),
            KeyPrefix::IndexValues { index, values } => {
                KeyWriter::with_capacity(INDEX_KEY_CAPACITY).tag(INDEX).u64(*index).values(*values).finish()
            }
            KeyPrefix::MetaStartingWith(start) => KeyWriter::new().tag(META).str_start(start).finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_prefix_is_a_prefix_of_its_keys() {
        let values = [Value::Integer(7), Value::from("x")];
        let cases = [
            (KeyPrefix::Table, Key::Table("t")),
            (KeyPrefix::Rows { table: 3 }, Key::Row { table: 3, rowid: -5 }),
            (KeyPrefix::Index { index: 9 }, Key::Index { index: 9, values: &values, rowid: Some(1) }),
            (
                KeyPrefix::IndexValues { index: 9, values: &values[..1] },
                Key::Index { index: 9, values: &values, rowid: None },
            ),
            (KeyPrefix::MetaStartingWith("view/"), Key::Meta("view/v\0x")),
            (KeyPrefix::MetaStartingWith(""), Key::Meta("")),
        ];
        for (prefix, key) in cases {
            assert!(key.encode().starts_with(&prefix.encode()), "{prefix:?} / {key:?}");
        }
    }

    #[test]
    fn meta_keys_round_trip() {
        assert_eq!(decode_meta_key(&Key::Meta("view/v\0x").encode()).unwrap(), "view/v\0x");
        assert!(decode_meta_key(&Key::Table("t").encode()).is_err());
    }

    #[test]
    fn row_key_helpers_agree_with_the_codec() {
        for (table, rowid) in [(0, 0), (3, -5), (u64::MAX, i64::MIN), (7, i64::MAX)] {
            let key = Key::Row { table, rowid }.encode();
            assert_eq!(row_key_array(table, rowid).as_slice(), key.as_slice());
            assert_eq!(row_key_parts(&key), Some((table, rowid)));
        }
        assert_eq!(row_key_parts(&Key::Meta("x").encode()), None);
    }

    #[test]
    fn row_keys_round_trip_and_sort_by_rowid() {
        let k = |rowid| Key::Row { table: 1, rowid }.encode();
        assert_eq!(decode_row_key(&k(-3)).unwrap(), (1, -3));
        assert!(k(-1) < k(0) && k(0) < k(1) && k(1) < k(256));
    }

    #[test]
    fn index_rowids_read_without_decoding_agree_with_the_codec() {
        let values = [
            Value::Null,
            Value::Boolean(true),
            Value::Integer(-7),
            Value::Real(2.5),
            Value::Timestamp(9),
            Value::from("a\0b"),
            Value::Blob(vec![0, 0, 1]),
        ];
        for rowid in [None, Some(-1), Some(i64::MAX)] {
            let key = Key::Index { index: 4, values: &values, rowid }.encode();
            assert_eq!(decode_index_rowid(&key, values.len()).unwrap(), rowid);
            if let Some(r) = rowid {
                assert_eq!(index_rowid_suffix(&key).unwrap(), r);
            }
            assert_eq!(decode_index_key(&key, values.len()).unwrap(), (values.to_vec(), rowid));
            // Every truncation is an error, never a wrong rowid or a panic.
            for cut in 0..key.len() {
                let short = &key[..cut];
                if let Ok(found) = decode_index_rowid(short, values.len()) {
                    assert_eq!(decode_index_key(short, values.len()).unwrap().1, found);
                }
            }
        }
    }
}
