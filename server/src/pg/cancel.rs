//! Cancel requests: a client asks, on a new connection, to stop the statement another of its
//! connections is running, naming it by the process id and secret key the server gave that
//! connection at startup.
//!
//! Each served connection registers its session's [`InterruptHandle`] under a fresh
//! (pid, secret) pair. A new connection is looked at before it is handed to a worker
//! thread ([`read_cancel`]): a statement runs synchronously on its worker, so a cancel
//! request queued behind it on the same worker would arrive after the statement ended.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use braid::InterruptHandle;
use parking_lot::Mutex;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// The request code of a CancelRequest (PostgreSQL's protocol).
const CANCEL_REQUEST_CODE: i32 = 80_877_102;

/// The running sessions, by process id.
#[derive(Debug, Default)]
pub struct Registry {
    sessions: Mutex<HashMap<i32, (i32, InterruptHandle)>>,
    next_pid: AtomicI32,
    random: RandomState,
}

/// A session's entry in the registry, removed when dropped.
#[derive(Debug)]
pub struct Registration {
    registry: Arc<Registry>,
    pub pid: i32,
    pub secret: i32,
}

impl Registry {
    /// Registers a session's interrupt handle under a new process id and secret key.
    pub fn register(self: &Arc<Self>, handle: InterruptHandle) -> Registration {
        let pid = 10_000 + self.next_pid.fetch_add(1, Ordering::Relaxed);
        // The secret must not be guessable from the pid: a keyed hash of it.
        let secret = self.random.hash_one((pid, std::time::Instant::now())) as i32;
        self.sessions.lock().insert(pid, (secret, handle));
        Registration { registry: self.clone(), pid, secret }
    }

    /// Interrupts the statement of session `pid` if `secret` is its key; whether it did.
    pub fn cancel(&self, pid: i32, secret: i32) -> bool {
        match self.sessions.lock().get(&pid) {
            Some((key, handle)) if *key == secret => {
                handle.interrupt();
                true
            }
            _ => false,
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.registry.sessions.lock().remove(&self.pid);
    }
}

/// If the connection opens with a CancelRequest, reads it and returns (pid, secret);
/// otherwise reads nothing. Waits a bounded time for the first bytes.
pub async fn read_cancel(socket: &mut TcpStream) -> Option<(i32, i32)> {
    let mut head = [0u8; 8];
    // A request may arrive in pieces: peek until its first 8 bytes are there.
    let peeked = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match socket.peek(&mut head).await {
                Ok(8) => return true,
                Ok(0) | Err(_) => return false,
                Ok(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    });
    if !matches!(peeked.await, Ok(true)) {
        return None;
    }
    let length = i32::from_be_bytes(head[..4].try_into().expect("4 bytes"));
    let code = i32::from_be_bytes(head[4..].try_into().expect("4 bytes"));
    if length != 16 || code != CANCEL_REQUEST_CODE {
        return None;
    }
    let mut message = [0u8; 16];
    tokio::time::timeout(Duration::from_secs(5), socket.read_exact(&mut message)).await.ok()?.ok()?;
    let pid = i32::from_be_bytes(message[8..12].try_into().expect("4 bytes"));
    let secret = i32::from_be_bytes(message[12..16].try_into().expect("4 bytes"));
    Some((pid, secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_right_secret_cancels_and_entries_leave_with_their_session() {
        let registry = Arc::new(Registry::default());
        let db = braid::Database::open_in_memory().unwrap();
        let conn = db.connect();
        let registration = registry.register(conn.interrupt_handle());
        assert!(!registry.cancel(registration.pid, registration.secret.wrapping_add(1)));
        assert!(registry.cancel(registration.pid, registration.secret));
        let (pid, secret) = (registration.pid, registration.secret);
        drop(registration);
        assert!(!registry.cancel(pid, secret));
    }
}
