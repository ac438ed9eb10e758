//! HTTPS over real loopback connections: the webhook receiver with TLS and mutual TLS,
//! and the HTTP sink verifying the servers it delivers to. Certificates are made at
//! test time by a throwaway CA.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{bounded, Receiver};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, StreamOwned};
use vigie_detect::alert::Alert;
use vigie_detect::metrics::Metrics;
use vigie_detect::sinks::{
    post_json, post_json_tls, ClientTlsConfig, HttpSink, HttpSinkConfig, Sink,
};
use vigie_detect::sources::{
    Batch, HttpLimits, HttpSource, HttpSourceConfig, ServerTlsConfig, SourceContext,
};
use vigie_rules::Priority;
use vigie_server::{Rejection, ServerMetrics};

const T: Duration = Duration::from_secs(10);
const EVENT_LIST: &[u8] = br#"{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{"auditID":"a1","verb":"get","stage":"ResponseComplete"},{"auditID":"a2","verb":"list","stage":"ResponseComplete"}]}"#;

/// A directory of PEM files, removed at the end of the test.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "vigie-tls-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).unwrap();
        Dir(path)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A certificate authority and the files of the certificates it issued.
struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
    /// The CA certificate (PEM file).
    file: PathBuf,
}

/// A certificate and its key, as PEM files.
struct Issued {
    cert: PathBuf,
    key: PathBuf,
}

impl Issued {
    /// The certificate chain and the key, read as rustls takes them.
    fn chain_and_key(&self) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        let chain = CertificateDer::pem_file_iter(&self.cert)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        (chain, PrivateKeyDer::from_pem_file(&self.key).unwrap())
    }
}

impl Ca {
    /// A client configuration that trusts this CA, and only it.
    fn trusted(&self) -> ClientTlsConfig {
        ClientTlsConfig {
            ca_file: Some(self.file.clone()),
            ..Default::default()
        }
    }

    fn new(dir: &Dir, name: &str) -> Ca {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).unwrap();
        let file = dir.write(&format!("{name}.crt"), &cert.pem());
        Ca { cert, key, file }
    }

    /// A server certificate for these names (DNS names or IP addresses).
    fn server(&self, dir: &Dir, name: &str, sans: &[&str]) -> Issued {
        self.issue(dir, name, sans, ExtendedKeyUsagePurpose::ServerAuth)
    }

    /// A client certificate whose common name is `name`.
    fn client(&self, dir: &Dir, name: &str) -> Issued {
        self.issue(dir, name, &[], ExtendedKeyUsagePurpose::ClientAuth)
    }

    fn issue(&self, dir: &Dir, name: &str, sans: &[&str], eku: ExtendedKeyUsagePurpose) -> Issued {
        let key = KeyPair::generate().unwrap();
        let sans: Vec<String> = sans.iter().map(|s| s.to_string()).collect();
        let mut params = CertificateParams::new(sans).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![eku];
        let cert = params.signed_by(&key, &self.cert, &self.key).unwrap();
        Issued {
            cert: dir.write(&format!("{name}.crt"), &cert.pem()),
            key: dir.write(&format!("{name}.key"), &key.serialize_pem()),
        }
    }
}

/// A running webhook receiver and what it delivered.
struct Receiver_ {
    addr: SocketAddr,
    events: Receiver<Batch>,
    metrics: Arc<Metrics>,
    /// The listener's own counters (connections, TLS handshakes).
    server_metrics: Arc<ServerMetrics>,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl Receiver_ {
    fn start(tls: Option<ServerTlsConfig>) -> Receiver_ {
        let source = HttpSource::bind(HttpSourceConfig {
            listen: "127.0.0.1:0".into(),
            path: "/k8s-audit".into(),
            tls,
            limits: HttpLimits {
                max_body_bytes: 1 << 20,
                ..HttpLimits::default()
            },
        })
        .unwrap();
        let addr = source.local_addr().unwrap();
        let server_metrics = source.server_metrics();
        let (tx, events) = bounded(16);
        let stop = Arc::new(AtomicBool::new(false));
        let metrics = Arc::new(Metrics::default());
        let ctx = SourceContext {
            queue: tx,
            metrics: metrics.clone(),
            max_event_bytes: 1 << 20,
            stop: stop.clone(),
        };
        let thread = std::thread::spawn(move || source.run(&ctx));
        Receiver_ {
            addr,
            events,
            metrics,
            server_metrics,
            stop,
            thread,
        }
    }

    fn url(&self, scheme: &str, host: &str) -> String {
        format!("{scheme}://{host}:{}/k8s-audit", self.addr.port())
    }

    /// The audit IDs of every event delivered so far.
    fn audit_ids(&self) -> Vec<String> {
        self.events
            .try_iter()
            .flatten()
            .map(|e| e.json()["auditID"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Stops the receiver, waiting for its connections; returns its metrics.
    fn stop(self) -> (Arc<Metrics>, Arc<ServerMetrics>) {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap();
        (self.metrics, self.server_metrics)
    }
}

fn roots(ca: &Path) -> RootCertStore {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    roots
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// POSTs over a rustls stream built here, independently of vigie's client: trusts
/// `ca`, presents `client` when given. Returns the response's status line.
fn raw_https_post(
    addr: SocketAddr,
    ca: &Path,
    client: Option<&Issued>,
    body: &[u8],
) -> io::Result<String> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots(ca));
    let config = match client {
        None => builder.with_no_client_auth(),
        Some(c) => {
            let (chain, key) = c.chain_and_key();
            builder.with_client_auth_cert(chain, key).unwrap()
        }
    };
    let conn = ClientConnection::new(Arc::new(config), ServerName::try_from("localhost").unwrap())
        .unwrap();
    let tcp = std::net::TcpStream::connect(addr)?;
    tcp.set_read_timeout(Some(T))?;
    let mut stream = StreamOwned::new(conn, tcp);
    write!(
        stream,
        "POST /k8s-audit HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(body)?;
    stream.flush()?;
    let mut status = String::new();
    BufReader::new(stream).read_line(&mut status)?;
    if status.is_empty() {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(status.trim_end().to_string())
}

#[test]
fn webhook_over_tls_delivers_event_lists_and_refuses_plain_http() {
    let dir = Dir::new("webhook");
    let ca = Ca::new(&dir, "ca");
    let server = ca.server(&dir, "server", &["localhost"]);
    let receiver = Receiver_::start(Some(ServerTlsConfig {
        cert_file: server.cert.clone(),
        key_file: server.key.clone(),
        client_ca_file: None,
    }));

    // vigie's own client, trusting the test CA.
    let trusting = ca.trusted();
    let https = receiver.url("https", "localhost");
    assert_eq!(
        post_json_tls(&https, EVENT_LIST, T, &trusting).unwrap(),
        200
    );
    assert_eq!(receiver.audit_ids(), ["a1", "a2"]);

    // A client built here with rustls directly.
    let status = raw_https_post(receiver.addr, &ca.file, None, EVENT_LIST).unwrap();
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    assert_eq!(receiver.audit_ids(), ["a1", "a2"]);

    // Plain HTTP on the TLS port is refused, and nothing gets through.
    let plain = receiver.url("http", "127.0.0.1");
    assert_eq!(post_json(&plain, EVENT_LIST, T).unwrap(), 400);
    // A client that does not trust the server's CA gives up in the handshake.
    let other = Ca::new(&dir, "other-ca");
    let distrusting = other.trusted();
    assert!(post_json_tls(&https, EVENT_LIST, T, &distrusting).is_err());
    // Nor does a name the certificate does not hold pass.
    let by_ip = receiver.url("https", "127.0.0.1");
    assert!(post_json_tls(&by_ip, EVENT_LIST, T, &trusting).is_err());

    let (metrics, _) = receiver.stop();
    assert_eq!(metrics.events_in.load(Ordering::Relaxed), 4);
}

#[test]
fn mutual_tls_refuses_clients_without_a_certificate_from_the_client_ca() {
    let dir = Dir::new("mtls");
    let server_ca = Ca::new(&dir, "server-ca");
    let client_ca = Ca::new(&dir, "client-ca");
    let other_ca = Ca::new(&dir, "other-ca");
    let server = server_ca.server(&dir, "server", &["localhost"]);
    let apiserver = client_ca.client(&dir, "kube-apiserver");
    let stranger = other_ca.client(&dir, "stranger");
    let receiver = Receiver_::start(Some(ServerTlsConfig {
        cert_file: server.cert.clone(),
        key_file: server.key.clone(),
        client_ca_file: Some(client_ca.file.clone()),
    }));

    let status =
        raw_https_post(receiver.addr, &server_ca.file, Some(&apiserver), EVENT_LIST).unwrap();
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    assert_eq!(receiver.audit_ids(), ["a1", "a2"]);

    // No certificate, or one from another CA: refused, nothing delivered.
    let none = raw_https_post(receiver.addr, &server_ca.file, None, EVENT_LIST);
    assert!(none.is_err(), "{none:?}");
    let wrong = raw_https_post(receiver.addr, &server_ca.file, Some(&stranger), EVENT_LIST);
    assert!(wrong.is_err(), "{wrong:?}");

    // vigie's own client presents a client certificate too.
    let tls = ClientTlsConfig {
        cert_file: Some(apiserver.cert.clone()),
        key_file: Some(apiserver.key.clone()),
        ..server_ca.trusted()
    };
    let url = receiver.url("https", "localhost");
    assert_eq!(post_json_tls(&url, EVENT_LIST, T, &tls).unwrap(), 200);
    assert_eq!(receiver.audit_ids(), ["a1", "a2"]);

    let (metrics, server_metrics) = receiver.stop();
    assert_eq!(metrics.events_in.load(Ordering::Relaxed), 4);
    assert_eq!(server_metrics.rejected(Rejection::TlsHandshake), 2);
}

#[test]
fn receiver_refuses_to_start_with_bad_tls_files() {
    let dir = Dir::new("bad");
    let ca = Ca::new(&dir, "ca");
    let server = ca.server(&dir, "server", &["localhost"]);
    let other = ca.server(&dir, "other", &["localhost"]);
    let bind = |cert: &Path, key: &Path, client_ca: Option<&Path>| {
        HttpSource::bind(HttpSourceConfig {
            listen: "127.0.0.1:0".into(),
            tls: Some(ServerTlsConfig {
                cert_file: cert.into(),
                key_file: key.into(),
                client_ca_file: client_ca.map(Into::into),
            }),
            ..Default::default()
        })
        .err()
        .map(|e| e.to_string())
    };
    let missing = dir.0.join("missing.crt");
    let err = bind(&missing, &server.key, None).expect("missing certificate");
    assert!(err.contains("missing.crt"), "{err}");
    let err = bind(&server.key, &server.key, None).expect("a key is no certificate");
    assert!(err.contains("no PEM certificate"), "{err}");
    let err = bind(&server.cert, &other.key, None).expect("key of another certificate");
    assert!(err.contains("does not match"), "{err}");
    let err = bind(&server.cert, &server.key, Some(&server.key)).expect("bad client CA");
    assert!(err.contains("server.key"), "{err}");
    assert!(bind(&server.cert, &server.key, Some(&ca.file)).is_none());
}

/// A TLS server taking one request per connection, for `connections` connections;
/// returns the bodies received (a failed handshake or read leaves no body).
fn alert_server(config: ServerConfig, connections: usize) -> (SocketAddr, JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let config = Arc::new(config);
    let handle = std::thread::spawn(move || {
        let mut bodies = Vec::new();
        for _ in 0..connections {
            let (tcp, _) = listener.accept().unwrap();
            tcp.set_read_timeout(Some(T)).unwrap();
            let conn = rustls::ServerConnection::new(config.clone()).unwrap();
            let mut stream = StreamOwned::new(conn, tcp);
            if let Ok(body) = read_request(&mut stream) {
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
                let _ = stream.flush();
                stream.conn.send_close_notify();
                let _ = stream.flush();
                bodies.push(body);
            }
        }
        bodies
    });
    (addr, handle)
}

fn read_request(stream: &mut impl Read) -> io::Result<String> {
    let mut reader = BufReader::new(stream);
    let mut len = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        if line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    Ok(String::from_utf8(body).unwrap())
}

fn server_config(server: &Issued, client_ca: Option<&Path>) -> ServerConfig {
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => builder.with_client_cert_verifier(
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots(ca)), provider())
                .build()
                .unwrap(),
        ),
    };
    let (chain, key) = server.chain_and_key();
    builder.with_single_cert(chain, key).unwrap()
}

fn alert() -> Alert {
    Alert {
        time_ns: 0,
        rule: "Vigie Test Rule".into(),
        priority: Priority::Warning,
        source: "k8s_audit".into(),
        tags: vec!["t".into()],
        hostname: "h".into(),
        output: "o".into(),
        output_fields: vec![],
    }
}

/// Sends one alert through an HTTP sink with no retries.
fn deliver(url: &str, tls: ClientTlsConfig) -> io::Result<()> {
    let mut config = HttpSinkConfig::new(url);
    config.retries = 0;
    config.timeout = T;
    config.tls = tls;
    HttpSink::new(config)?.send(&alert())
}

#[test]
fn sink_delivers_to_a_trusted_server_and_refuses_an_untrusted_one() {
    let dir = Dir::new("sink");
    let ca = Ca::new(&dir, "ca");
    let other = Ca::new(&dir, "other-ca");
    let server = ca.server(&dir, "sidekick", &["localhost"]);
    // Connections: trusted, other CA, system roots (refused, or not even tried when
    // the system has no CA: then one more insecure delivery), wrong name, insecure.
    let (addr, handle) = alert_server(server_config(&server, None), 5);
    let url = format!("https://localhost:{}/", addr.port());
    let trusting = ca.trusted();
    deliver(&url, trusting.clone()).unwrap();
    let distrusting = other.trusted();
    assert!(deliver(&url, distrusting.clone()).is_err());
    // The system's CAs do not know the test CA.
    let system = deliver(&url, ClientTlsConfig::default());
    assert!(system.is_err());
    let wrong_name = format!("https://127.0.0.1:{}/", addr.port());
    assert!(deliver(&wrong_name, trusting).is_err());
    let insecure = ClientTlsConfig {
        insecure_skip_verify: true,
        ..distrusting
    };
    let no_system_ca = system
        .as_ref()
        .is_err_and(|e| e.kind() == io::ErrorKind::NotFound);
    if no_system_ca {
        // No system CA certificates: the sink failed before connecting. Make up the
        // connection the server waits for.
        deliver(&url, insecure.clone()).unwrap();
    }
    deliver(&url, insecure).unwrap();
    let bodies = handle.join().unwrap();
    assert_eq!(bodies.len(), if no_system_ca { 3 } else { 2 }, "{bodies:?}");
    for body in &bodies {
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["rule"], "Vigie Test Rule");
        assert_eq!(v["priority"], "Warning");
    }
}

#[test]
fn sink_presents_a_client_certificate_for_mutual_tls() {
    let dir = Dir::new("sink-mtls");
    let ca = Ca::new(&dir, "ca");
    let client_ca = Ca::new(&dir, "client-ca");
    let server = ca.server(&dir, "sidekick", &["localhost"]);
    let client = client_ca.client(&dir, "vigie");
    let (addr, handle) = alert_server(server_config(&server, Some(&client_ca.file)), 2);
    let url = format!("https://localhost:{}/", addr.port());
    let without = ca.trusted();
    assert!(deliver(&url, without.clone()).is_err());
    let with = ClientTlsConfig {
        cert_file: Some(client.cert),
        key_file: Some(client.key),
        ..without
    };
    deliver(&url, with).unwrap();
    assert_eq!(handle.join().unwrap().len(), 1);
}
