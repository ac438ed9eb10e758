//! The audit webhook receiver: the API server's webhook backend POSTs `EventList`s
//! (a single `Event` or a JSON array are accepted too). Answers:
//! 200 accepted; 400 unreadable body (counted, logged); 411 no length; 413 body over
//! the limit; 503 with `Retry-After` when the detection queue is full, so the API
//! server retries and no accepted event is lost. `GET /metrics` serves the Prometheus
//! metrics and `GET /healthz` answers `ok`.
//!
//! A small HTTP/1.1 server (keep-alive, `Content-Length` or chunked bodies,
//! `Expect: 100-continue`), one thread per connection, over plain TCP or TLS
//! ([`ServerTlsConfig`], with optional client certificate verification). On a TLS
//! port, a request sent in plain HTTP is answered 400 and the connection closed.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::TrySendError;
use rustls::{ServerConfig, ServerConnection, StreamOwned};

use super::tls::ServerTlsConfig;
use super::SourceContext;
use crate::k8s_audit::decode;

#[derive(Clone, Debug)]
pub struct HttpSourceConfig {
    /// `host:port` to listen on.
    pub listen: String,
    /// Path events are POSTed to.
    pub path: String,
    pub max_body_bytes: usize,
    /// HTTPS when set; plain HTTP otherwise.
    pub tls: Option<ServerTlsConfig>,
}

impl Default for HttpSourceConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:9765".to_string(),
            path: "/k8s-audit".to_string(),
            max_body_bytes: 16 << 20,
            tls: None,
        }
    }
}

/// Connections served at once; more are closed as soon as they are accepted.
const MAX_CONNECTIONS: usize = 256;
/// Longest wait for the bytes of a request (or a TLS handshake) once it has started.
const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// How long an idle keep-alive connection is kept.
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// How often idle connections and the accept loop look at the stop flag.
const POLL: Duration = Duration::from_millis(200);
const ACCEPT_POLL: Duration = Duration::from_millis(10);
/// Largest request line plus headers.
const MAX_HEAD_BYTES: u64 = 16 << 10;
/// A body over the limit is still read (and dropped) up to this size, so that the
/// client reads the 413 instead of a reset connection.
const MAX_DRAIN_BYTES: u64 = 64 << 20;
/// How long, and how much, a closing connection is read from after its response.
const LINGER: Duration = Duration::from_secs(1);
const MAX_LINGER_BYTES: usize = 1 << 20;
const PLAIN_ON_TLS: &str = "this port speaks HTTPS: send the request over TLS\n";

pub struct HttpSource {
    listener: TcpListener,
    shared: Arc<Shared>,
}

struct Shared {
    config: HttpSourceConfig,
    tls: Option<Arc<ServerConfig>>,
    active: AtomicUsize,
}

impl HttpSource {
    /// Binds the address and, with TLS, loads the certificate and key (a bad file
    /// fails here, before anything runs).
    pub fn bind(config: HttpSourceConfig) -> io::Result<Self> {
        let tls = config.tls.as_ref().map(ServerTlsConfig::load).transpose()?;
        let listener = TcpListener::bind(&config.listen)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", config.listen)))?;
        listener.set_nonblocking(true)?;
        if let Some(t) = &config.tls {
            eprintln!(
                "vigie detect: webhook on {} uses TLS{}",
                config.listen,
                if t.client_ca_file.is_some() {
                    ", client certificates required"
                } else {
                    ""
                }
            );
        }
        Ok(Self {
            listener,
            shared: Arc::new(Shared {
                config,
                tls,
                active: AtomicUsize::new(0),
            }),
        })
    }

    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    pub fn is_tls(&self) -> bool {
        self.shared.tls.is_some()
    }

    /// Serves until the context is stopped, then waits for the requests in progress.
    pub fn run(&self, ctx: &SourceContext) {
        while !ctx.stopped() {
            match self.listener.accept() {
                Ok((tcp, peer)) => self.spawn_connection(tcp, peer, ctx),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(ACCEPT_POLL),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted
                    ) => {}
                Err(e) => {
                    // Out of file descriptors, say: wait rather than stop listening.
                    eprintln!("vigie detect: http source: accept: {e}");
                    std::thread::sleep(POLL);
                }
            }
        }
        while self.shared.active.load(Ordering::Acquire) > 0 {
            std::thread::sleep(ACCEPT_POLL);
        }
    }

    fn spawn_connection(&self, tcp: TcpStream, peer: SocketAddr, ctx: &SourceContext) {
        if self.shared.active.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
            self.shared.active.fetch_sub(1, Ordering::AcqRel);
            eprintln!("vigie detect: http source: {MAX_CONNECTIONS} connections open, closing the one from {peer}");
            return;
        }
        let shared = self.shared.clone();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("http-conn".into())
            .spawn(move || {
                let _active = ActiveGuard(&shared.active);
                shared.connection(tcp, peer, &ctx);
            });
        if let Err(e) = spawned {
            self.shared.active.fetch_sub(1, Ordering::AcqRel);
            eprintln!("vigie detect: http source: cannot start a connection thread: {e}");
        }
    }
}

struct ActiveGuard<'a>(&'a AtomicUsize);

impl Drop for ActiveGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A connection's byte stream, plain or TLS, and the socket under it.
trait Conn: Read + Write {
    fn tcp(&self) -> &TcpStream;
    /// Ends the sending side (with TLS's close_notify first).
    fn close_write(&mut self);
}

impl Conn for TcpStream {
    fn tcp(&self) -> &TcpStream {
        self
    }

    fn close_write(&mut self) {
        let _ = self.shutdown(Shutdown::Write);
    }
}

impl Conn for StreamOwned<ServerConnection, TcpStream> {
    fn tcp(&self) -> &TcpStream {
        &self.sock
    }

    fn close_write(&mut self) {
        self.conn.send_close_notify();
        let _ = self.flush();
        let _ = self.sock.shutdown(Shutdown::Write);
    }
}

/// Closes after a response: the sending side first, then whatever the client still
/// sends is read and dropped for a moment, so that closing with unread bytes does
/// not reset the connection before the client has read the response.
fn linger(reader: &mut BufReader<impl Conn>) {
    reader.get_mut().close_write();
    let deadline = Instant::now() + LINGER;
    let _ = reader.get_ref().tcp().set_read_timeout(Some(POLL));
    let mut dropped = 0usize;
    let mut buf = [0u8; 8192];
    while dropped < MAX_LINGER_BYTES && Instant::now() < deadline {
        match reader.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => dropped += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return,
        }
    }
}

/// What is done with the requests of a connection.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Serve,
    /// Plain HTTP sent to the TLS port: read the request, answer 400, close.
    RefusePlain,
}

/// The parts of a request head the receiver uses.
#[derive(Debug, Default)]
struct Head {
    method: String,
    path: String,
    content_length: Option<u64>,
    chunked: bool,
    close: bool,
    expect_continue: bool,
}

/// A body as read: its bytes up to the limit, and whether it went over.
struct Body {
    bytes: Vec<u8>,
    too_large: bool,
}

impl Shared {
    fn connection(&self, tcp: TcpStream, peer: SocketAddr, ctx: &SourceContext) {
        let setup = tcp
            .set_nonblocking(false)
            .and_then(|()| tcp.set_read_timeout(Some(IO_TIMEOUT)))
            .and_then(|()| tcp.set_write_timeout(Some(IO_TIMEOUT)));
        if setup.is_err() {
            return;
        }
        let _ = tcp.set_nodelay(true);
        let Some(tls) = &self.tls else {
            return self.serve(tcp, Mode::Serve, ctx);
        };
        let mut first = [0u8; 1];
        match tcp.peek(&mut first) {
            // Closed before a byte (a TCP probe, say): nothing to report.
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if first[0].is_ascii_alphabetic() {
            eprintln!("vigie detect: http source: plain HTTP from {peer} on the TLS port, refused");
            return self.serve(tcp, Mode::RefusePlain, ctx);
        }
        let Ok(mut conn) = ServerConnection::new(tls.clone()) else {
            return;
        };
        let mut tcp = tcp;
        while conn.is_handshaking() {
            if let Err(e) = conn.complete_io(&mut tcp) {
                eprintln!("vigie detect: http source: TLS handshake with {peer} failed: {e}");
                ctx.metrics.reject("http", "tls_handshake", 1);
                return;
            }
        }
        self.serve(StreamOwned::new(conn, tcp), Mode::Serve, ctx);
    }

    /// Answers requests until the client closes, an error, or the source stops.
    fn serve(&self, conn: impl Conn, mode: Mode, ctx: &SourceContext) {
        let mut reader = BufReader::with_capacity(64 << 10, conn);
        loop {
            if !wait_for_request(&mut reader, ctx) {
                return;
            }
            let head = match read_head(&mut reader) {
                Ok(Ok(head)) => head,
                Ok(Err(reason)) => {
                    if write_response(reader.get_mut(), 400, reason, true).is_ok() {
                        linger(&mut reader);
                    }
                    return;
                }
                Err(_) => return,
            };
            match self.request(&mut reader, &head, mode, ctx) {
                Ok(true) if !ctx.stopped() => {}
                Ok(_) => return linger(&mut reader),
                Err(_) => return,
            }
        }
    }

    /// Reads one request's body and answers it; true to keep the connection.
    fn request(
        &self,
        reader: &mut BufReader<impl Conn>,
        head: &Head,
        mode: Mode,
        ctx: &SourceContext,
    ) -> io::Result<bool> {
        if mode == Mode::RefusePlain
            && (head.chunked || head.content_length.is_some_and(|n| n > MAX_DRAIN_BYTES))
        {
            return write_response(reader.get_mut(), 400, PLAIN_ON_TLS, true);
        }
        let is_webhook = head.method == "POST" && head.path == self.config.path;
        let limit = if is_webhook {
            self.config.max_body_bytes as u64
        } else {
            0
        };
        if is_webhook && !head.chunked && head.content_length.is_none() {
            return write_response(reader.get_mut(), 411, "length required", true);
        }
        let declared_too_large = head.content_length.is_some_and(|n| n > limit);
        if declared_too_large && head.content_length.is_some_and(|n| n > MAX_DRAIN_BYTES) {
            if is_webhook {
                ctx.metrics.reject("http", "too_large", 1);
            }
            return write_response(reader.get_mut(), 413, "body too large", true);
        }
        if head.expect_continue && !declared_too_large && mode == Mode::Serve {
            reader
                .get_mut()
                .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
            reader.get_mut().flush()?;
        }
        let body = match read_body(reader, head, limit) {
            Ok(body) => body,
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                if is_webhook {
                    ctx.metrics.reject("http", "read_error", 1);
                }
                return write_response(reader.get_mut(), 400, &format!("bad body: {e}"), true);
            }
            Err(e) => {
                if is_webhook {
                    ctx.metrics.reject("http", "read_error", 1);
                }
                return Err(e);
            }
        };
        let close = head.close;
        if mode == Mode::RefusePlain {
            return write_response(reader.get_mut(), 400, PLAIN_ON_TLS, true);
        }
        let (code, text) = match (head.method.as_str(), head.path.as_str()) {
            ("GET", "/metrics") => (200, ctx.metrics.render()),
            ("GET", "/healthz") => (200, "ok".to_string()),
            _ if is_webhook && body.too_large => {
                ctx.metrics.reject("http", "too_large", 1);
                (413, "body too large".to_string())
            }
            _ if is_webhook => self.accept_events(&body.bytes, ctx),
            _ => (404, "not found".to_string()),
        };
        write_response(reader.get_mut(), code, &text, close)
    }

    fn accept_events(&self, body: &[u8], ctx: &SourceContext) -> (u16, String) {
        let mut events = Vec::new();
        if let Err(e) = decode(body, self.config.max_body_bytes, &mut events) {
            ctx.metrics.reject("http", e.kind(), 1);
            eprintln!("vigie detect: http source: rejected body: {e}");
            return (400, e.to_string());
        }
        let n = events.len() as u64;
        if n == 0 {
            return (200, "ok".to_string());
        }
        match ctx.queue.try_send(events) {
            Ok(()) => {
                ctx.metrics.events_in.fetch_add(n, Ordering::Relaxed);
                (200, "ok".to_string())
            }
            Err(TrySendError::Full(_)) => {
                ctx.metrics.reject("http", "queue_full", n);
                (503, "busy, retry later".to_string())
            }
            Err(TrySendError::Disconnected(_)) => (503, "shutting down".to_string()),
        }
    }
}

/// Waits for the first byte of the next request, looking at the stop flag while the
/// connection is idle; false when the connection is done.
fn wait_for_request(reader: &mut BufReader<impl Conn>, ctx: &SourceContext) -> bool {
    if !reader.buffer().is_empty() {
        return true;
    }
    if reader.get_ref().tcp().set_read_timeout(Some(POLL)).is_err() {
        return false;
    }
    let idle_since = Instant::now();
    let ready = loop {
        match reader.fill_buf() {
            Ok(b) => break !b.is_empty(),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                if ctx.stopped() || idle_since.elapsed() > IDLE_TIMEOUT {
                    break false;
                }
            }
            Err(_) => break false,
        }
    };
    ready
        && reader
            .get_ref()
            .tcp()
            .set_read_timeout(Some(IO_TIMEOUT))
            .is_ok()
}

/// Reads a request line and headers. The inner error is a reason for a 400.
fn read_head(reader: &mut impl BufRead) -> io::Result<Result<Head, &'static str>> {
    let mut limited = reader.take(MAX_HEAD_BYTES);
    let mut line = Vec::with_capacity(256);
    let mut head = Head::default();
    let mut request_line = true;
    let mut http10 = false;
    let mut keep_alive = false;
    let mut transfer_encoding = None;
    loop {
        line.clear();
        if limited.read_until(b'\n', &mut line)? == 0 || line.last() != Some(&b'\n') {
            return if limited.limit() == 0 {
                Ok(Err("request head too large"))
            } else {
                Err(io::ErrorKind::UnexpectedEof.into())
            };
        }
        let text = match std::str::from_utf8(&line) {
            Ok(t) => t.trim_end_matches(['\r', '\n']),
            Err(_) => return Ok(Err("request head is not UTF-8")),
        };
        if request_line {
            if text.is_empty() {
                continue; // a stray CRLF between requests
            }
            let mut parts = text.split(' ');
            let (Some(method), Some(target), Some(version), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Ok(Err("bad request line"));
            };
            match version {
                "HTTP/1.1" => {}
                "HTTP/1.0" => http10 = true,
                _ => return Ok(Err("unsupported HTTP version")),
            }
            head.method = method.to_string();
            // Origin form, or absolute form (`http://host/path`).
            let target = match target.find("://") {
                Some(i) => target[i + 3..]
                    .find('/')
                    .map_or("/", |j| &target[i + 3 + j..]),
                None => target,
            };
            head.path = target.split('?').next().unwrap_or("").to_string();
            request_line = false;
            continue;
        }
        if text.is_empty() {
            break;
        }
        let Some((name, value)) = text.split_once(':') else {
            return Ok(Err("bad header line"));
        };
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => {
                let Ok(n) = value.parse::<u64>() else {
                    return Ok(Err("bad Content-Length"));
                };
                if head.content_length.is_some_and(|m| m != n) {
                    return Ok(Err("conflicting Content-Length headers"));
                }
                head.content_length = Some(n);
            }
            "transfer-encoding" => transfer_encoding = Some(value.to_ascii_lowercase()),
            "connection" => {
                for token in value.split(',').map(|t| t.trim().to_ascii_lowercase()) {
                    head.close |= token == "close";
                    keep_alive |= token == "keep-alive";
                }
            }
            "expect" => head.expect_continue = value.eq_ignore_ascii_case("100-continue"),
            _ => {}
        }
    }
    if let Some(te) = transfer_encoding {
        // Both framings at once is how requests are smuggled: refuse it.
        if head.content_length.is_some() {
            return Ok(Err("both Transfer-Encoding and Content-Length"));
        }
        if te != "chunked" {
            return Ok(Err("unsupported Transfer-Encoding (only chunked)"));
        }
        head.chunked = true;
    }
    if http10 && !keep_alive {
        head.close = true;
    }
    Ok(Ok(head))
}

/// Reads the body the head announces, keeping at most `limit` bytes (one more
/// marks it too large) and dropping the rest up to [`MAX_DRAIN_BYTES`]. Malformed
/// chunked framing is `InvalidData`.
fn read_body(reader: &mut impl BufRead, head: &Head, limit: u64) -> io::Result<Body> {
    let mut body = Body {
        bytes: Vec::new(),
        too_large: false,
    };
    if let Some(n) = head.content_length {
        let keep = n.min(limit);
        body.bytes.reserve(keep as usize);
        reader.take(keep).read_to_end(&mut body.bytes)?;
        if (body.bytes.len() as u64) < keep {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        if n > limit {
            body.too_large = true;
            let dropped = io::copy(&mut reader.take(n - keep), &mut io::sink())?;
            if dropped < n - keep {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
        }
        return Ok(body);
    }
    if !head.chunked {
        return Ok(body);
    }
    let bad = |m: &str| io::Error::new(io::ErrorKind::InvalidData, m.to_string());
    let mut total = 0u64;
    let mut line = Vec::new();
    loop {
        line.clear();
        reader.take(1024).read_until(b'\n', &mut line)?;
        if line.last() != Some(&b'\n') {
            return Err(bad("bad chunk size line"));
        }
        let size_text = std::str::from_utf8(&line)
            .map_err(|_| bad("bad chunk size line"))?
            .trim_end_matches(['\r', '\n']);
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = u64::from_str_radix(size_text, 16).map_err(|_| bad("bad chunk size"))?;
        if size == 0 {
            break;
        }
        total = total.saturating_add(size);
        if total > MAX_DRAIN_BYTES {
            return Err(bad("chunked body too large"));
        }
        let room = (limit + 1)
            .saturating_sub(body.bytes.len() as u64)
            .min(size);
        let before = body.bytes.len();
        reader.take(room).read_to_end(&mut body.bytes)?;
        let dropped = io::copy(&mut reader.take(size - room), &mut io::sink())?;
        if (body.bytes.len() - before) as u64 + dropped < size {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let mut crlf = [0u8; 2];
        reader.read_exact(&mut crlf)?;
        if &crlf != b"\r\n" {
            return Err(bad("chunk not followed by CRLF"));
        }
    }
    // Trailers, up to the empty line.
    let mut limited = reader.take(MAX_HEAD_BYTES);
    loop {
        line.clear();
        if limited.read_until(b'\n', &mut line)? == 0 || line.last() != Some(&b'\n') {
            return Err(bad("bad chunked trailer"));
        }
        if line == b"\r\n" || line == b"\n" {
            break;
        }
    }
    if body.bytes.len() as u64 > limit {
        body.bytes.truncate(limit as usize);
        body.too_large = true;
    }
    Ok(body)
}

/// Writes a text response; returns whether the connection stays open.
fn write_response(w: &mut impl Write, code: u16, body: &str, close: bool) -> io::Result<bool> {
    let reason = match code {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        411 => "Length Required",
        413 => "Payload Too Large",
        503 => "Service Unavailable",
        _ => "",
    };
    let mut out = format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n",
        body.len()
    );
    if code == 503 {
        out.push_str("Retry-After: 1\r\n");
    }
    if close {
        out.push_str("Connection: close\r\n");
    }
    out.push_str("\r\n");
    out.push_str(body);
    w.write_all(out.as_bytes())?;
    w.flush()?;
    Ok(!close)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Metrics;
    use crate::sinks::post_json;
    use crossbeam_channel::bounded;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    #[test]
    fn receives_webhook_batches_over_loopback() {
        let source = HttpSource::bind(HttpSourceConfig {
            listen: "127.0.0.1:0".into(),
            path: "/k8s-audit".into(),
            max_body_bytes: 4096,
            tls: None,
        })
        .unwrap();
        let url = format!("http://{}/k8s-audit", source.local_addr().unwrap());
        let (tx, rx) = bounded(1);
        let stop = Arc::new(AtomicBool::new(false));
        let ctx = SourceContext {
            queue: tx,
            metrics: Arc::new(Metrics::default()),
            max_event_bytes: 4096,
            stop: stop.clone(),
        };
        let metrics = ctx.metrics.clone();
        let server = std::thread::spawn(move || source.run(&ctx));
        let t = Duration::from_secs(10);
        let list = br#"{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"auditID":"1","verb":"get","stage":"ResponseComplete"},{"auditID":"2","verb":"list","stage":"ResponseComplete"}]}"#;
        assert_eq!(post_json(&url, list, t).unwrap(), 200);
        // The queue holds one batch: the next body is refused with 503 so the API
        // server retries it.
        let single = br#"{"kind":"Event","auditID":"3","verb":"get","stage":"ResponseComplete"}"#;
        assert_eq!(post_json(&url, single, t).unwrap(), 503);
        let batch = rx.recv_timeout(t).unwrap();
        assert_eq!(batch.len(), 2);
        assert_eq!(post_json(&url, single, t).unwrap(), 200);
        assert_eq!(post_json(&url, b"{oops", t).unwrap(), 400);
        assert_eq!(post_json(&url, &vec![b' '; 5000], t).unwrap(), 413);
        assert_eq!(
            post_json(&url.replace("k8s-audit", "other"), single, t).unwrap(),
            404
        );
        stop.store(true, Ordering::Relaxed);
        server.join().unwrap();
        assert_eq!(metrics.events_in.load(Ordering::Relaxed), 3);
        assert_eq!(metrics.rejected("queue_full"), 1);
        assert_eq!(metrics.rejected("invalid_json"), 1);
        assert_eq!(metrics.rejected("too_large"), 1);
    }

    /// Reads one response from a raw connection: its status code and body.
    fn response(reader: &mut BufReader<TcpStream>) -> (u16, String) {
        let mut status = String::new();
        reader.read_line(&mut status).unwrap();
        let code = status.split(' ').nth(1).unwrap().parse().unwrap();
        let mut len = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body).unwrap();
        (code, String::from_utf8(body).unwrap())
    }

    #[test]
    fn keeps_connections_alive_and_reads_chunked_bodies() {
        let source = HttpSource::bind(HttpSourceConfig {
            listen: "127.0.0.1:0".into(),
            max_body_bytes: 200,
            ..Default::default()
        })
        .unwrap();
        let addr = source.local_addr().unwrap();
        let (tx, rx) = bounded(16);
        let stop = Arc::new(AtomicBool::new(false));
        let ctx = SourceContext {
            queue: tx,
            metrics: Arc::new(Metrics::default()),
            max_event_bytes: 4096,
            stop: stop.clone(),
        };
        let server = std::thread::spawn(move || source.run(&ctx));
        let tcp = TcpStream::connect(addr).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut w = tcp.try_clone().unwrap();
        let mut r = BufReader::new(tcp);
        let event = r#"{"kind":"Event","auditID":"1","verb":"get"}"#;
        // Content-Length, then chunked (with an extension and a trailer), then
        // Expect: 100-continue, all on one connection.
        write!(
            w,
            "POST /k8s-audit HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{event}",
            event.len()
        )
        .unwrap();
        assert_eq!(response(&mut r), (200, "ok".into()));
        let (a, b) = event.split_at(10);
        write!(w, "POST /k8s-audit?timeout=5s HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n{:x};x=y\r\n{a}\r\n{:X}\r\n{b}\r\n0\r\nTrailer: t\r\n\r\n", a.len(), b.len()).unwrap();
        assert_eq!(response(&mut r), (200, "ok".into()));
        write!(
            w,
            "POST /k8s-audit HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
            event.len()
        )
        .unwrap();
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        assert_eq!(line, "HTTP/1.1 100 Continue\r\n");
        r.read_line(&mut line).unwrap();
        w.write_all(event.as_bytes()).unwrap();
        assert_eq!(response(&mut r), (200, "ok".into()));
        // Over the limit: the body is read and dropped, and the connection lives on.
        let big = format!("[{}]", [event; 5].join(","));
        write!(
            w,
            "POST /k8s-audit HTTP/1.1\r\nContent-Length: {}\r\n\r\n{big}",
            big.len()
        )
        .unwrap();
        assert_eq!(response(&mut r), (413, "body too large".into()));
        write!(w, "GET /healthz HTTP/1.1\r\n\r\n").unwrap();
        assert_eq!(response(&mut r), (200, "ok".into()));
        // A POST without a length is refused, and the connection closed.
        write!(w, "POST /k8s-audit HTTP/1.1\r\n\r\n").unwrap();
        assert_eq!(response(&mut r).0, 411);
        assert_eq!(r.read(&mut [0; 1]).unwrap(), 0);

        // Malformed heads and framings are refused with 400.
        for bad in [
            "POST /k8s-audit HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".to_string(),
            "POST /k8s-audit HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                .into(),
            "POST /k8s-audit HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n".into(),
            "GARBAGE\r\n\r\n".into(),
            format!("GET /healthz HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(20_000)),
        ] {
            let mut tcp = TcpStream::connect(addr).unwrap();
            tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            tcp.write_all(bad.as_bytes()).unwrap();
            let mut r = BufReader::new(tcp);
            assert_eq!(response(&mut r).0, 400, "{}", &bad[..bad.len().min(80)]);
        }
        stop.store(true, Ordering::Relaxed);
        server.join().unwrap();
        let ids: Vec<String> = rx
            .try_iter()
            .flatten()
            .map(|e| e.json()["auditID"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(ids, ["1", "1", "1"]);
    }
}
