//! Hash tables keyed by SQL values, looked up straight from a row: aggregation groups and
//! a hash join's build side.
//!
//! A key is a few expressions over a row. Looking one up through a `HashMap<GroupKey, _>`
//! needs the key as an owned `Vec<Value>`: an allocation per row, plus a copy of every
//! text it holds, for a lookup that almost always finds an existing group (a GROUP BY over
//! 1M rows has a few thousand groups; a join's probe rows find the build rows). Here a key
//! is hashed and compared where it lies: a column is read in place from the row, and only
//! the key parts that are computed (`ts - ts % 60000`) go through a reused buffer. The key
//! is copied out only when it starts a new entry.
//!
//! Hashing and equality are [`GroupKey`]'s: `1` and `1.0` are one key, NULLs are one key.

use std::hash::Hasher;

use braid_engine::Value;
use hashbrown::HashTable;

use super::super::context::Ctx;
use super::super::eval::eval;
use crate::error::Result;
use crate::plan::Expr;
use crate::value::{FxHasher, hash_value, sort_cmp};

/// Where one part of a key comes from.
#[derive(Debug, Clone, Copy)]
enum Part {
    /// Column `i` of the row, read in place.
    Column(usize),
    /// Slot `i` of the computed values.
    Computed(usize),
}

/// The key of a row: its parts, found in the row or computed into a reused buffer.
pub(super) struct RowKey<'a> {
    exprs: &'a [Expr],
    parts: Vec<Part>,
    computed: Vec<Value>,
}

impl<'a> RowKey<'a> {
    pub fn new(exprs: &'a [Expr]) -> Self {
        let mut slots = 0;
        let parts = exprs
            .iter()
            .map(|e| match e {
                Expr::Column { depth: 0, index, .. } => Part::Column(*index),
                _ => {
                    slots += 1;
                    Part::Computed(slots - 1)
                }
            })
            .collect();
        RowKey { exprs, parts, computed: Vec::with_capacity(slots) }
    }

    /// Reads `row`'s key: computes the parts that are not plain columns, and returns a view
    /// that hashes and compares it.
    pub fn of<'r>(&'r mut self, row: &'r [Value], ctx: &Ctx) -> Result<KeyView<'r>> {
        self.computed.clear();
        for (e, part) in self.exprs.iter().zip(&self.parts) {
            match part {
                Part::Column(i) if *i < row.len() => {}
                // A column past the row's end is an internal error, which eval reports.
                _ => self.computed.push(eval(e, row, ctx)?),
            }
        }
        Ok(KeyView { parts: &self.parts, row, computed: &self.computed })
    }
}

/// One row's key, read in place.
pub(super) struct KeyView<'r> {
    parts: &'r [Part],
    row: &'r [Value],
    computed: &'r [Value],
}

impl KeyView<'_> {
    fn part(&self, i: usize) -> &Value {
        match self.parts[i] {
            Part::Column(c) => &self.row[c],
            Part::Computed(s) => &self.computed[s],
        }
    }

    fn values(&self) -> impl Iterator<Item = &Value> {
        (0..self.parts.len()).map(|i| self.part(i))
    }

    pub fn has_null(&self) -> bool {
        self.values().any(Value::is_null)
    }

    fn hash(&self) -> u64 {
        hash_key(self.values())
    }

    fn equals(&self, key: &[Value]) -> bool {
        key.iter().zip(self.values()).all(|(a, b)| sort_cmp(a, b).is_eq())
    }

    pub fn to_owned(&self) -> Vec<Value> {
        self.values().cloned().collect()
    }
}

fn hash_key<'v>(values: impl Iterator<Item = &'v Value>) -> u64 {
    let mut h = FxHasher::default();
    for v in values {
        hash_value(v, &mut h);
    }
    h.finish()
}

/// Entries keyed by SQL values, in the order they were first seen.
pub(super) struct GroupTable<V> {
    /// (hash, index into `keys` and `values`).
    table: HashTable<(u64, usize)>,
    keys: Vec<Vec<Value>>,
    values: Vec<V>,
}

impl<V> Default for GroupTable<V> {
    fn default() -> Self {
        GroupTable { table: HashTable::new(), keys: Vec::new(), values: Vec::new() }
    }
}

impl<V> GroupTable<V> {
    /// The entry of `key`, if there is one.
    pub fn get(&self, key: &KeyView) -> Option<&V> {
        let keys = &self.keys;
        let hash = key.hash();
        self.table.find(hash, |&(h, i)| h == hash && key.equals(&keys[i])).map(|&(_, i)| &self.values[i])
    }

    /// The entry of `key`, made with `new` if there is none.
    pub fn entry(&mut self, key: &KeyView, new: impl FnOnce() -> V) -> &mut V {
        let hash = key.hash();
        let keys = &self.keys;
        let found = self.table.find(hash, |&(h, i)| h == hash && key.equals(&keys[i])).map(|&(_, i)| i);
        let i = match found {
            Some(i) => i,
            None => {
                let i = self.keys.len();
                self.keys.push(key.to_owned());
                self.values.push(new());
                self.table.insert_unique(hash, (hash, i), |&(h, _)| h);
                i
            }
        };
        &mut self.values[i]
    }

    /// The entries, in the order they were first seen.
    pub fn into_entries(self) -> impl Iterator<Item = (Vec<Value>, V)> {
        self.keys.into_iter().zip(self.values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::ParamValues;
    use crate::execute::context::Shared;
    use crate::value::BinaryArith;
    use crate::value::GroupKey;
    use Value::*;

    fn with_ctx(f: impl FnOnce(&Ctx)) {
        let db = braid_engine::Database::open_in_memory().unwrap();
        let txn = db.begin_read_only().unwrap();
        let (params, shared, session) = (ParamValues::default(), Shared::default(), crate::session::Session::default());
        f(&Ctx::new(&txn, &params, &session, &shared));
    }

    fn column(index: usize) -> Expr {
        Expr::Column { depth: 0, index, name: format!("c{index}").into() }
    }

    #[test]
    fn keys_hash_and_compare_as_group_keys_do() {
        let rows = [
            vec![Integer(1), Text("a".into())],
            vec![Real(1.0), Text("a".into())],
            vec![Null, Text("a".into())],
            vec![Null, Text("a".into())],
            vec![Integer(2), Text("b".into())],
        ];
        let exprs = [column(1), column(0)];
        with_ctx(|ctx| {
            let mut key = RowKey::new(&exprs);
            let mut table: GroupTable<u32> = GroupTable::default();
            for row in &rows {
                *table.entry(&key.of(row, ctx).unwrap(), || 0) += 1;
            }
            let entries: Vec<_> = table.into_entries().collect();
            let want = [
                (vec![Text("a".into()), Integer(1)], 2),
                (vec![Text("a".into()), Null], 2),
                (vec![Text("b".into()), Integer(2)], 1),
            ];
            assert_eq!(entries.len(), want.len());
            for ((k, n), (wk, wn)) in entries.iter().zip(&want) {
                assert_eq!(GroupKey(k.clone()), GroupKey(wk.clone()));
                assert_eq!(n, wn);
            }
        });
    }

    #[test]
    fn computed_parts_and_lookups() {
        // (c0 + 1, c1): computed and in-place parts together.
        let exprs =
            [Expr::Arith(BinaryArith::Add, Box::new(column(0)), Box::new(Expr::Literal(Integer(1)))), column(1)];
        with_ctx(|ctx| {
            let mut key = RowKey::new(&exprs);
            let mut table: GroupTable<&str> = GroupTable::default();
            table.entry(&key.of(&[Integer(1), Null], ctx).unwrap(), || "two, null");
            table.entry(&key.of(&[Integer(2), Integer(3)], ctx).unwrap(), || "three, three");
            assert_eq!(table.get(&key.of(&[Real(1.0), Null], ctx).unwrap()), Some(&"two, null"));
            assert_eq!(table.get(&key.of(&[Integer(2), Real(3.0)], ctx).unwrap()), Some(&"three, three"));
            assert_eq!(table.get(&key.of(&[Integer(2), Null], ctx).unwrap()), None);
            assert!(key.of(&[Integer(1), Null], ctx).unwrap().has_null());
            assert!(!key.of(&[Integer(1), Integer(0)], ctx).unwrap().has_null());
        });
    }
}
