//! The message size limit: a reader that watches the frames passing through it and fails
//! at the first length header over `max_message_bytes`, before the body is read.
//!
//! pgwire's codec accepts messages up to the protocol's 1 GiB and its limits are constants,
//! so a client could make the server buffer a gigabyte per connection. [`Limited`] sits
//! between the (plain or TLS) socket and pgwire's `Framed`: it scans the bytes it hands up
//! for frame boundaries, and when a header announces a message over the limit it stops
//! reading and returns an error instead. At most one read's worth of the oversized message
//! (a few kilobytes) is ever buffered. The connection loop (`serve.rs`) sees the error,
//! asks [`Limited::oversized`] what happened, answers FATAL 08P01 and closes.
//!
//! Frames on the wire:
//!
//! ```text
//! first message (startup, cancel):  length:u32 body          (length counts itself)
//! every later message:              type:u8 length:u32 body  (length counts itself, not type)
//! ```
//!
//! The limit applies to each message's length field, so COPY's data, which arrives as many
//! CopyData messages, is limited per message, not per COPY.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A message whose length header is over the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Oversized {
    /// The message type byte (`None` for the untyped first message).
    pub kind: Option<u8>,
    /// The length the header announced.
    pub length: u32,
    /// The limit it is over.
    pub limit: u32,
}

impl std::fmt::Display for Oversized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            Some(k) if k.is_ascii_graphic() => format!("'{}' ", k as char),
            Some(k) => format!("0x{k:02x} "),
            None => String::new(),
        };
        write!(
            f,
            "invalid message length: a {kind}message of {} bytes is over the server's limit of {} bytes (max_message_bytes)",
            self.length, self.limit
        )
    }
}

/// Where the scanner is within the stream of frames.
#[derive(Debug)]
pub struct Frames {
    limit: u32,
    /// Whether the frame being read is the first one, which has no type byte.
    first: bool,
    /// The header read so far (type byte, if any, then the length).
    header: [u8; 5],
    header_len: usize,
    /// Body bytes still to pass before the next header.
    body_left: u64,
}

impl Frames {
    /// A scanner at the start of a connection's first (untyped) message.
    pub fn new(limit: u32) -> Frames {
        Frames { limit, first: true, header: [0; 5], header_len: 0, body_left: 0 }
    }

    /// Follows `bytes` through the frames; fails at a header over the limit, with how many
    /// of `bytes` come before that header (whole messages, safe to hand up).
    pub fn observe(&mut self, bytes: &[u8]) -> Result<(), (Oversized, usize)> {
        let mut at = 0;
        while at < bytes.len() {
            if self.body_left > 0 {
                let skip = self.body_left.min((bytes.len() - at) as u64);
                self.body_left -= skip;
                at += skip as usize;
                continue;
            }
            let header_start = at.saturating_sub(self.header_len);
            let size = if self.first { 4 } else { 5 };
            let take = (size - self.header_len).min(bytes.len() - at);
            self.header[self.header_len..self.header_len + take].copy_from_slice(&bytes[at..at + take]);
            self.header_len += take;
            at += take;
            if self.header_len < size {
                continue;
            }
            let length = u32::from_be_bytes(self.header[size - 4..size].try_into().expect("four bytes"));
            let kind = (!self.first).then_some(self.header[0]);
            if length > self.limit {
                return Err((Oversized { kind, length, limit: self.limit }, header_start));
            }
            // A length under 4 is malformed: pgwire's decoder refuses it, and the
            // connection ends before the scanner's position matters again.
            self.body_left = u64::from(length.saturating_sub(4));
            self.header_len = 0;
            self.first = false;
        }
        Ok(())
    }
}

/// A stream whose reads stop at the first message over the limit: the messages before it
/// are handed up, then reads fail.
pub struct Limited<S> {
    inner: S,
    frames: Frames,
    oversized: Option<Oversized>,
}

impl<S> Limited<S> {
    /// Wraps `inner`; `already_read` are the bytes read from it before (pgwire's buffer
    /// after TLS negotiation), starting at the first message.
    pub fn new(inner: S, limit: u32, already_read: &[u8]) -> Limited<S> {
        let mut frames = Frames::new(limit);
        let oversized = frames.observe(already_read).err().map(|(oversized, _)| oversized);
        Limited { inner, frames, oversized }
    }

    /// The oversized message that stopped reading, if one did.
    pub fn oversized(&self) -> Option<Oversized> {
        self.oversized
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Limited<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(oversized) = this.oversized {
            return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, oversized.to_string())));
        }
        let before = buf.filled().len();
        std::task::ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        if let Err((oversized, whole)) = this.frames.observe(&buf.filled()[before..]) {
            // The messages before it are served; the next read fails.
            this.oversized = Some(oversized);
            if whole == 0 {
                buf.set_filled(before);
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, oversized.to_string())));
            }
            buf.set_filled(before + whole);
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Limited<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![kind];
        out.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
        out.extend_from_slice(body);
        out
    }

    fn stream() -> Vec<u8> {
        let mut bytes = 12_u32.to_be_bytes().to_vec();
        bytes.extend_from_slice(&[0, 3, 0, 0, 0, 0, 0, 0]);
        bytes.extend(frame(b'Q', b"SELECT 1\0"));
        bytes.extend(frame(b'd', &[7; 100]));
        bytes.extend(frame(b'c', b""));
        bytes
    }

    #[test]
    fn frames_at_the_limit_pass_in_any_split() {
        let bytes = stream();
        for cut in 0..bytes.len() {
            let mut frames = Frames::new(104);
            frames.observe(&bytes[..cut]).unwrap();
            frames.observe(&bytes[cut..]).unwrap();
            assert_eq!((frames.header_len, frames.body_left), (0, 0), "cut at {cut}");
        }
        // Byte by byte.
        let mut frames = Frames::new(104);
        for b in &bytes {
            frames.observe(std::slice::from_ref(b)).unwrap();
        }
    }

    #[test]
    fn a_header_over_the_limit_is_caught_before_its_body() {
        let bytes = stream();
        let mut frames = Frames::new(103);
        let header_end = 12 + 14 + 5;
        assert_eq!(frames.observe(&bytes[..header_end - 1]), Ok(()));
        assert_eq!(
            frames.observe(&bytes[header_end - 1..]),
            Err((Oversized { kind: Some(b'd'), length: 104, limit: 103 }, 0))
        );
        // In one piece, the messages before it are whole.
        let mut frames = Frames::new(103);
        assert_eq!(frames.observe(&bytes), Err((Oversized { kind: Some(b'd'), length: 104, limit: 103 }, 12 + 14)));
        // The untyped first message is limited too.
        let mut frames = Frames::new(8);
        assert_eq!(frames.observe(&bytes), Err((Oversized { kind: None, length: 12, limit: 8 }, 0)));
    }

    #[tokio::test]
    async fn limited_reads_fail_and_remember_why() {
        use tokio::io::AsyncReadExt;
        let bytes = stream();
        let mut fine = Limited::new(&bytes[..], 104, &[]);
        let mut out = Vec::new();
        fine.read_to_end(&mut out).await.unwrap();
        assert_eq!(out, bytes);

        let mut limited = Limited::new(&bytes[..], 50, &[]);
        let mut out = Vec::new();
        let err = limited.read_to_end(&mut out).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert_eq!(limited.oversized().map(|o| o.length), Some(104));
        assert_eq!(out, bytes[..12 + 14], "the messages before the oversized one, and nothing of it");
    }
}
