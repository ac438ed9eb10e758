//! What a listener is configured with: its address, TLS files and limits.

use std::time::Duration;

use crate::tls::ServerTlsConfig;

/// A listener: where it listens, whether it speaks TLS, and its limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// `host:port` to listen on (port 0 picks a free port).
    pub listen: String,
    /// HTTPS when set (with mutual TLS when it has a client CA); plain HTTP otherwise.
    pub tls: Option<ServerTlsConfig>,
    /// Limits and deadlines that keep one client from starving the others.
    pub limits: Limits,
}

impl ServerConfig {
    /// A plain HTTP listener on `listen` with the default [`Limits`].
    pub fn new(listen: impl Into<String>) -> Self {
        Self {
            listen: listen.into(),
            tls: None,
            limits: Limits::default(),
        }
    }
}

/// Every limit of a listener. The defaults suit a webhook receiving a few batches a
/// second from a handful of API servers; each can be raised where that is too tight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Connections open at once, from every peer together; more are closed as soon
    /// as they are accepted.
    pub max_connections: usize,
    /// Connections open at once from one IP address, so that one peer cannot take
    /// every slot.
    pub max_connections_per_peer: usize,
    /// Time from a connection's first byte (or the TLS handshake's start) to the end
    /// of a request's headers. A total, not a per-byte timeout: a client trickling
    /// bytes is cut when it runs out.
    pub header_timeout: Duration,
    /// Time to read a request's whole body, once its headers are in.
    pub body_timeout: Duration,
    /// How long a connection may sit without a request in progress (before its
    /// first request, between keep-alive requests, or while its response is not
    /// being read).
    pub idle_timeout: Duration,
    /// Time a handler has to answer; past it the client gets 503 and `Retry-After`.
    pub handler_timeout: Duration,
    /// Largest request body kept; larger ones get 413, whether framed by
    /// `Content-Length` or chunked.
    pub max_body_bytes: usize,
    /// Largest request line plus headers; larger ones get 431.
    pub max_header_bytes: usize,
    /// Bytes of request bodies held in memory at once, over every connection; a
    /// request that does not fit gets 503 and `Retry-After`.
    pub max_body_memory_bytes: usize,
    /// Handlers running at once (threads of the worker pool). For CPU-bound
    /// handlers, more than the machine's cores only adds context switches.
    pub max_concurrent_handlers: usize,
    /// Requests that may wait, first come first served, for a place in the worker
    /// pool: a burst larger than the pool is absorbed rather than refused. A
    /// request that finds the queue full gets 503 and `Retry-After` at once; one
    /// that waits longer than [`Limits::handler_timeout`] gets the same 503 as a
    /// handler that does not answer in time. Zero: no queue.
    pub max_queued_handlers: usize,
    /// How often the TLS files' metadata is looked at, to load rotated
    /// certificates, keys and client CAs for new connections. Zero: never (the
    /// files are read once, at the start).
    pub tls_reload_interval: Duration,
    /// After a shutdown is asked for: how long requests in progress have to finish
    /// before their connections are closed.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            max_connections_per_peer: 64,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            handler_timeout: Duration::from_secs(10),
            max_body_bytes: 16 << 20,
            max_header_bytes: 16 << 10,
            max_body_memory_bytes: 256 << 20,
            max_concurrent_handlers: 16,
            max_queued_handlers: 256,
            tls_reload_interval: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}
