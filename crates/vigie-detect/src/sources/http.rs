//! The audit webhook receiver: the API server's webhook backend POSTs `EventList`s
//! (a single `Event` or a JSON array are accepted too). Answers:
//! 200 accepted; 400 unreadable body (counted, logged); 413 body over the limit;
//! 503 with `Retry-After` when the detection queue is full, so the API server retries
//! and no accepted event is lost. `GET /metrics` serves the Prometheus metrics and
//! `GET /healthz` answers `ok`.

use std::io::Read;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crossbeam_channel::TrySendError;
use tiny_http::{Header, Method, Request, Response, Server};

use super::SourceContext;
use crate::k8s_audit::decode;

#[derive(Clone, Debug)]
pub struct HttpSourceConfig {
    /// `host:port` to listen on.
    pub listen: String,
    /// Path events are POSTed to.
    pub path: String,
    pub max_body_bytes: usize,
}

impl Default for HttpSourceConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:9765".to_string(),
            path: "/k8s-audit".to_string(),
            max_body_bytes: 16 << 20,
        }
    }
}

pub struct HttpSource {
    server: Server,
    config: HttpSourceConfig,
}

fn respond(request: Request, code: u16, body: &str) {
    let mut response = Response::from_string(body).with_status_code(code);
    if code == 503 {
        response.add_header(Header::from_bytes("Retry-After", "1").expect("valid header"));
    }
    let _ = request.respond(response);
}

impl HttpSource {
    pub fn bind(config: HttpSourceConfig) -> std::io::Result<Self> {
        let server = Server::http(&config.listen)
            .map_err(|e| std::io::Error::other(format!("{}: {e}", config.listen)))?;
        Ok(Self { server, config })
    }

    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.server.server_addr().to_ip()
    }

    /// Serves until the context is stopped.
    pub fn run(&self, ctx: &SourceContext) {
        while !ctx.stopped() {
            match self.server.recv_timeout(Duration::from_millis(200)) {
                Ok(Some(request)) => self.handle(request, ctx),
                Ok(None) => {}
                Err(e) => {
                    eprintln!("vigie detect: http source: {e}");
                    break;
                }
            }
        }
    }

    fn handle(&self, mut request: Request, ctx: &SourceContext) {
        let path = request.url().split('?').next().unwrap_or("").to_string();
        match (request.method(), path.as_str()) {
            (Method::Get, "/metrics") => return respond(request, 200, &ctx.metrics.render()),
            (Method::Get, "/healthz") => return respond(request, 200, "ok"),
            (Method::Post, p) if p == self.config.path => {}
            _ => return respond(request, 404, "not found"),
        }
        let limit = self.config.max_body_bytes;
        if request.body_length().is_some_and(|n| n > limit) {
            ctx.metrics.reject("http", "too_large", 1);
            return respond(request, 413, "body too large");
        }
        let mut body = Vec::new();
        let read = request
            .as_reader()
            .take(limit as u64 + 1)
            .read_to_end(&mut body);
        if let Err(e) = read {
            ctx.metrics.reject("http", "read_error", 1);
            return respond(request, 400, &format!("cannot read body: {e}"));
        }
        if body.len() > limit {
            ctx.metrics.reject("http", "too_large", 1);
            return respond(request, 413, "body too large");
        }
        let mut events = Vec::new();
        if let Err(e) = decode(&body, limit, &mut events) {
            ctx.metrics.reject("http", e.kind(), 1);
            eprintln!("vigie detect: http source: rejected body: {e}");
            return respond(request, 400, &e.to_string());
        }
        let n = events.len() as u64;
        if n == 0 {
            return respond(request, 200, "ok");
        }
        match ctx.queue.try_send(events) {
            Ok(()) => {
                ctx.metrics.events_in.fetch_add(n, Ordering::Relaxed);
                respond(request, 200, "ok")
            }
            Err(TrySendError::Full(_)) => {
                ctx.metrics.reject("http", "queue_full", n);
                respond(request, 503, "busy, retry later")
            }
            Err(TrySendError::Disconnected(_)) => respond(request, 503, "shutting down"),
        }
    }
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
}
