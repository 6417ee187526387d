//! The PostgreSQL wire protocol server.
//!
//! - [`Listener`] accepts TCP connections, refuses those past the connection limit with
//!   SQLSTATE 53300, and serves each on its own task;
//! - [`serve`] is a connection's loop: pgwire's protocol state machine, with the message
//!   size limit ([`limit`]) and the idle timeouts;
//! - [`handler`] adapts pgwire's handler traits to a [`session::Session`];
//! - [`session`] holds one client's connection, prepared statements, settings and
//!   PostgreSQL's transaction rules;
//! - [`types`] writes values and reads parameters in text and binary formats;
//! - [`copy`] reads and writes COPY's text and CSV formats;
//! - [`error`] maps Braid's errors to SQLSTATEs;
//! - [`auth`] authenticates: SCRAM-SHA-256 for users with a verifier, trust otherwise;
//! - [`cancel`] finds the session a cancel request names;
//! - [`catalog`] answers psql's describe commands (`\dt`, `\d NAME`, `\l`) and pgJDBC's
//!   metadata queries from Braid's catalog;
//!
//! Connections are spread round-robin over one single-threaded tokio runtime per core
//! (thread per core), rather than served by one work-stealing runtime: under pgbench the
//! work-stealing scheduler spent about a third of the server's time waking idle workers
//! through futexes for every message; a connection that stays on one thread needs none.
//!
//! Shutdown: the listener stops accepting, waits (up to a bound) for open connections to
//! finish, and returns, after which the caller flushes the database.

pub mod auth;
pub mod cancel;
pub mod copy;
pub mod error;
pub mod handler;
pub mod limit;
pub mod serve;
pub mod session;
pub mod types;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Handle;
use tokio::sync::Semaphore;

use crate::config::Config;

/// The TLS acceptor of a PEM certificate chain and private key.
fn tls_acceptor(cert: &std::path::Path, key: &std::path::Path) -> std::io::Result<tokio_rustls::TlsAcceptor> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    use tokio_rustls::rustls;
    let invalid = |what: &std::path::Path, e: &dyn std::fmt::Display| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{}: {e}", what.display()))
    };
    let certs = CertificateDer::pem_file_iter(cert)
        .map_err(|e| invalid(cert, &e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(cert, &e))?;
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| invalid(key, &e))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(cert, &e))?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .map_err(|e| invalid(cert, &e))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// Serves a new connection that opens with a cancel request here, on the listener, not
/// queued on a worker behind the statement it cancels; hands any other to `ready`.
async fn screen(
    mut socket: TcpStream,
    peer: SocketAddr,
    permit: Permit,
    registry: Arc<cancel::Registry>,
    ready: tokio::sync::mpsc::UnboundedSender<(TcpStream, SocketAddr, Permit)>,
) {
    match cancel::read_cancel(&mut socket).await {
        Some((pid, secret)) => {
            let cancelled = registry.cancel(pid, secret);
            tracing::info!(%peer, pid, cancelled, "cancel request");
        }
        None => _ = ready.send((socket, peer, permit)),
    }
}

/// A place among the connections served at once.
type Permit = tokio::sync::OwnedSemaphorePermit;

/// How long shutdown waits for open connections to finish their work.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A bound listening socket, not yet serving.
pub struct Listener {
    listener: TcpListener,
    db: braid::Database,
    config: Config,
    tls: Option<tokio_rustls::TlsAcceptor>,
}

/// Whether and how a statement waits for a row lock. Statements run on their connection's
/// task (see `handler`), and a worker thread asleep on a lock would stall the other
/// connections it serves, perhaps the one holding the lock. On a multi-threaded runtime
/// the wait moves off the worker (`block_in_place`); on the thread-per-core workers, whose
/// runtimes are single-threaded, it may not sleep at all: the statement goes on without
/// the lock, and its writes are validated at commit (first committer wins), as before row
/// locks. Waiting there needs the statement moved off the worker first (to do).
fn wait_off_the_runtime(wait: &mut dyn FnMut()) -> bool {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(wait);
            true
        }
        Ok(_) => false,
        Err(_) => {
            wait();
            true
        }
    }
}

impl Listener {
    /// Binds `config.host:config.port`.
    pub async fn bind(db: braid::Database, config: Config) -> std::io::Result<Listener> {
        let tls = config.tls.as_ref().map(|(cert, key)| tls_acceptor(cert, key)).transpose()?;
        auth::migrate_legacy_users(&db).map_err(std::io::Error::other)?;
        let listener = TcpListener::bind((config.host.as_str(), config.port)).await?;
        braid::set_blocking_wait(wait_off_the_runtime);
        Ok(Listener { listener, db, config, tls })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves connections until `shutdown` completes, then lets open connections finish
    /// (up to [`SHUTDOWN_GRACE`]).
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> std::io::Result<()> {
        let limit = Arc::new(Semaphore::new(self.config.max_connections));
        let workers = Workers::start()?;
        let registry = Arc::new(cancel::Registry::default());
        let mut next_worker = 0;
        let mut tasks = tokio::task::JoinSet::new();
        // Accepted connections that are not cancel requests, ready for a worker.
        let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel::<(TcpStream, SocketAddr, Permit)>();
        tokio::pin!(shutdown);
        loop {
            let (socket, peer, permit) = tokio::select! {
                _ = &mut shutdown => break,
                Some(ready) = ready_rx.recv() => ready,
                accepted = self.listener.accept() => {
                    let (socket, peer) = match accepted {
                        Ok(a) => a,
                        Err(e) => {
                            // Out of file descriptors and the like: wait, do not spin.
                            tracing::warn!(error = %e, "accept failed");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    let Ok(permit) = limit.clone().try_acquire_owned() else {
                        tracing::warn!(%peer, limit = self.config.max_connections, "connection refused: too many connections");
                        tokio::spawn(refuse(socket));
                        continue;
                    };
                    tokio::spawn(screen(socket, peer, permit, registry.clone(), ready_tx.clone()));
                    continue;
                }
            };
            while tasks.try_join_next().is_some() {}
            let _ = socket.set_nodelay(true);
            let mut session =
                session::Session::new(self.db.connect(), self.config.slow_statement, self.config.statement_timeout);
            session.apply_settings(&self.config.settings);
            let registration = registry.register(session.interrupt_handle());
            let handlers = Arc::new(handler::Handlers::new(session, (registration.pid, registration.secret)));
            // The socket moves to its worker's reactor: deregistered here, registered there.
            let socket = socket.into_std()?;
            next_worker = (next_worker + 1) % workers.handles.len();
            let tls = self.tls.clone();
            let limits = serve::Limits {
                max_message_bytes: self.config.max_message_bytes,
                idle_timeout: self.config.idle_timeout,
            };
            let connection = async move {
                tracing::debug!(%peer, "connection opened");
                let served = match TcpStream::from_std(socket) {
                    Ok(socket) => serve::serve(socket, tls, handlers, limits).await,
                    Err(e) => Err(e),
                };
                if let Err(e) = served {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                tracing::debug!(%peer, "connection closed");
                drop((permit, registration));
            };
            tasks.spawn_on(connection, &workers.handles[next_worker]);
        }
        tracing::info!(open = tasks.len(), "no longer accepting connections; waiting for open ones");
        let drained = tokio::time::timeout(SHUTDOWN_GRACE, async { while tasks.join_next().await.is_some() {} });
        if drained.await.is_err() {
            tracing::warn!(open = tasks.len(), "closing connections still open after the grace period");
            tasks.abort_all();
        }
        Ok(())
    }
}

/// Answers a connection past the limit with a FATAL ErrorResponse (SQLSTATE 53300) and
/// closes it, before reading anything from it.
async fn refuse(mut socket: TcpStream) {
    let mut fields = Vec::new();
    for (code, value) in [(b'S', "FATAL"), (b'V', "FATAL"), (b'C', "53300"), (b'M', "sorry, too many clients already")]
    {
        fields.push(code);
        fields.extend_from_slice(value.as_bytes());
        fields.push(0);
    }
    fields.push(0);
    let mut message = vec![b'E'];
    message.extend_from_slice(&(fields.len() as i32 + 4).to_be_bytes());
    message.extend_from_slice(&fields);
    let _ = tokio::time::timeout(Duration::from_secs(1), socket.write_all(&message)).await;
    let _ = socket.shutdown().await;
}

/// One single-threaded runtime per core, each on its own thread, running until dropped.
struct Workers {
    handles: Vec<Handle>,
    /// Dropping these ends the workers' threads.
    _stops: Vec<tokio::sync::oneshot::Sender<()>>,
}

impl Workers {
    fn start() -> std::io::Result<Workers> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let (mut handles, mut stops) = (Vec::with_capacity(cores), Vec::with_capacity(cores));
        for i in 0..cores {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            handles.push(runtime.handle().clone());
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            stops.push(stop);
            std::thread::Builder::new().name(format!("braid-pg-{i}")).spawn(move || {
                runtime.block_on(async {
                    let _ = stopped.await;
                });
            })?;
        }
        Ok(Workers { handles, _stops: stops })
    }
}
