//! The server's own counters, in the Prometheus text format, served at `/metrics`
//! before whatever the application adds.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use vigie_report::prometheus::{write_header, write_sample, write_single, Histogram};

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
    /// From a request's head, parsed, to its response, ready to be written
    /// ([`Histogram::LATENCY_BOUNDS`]).
    durations: Histogram,
    tls: AtomicBool,
    tls_reloads: AtomicU64,
    tls_reload_failures: AtomicU64,
    /// Seconds since the Unix epoch; 0 when unknown.
    tls_not_after: AtomicI64,
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

    /// TLS files loaded again after a change, since the start.
    pub fn tls_reloads(&self) -> u64 {
        self.tls_reloads.load(Ordering::Relaxed)
    }

    /// Changed TLS files refused (the previous ones kept serving), since the start.
    pub fn tls_reload_failures(&self) -> u64 {
        self.tls_reload_failures.load(Ordering::Relaxed)
    }

    /// The serving certificate's notAfter, in seconds since the Unix epoch; `None`
    /// for a plain HTTP listener or a certificate whose validity could not be read.
    pub fn tls_certificate_not_after(&self) -> Option<i64> {
        Some(self.tls_not_after.load(Ordering::Relaxed)).filter(|&t| t != 0)
    }

    pub(crate) fn tls_loaded(&self, not_after: Option<i64>) {
        self.tls.store(true, Ordering::Relaxed);
        self.tls_not_after
            .store(not_after.unwrap_or(0), Ordering::Relaxed);
    }

    pub(crate) fn tls_reloaded(&self, not_after: Option<i64>) {
        self.tls_reloads.fetch_add(1, Ordering::Relaxed);
        self.tls_loaded(not_after);
    }

    pub(crate) fn tls_reload_failed(&self) {
        self.tls_reload_failures.fetch_add(1, Ordering::Relaxed);
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

    pub(crate) fn request_finished(&self, code: u16, took: Duration) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.durations.observe(took);
        *self
            .responses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(code)
            .or_default() += 1;
    }

    /// Appends the Prometheus text exposition of these counters.
    pub fn render(&self, out: &mut String) {
        write_single(
            out,
            "vigie_http_connections_accepted_total",
            "counter",
            "Connections accepted.",
            self.accepted(),
        );
        write_single(
            out,
            "vigie_http_connections_open",
            "gauge",
            "Connections open now.",
            self.open_connections(),
        );
        write_header(
            out,
            "vigie_http_connections_rejected_total",
            "counter",
            "Connections refused or closed before a request was served, by reason.",
        );
        labelled(
            out,
            "vigie_http_connections_rejected_total",
            "reason",
            Rejection::ALL.map(|reason| (reason.as_str(), self.rejected(reason))),
        );
        write_header(
            out,
            "vigie_http_timeouts_total",
            "counter",
            "Connections or requests cut by a deadline, by deadline.",
        );
        labelled(
            out,
            "vigie_http_timeouts_total",
            "deadline",
            Deadline::ALL.map(|deadline| (deadline.as_str(), self.timeouts(deadline))),
        );
        write_single(
            out,
            "vigie_http_requests_in_flight",
            "gauge",
            "Requests being answered now.",
            self.in_flight(),
        );
        write_header(
            out,
            "vigie_http_requests_total",
            "counter",
            "Requests answered, by status code (not counting the requests whose head could not be parsed).",
        );
        let responses = self.responses.lock().unwrap_or_else(|e| e.into_inner());
        labelled(out, "vigie_http_requests_total", "code", responses.iter());
        drop(responses);
        self.durations.render(
            out,
            "vigie_http_request_duration_seconds",
            "Time from a request's head, parsed, to its response, ready to be written: body, queue and handler.",
        );
        if self.tls.load(Ordering::Relaxed) {
            self.render_tls(out);
        }
    }

    fn render_tls(&self, out: &mut String) {
        write_header(
            out,
            "vigie_tls_reloads_total",
            "counter",
            "Changed TLS files (certificate, key, client CA), by result: loaded, or refused with the previous ones kept.",
        );
        labelled(
            out,
            "vigie_tls_reloads_total",
            "result",
            [
                ("loaded", self.tls_reloads()),
                ("refused", self.tls_reload_failures()),
            ],
        );
        write_single(
            out,
            "vigie_tls_certificate_not_after_seconds",
            "gauge",
            "The serving certificate's notAfter, in seconds since the Unix epoch (0: unreadable).",
            self.tls_certificate_not_after().unwrap_or(0),
        );
    }
}

/// One sample line of a metric per value of its one label: `(label value, sample)`.
fn labelled<L: Display, V: Display>(
    out: &mut String,
    name: &str,
    label: &str,
    samples: impl IntoIterator<Item = (L, V)>,
) {
    for (value, n) in samples {
        write_sample(out, name, &[(label, &value.to_string())], n);
    }
}
