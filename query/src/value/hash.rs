//! The hash behind every hash table of the executor (aggregation groups, hash joins,
//! DISTINCT, set operations, IN sets): FxHash, rustc's multiply-rotate hash.
//!
//! The standard library's SipHash resists collision attacks but costs several times more
//! per key; hashing group keys was 5% of a plain `SUM` (profiled), and more of a GROUP BY
//! over many groups. A query's keys come from its own data, and a crafted collision set
//! only slows down the query of the user who crafted it.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use super::GroupKey;

/// A map from group keys, hashed with [`FxHasher`].
pub type GroupMap<V> = HashMap<GroupKey, V, BuildHasherDefault<FxHasher>>;
/// A set of group keys, hashed with [`FxHasher`].
pub type GroupSet = HashSet<GroupKey, BuildHasherDefault<FxHasher>>;

/// FxHash: per 8-byte word, rotate, xor and multiply.
#[derive(Debug, Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i.into());
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_i64(&mut self, i: i64) {
        self.add(i as u64);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use braid_engine::Value;

    #[test]
    fn equal_keys_hash_alike_and_numbers_by_value() {
        let mut set = GroupSet::default();
        set.insert(GroupKey(vec![Value::Integer(1), Value::Text("a".into())]));
        assert!(set.contains(&GroupKey(vec![Value::Real(1.0), Value::Text("a".into())])));
        assert!(!set.contains(&GroupKey(vec![Value::Integer(2), Value::Text("a".into())])));
        let mut a = FxHasher::default();
        a.write(b"abcdefghij");
        let mut b = FxHasher::default();
        b.write(b"abcdefghik");
        assert_ne!(a.finish(), b.finish());
    }
}
