//! The server's own counters, in the Prometheus text format, served at `/metrics`
//! before whatever the application adds.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;

/// Why a connection was closed before a request was served.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rejection {
    /// [`Limits::max_connections`](crate::Limits::max_connections) were open.
    MaxConnections,
    /// [`Limits::max_connections_per_peer`](crate::Limits::max_connections_per_peer)
    /// were open from the same address.
    MaxConnectionsPerPeer,
    /// The TLS handshake failed (no or untrusted client certificate, bad protocol).
    TlsHandshake,
    /// Plain HTTP was sent to a TLS port (answered 400).
    PlainHttpOnTls,
}

impl Rejection {
    const ALL: [Rejection; 4] = [
        Rejection::MaxConnections,
        Rejection::MaxConnectionsPerPeer,
        Rejection::TlsHandshake,
        Rejection::PlainHttpOnTls,
    ];

    /// The `reason` label.
    pub fn as_str(self) -> &'static str {
        match self {
            Rejection::MaxConnections => "max_connections",
            Rejection::MaxConnectionsPerPeer => "max_connections_per_peer",
            Rejection::TlsHandshake => "tls_handshake",
            Rejection::PlainHttpOnTls => "plain_http_on_tls",
        }
    }
}

/// Which deadline cut a connection or a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Deadline {
    /// [`Limits::idle_timeout`](crate::Limits::idle_timeout).
    Idle,
    /// [`Limits::header_timeout`](crate::Limits::header_timeout) (TLS handshake included).
    Header,
    /// [`Limits::body_timeout`](crate::Limits::body_timeout).
    Body,
    /// [`Limits::handler_timeout`](crate::Limits::handler_timeout).
    Handler,
}

impl Deadline {
    const ALL: [Deadline; 4] = [
        Deadline::Idle,
        Deadline::Header,
        Deadline::Body,
        Deadline::Handler,
    ];

    /// The `deadline` label.
    pub fn as_str(self) -> &'static str {
        match self {
            Deadline::Idle => "idle",
            Deadline::Header => "header",
            Deadline::Body => "body",
            Deadline::Handler => "handler",
        }
    }
}

/// Counters of one listener.
#[derive(Debug, Default)]
pub struct ServerMetrics {
    accepted: AtomicU64,
    open: AtomicI64,
    in_flight: AtomicI64,
    rejected: [AtomicU64; 4],
    timeouts: [AtomicU64; 4],
    responses: Mutex<BTreeMap<u16, u64>>,
}

impl ServerMetrics {
    /// Connections accepted (and not refused at once) since the start.
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }

    /// Connections refused or cut for `reason` since the start.
    pub fn rejected(&self, reason: Rejection) -> u64 {
        self.rejected[reason as usize].load(Ordering::Relaxed)
    }

    /// Connections or requests cut by `deadline` since the start.
    pub fn timeouts(&self, deadline: Deadline) -> u64 {
        self.timeouts[deadline as usize].load(Ordering::Relaxed)
    }

    /// Responses sent with this status code since the start.
    pub fn responses(&self, code: u16) -> u64 {
        self.responses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&code)
            .copied()
            .unwrap_or(0)
    }

    /// Connections open now.
    pub fn open_connections(&self) -> i64 {
        self.open.load(Ordering::Relaxed)
    }

    /// Requests being answered now.
    pub fn in_flight(&self) -> i64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    pub(crate) fn connection_opened(&self) {
        self.accepted.fetch_add(1, Ordering::Relaxed);
        self.open.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn connection_closed(&self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }

    pub(crate) fn reject(&self, reason: Rejection) {
        self.rejected[reason as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn timeout(&self, deadline: Deadline) {
        self.timeouts[deadline as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn request_started(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn request_finished(&self, code: u16) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        *self
            .responses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(code)
            .or_default() += 1;
    }

    /// Appends the Prometheus text exposition of these counters.
    pub fn render(&self, out: &mut String) {
        header(
            out,
            "vigie_http_connections_accepted_total",
            "counter",
            "Connections accepted.",
        );
        let _ = writeln!(
            out,
            "vigie_http_connections_accepted_total {}",
            self.accepted()
        );
        header(
            out,
            "vigie_http_connections_open",
            "gauge",
            "Connections open now.",
        );
        let _ = writeln!(
            out,
            "vigie_http_connections_open {}",
            self.open_connections()
        );
        header(
            out,
            "vigie_http_connections_rejected_total",
            "counter",
            "Connections refused or closed before a request was served, by reason.",
        );
        for reason in Rejection::ALL {
            let _ = writeln!(
                out,
                "vigie_http_connections_rejected_total{{reason=\"{}\"}} {}",
                reason.as_str(),
                self.rejected(reason)
            );
        }
        header(
            out,
            "vigie_http_timeouts_total",
            "counter",
            "Connections or requests cut by a deadline, by deadline.",
        );
        for deadline in Deadline::ALL {
            let _ = writeln!(
                out,
                "vigie_http_timeouts_total{{deadline=\"{}\"}} {}",
                deadline.as_str(),
                self.timeouts(deadline)
            );
        }
        header(
            out,
            "vigie_http_requests_in_flight",
            "gauge",
            "Requests being answered now.",
        );
        let _ = writeln!(out, "vigie_http_requests_in_flight {}", self.in_flight());
        header(
            out,
            "vigie_http_requests_total",
            "counter",
            "Requests answered, by status code (not counting the requests whose head could not be parsed).",
        );
        let responses = self.responses.lock().unwrap_or_else(|e| e.into_inner());
        for (code, n) in responses.iter() {
            let _ = writeln!(out, "vigie_http_requests_total{{code=\"{code}\"}} {n}");
        }
    }
}

/// The `# HELP` and `# TYPE` lines of a metric.
fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}
