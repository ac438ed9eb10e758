//! One connection: TLS (or plain HTTP refused on a TLS port), HTTP/1.1 through hyper,
//! and the watchdog that enforces the idle and header deadlines as totals.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

use crate::metrics::{Deadline, Rejection};
use crate::server::Shared;
use crate::service::answer;

/// How long, and how much, a connection the server closes is still read from, so
/// that closing with unread bytes does not reset it before the client has read the
/// response.
const LINGER: Duration = Duration::from_secs(1);
const MAX_LINGER_BYTES: usize = 1 << 20;

/// hyper's smallest read buffer; a smaller header limit is raised to it.
const MIN_HEADER_BUFFER: usize = 8192;

/// Serves a connection until it closes, a deadline cuts it, or the server stops.
pub(crate) async fn serve(
    shared: Arc<Shared>,
    tls: Option<TlsAcceptor>,
    tcp: TcpStream,
    peer: SocketAddr,
) {
    let _ = tcp.set_nodelay(true);
    let Some(acceptor) = tls else {
        return serve_http(shared, tcp, peer, false).await;
    };
    // Nothing to do until the client speaks: the idle deadline applies.
    let mut first = [0u8; 1];
    match tokio::time::timeout(shared.limits.idle_timeout, tcp.peek(&mut first)).await {
        Err(_) => return shared.metrics.timeout(Deadline::Idle),
        // Closed before a byte (a TCP probe, say): nothing to report.
        Ok(Ok(0) | Err(_)) => return,
        Ok(Ok(_)) => {}
    }
    // A TLS record starts with a content type byte (22 for a handshake); an HTTP
    // request starts with its method's letters.
    if first[0].is_ascii_alphabetic() {
        shared.metrics.reject(Rejection::PlainHttpOnTls);
        shared.log(format_args!(
            "plain HTTP from {peer} on the TLS port, refused"
        ));
        return serve_http(shared, tcp, peer, true).await;
    }
    match tokio::time::timeout(shared.limits.header_timeout, acceptor.accept(tcp)).await {
        Err(_) => shared.metrics.timeout(Deadline::Header),
        Ok(Err(e)) => {
            shared.metrics.reject(Rejection::TlsHandshake);
            shared.log(format_args!("TLS handshake with {peer} failed: {e}"));
        }
        Ok(Ok(stream)) => serve_http(shared, stream, peer, false).await,
    }
}

/// What a connection's watchdog saw first.
enum Event {
    Done,
    Shutdown,
    Tick,
}

async fn serve_http<S>(shared: Arc<Shared>, stream: S, peer: SocketAddr, plain_on_tls: bool)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched {
        inner: stream,
        activity: activity.clone(),
    });
    let service = {
        let shared = shared.clone();
        let activity = activity.clone();
        service_fn(move |request| {
            Box::pin(answer(
                shared.clone(),
                activity.clone(),
                peer,
                plain_on_tls,
                request,
            ))
        })
    };
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        // The watchdog below enforces the header deadline, as a total from the
        // first byte; hyper's own starts while the connection is still idle.
        .header_read_timeout(None)
        .keep_alive(!plain_on_tls)
        .max_buf_size(shared.limits.max_header_bytes.max(MIN_HEADER_BUFFER));
    let mut conn = builder.serve_connection(io, service);
    let mut closing = shared.closing.subscribe();
    let mut shutting_down = false;
    loop {
        let (check_at, _) = activity.next_check(&shared);
        let event = tokio::select! {
            result = std::future::poll_fn(|cx| conn.poll_without_shutdown(cx)) => { let _ = result; Event::Done }
            _ = closing.wait_for(|closing| *closing), if !shutting_down => Event::Shutdown,
            () = tokio::time::sleep_until(check_at) => Event::Tick,
            () = activity.head_started.notified() => Event::Tick,
        };
        match event {
            Event::Done => break,
            Event::Shutdown => {
                shutting_down = true;
                Pin::new(&mut conn).graceful_shutdown();
            }
            Event::Tick => {
                if let (at, Some(which)) = activity.next_check(&shared) {
                    if Instant::now() >= at {
                        // Dropping the connection closes it.
                        shared.metrics.timeout(which);
                        return;
                    }
                }
            }
        }
    }
    if !shutting_down {
        linger(conn.into_parts().io.into_inner().inner).await;
    }
}

/// Ends the sending side (TLS's close_notify first), then reads and drops what the
/// client still sends, for a moment.
async fn linger<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S) {
    let _ = tokio::time::timeout(LINGER, async {
        let _ = stream.shutdown().await;
        let mut buf = [0u8; 8192];
        let mut dropped = 0;
        while dropped < MAX_LINGER_BYTES {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => dropped += n,
            }
        }
    })
    .await;
}

const IDLE: u8 = 0;
const HEAD: u8 = 1;
const BUSY: u8 = 2;

/// Where a connection is between requests, and since when: what its watchdog
/// needs to enforce the idle and header deadlines.
///
/// Only the start of a request head wakes the watchdog (its deadline may come
/// before the one it sleeps until). The other changes move deadlines later, or
/// have none: the watchdog wakes at the time it computed, looks again, and sleeps
/// on, which costs nothing per request.
pub(crate) struct Activity {
    epoch: Instant,
    phase: AtomicU8,
    /// Milliseconds from `epoch` to the start of the phase.
    since_ms: AtomicU64,
    head_started: Notify,
}

impl Activity {
    fn new() -> Self {
        Self {
            epoch: Instant::now(),
            phase: AtomicU8::new(IDLE),
            since_ms: AtomicU64::new(0),
            head_started: Notify::new(),
        }
    }

    fn enter(&self, phase: u8) {
        let now = self.epoch.elapsed().as_millis() as u64;
        self.since_ms.store(now, Ordering::Relaxed);
        self.phase.store(phase, Ordering::Release);
    }

    /// Bytes arrived: an idle connection starts receiving a request head.
    fn bytes_read(&self) {
        if self.phase.load(Ordering::Acquire) == IDLE {
            self.enter(HEAD);
            self.head_started.notify_one();
        }
    }

    /// The head is in; the request's own deadlines (body, handler) apply.
    pub(crate) fn request_started(&self) {
        self.enter(BUSY);
    }

    /// The answer is given; the connection waits for the next request.
    pub(crate) fn request_finished(&self) {
        self.enter(IDLE);
    }

    /// When the watchdog looks next, and which deadline ends the connection then
    /// (none while a request is in progress: the request's own deadlines apply).
    fn next_check(&self, shared: &Shared) -> (Instant, Option<Deadline>) {
        let limits = &shared.limits;
        let since = Duration::from_millis(self.since_ms.load(Ordering::Relaxed));
        match self.phase.load(Ordering::Acquire) {
            IDLE => (
                self.epoch + since + limits.idle_timeout,
                Some(Deadline::Idle),
            ),
            HEAD => (
                self.epoch + since + limits.header_timeout,
                Some(Deadline::Header),
            ),
            _ => (Instant::now() + limits.idle_timeout, None),
        }
    }
}

/// A stream that tells its connection's [`Activity`] when bytes arrive.
struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.bytes_read();
        }
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
