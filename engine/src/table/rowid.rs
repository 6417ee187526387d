//! The in-memory rowid counter of one table (see the module doc of `table`).

use std::sync::atomic::{AtomicI64, Ordering};

use crate::error::{ConstraintKind, Error, Result};

/// Hands out rowids above every rowid used so far.
#[derive(Debug)]
pub struct RowidAllocator {
    /// The next rowid to hand out.
    next: AtomicI64,
}

impl RowidAllocator {
    /// A counter that starts after `max_used` (the largest stored rowid, if any).
    pub fn after(max_used: Option<i64>) -> Self {
        RowidAllocator { next: AtomicI64::new(max_used.map_or(1, |m| m.saturating_add(1)).max(1)) }
    }

    /// A fresh rowid.
    pub fn allocate(&self) -> Result<i64> {
        // Never moves past i64::MAX, so the counter cannot wrap under concurrent callers.
        self.next.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| (n < i64::MAX).then_some(n + 1)).map_err(
            |_| {
                Error::constraint(
                    ConstraintKind::Limit,
                    "rowid space exhausted: the table holds rowid 9223372036854775807",
                )
            },
        )
    }

    /// Records that `rowid` was used explicitly, so it is never handed out. Returns whether
    /// it lay above every rowid used so far: such a rowid cannot exist in storage or in any
    /// transaction of this process (the only writer: stores lock their files), so the caller
    /// may skip the existence check.
    pub fn observe(&self, rowid: i64) -> bool {
        let previous = self.next.fetch_max(rowid.saturating_add(1), Ordering::Relaxed);
        rowid >= previous && rowid < i64::MAX
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocates_after_observed() {
        let a = RowidAllocator::after(Some(10));
        assert_eq!(a.allocate().unwrap(), 11);
        assert!(a.observe(100));
        assert_eq!(a.allocate().unwrap(), 101);
        assert!(!a.observe(5));
        assert_eq!(a.allocate().unwrap(), 102);
    }

    #[test]
    fn exhaustion_is_an_error() {
        let a = RowidAllocator::after(Some(i64::MAX - 1));
        assert!(a.allocate().is_err());
        assert!(a.allocate().is_err());
    }
}
