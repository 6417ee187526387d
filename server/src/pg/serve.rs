//! One connection's protocol loop: pgwire's `process_socket`, with the message size limit
//! and the idle timeouts, which pgwire's own loop has no place for.
//!
//! 1. TLS negotiation (pgwire's `negotiate_tls`) within the startup timeout;
//! 2. the socket, plain or TLS, is wrapped in [`Limited`], which stops reading at a
//!    message over `max_message_bytes` before its body arrives;
//! 3. messages are read one at a time and handed to pgwire's `process_message`, which runs
//!    the startup, simple, extended and COPY state machines over our handlers;
//! 4. the connection ends when the client hangs up or sends Terminate, on a FATAL error,
//!    on a message over the limit (FATAL 08P01), on a malformed one (FATAL 08P01), or when
//!    it has waited for a message longer than the idle timeout: FATAL 57P05, or 25P03
//!    inside a transaction, which is then rolled back (PostgreSQL's
//!    `idle_session_timeout` and `idle_in_transaction_session_timeout` messages).
//!
//! The idle clock runs only while the loop waits for a message: a statement runs inside
//! `process_message`, so a long one is never idle. The loop is pgwire 0.42.1's
//! `process_socket_messages`, rewritten around these additions; its public pieces
//! (`negotiate_tls`, `process_message`, `process_error`) do the protocol work.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use pgwire::api::{ClientInfo, ErrorHandler, PgWireConnectionState, PgWireServerHandlers};
use pgwire::error::{ErrorInfo, PgWireError};
use pgwire::messages::response::TransactionStatus;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use pgwire::tokio::server::{MaybeTls, PgWireMessageServerCodec, negotiate_tls, process_error, process_message};
use tokio::net::TcpStream;
use tokio_util::codec::{Framed, FramedParts};

use super::limit::Limited;

/// pgwire's: a client that has not finished its startup by then is dropped.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// What a connection may do before it is closed.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The largest message a client may send, counting its length field.
    pub max_message_bytes: u32,
    /// How long the connection may wait for a message (`None`: forever).
    pub idle_timeout: Option<Duration>,
}

/// Serves one TCP connection until it ends.
pub async fn serve<H: PgWireServerHandlers>(
    socket: TcpStream,
    tls: Option<pgwire::tokio::TlsAcceptor>,
    handlers: H,
    limits: Limits,
) -> std::io::Result<()> {
    let startup_timeout = tokio::time::sleep(STARTUP_TIMEOUT);
    tokio::pin!(startup_timeout);
    let negotiated = tokio::select! {
        _ = &mut startup_timeout => return Ok(()),
        negotiated = negotiate_tls(socket, tls) => negotiated?,
    };
    // A direct TLS handshake without a certificate configured: nothing to say to it.
    let Some(negotiated) = negotiated else { return Ok(()) };
    let mut socket = limited(negotiated, limits.max_message_bytes);

    let startup_handler = handlers.startup_handler();
    let simple_query_handler = handlers.simple_query_handler();
    let extended_query_handler = handlers.extended_query_handler();
    let copy_handler = handlers.copy_handler();
    let cancel_handler = handlers.cancel_handler();
    let error_handler = handlers.error_handler();
    loop {
        let starting = matches!(
            socket.state(),
            PgWireConnectionState::AwaitingStartup | PgWireConnectionState::AuthenticationInProgress
        );
        let idle = if starting { None } else { limits.idle_timeout };
        let next = tokio::select! {
            _ = &mut startup_timeout, if starting => return Ok(()),
            _ = tokio::time::sleep(idle.unwrap_or_default()), if idle.is_some() => {
                return close_idle(&mut socket, idle.unwrap_or_default()).await;
            }
            next = socket.next() => next,
        };
        let message = match next {
            None => return Ok(()),
            Some(Ok(message)) => message,
            Some(Err(e)) => return refuse_frame(&mut socket, e).await,
        };
        // The client is leaving; some (asyncpg) wait for the server to close first.
        if matches!(message, PgWireFrontendMessage::Terminate(_)) {
            return Ok(());
        }
        let is_extended_query = match socket.state() {
            PgWireConnectionState::CopyInProgress(is_extended_query) => is_extended_query,
            _ => message.is_extended_query(),
        };
        let is_cancel_request = matches!(message, PgWireFrontendMessage::CancelRequest(_));
        let processed = process_message(
            message,
            &mut socket,
            startup_handler.clone(),
            simple_query_handler.clone(),
            extended_query_handler.clone(),
            copy_handler.clone(),
            cancel_handler.clone(),
        )
        .await;
        if let Err(mut e) = processed {
            error_handler.on_error(&socket, &mut e);
            let is_fatal = e.is_fatal();
            process_error(&mut socket, e, is_extended_query).await?;
            if is_fatal {
                return Ok(());
            }
        }
        if is_cancel_request {
            return Ok(());
        }
    }
}

/// pgwire's framed socket, with reads going through [`Limited`]. Bytes pgwire read ahead
/// while negotiating TLS stay in the frame buffer, and the limit checks them too.
fn limited<S>(
    framed: Framed<MaybeTls, PgWireMessageServerCodec<S>>,
    max_message_bytes: u32,
) -> Framed<Limited<MaybeTls>, PgWireMessageServerCodec<S>> {
    let old = framed.into_parts();
    let io = Limited::new(old.io, max_message_bytes, &old.read_buf);
    let mut parts = FramedParts::new(io, old.codec);
    parts.read_buf = old.read_buf;
    parts.write_buf = old.write_buf;
    Framed::from_parts(parts)
}

type Socket<S> = Framed<Limited<MaybeTls>, PgWireMessageServerCodec<S>>;

/// Sends a FATAL error and flushes it; the caller then closes the connection.
async fn fatal<S>(socket: &mut Socket<S>, code: &str, message: String) -> std::io::Result<()> {
    let info = ErrorInfo::new("FATAL".to_string(), code.to_string(), message);
    socket.send(PgWireBackendMessage::ErrorResponse(info.into())).await
}

/// Ends a connection idle past its timeout, telling the client why first.
async fn close_idle<S>(socket: &mut Socket<S>, idle: Duration) -> std::io::Result<()> {
    let in_transaction = socket.transaction_status() != TransactionStatus::Idle;
    tracing::info!(idle_ms = idle.as_millis() as u64, in_transaction, "closing an idle connection");
    let (code, message) = if in_transaction {
        ("25P03", "terminating connection due to idle-in-transaction timeout")
    } else {
        ("57P05", "terminating connection due to idle-session timeout")
    };
    // The client may be gone already; the connection ends either way.
    let _ = tokio::time::timeout(Duration::from_secs(1), fatal(socket, code, message.to_string())).await;
    Ok(())
}

/// Ends a connection whose next frame could not be read: over the size limit, malformed,
/// or a broken socket (to which nothing is sent).
async fn refuse_frame<S>(socket: &mut Socket<S>, e: PgWireError) -> std::io::Result<()> {
    let message = match (socket.get_ref().oversized(), &e) {
        (Some(oversized), _) => oversized.to_string(),
        (None, PgWireError::IoError(e)) => {
            tracing::debug!(error = %e, "connection ended with an error");
            return Ok(());
        }
        (None, e) => e.to_string(),
    };
    tracing::warn!(peer = %socket.socket_addr(), %message, "closing a connection that sent a bad message");
    let _ = tokio::time::timeout(Duration::from_secs(1), fatal(socket, "08P01", message)).await;
    Ok(())
}
