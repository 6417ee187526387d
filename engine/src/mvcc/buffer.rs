//! A transaction's write buffer: a sorted map, plus an append-only tail for ascending keys.
//!
//! Bulk inserts write keys in ascending order (rowids come from a counter). In a `BTreeMap`
//! each such insert walks the tree comparing keys, 14% of a 1M-row bulk insert (profiled).
//! So keys above everything buffered are pushed onto a sorted `Vec` instead.
//!
//! Invariant: every key in `tail` is greater than every key in `map`, so the buffer's key
//! order is `map` then `tail`. A write that would land inside the tail's key span moves the
//! tail into the map first (rare: only when a transaction writes out of order after
//! appending).

use std::collections::{BTreeMap, btree_map};
use std::iter::{Chain, Map};
use std::ops::Bound;

type Entry = (Vec<u8>, Option<Vec<u8>>);

/// How to undo one write made under a savepoint.
#[derive(Debug)]
enum Undo {
    /// The write appended a key above every buffered key. Undone in reverse order, that
    /// key is again the greatest buffered key when its turn comes, so it needs no copy (a
    /// bulk insert inside a transaction appends every row; copying each key was an
    /// allocation per row).
    Appended,
    /// A key and what the buffer held for it before the write (`None`: nothing).
    Replaced(Vec<u8>, Option<Option<Vec<u8>>>),
}

/// Buffered writes: `None` is a delete.
#[derive(Debug, Default)]
pub(crate) struct WriteBuffer {
    map: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    tail: Vec<Entry>,
    /// While a savepoint is open, how to undo each write (see [`Undo`]), so that
    /// `rollback_to` can restore the buffer.
    undo: Vec<Undo>,
    /// Open savepoints; writes are logged in `undo` only while there is one.
    savepoints: usize,
}

/// A buffered write, borrowed: key and value (`None` for a delete).
type EntryRef<'a> = (&'a Vec<u8>, &'a Option<Vec<u8>>);

/// The buffered writes within a range, in key order (either end).
pub(crate) type BufferRange<'a> = Chain<
    btree_map::Range<'a, Vec<u8>, Option<Vec<u8>>>,
    Map<std::slice::Iter<'a, Entry>, fn(&'a Entry) -> EntryRef<'a>>,
>;

impl WriteBuffer {
    pub fn is_empty(&self) -> bool {
        self.map.is_empty() && self.tail.is_empty()
    }

    #[inline]
    pub fn get(&self, key: &[u8]) -> Option<&Option<Vec<u8>>> {
        match self.tail.first() {
            Some((first, _)) if key >= first.as_slice() => {
                let i = self.tail.binary_search_by(|(k, _)| k.as_slice().cmp(key)).ok()?;
                Some(&self.tail[i].1)
            }
            _ => self.map.get(key),
        }
    }

    pub fn put(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) {
        if self.savepoints > 0 {
            // An appended key had nothing before it: no search (a bulk insert inside a
            // transaction logs every row, and the search was 12% of it, profiled).
            let undo = if self.above_all(&key) {
                Undo::Appended
            } else {
                Undo::Replaced(key.clone(), self.get(&key).cloned())
            };
            self.undo.push(undo);
        }
        self.put_unlogged(key, value);
    }

    /// Whether `key` sorts after every buffered key.
    #[inline]
    fn above_all(&self, key: &[u8]) -> bool {
        match (self.tail.last(), self.map.last_key_value()) {
            (Some((last, _)), _) => key > last.as_slice(),
            (None, Some((last, _))) => key > last.as_slice(),
            (None, None) => true,
        }
    }

    /// Opens a savepoint: the writes from here on can be undone with `rollback_to`.
    pub fn savepoint(&mut self) -> usize {
        self.savepoints += 1;
        self.undo.len()
    }

    /// Undoes every write made since `savepoint`; the savepoint stays open.
    pub fn rollback_to(&mut self, savepoint: usize) {
        while self.undo.len() > savepoint {
            match self.undo.pop().expect("len checked") {
                Undo::Appended => self.remove_last(),
                Undo::Replaced(key, Some(value)) => self.put_unlogged(key, value),
                Undo::Replaced(key, None) => self.remove(&key),
            }
        }
    }

    /// Closes a savepoint, keeping its writes (they stay undoable by an enclosing one).
    pub fn release(&mut self, _savepoint: usize) {
        self.savepoints = self.savepoints.saturating_sub(1);
        if self.savepoints == 0 {
            self.undo.clear();
        }
    }

    /// Removes the greatest buffered key (the tail's keys are above the map's).
    fn remove_last(&mut self) {
        if self.tail.pop().is_none() {
            self.map.pop_last();
        }
    }

    fn remove(&mut self, key: &[u8]) {
        if let Ok(i) = self.tail.binary_search_by(|(k, _)| k.as_slice().cmp(key)) {
            self.tail.remove(i);
        } else {
            self.map.remove(key);
        }
    }

    fn put_unlogged(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) {
        if self.above_all(&key) {
            self.tail.push((key, value));
            return;
        }
        if let Some((first, _)) = self.tail.first()
            && key >= *first
        {
            match self.tail.binary_search_by(|(k, _)| k.cmp(&key)) {
                Ok(i) => {
                    self.tail[i].1 = value;
                    return;
                }
                Err(_) => self.map.extend(self.tail.drain(..)),
            }
        }
        self.map.insert(key, value);
    }

    /// The writes within the bounds, in key order.
    pub fn range<'a>(&'a self, bounds: (Bound<&[u8]>, Bound<&[u8]>)) -> BufferRange<'a> {
        let start = match bounds.0 {
            Bound::Included(s) => self.tail.partition_point(|(k, _)| k.as_slice() < s),
            Bound::Excluded(s) => self.tail.partition_point(|(k, _)| k.as_slice() <= s),
            Bound::Unbounded => 0,
        };
        let end = match bounds.1 {
            Bound::Included(e) => self.tail.partition_point(|(k, _)| k.as_slice() <= e),
            Bound::Excluded(e) => self.tail.partition_point(|(k, _)| k.as_slice() < e),
            Bound::Unbounded => self.tail.len(),
        };
        let tail: &'a [Entry] = &self.tail[start..end.max(start)];
        let pair: fn(&'a Entry) -> EntryRef<'a> = |(k, v)| (k, v);
        self.map.range::<[u8], _>(bounds).chain(tail.iter().map(pair))
    }

    /// Every write, sorted by key.
    pub fn into_sorted(self) -> Vec<Entry> {
        let mut ops: Vec<Entry> = Vec::with_capacity(self.map.len() + self.tail.len());
        ops.extend(self.map);
        ops.extend(self.tail);
        ops
    }

    pub fn clear(&mut self) {
        self.map.clear();
        self.tail.clear();
        self.undo.clear();
        self.savepoints = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    type Model = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

    proptest! {
        /// Any sequence of writes reads, ranges and sorts exactly like a plain BTreeMap.
        #[test]
        fn behaves_like_a_btreemap(
            writes in proptest::collection::vec((0u8..40, proptest::option::of(any::<u8>())), 0..80),
            lo in 0u8..45, hi in 0u8..45, lo_incl: bool, hi_incl: bool, reverse: bool,
        ) {
            let mut buffer = WriteBuffer::default();
            let mut model = BTreeMap::new();
            for (k, v) in writes {
                buffer.put(vec![k], v.map(|v| vec![v]));
                model.insert(vec![k], v.map(|v| vec![v]));
            }
            for k in 0u8..45 {
                prop_assert_eq!(buffer.get(&[k]), model.get(&vec![k]));
            }
            let (lo, hi) = ([lo], [hi]);
            let b = |incl: bool, x: &[u8; 1]| if incl { Bound::Included(x.to_vec()) } else { Bound::Excluded(x.to_vec()) };
            let (start, end) = (b(lo_incl, &lo), b(hi_incl, &hi));
            if !crate::storage::range_is_empty(&(start.clone(), end.clone())) {
                let bounds = (start.as_ref().map(Vec::as_slice), end.as_ref().map(Vec::as_slice));
                let got: Vec<_> = if reverse { buffer.range(bounds).rev().collect() } else { buffer.range(bounds).collect() };
                let want: Vec<_> = if reverse {
                    model.range::<Vec<u8>, _>((start.clone(), end.clone())).rev().collect()
                } else {
                    model.range::<Vec<u8>, _>((start, end)).collect()
                };
                prop_assert_eq!(got, want);
            }
            prop_assert_eq!(buffer.into_sorted(), model.into_iter().collect::<Vec<_>>());
        }

        /// Nested savepoints, rolled back and released in any order, against a model that
        /// keeps a copy of the map at each open savepoint (writes mostly ascending, so that
        /// most are appends, with some out of order that move the tail into the map).
        #[test]
        fn nested_savepoints_restore_what_they_saw(
            ops in proptest::collection::vec(
                prop_oneof![
                    6 => (0u8..60, proptest::option::of(any::<u8>())).prop_map(|(k, v)| (0u8, k, v)),
                    1 => Just((1u8, 0, None)),
                    1 => Just((2u8, 0, None)),
                    1 => Just((3u8, 0, None)),
                ],
                0..120,
            ),
        ) {
            let mut buffer = WriteBuffer::default();
            let mut model: Model = BTreeMap::new();
            // Each open savepoint, and the buffer's contents when it was opened.
            let mut open: Vec<(usize, Model)> = Vec::new();
            let mut next = 0u8;
            for (op, k, v) in ops {
                match op {
                    0 => {
                        // Every third write goes above everything so far: an append.
                        let key = if k % 3 == 0 { next = next.saturating_add(1); vec![200, next] } else { vec![k] };
                        let value = v.map(|v| vec![v]);
                        buffer.put(key.clone(), value.clone());
                        model.insert(key, value);
                    }
                    1 => open.push((buffer.savepoint(), model.clone())),
                    2 => {
                        if let Some((sp, seen)) = open.last() {
                            buffer.rollback_to(*sp);
                            model = seen.clone();
                        }
                    }
                    _ => {
                        if let Some((sp, _)) = open.pop() {
                            buffer.release(sp);
                        }
                    }
                }
                prop_assert_eq!(buffer.range((Bound::Unbounded, Bound::Unbounded)).map(|(k, v)| (k.clone(), v.clone())).collect::<Vec<_>>(),
                    model.iter().map(|(k, v)| (k.clone(), v.clone())).collect::<Vec<_>>());
            }
        }

        /// Rolling back to a savepoint restores exactly what the buffer held at it.
        #[test]
        fn rollback_to_a_savepoint_restores_the_buffer(
            before in proptest::collection::vec((0u8..40, proptest::option::of(any::<u8>())), 0..40),
            after in proptest::collection::vec((0u8..40, proptest::option::of(any::<u8>())), 0..40),
        ) {
            let mut buffer = WriteBuffer::default();
            let mut model = BTreeMap::new();
            for (k, v) in before {
                buffer.put(vec![k], v.map(|v| vec![v]));
                model.insert(vec![k], v.map(|v| vec![v]));
            }
            let sp = buffer.savepoint();
            for (k, v) in after {
                buffer.put(vec![k], v.map(|v| vec![v]));
            }
            buffer.rollback_to(sp);
            buffer.release(sp);
            for k in 0u8..40 {
                prop_assert_eq!(buffer.get(&[k]), model.get(&vec![k]));
            }
            prop_assert_eq!(buffer.into_sorted(), model.into_iter().collect::<Vec<_>>());
        }
    }
}
