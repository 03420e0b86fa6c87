//! The connections the server accepts: TCP options, and a bound on how many it serves at once.
//!
//! Each accepted connection takes a slot of `limits.max_connections` for as long as it is
//! open, its TLS handshake included (the handshake's own limit, `limits.tls_handshake_timeout_ms`,
//! is tonic's `ServerTlsConfig::timeout`: a connection that never completes it is dropped,
//! and its slot freed, when it runs out). A connection accepted when every slot is taken is
//! closed at once rather than queued: its client sees `UNAVAILABLE` straight away and retries
//! (with the same `request_id`), perhaps on another replica, instead of hanging on a
//! connection nobody serves.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::Stream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::transport::server::{Connected, TcpConnectInfo, TcpIncoming};

/// How often an idle accepted connection is probed, so the kernel drops peers that vanished
/// (an agency's host rebooted behind a NAT) instead of keeping their sockets forever.
const TCP_KEEPALIVE: Duration = Duration::from_secs(60);

/// Most connections refused in one poll before the accept loop yields to other tasks.
const REFUSALS_PER_POLL: usize = 64;

/// How often, at most, refused connections are reported in the log (a flood must not
/// flood the log as well).
const REFUSAL_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// The accepted connections, each with `TCP_NODELAY` and keep-alive set, at most `max` open
/// at once.
///
/// tonic applies its own `tcp_nodelay` only to listeners it binds itself; with our own
/// listener Nagle's algorithm stayed on, and the second small TLS record of a reply waited for
/// the client's delayed ACK: ≈ 40 ms on every call that followed another on one connection
/// (docs/PERFORMANCE.md).
pub fn incoming(listener: TcpListener, max: u32) -> Connections {
    Connections {
        accepted: TcpIncoming::from(listener)
            .with_nodelay(Some(true))
            .with_keepalive(Some(TCP_KEEPALIVE)),
        slots: Arc::new(Semaphore::new(max as usize)),
        max,
        refused: Refusals::default(),
    }
}

/// The stream of connections served, for tonic's `serve_with_incoming`.
pub struct Connections {
    /// The listener's accepted TCP connections.
    accepted: TcpIncoming,
    /// One permit per connection that may be open at once.
    slots: Arc<Semaphore>,
    /// `limits.max_connections`, for the log.
    max: u32,
    /// Connections closed for want of a slot, not yet reported.
    refused: Refusals,
}

/// Refused connections, reported now and then.
#[derive(Debug, Default)]
struct Refusals {
    /// How many were refused since the last report.
    unreported: u64,
    /// When the last report was logged.
    last_report: Option<Instant>,
}

impl Refusals {
    /// Counts one refusal and logs the count when the last report is old enough.
    fn count(&mut self, max: u32) {
        self.unreported += 1;
        let due = self
            .last_report
            .is_none_or(|last| last.elapsed() >= REFUSAL_LOG_INTERVAL);
        if due {
            tracing::warn!(
                refused = self.unreported,
                max_connections = max,
                "connections refused: limits.max_connections are open"
            );
            self.unreported = 0;
            self.last_report = Some(Instant::now());
        }
    }
}

impl Stream for Connections {
    type Item = io::Result<Connection>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        for _ in 0..REFUSALS_PER_POLL {
            let stream = match Pin::new(&mut this.accepted).poll_next(cx) {
                Poll::Ready(Some(Ok(stream))) => stream,
                Poll::Ready(Some(Err(err))) => return Poll::Ready(Some(Err(err))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            };
            match Arc::clone(&this.slots).try_acquire_owned() {
                Ok(slot) => {
                    return Poll::Ready(Some(Ok(Connection {
                        stream,
                        _slot: slot,
                    })));
                }
                // Dropping the stream closes it: the client learns at once.
                Err(_) => this.refused.count(this.max),
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// An accepted connection holding its slot until it is dropped (closed by either side, or
/// its handshake timed out).
pub struct Connection {
    /// The TCP stream.
    stream: TcpStream,
    /// Released when the connection is dropped.
    _slot: OwnedSemaphorePermit,
}

impl Connection {
    /// The TCP stream.
    pub fn get_ref(&self) -> &TcpStream {
        &self.stream
    }
}

impl Connected for Connection {
    // The same as a bare TCP stream's, so `Request::remote_addr` and `peer_certs` (through
    // `TlsConnectInfo<TcpConnectInfo>`) find it.
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.stream.connect_info()
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;
    use tokio::io::AsyncReadExt;

    use super::*;

    async fn next(incoming: &mut Connections) -> io::Result<Connection> {
        incoming
            .next()
            .await
            .ok_or_else(|| io::Error::other("the listener closed"))?
    }

    #[tokio::test]
    async fn accepted_connections_do_not_wait_for_delayed_acks() -> io::Result<()> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mut incoming = incoming(listener, 4);
        let _client = TcpStream::connect(addr).await?;
        let accepted = next(&mut incoming).await?;
        assert!(
            accepted.get_ref().nodelay()?,
            "Nagle's algorithm is still on"
        );
        Ok(())
    }

    #[tokio::test]
    async fn a_connection_beyond_the_limit_is_closed_until_a_slot_frees() -> io::Result<()> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mut incoming = incoming(listener, 1);
        let (served_tx, mut served) = tokio::sync::mpsc::unbounded_channel();
        let accepting = tokio::spawn(async move {
            while let Some(Ok(connection)) = incoming.next().await {
                if served_tx.send(connection).is_err() {
                    break;
                }
            }
        });
        let patience = Duration::from_secs(10);
        let first_client = TcpStream::connect(addr).await?;
        let first = tokio::time::timeout(patience, served.recv()).await?;
        let first = first.ok_or_else(|| io::Error::other("the accept loop ended"))?;
        assert_eq!(first.get_ref().peer_addr()?, first_client.local_addr()?);

        // While the first holds the only slot, the second is closed as soon as it is
        // accepted (a connection served would be held in the channel, open).
        let mut second = TcpStream::connect(addr).await?;
        let mut byte = [0u8; 1];
        let read = tokio::time::timeout(patience, second.read(&mut byte)).await?;
        assert!(
            matches!(read, Ok(0) | Err(_)),
            "the connection beyond the limit was not closed: {read:?}"
        );
        assert!(
            served.try_recv().is_err(),
            "the second connection was served"
        );

        // Once the first is closed, its slot serves the next one.
        drop(first);
        let third_client = TcpStream::connect(addr).await?;
        let third = tokio::time::timeout(patience, served.recv()).await?;
        let third = third.ok_or_else(|| io::Error::other("the accept loop ended"))?;
        assert_eq!(third.get_ref().peer_addr()?, third_client.local_addr()?);
        accepting.abort();
        Ok(())
    }
}
