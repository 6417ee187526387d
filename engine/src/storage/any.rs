//! [`AnyStorage`]: the backend chosen at run time, dispatched with a `match` (no vtables,
//! and the branch is perfectly predicted because it never changes).

use std::path::Path;

use super::{
    Direction, Durability, KeyRange, MemoryStorage, RedbBytes, RedbScan, RedbSnapshot, RedbStorage, SledStorage,
    Snapshot, Status, Storage, WriteBatch,
};
use super::{LendingScan, MemoryStore, OverlayScan, OverlaySnapshot, SledStore};
use crate::error::Result;

/// The storage backends Braid can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// redb, on disk: the default.
    #[default]
    Redb,
    /// Memory only.
    Memory,
    /// sled, on disk: selectable.
    Sled,
}

impl std::str::FromStr for Backend {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "redb" => Ok(Backend::Redb),
            "memory" => Ok(Backend::Memory),
            "sled" => Ok(Backend::Sled),
            other => Err(crate::Error::invalid(format!("unknown storage backend {other:?}: use redb, memory or sled"))),
        }
    }
}

/// One of the backends.
#[derive(Clone)]
pub enum AnyStorage {
    Redb(RedbStorage),
    Memory(MemoryStorage),
    Sled(SledStorage),
}

impl AnyStorage {
    /// Opens `backend` in the data directory `dir` (ignored for memory).
    pub fn open(backend: Backend, dir: &Path, cache_bytes: Option<usize>) -> Result<Self> {
        Ok(match backend {
            Backend::Memory => AnyStorage::Memory(MemoryStorage::new_memory()),
            Backend::Redb => {
                std::fs::create_dir_all(dir)?;
                AnyStorage::Redb(RedbStorage::open(dir.join("data.redb"), cache_bytes)?)
            }
            Backend::Sled => {
                std::fs::create_dir_all(dir)?;
                AnyStorage::Sled(SledStorage::open_sled(dir.join("sled"), cache_bytes.map(|b| b as u64))?)
            }
        })
    }
}

macro_rules! dispatch {
    ($self:expr, $s:ident => $body:expr) => {
        match $self {
            AnyStorage::Redb($s) => $body,
            AnyStorage::Memory($s) => $body,
            AnyStorage::Sled($s) => $body,
        }
    };
}

impl Storage for AnyStorage {
    type Snapshot = AnySnapshot;

    fn snapshot(&self) -> Result<AnySnapshot> {
        Ok(match self {
            AnyStorage::Redb(s) => AnySnapshot::Redb(s.snapshot()?),
            AnyStorage::Memory(s) => AnySnapshot::Memory(s.snapshot()?),
            AnyStorage::Sled(s) => AnySnapshot::Sled(s.snapshot()?),
        })
    }

    fn apply(&self, batch: &WriteBatch, durability: Durability) -> Result<()> {
        dispatch!(self, s => s.apply(batch, durability))
    }

    fn flush(&self) -> Result<()> {
        dispatch!(self, s => s.flush())
    }

    fn status(&self) -> Result<Status> {
        dispatch!(self, s => s.status())
    }
}

/// A snapshot of one of the backends.
pub enum AnySnapshot {
    Redb(RedbSnapshot),
    Memory(OverlaySnapshot<MemoryStore>),
    Sled(OverlaySnapshot<SledStore>),
}

/// Bytes from one of the backends.
pub enum AnyBytes {
    Redb(RedbBytes),
    Memory(std::sync::Arc<[u8]>),
    Sled(sled::IVec),
}

impl AsRef<[u8]> for AnyBytes {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        match self {
            AnyBytes::Redb(b) => b.as_ref(),
            AnyBytes::Memory(b) => b,
            AnyBytes::Sled(b) => b,
        }
    }
}

/// A scan over one of the backends.
pub enum AnyScan {
    Redb(RedbScan),
    Memory(OverlayScan<MemoryStore>),
    Sled(OverlayScan<SledStore>),
}

impl Snapshot for AnySnapshot {
    type Bytes = AnyBytes;
    type Scan = AnyScan;

    #[inline]
    fn get(&self, key: &[u8]) -> Result<Option<AnyBytes>> {
        Ok(match self {
            AnySnapshot::Redb(s) => s.get(key)?.map(AnyBytes::Redb),
            AnySnapshot::Memory(s) => s.get(key)?.map(AnyBytes::Memory),
            AnySnapshot::Sled(s) => s.get(key)?.map(AnyBytes::Sled),
        })
    }

    fn scan(&self, range: KeyRange, direction: Direction) -> Result<AnyScan> {
        Ok(match self {
            AnySnapshot::Redb(s) => AnyScan::Redb(s.scan(range, direction)?),
            AnySnapshot::Memory(s) => AnyScan::Memory(s.scan(range, direction)?),
            AnySnapshot::Sled(s) => AnyScan::Sled(s.scan(range, direction)?),
        })
    }
}

impl LendingScan for AnyScan {
    #[inline]
    fn next_with<R>(&mut self, f: impl FnOnce(&[u8], &[u8]) -> Result<R>) -> Option<Result<R>> {
        match self {
            AnyScan::Redb(s) => s.next_with(f),
            AnyScan::Memory(s) => s.next_with(f),
            AnyScan::Sled(s) => s.next_with(f),
        }
    }
}

impl Iterator for AnyScan {
    type Item = Result<(AnyBytes, AnyBytes)>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        Some(match self {
            AnyScan::Redb(s) => s.next()?.map(|(k, v)| (AnyBytes::Redb(k), AnyBytes::Redb(v))),
            AnyScan::Memory(s) => s.next()?.map(|(k, v)| (AnyBytes::Memory(k), AnyBytes::Memory(v))),
            AnyScan::Sled(s) => s.next()?.map(|(k, v)| (AnyBytes::Sled(k), AnyBytes::Sled(v))),
        })
    }
}
