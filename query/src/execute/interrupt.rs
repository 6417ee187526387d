//! Stopping a running statement: cancelled from another thread ([`InterruptHandle`]), or
//! past its connection's statement timeout.
//!
//! A statement runs synchronously on the thread that called the connection, so the signal
//! it checks is kept in a thread-local for the duration of the statement ([`enter`]) rather
//! than threaded through every operator. The executor calls [`check`] where work repeats
//! without bound: once per batch a scan reads, and once per step of a recursive CTE. A
//! check costs a thread-local read, an atomic load and, with a timeout, a clock read: per
//! batch of rows, not per row.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::error::{Error, Result};

/// Interrupts the statement running on a connection, from any thread (a server's cancel
/// request, a user's Ctrl-C). A statement that starts later is not affected.
#[derive(Clone)]
pub struct InterruptHandle {
    flag: Arc<AtomicBool>,
    /// A remote connection's: interrupting sends the server a cancel request.
    #[cfg(feature = "remote")]
    cancel: Option<tokio_postgres::CancelToken>,
}

impl std::fmt::Debug for InterruptHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InterruptHandle").field("flag", &self.flag).finish_non_exhaustive()
    }
}

impl InterruptHandle {
    pub(crate) fn new() -> Self {
        InterruptHandle {
            flag: Arc::new(AtomicBool::new(false)),
            #[cfg(feature = "remote")]
            cancel: None,
        }
    }

    /// The handle of a remote connection, which cancels through `token`.
    #[cfg(feature = "remote")]
    pub(crate) fn remote(token: tokio_postgres::CancelToken) -> Self {
        InterruptHandle { cancel: Some(token), ..Self::new() }
    }

    /// Stops the running statement, if any, with [`Error::Cancelled`]; the statement's
    /// writes are undone as for any failed statement. Remotely it returns once the server
    /// has the cancel request (which it may receive after the statement ended).
    pub fn interrupt(&self) {
        self.flag.store(true, Ordering::Relaxed);
        #[cfg(feature = "remote")]
        if let Some(token) = &self.cancel {
            crate::remote::cancel(token);
        }
    }
}

struct Running {
    flag: Arc<AtomicBool>,
    deadline: Option<Instant>,
}

thread_local! {
    static RUNNING: RefCell<Option<Running>> = const { RefCell::new(None) };
}

/// Marks the statement about to run on this thread as interruptible by `handle` and by
/// `deadline`, until the returned guard drops.
pub(crate) fn enter(handle: &InterruptHandle, deadline: Option<Instant>) -> Guard {
    handle.flag.store(false, Ordering::Relaxed);
    let previous = RUNNING.with(|r| r.replace(Some(Running { flag: handle.flag.clone(), deadline })));
    Guard { previous }
}

/// Restores what ran before (a statement run by a statement, as a trigger would).
pub(crate) struct Guard {
    previous: Option<Running>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        RUNNING.with(|r| *r.borrow_mut() = previous);
    }
}

/// `Err(Error::Cancelled)` if the running statement was interrupted or ran out of time.
#[inline]
pub(crate) fn check() -> Result<()> {
    RUNNING.with(|r| match &*r.borrow() {
        Some(running) if running.flag.load(Ordering::Relaxed) => Err(Error::Cancelled { timeout: false }),
        Some(Running { deadline: Some(deadline), .. }) if Instant::now() >= *deadline => {
            Err(Error::Cancelled { timeout: true })
        }
        _ => Ok(()),
    })
}
