//! The write-ahead log that makes redb's durable commits cheap.
//!
//! A durable redb commit writes every page on its copy-on-write path plus redb's own system
//! trees: about 37 `pwrite`s and an `fdatasync` per single-row commit here (strace), which
//! put single-row durable commits at 0.7–0.9× of SQLite's WAL. A non-durable redb commit
//! costs about 15 µs. So a durable batch is made durable here instead:
//!
//! ```text
//!  apply(batch, Full):  append record ─► fdatasync(wal) ─► redb commit, Durability::None
//!  checkpoint:          redb commit, Durability::Immediate ─► truncate wal ─► fsync(wal)
//!  open:                replay every intact record (Durability::None) ─► checkpoint
//! ```
//!
//! Record: `len u32 LE | crc32 u32 LE | payload`, payload = `count u32`, then per write
//! `key_len u32 | key | 0 (delete) or 1 (set) | value_len u32 | value` (little endian).
//!
//! Why replay is safe: every write in a batch is absolute (set a key to bytes, or delete
//! it), and records are in commit order, so replaying the whole log over any prefix of it
//! that redb already holds ends in the same state. Redb rolls back non-durable commits on a
//! crash, so after a crash redb holds the last checkpoint and the log holds everything
//! acknowledged since. A torn last record (crash mid-append) was never acknowledged: replay
//! stops at the first record whose length or checksum does not hold.
//!
//! Appends and checkpoints take one lock, so a checkpoint never truncates a record whose
//! batch redb has not yet taken.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::{WriteBatch, WriteOp};
use crate::error::{Error, Result};

/// Checkpoint once the log grows past this.
pub const CHECKPOINT_BYTES: u64 = 64 << 20;

/// The open log file.
pub(crate) struct Wal {
    file: File,
    len: u64,
}

impl Wal {
    /// Opens the log and returns it with the batches of its intact records, in order.
    pub fn open(path: &Path) -> Result<(Wal, Vec<WriteBatch>)> {
        let mut file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let mut batches = Vec::new();
        let mut at = 0usize;
        while let Some((batch, next)) = read_record(&bytes, at) {
            batches.push(batch);
            at = next;
        }
        if at < bytes.len() {
            tracing::warn!(bytes = bytes.len() - at, "dropping a torn or damaged tail of the write-ahead log");
        }
        file.seek(SeekFrom::Start(at as u64))?;
        Ok((Wal { file, len: at as u64 }, batches))
    }

    /// Appends a batch and waits until it is on disk.
    pub fn append(&mut self, batch: &WriteBatch) -> Result<()> {
        let record = encode_record(batch)?;
        self.file.write_all(&record)?;
        self.file.sync_data()?;
        self.len += record.len() as u64;
        Ok(())
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    /// Cuts the log back to `len` bytes: takes back a record whose batch the store refused.
    pub fn cut(&mut self, len: u64) -> Result<()> {
        self.file.set_len(len)?;
        self.file.seek(SeekFrom::Start(len))?;
        self.file.sync_data()?;
        self.len = len;
        Ok(())
    }

    /// Empties the log (after the store made everything in it durable).
    pub fn truncate(&mut self) -> Result<()> {
        self.file.set_len(0)?;
        self.file.seek(SeekFrom::Start(0))?;
        self.file.sync_all()?;
        self.len = 0;
        Ok(())
    }
}

fn encode_record(batch: &WriteBatch) -> Result<Vec<u8>> {
    let size: usize = batch.ops.iter().map(|(k, v)| 9 + k.len() + v.as_ref().map_or(0, Vec::len)).sum();
    let mut out = Vec::with_capacity(12 + size);
    out.extend_from_slice(&[0; 8]);
    let count = u32::try_from(batch.ops.len()).map_err(|_| Error::invalid("batch too large for the log"))?;
    out.extend_from_slice(&count.to_le_bytes());
    for (key, value) in &batch.ops {
        let len = |n: usize| u32::try_from(n).map_err(|_| Error::invalid("value too large for the log"));
        out.extend_from_slice(&len(key.len())?.to_le_bytes());
        out.extend_from_slice(key);
        match value {
            Some(v) => {
                out.push(1);
                out.extend_from_slice(&len(v.len())?.to_le_bytes());
                out.extend_from_slice(v);
            }
            None => {
                out.push(0);
                out.extend_from_slice(&0u32.to_le_bytes());
            }
        }
    }
    let payload_len = u32::try_from(out.len() - 8).map_err(|_| Error::invalid("batch too large for the log"))?;
    let crc = crc32fast::hash(&out[8..]);
    out[0..4].copy_from_slice(&payload_len.to_le_bytes());
    out[4..8].copy_from_slice(&crc.to_le_bytes());
    Ok(out)
}

/// The record at `at`, and where the next one starts; `None` at the end or at damage.
fn read_record(bytes: &[u8], at: usize) -> Option<(WriteBatch, usize)> {
    let u32_at = |i: usize| bytes.get(i..i + 4).map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")));
    let len = u32_at(at)? as usize;
    let crc = u32_at(at + 4)?;
    let payload = bytes.get(at + 8..(at + 8).checked_add(len)?)?;
    if crc32fast::hash(payload) != crc {
        return None;
    }
    let mut ops: Vec<WriteOp> = Vec::new();
    let mut i = 4;
    let u32_in = |i: usize| payload.get(i..i + 4).map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")) as usize);
    for _ in 0..u32_in(0)? {
        let klen = u32_in(i)?;
        let key = payload.get(i + 4..i + 4 + klen)?.to_vec();
        i += 4 + klen;
        let tag = *payload.get(i)?;
        let vlen = u32_in(i + 1)?;
        let value = payload.get(i + 5..i + 5 + vlen)?.to_vec();
        i += 5 + vlen;
        ops.push((key, (tag == 1).then_some(value)));
    }
    Some((WriteBatch { ops }, at + 8 + len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(n: u8) -> WriteBatch {
        WriteBatch { ops: vec![(vec![n], Some(vec![n; n as usize])), (vec![n, 1], None)] }
    }

    #[test]
    fn records_replay_in_order_and_a_torn_tail_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal.log");
        {
            let (mut wal, replay) = Wal::open(&path).unwrap();
            assert!(replay.is_empty());
            for n in 1..=3 {
                wal.append(&batch(n)).unwrap();
            }
        }
        // Tear the last record.
        let len = std::fs::metadata(&path).unwrap().len();
        OpenOptions::new().write(true).open(&path).unwrap().set_len(len - 3).unwrap();
        let (mut wal, replay) = Wal::open(&path).unwrap();
        assert_eq!(replay, vec![batch(1), batch(2)]);
        // Appends continue after the last intact record.
        wal.append(&batch(9)).unwrap();
        drop(wal);
        let (mut wal, replay) = Wal::open(&path).unwrap();
        assert_eq!(replay, vec![batch(1), batch(2), batch(9)]);
        wal.truncate().unwrap();
        drop(wal);
        assert!(Wal::open(&path).unwrap().1.is_empty());
    }

    #[test]
    fn a_damaged_record_stops_replay() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal.log");
        let (mut wal, _) = Wal::open(&path).unwrap();
        wal.append(&batch(1)).unwrap();
        wal.append(&batch(2)).unwrap();
        drop(wal);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xFF;
        std::fs::write(&path, bytes).unwrap();
        assert_eq!(Wal::open(&path).unwrap().1, vec![batch(1)]);
    }
}
