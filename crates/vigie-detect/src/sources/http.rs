//! The audit webhook receiver: the API server's webhook backend POSTs `EventList`s
//! (a single `Event` or a JSON array are accepted too). Answers:
//! 200 accepted; 400 unreadable body (counted, logged); 411 no length; 413 body over
//! the limit; 503 with `Retry-After` when the detection queue is full, so the API
//! server retries and no accepted event is lost.
//!
//! The HTTP(S) side, with its limits, deadlines, `/healthz`, `/readyz` and
//! `/metrics`, is `vigie-server`'s; this module is the handler and its counters.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crossbeam_channel::TrySendError;
use vigie_server::{
    Handler, Limits, Method, Refusal, Request, Response, Routes, Server, ServerConfig,
    ServerMetrics, ServerTlsConfig, Shutdown, StatusCode,
};

use super::SourceContext;
use crate::k8s_audit::decode;

/// The webhook listener: where it listens, its path, TLS and limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpSourceConfig {
    /// `host:port` to listen on.
    pub listen: String,
    /// Path events are POSTed to.
    pub path: String,
    /// HTTPS when set; plain HTTP otherwise.
    pub tls: Option<ServerTlsConfig>,
    /// Connection, size and time limits (`max_body_bytes` is the largest body).
    pub limits: Limits,
}

impl Default for HttpSourceConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:9765".to_string(),
            path: "/k8s-audit".to_string(),
            tls: None,
            limits: Limits::default(),
        }
    }
}

/// A bound webhook listener, ready to run.
pub struct HttpSource {
    server: Server,
    path: String,
    max_body_bytes: usize,
}

impl HttpSource {
    /// Binds the address and, with TLS, loads the certificate and key (a bad file
    /// fails here, before anything runs).
    pub fn bind(config: HttpSourceConfig) -> io::Result<Self> {
        let max_body_bytes = config.limits.max_body_bytes;
        let client_ca = config.tls.as_ref().map(|t| t.client_ca_file.is_some());
        let server = Server::bind(ServerConfig {
            listen: config.listen.clone(),
            tls: config.tls,
            limits: config.limits,
        })
        .map_err(io::Error::other)?;
        if let Some(client_ca) = client_ca {
            eprintln!(
                "vigie detect: webhook on {} uses TLS{}",
                config.listen,
                if client_ca {
                    ", client certificates required"
                } else {
                    ""
                }
            );
        }
        Ok(Self {
            server,
            path: config.path,
            max_body_bytes,
        })
    }

    /// The address bound.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        Some(self.server.local_addr())
    }

    /// Whether the webhook speaks HTTPS.
    pub fn is_tls(&self) -> bool {
        self.server.is_tls()
    }

    /// The listener's own counters (connections, responses, deadlines).
    pub fn server_metrics(&self) -> Arc<ServerMetrics> {
        self.server.metrics()
    }

    /// Serves until the context is stopped, then lets the requests in progress
    /// finish.
    pub fn run(self, ctx: &SourceContext) {
        let metrics = ctx.metrics.clone();
        let webhook = AuditWebhook {
            ctx: ctx.clone(),
            max_body_bytes: self.max_body_bytes,
        };
        let routes = Routes::new()
            .route(Method::POST, &self.path, webhook)
            .metrics(move |out: &mut String| out.push_str(&metrics.render()));
        if let Err(e) = self
            .server
            .serve(routes, Shutdown::on_flag(ctx.stop.clone()))
        {
            eprintln!("vigie detect: http source: {e}");
        }
    }
}

/// Decodes webhook bodies and queues their events.
struct AuditWebhook {
    ctx: SourceContext,
    max_body_bytes: usize,
}

impl Handler for AuditWebhook {
    fn handle(&self, request: Request) -> Response {
        let ctx = &self.ctx;
        let mut events = Vec::new();
        if let Err(e) = decode(&request.body, self.max_body_bytes, &mut events) {
            ctx.metrics.reject("http", e.kind(), 1);
            eprintln!(
                "vigie detect: http source: rejected body from {}: {e}",
                request.peer
            );
            return Response::text(StatusCode::BAD_REQUEST, e.to_string());
        }
        let n = events.len() as u64;
        if n == 0 {
            return Response::text(StatusCode::OK, "ok");
        }
        match ctx.queue.try_send(events) {
            Ok(()) => {
                ctx.metrics.events_in.fetch_add(n, Ordering::Relaxed);
                Response::text(StatusCode::OK, "ok")
            }
            Err(TrySendError::Full(_)) => {
                ctx.metrics.reject("http", "queue_full", n);
                Response::text(StatusCode::SERVICE_UNAVAILABLE, "busy, retry later").retry_after(1)
            }
            Err(TrySendError::Disconnected(_)) => {
                Response::text(StatusCode::SERVICE_UNAVAILABLE, "shutting down").retry_after(1)
            }
        }
    }

    fn refused(&self, refusal: Refusal) {
        self.ctx.metrics.reject("http", refusal.as_str(), 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sinks::post_json;
    use crate::test_http::read_headers_and_body;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;

    fn config(max_body_bytes: usize) -> HttpSourceConfig {
        HttpSourceConfig {
            listen: "127.0.0.1:0".into(),
            limits: Limits {
                max_body_bytes,
                ..Limits::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn receives_webhook_batches_over_loopback() {
        let source = HttpSource::bind(config(4096)).unwrap();
        let url = format!("http://{}/k8s-audit", source.local_addr().unwrap());
        let (ctx, rx) = SourceContext::for_tests(1, 4096);
        let stop = ctx.stop.clone();
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
        (code, read_headers_and_body(reader))
    }

    #[test]
    fn keeps_connections_alive_and_reads_chunked_bodies() {
        let source = HttpSource::bind(config(200)).unwrap();
        let addr = source.local_addr().unwrap();
        let (ctx, rx) = SourceContext::for_tests(16, 4096);
        let stop = ctx.stop.clone();
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
        // Over the limit: the body is read and dropped, and the connection lives on,
        // whether the body has a length or is chunked.
        let big = format!("[{}]", [event; 5].join(","));
        let too_large = "body too large: the limit is 200 bytes".to_string();
        write!(
            w,
            "POST /k8s-audit HTTP/1.1\r\nContent-Length: {}\r\n\r\n{big}",
            big.len()
        )
        .unwrap();
        assert_eq!(response(&mut r), (413, too_large.clone()));
        write!(
            w,
            "POST /k8s-audit HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{big}\r\n0\r\n\r\n",
            big.len()
        )
        .unwrap();
        assert_eq!(response(&mut r), (413, too_large));
        write!(w, "GET /healthz HTTP/1.1\r\n\r\n").unwrap();
        assert_eq!(response(&mut r), (200, "ok".into()));
        // GET or PUT on the webhook's path: 405.
        write!(w, "GET /k8s-audit HTTP/1.1\r\n\r\n").unwrap();
        assert_eq!(response(&mut r).0, 405);
        // A POST without a length is refused, and the connection closed.
        write!(w, "POST /k8s-audit HTTP/1.1\r\n\r\n").unwrap();
        assert_eq!(response(&mut r).0, 411);
        assert_eq!(r.read(&mut [0; 1]).unwrap(), 0);

        // Malformed heads and framings are refused with 400 (431 for a head over
        // the limit).
        for (bad, code) in [
            (
                "POST /k8s-audit HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".to_string(),
                400,
            ),
            (
                "POST /k8s-audit HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n".into(),
                400,
            ),
            ("GARBAGE\r\n\r\n".into(), 400),
            (
                format!("GET /healthz HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(20_000)),
                431,
            ),
        ] {
            let mut tcp = TcpStream::connect(addr).unwrap();
            tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            tcp.write_all(bad.as_bytes()).unwrap();
            let mut r = BufReader::new(tcp);
            assert_eq!(response(&mut r).0, code, "{}", &bad[..bad.len().min(80)]);
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
