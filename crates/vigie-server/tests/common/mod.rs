//! Helpers of the server's tests: a server on a loopback port, and raw HTTP/1.1
//! clients (so that every byte sent is the test's choice).

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use vigie_server::{
    Limits, Routes, Server, ServerConfig, ServerMetrics, ServerTlsConfig, Shutdown,
};

/// How long a test client waits for an answer before failing.
pub const T: Duration = Duration::from_secs(10);

/// Asks `done` every 10 ms until it holds; fails the test with `what` when it
/// still does not after [`T`].
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(start.elapsed() < T, "{what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A server running on a thread of its own.
pub struct Running {
    pub addr: SocketAddr,
    pub shutdown: Shutdown,
    pub metrics: Arc<ServerMetrics>,
    pub thread: JoinHandle<()>,
}

impl Running {
    pub fn start(limits: Limits, routes: Routes) -> Running {
        Self::start_with(limits, None, routes)
    }

    pub fn start_with(limits: Limits, tls: Option<ServerTlsConfig>, routes: Routes) -> Running {
        let server = Server::bind(ServerConfig {
            listen: "127.0.0.1:0".into(),
            tls,
            limits,
        })
        .unwrap();
        let addr = server.local_addr();
        let metrics = server.metrics();
        let shutdown = Shutdown::new();
        let stop = shutdown.clone();
        let thread = std::thread::spawn(move || server.serve(routes, stop).unwrap());
        Running {
            addr,
            shutdown,
            metrics,
            thread,
        }
    }

    /// Stops the server and waits for it.
    pub fn stop(self) -> Arc<ServerMetrics> {
        self.shutdown.trigger();
        self.thread.join().unwrap();
        self.metrics
    }

    pub fn connect(&self) -> TcpStream {
        let tcp = TcpStream::connect(self.addr).unwrap();
        tcp.set_read_timeout(Some(T)).unwrap();
        tcp
    }

    /// A TLS connection to the server as `localhost`, trusting `roots`; the
    /// handshake happens on the first write.
    pub fn connect_tls(
        &self,
        roots: rustls::RootCertStore,
    ) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
        let config = rustls::ClientConfig::builder_with_provider(vigie_server::tls::provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        self.connect_tls_with(config)
    }

    /// A TLS connection to the server as `localhost` with the client `config`.
    pub fn connect_tls_with(
        &self,
        config: rustls::ClientConfig,
    ) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
        rustls::StreamOwned::new(conn, self.connect())
    }
}

/// A response as read off the wire.
#[derive(Debug)]
pub struct Reply {
    pub code: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one response (with a `Content-Length` body).
pub fn read_reply(reader: &mut impl BufRead) -> std::io::Result<Reply> {
    let mut status = String::new();
    if reader.read_line(&mut status)? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    let code = status
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {status:?}")))?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap();
        headers.push((name.to_string(), value.trim().to_string()));
    }
    let len = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    Ok(Reply {
        code,
        headers,
        body: String::from_utf8(body).unwrap(),
    })
}

/// Sends `raw` on a new connection and reads one response.
pub fn exchange(addr: SocketAddr, raw: &[u8]) -> Reply {
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(T)).unwrap();
    tcp.write_all(raw).unwrap();
    read_reply(&mut BufReader::new(tcp)).unwrap()
}

/// A POST of `body` to `path`, with `Content-Length`.
pub fn post(path: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Whether the server has closed the connection (a read sees the end, or a reset).
pub fn closed_by_server(tcp: &mut TcpStream) -> bool {
    tcp.set_read_timeout(Some(Duration::from_millis(1)))
        .unwrap();
    let mut buf = [0u8; 256];
    let closed = loop {
        match tcp.read(&mut buf) {
            Ok(0) => break true,
            Ok(_) => continue, // a response (408, say) before the close
            Err(e) => {
                break !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                )
            }
        }
    };
    tcp.set_read_timeout(Some(T)).unwrap();
    closed
}
