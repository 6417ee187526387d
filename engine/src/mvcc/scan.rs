//! Range scans of a transaction: the storage snapshot merged with the write buffer.

use super::buffer::BufferRange;
use crate::error::Result;
use crate::storage::{Direction, Snapshot};

/// Bytes read in a transaction: from its own write buffer, or from storage.
pub enum ReadBytes<'a, B> {
    Buffered(&'a [u8]),
    Stored(B),
}

impl<B: AsRef<[u8]>> AsRef<[u8]> for ReadBytes<'_, B> {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        match self {
            ReadBytes::Buffered(b) => b,
            ReadBytes::Stored(b) => b.as_ref(),
        }
    }
}

impl<B: AsRef<[u8]>> std::ops::Deref for ReadBytes<'_, B> {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_ref()
    }
}

type Entry<'a, B> = (ReadBytes<'a, B>, ReadBytes<'a, B>);

/// A merge of a snapshot scan and the matching part of the write buffer. Buffered writes
/// win over stored values of the same key; buffered deletes hide them.
pub struct Scan<'a, S: Snapshot> {
    stored: S::Scan,
    stored_head: Option<(S::Bytes, S::Bytes)>,
    buffered: BufferRange<'a>,
    buffered_head: Option<(&'a Vec<u8>, &'a Option<Vec<u8>>)>,
    direction: Direction,
    failed: bool,
    /// False when the buffer holds nothing in range: stored entries pass straight through.
    merge: bool,
}

impl<'a, S: Snapshot> Scan<'a, S> {
    /// A merged scan; with `merge` false (the transaction buffered nothing in range), stored entries
    /// pass straight through.
    pub(crate) fn new(stored: S::Scan, buffered: BufferRange<'a>, direction: Direction, merge: bool) -> Self {
        Scan { stored, stored_head: None, buffered, buffered_head: None, direction, failed: false, merge }
    }

    /// The storage scan alone, when there is nothing to merge into it.
    pub(crate) fn into_stored(self) -> std::result::Result<S::Scan, Self> {
        if self.merge { Err(self) } else { Ok(self.stored) }
    }

    fn fill_heads(&mut self) -> Result<()> {
        if self.stored_head.is_none() {
            self.stored_head = self.stored.next().transpose()?;
        }
        if self.buffered_head.is_none() {
            self.buffered_head = match self.direction {
                Direction::Forward => self.buffered.next(),
                Direction::Reverse => self.buffered.next_back(),
            };
        }
        Ok(())
    }
}

impl<'a, S: Snapshot> Iterator for Scan<'a, S> {
    type Item = Result<Entry<'a, S::Bytes>>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if !self.merge {
            return self.stored.next().map(|r| r.map(|(k, v)| (ReadBytes::Stored(k), ReadBytes::Stored(v))));
        }
        loop {
            if self.failed {
                return None;
            }
            if let Err(err) = self.fill_heads() {
                self.failed = true;
                return Some(Err(err));
            }
            let buffered_first = match (&self.stored_head, &self.buffered_head) {
                (None, None) => return None,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some((sk, _)), Some((bk, _))) => {
                    let order = bk.as_slice().cmp(sk.as_ref());
                    if order.is_eq() {
                        self.stored_head = None; // shadowed by the buffer
                        true
                    } else {
                        (self.direction == Direction::Forward) == order.is_lt()
                    }
                }
            };
            if !buffered_first {
                let (k, v) = self.stored_head.take().expect("checked above");
                return Some(Ok((ReadBytes::Stored(k), ReadBytes::Stored(v))));
            }
            let (k, v) = self.buffered_head.take().expect("checked above");
            if let Some(v) = v {
                return Some(Ok((ReadBytes::Buffered(k), ReadBytes::Buffered(v))));
            }
        }
    }
}
