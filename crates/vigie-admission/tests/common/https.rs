//! A webhook served over HTTPS on a loopback port, and a rustls client speaking
//! raw HTTP/1.1 to it (so that every byte sent is the test's choice).

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use vigie_admission::{Endpoint, Webhook};
use vigie_server::{Limits, Routes, ServerMetrics, ServerTlsConfig};

/// The server's own tests' harness: a server on a loopback port, on a thread.
#[path = "../../../vigie-server/tests/common/mod.rs"]
mod server;

/// A running HTTPS webhook, stopped when dropped.
pub struct Served {
    running: Option<server::Running>,
    /// The certificate the client trusts: the server's own.
    roots: rustls::RootCertStore,
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown.trigger();
            let _ = running.thread.join();
        }
    }
}

/// Writes a CA-less self-signed certificate for localhost/127.0.0.1 into `dir`.
pub fn certificate(dir: &Path) -> ServerTlsConfig {
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    std::fs::write(dir.join("tls.crt"), cert.cert.pem()).unwrap();
    std::fs::write(dir.join("tls.key"), cert.key_pair.serialize_pem()).unwrap();
    ServerTlsConfig {
        cert_file: dir.join("tls.crt"),
        key_file: dir.join("tls.key"),
        client_ca_file: None,
    }
}

/// Serves `webhook` at /validate and /mutate over HTTPS with `limits`.
pub fn serve(webhook: &Arc<Webhook>, limits: Limits, dir: &Path) -> Served {
    let tls = certificate(dir);
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(&tls.cert_file).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let admission = webhook.metrics.clone();
    let routes = Routes::new()
        .route(
            vigie_server::Method::POST,
            "/validate",
            webhook.handler(Endpoint::Validate),
        )
        .route(
            vigie_server::Method::POST,
            "/mutate",
            webhook.handler(Endpoint::Mutate),
        )
        .metrics(move |out: &mut String| admission.render(out));
    Served {
        running: Some(server::Running::start_with(limits, Some(tls), routes)),
        roots,
    }
}

/// A response as read off the wire.
#[derive(Debug)]
pub struct Reply {
    pub code: u16,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

pub type Tls = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

impl Served {
    fn running(&self) -> &server::Running {
        self.running.as_ref().expect("running until dropped")
    }

    /// The server's counters.
    pub fn metrics(&self) -> &ServerMetrics {
        &self.running().metrics
    }

    /// A TLS connection to the server (handshake on first write).
    pub fn connect(&self) -> Tls {
        let tls = self.running().connect_tls(self.roots.clone());
        // Longer than the harness's wait: on a loaded machine, the 50 MB
        // body of a test takes its time.
        tls.sock
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        tls
    }

    /// POSTs `body` to `path` on a new connection and reads the reply.
    pub fn post(&self, path: &str, body: &[u8]) -> Reply {
        let mut tls = self.connect();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        tls.write_all(head.as_bytes()).unwrap();
        tls.write_all(body).unwrap();
        tls.flush().unwrap();
        read_reply(&mut tls)
    }

    /// GETs `path`.
    pub fn get(&self, path: &str) -> Reply {
        let mut tls = self.connect();
        let head = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        tls.write_all(head.as_bytes()).unwrap();
        read_reply(&mut tls)
    }
}

/// Reads one response (status line, headers, a body framed by Content-Length).
pub fn read_reply(stream: &mut impl Read) -> Reply {
    let (code, body) = super::http_reply::read_reply(stream).unwrap();
    Reply { code, body }
}
