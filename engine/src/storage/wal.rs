//! The write-ahead log that makes redb's durable commits cheap.
//!
//! A durable redb commit writes every page on its copy-on-write path plus redb's own system
//! trees: about 37 `pwrite`s and an `fdatasync` per single-row commit here (strace), which
//! put single-row durable commits at 0.7–0.9× of SQLite's WAL. A non-durable redb commit
//! costs about 15 µs. So a durable batch is made durable here instead:
//!
//! ```text
//!  apply(batch, Full):  append record ─► fdatasync(wal) ─► redb commit, Durability::None
//!  checkpoint:          redb commit, Durability::Immediate ─► new generation in the header
//!  open:                replay the records of this generation (Durability::None) ─► checkpoint
//! ```
//!
//! File: a 512-byte header (`braidwal`, the generation's first sequence number, crc32), then
//! a preallocated area of records written in place. Record: `len u32 | crc32 u32 | payload`,
//! payload = `seq u64 | count u32`, then per write `key_len u32 | key | 0 (delete) or 1 (set)
//! | value_len u32 | value` (little endian). Replay reads records while their checksum holds
//! and their sequence numbers count up from the header's; anything else ends the log.
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
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::Path;

use super::{WriteBatch, WriteOp};
use crate::error::{Error, Result};

/// The first log area, zero-filled when the file is made: overwriting allocated blocks in
/// place changes no file metadata, so `fdatasync` is one data flush. An appending log grows
/// the file, and then every `fdatasync` also commits the size change to the filesystem
/// journal: measured here, that cost as much as redb's own durable commit. The area doubles
/// (zero-filled, one `fsync`) when a record would cross its end: rare, and amortised.
const FIRST_AREA_BYTES: u64 = 1 << 20;
/// Checkpoint once this much of the area is used (records past the area grow the file).
pub const CHECKPOINT_BYTES: u64 = 48 << 20;
/// The header sector: magic, the first sequence number of this generation, checksum.
const HEADER: u64 = 512;
const MAGIC: &[u8; 8] = b"braidwal";

/// The open log file.
pub(crate) struct Wal {
    file: File,
    /// Bytes of the file allocated (zero-filled or written).
    allocated: u64,
    /// Where the next record goes.
    end: u64,
    /// The sequence number the next record gets.
    next_seq: u64,
}

impl Wal {
    /// Opens (creating) the log; returns it with the batches of its records, in order.
    pub fn open(path: &Path) -> Result<(Wal, Vec<WriteBatch>)> {
        let mut file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)?;
        if file.metadata()?.len() < HEADER {
            return Ok((Wal::create(file)?, Vec::new()));
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let allocated = bytes.len() as u64;
        let start_seq = read_header(&bytes)?;
        let (mut at, mut seq, mut batches) = (HEADER as usize, start_seq, Vec::new());
        while let Some((record_seq, batch, next)) = read_record(&bytes, at) {
            if record_seq != seq {
                break; // a record of an earlier generation: the log ends here
            }
            batches.push(batch);
            (at, seq) = (next, seq + 1);
        }
        Ok((Wal { file, allocated, end: at as u64, next_seq: seq }, batches))
    }

    fn create(file: File) -> Result<Wal> {
        let mut wal = Wal { file, allocated: 0, end: HEADER, next_seq: 1 };
        wal.grow(HEADER + FIRST_AREA_BYTES)?;
        wal.write_header(1)?;
        wal.file.sync_all()?;
        Ok(wal)
    }

    /// Zero-fills the file up to at least `size` bytes (doubling), and syncs its metadata.
    fn grow(&mut self, size: u64) -> Result<()> {
        let target = size.max(self.allocated * 2);
        let zeros = vec![0u8; 1 << 20];
        let mut at = self.allocated;
        while at < target {
            let n = (target - at).min(zeros.len() as u64) as usize;
            self.file.write_all_at(&zeros[..n], at)?;
            at += n as u64;
        }
        self.file.sync_all()?;
        self.allocated = target;
        Ok(())
    }

    fn write_header(&mut self, start_seq: u64) -> Result<()> {
        let mut header = [0u8; 20];
        header[..8].copy_from_slice(MAGIC);
        header[8..16].copy_from_slice(&start_seq.to_le_bytes());
        let crc = crc32fast::hash(&header[..16]);
        header[16..20].copy_from_slice(&crc.to_le_bytes());
        self.file.write_all_at(&header, 0)?;
        Ok(())
    }

    /// Appends a batch and waits until it is on disk.
    pub fn append(&mut self, batch: &WriteBatch) -> Result<()> {
        let record = encode_record(self.next_seq, batch)?;
        if self.end + record.len() as u64 > self.allocated {
            self.grow(self.end + record.len() as u64)?;
        }
        self.file.write_all_at(&record, self.end)?;
        self.file.sync_data()?;
        self.end += record.len() as u64;
        self.next_seq += 1;
        Ok(())
    }

    /// Bytes of records in the current generation.
    pub fn len(&self) -> u64 {
        self.end - HEADER
    }

    /// Takes back the last record (its batch was refused): overwrites its frame so replay
    /// stops before it, and reuses its place.
    pub fn cut(&mut self, len: u64) -> Result<()> {
        let at = HEADER + len;
        self.file.write_all_at(&[0u8; 8], at)?;
        self.file.sync_data()?;
        self.end = at;
        Ok(())
    }

    /// Starts a new generation (after the store made everything in the log durable): the
    /// records on disk stay but carry older sequence numbers, so replay ignores them.
    pub fn truncate(&mut self) -> Result<()> {
        self.write_header(self.next_seq)?;
        self.file.sync_data()?;
        self.end = HEADER;
        Ok(())
    }
}

fn read_header(bytes: &[u8]) -> Result<u64> {
    let header = bytes.get(..20).ok_or_else(|| Error::corrupt("write-ahead log header truncated"))?;
    if &header[..8] != MAGIC || crc32fast::hash(&header[..16]).to_le_bytes() != header[16..20] {
        return Err(Error::corrupt("write-ahead log header damaged"));
    }
    Ok(u64::from_le_bytes(header[8..16].try_into().expect("8 bytes")))
}

fn encode_record(seq: u64, batch: &WriteBatch) -> Result<Vec<u8>> {
    let size: usize = batch.ops.iter().map(|(k, v)| 9 + k.len() + v.as_ref().map_or(0, Vec::len)).sum();
    let mut out = Vec::with_capacity(20 + size);
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&seq.to_le_bytes());
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

/// The little-endian `u32` at `i`, if the bytes reach that far.
fn le_u32(bytes: &[u8], i: usize) -> Option<u32> {
    bytes.get(i..i + 4).map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
}

/// The record at `at`: its sequence number, batch, and where the next record starts;
/// `None` at zeros, a torn record or damage.
fn read_record(bytes: &[u8], at: usize) -> Option<(u64, WriteBatch, usize)> {
    let len = le_u32(bytes, at)? as usize;
    let crc = le_u32(bytes, at + 4)?;
    let payload = bytes.get(at + 8..(at + 8).checked_add(len)?)?;
    if len < 12 || crc32fast::hash(payload) != crc {
        return None;
    }
    let seq = u64::from_le_bytes(payload[..8].try_into().expect("8 bytes"));
    let mut ops: Vec<WriteOp> = Vec::new();
    let u32_in = |i: usize| le_u32(payload, i).map(|n| n as usize);
    let mut i = 12;
    for _ in 0..u32_in(8)? {
        let klen = u32_in(i)?;
        let key = payload.get(i + 4..i + 4 + klen)?.to_vec();
        i += 4 + klen;
        let tag = *payload.get(i)?;
        let vlen = u32_in(i + 1)?;
        let value = payload.get(i + 5..i + 5 + vlen)?.to_vec();
        i += 5 + vlen;
        ops.push((key, (tag == 1).then_some(value)));
    }
    Some((seq, WriteBatch { ops }, at + 8 + len))
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
        // Tear the last record: its final bytes on disk are not what was written.
        let (wal, _) = Wal::open(&path).unwrap();
        let end = wal.end;
        drop(wal);
        OpenOptions::new().write(true).open(&path).unwrap().write_all_at(&[0xAB, 0xCD, 0xEF], end - 3).unwrap();
        let (mut wal, replay) = Wal::open(&path).unwrap();
        assert_eq!(replay, vec![batch(1), batch(2)]);
        // Appends continue after the last intact record.
        wal.append(&batch(9)).unwrap();
        drop(wal);
        let (mut wal, replay) = Wal::open(&path).unwrap();
        assert_eq!(replay, vec![batch(1), batch(2), batch(9)]);
        wal.truncate().unwrap();
        drop(wal);
        // The old records are still on disk, but belong to an earlier generation.
        let (mut wal, replay) = Wal::open(&path).unwrap();
        assert!(replay.is_empty());
        wal.append(&batch(4)).unwrap();
        drop(wal);
        assert_eq!(Wal::open(&path).unwrap().1, vec![batch(4)]);
    }

    #[test]
    fn a_cut_record_is_not_replayed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal.log");
        let (mut wal, _) = Wal::open(&path).unwrap();
        wal.append(&batch(1)).unwrap();
        let before = wal.len();
        wal.append(&batch(2)).unwrap();
        wal.cut(before).unwrap();
        drop(wal);
        assert_eq!(Wal::open(&path).unwrap().1, vec![batch(1)]);
    }

    #[test]
    fn a_damaged_record_stops_replay() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wal.log");
        let (mut wal, _) = Wal::open(&path).unwrap();
        wal.append(&batch(1)).unwrap();
        wal.append(&batch(2)).unwrap();
        drop(wal);
        let end = Wal::open(&path).unwrap().0.end;
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[end as usize - 1] ^= 0xFF;
        std::fs::write(&path, bytes).unwrap();
        assert_eq!(Wal::open(&path).unwrap().1, vec![batch(1)]);
    }
}
