//! The one HTTP(S) layer of vigie: every listener (the audit webhook, and the
//! admission webhook to come) is a [`Server`]. It is hyper 1 over tokio, with
//! tokio-rustls for TLS and mutual TLS, and it owns everything that keeps a listener
//! up under abuse:
//!
//! - connection limits, in all and per peer address, checked as connections arrive;
//! - deadlines that are totals, not per-byte timeouts: idle (before a request and
//!   between keep-alive requests), header (TLS handshake included), body, handler;
//! - size limits: headers (431), bodies (413 whether framed by `Content-Length` or
//!   chunked), and the memory all bodies may hold at once (503);
//! - routes by path and method (404, and 405 with `Allow`), and the built-in
//!   `/healthz`, `/readyz` and `/metrics` (the server's counters, then the
//!   application's);
//! - graceful shutdown: stop accepting, let requests in progress finish within a
//!   grace period;
//! - TLS files that follow rotation: a changed certificate, key or client CA serves
//!   new connections, a broken one is refused and the previous one keeps serving.
//!
//! Handlers are synchronous ([`Handler`]): they run on a bounded pool of threads, and
//! a request that finds the pool full is answered 503 with `Retry-After`. The async
//! runtime stays inside this crate; [`Server::serve`] blocks its caller.
//!
//! ```no_run
//! use vigie_server::{Response, Routes, Server, ServerConfig, Shutdown};
//! use vigie_server::{Method, StatusCode};
//!
//! let server = Server::bind(ServerConfig::new("127.0.0.1:8080")).unwrap();
//! let routes = Routes::new().route(Method::POST, "/echo", |request: vigie_server::Request| {
//!     Response::text(StatusCode::OK, String::from_utf8_lossy(&request.body))
//! });
//! server.serve(routes, Shutdown::new()).unwrap();
//! ```
//!
//! Serving on a free port, asked for its health, then shut down:
//!
//! ```
//! use std::io::{Read, Write};
//! use vigie_server::{Routes, Server, ServerConfig, Shutdown};
//!
//! let server = Server::bind(ServerConfig::new("127.0.0.1:0")).unwrap();
//! let address = server.local_addr();
//! let shutdown = Shutdown::new();
//! let stop = shutdown.clone();
//! let client = std::thread::spawn(move || {
//!     let mut stream = std::net::TcpStream::connect(address).unwrap();
//!     stream
//!         .write_all(b"GET /healthz HTTP/1.1\r\nHost: vigie\r\nConnection: close\r\n\r\n")
//!         .unwrap();
//!     let mut answer = String::new();
//!     stream.read_to_string(&mut answer).unwrap();
//!     stop.trigger();
//!     answer
//! });
//! server.serve(Routes::new(), shutdown).unwrap();
//! assert!(client.join().unwrap().starts_with("HTTP/1.1 200"));
//! ```

#![deny(missing_docs)]

/// `eprintln!` that a closed standard error (`vigie ... 2>&1 | head`) cannot turn
/// into a panic: std's panics when the write fails. Defined before the modules,
/// it replaces std's in all of them.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod body;
mod config;
mod conn;
mod error;
mod metrics;
mod routes;
mod server;
mod service;
mod shutdown;
pub mod tls;
mod tls_reload;

pub use config::{Limits, ServerConfig};
pub use error::ServerError;
pub use metrics::{Deadline, Rejection, ServerMetrics};
pub use routes::{Handler, MetricsRenderer, Refusal, Request, Response, Routes};
pub use server::Server;
pub use shutdown::Shutdown;
pub use tls::ServerTlsConfig;

/// Re-exported so that applications name methods and codes without depending on
/// `http` themselves.
pub use http::{Method, StatusCode};
