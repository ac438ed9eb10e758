//! TLS files that change while the server runs, over real TLS on loopback. The
//! files are swapped the way the kubelet updates a mounted Secret: the names are
//! symlinks into `..data`, itself a symlink replaced in one rename.

mod common;

use std::io::{BufReader, Write};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::{post, read_reply, Running, T};
use rcgen::{BasicConstraints, Certificate, CertificateParams, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, ServerName};
use vigie_server::{
    Limits, Method, Request, Response, Routes, ServerMetrics, ServerTlsConfig, StatusCode,
};

struct Ca {
    cert: Certificate,
    key: KeyPair,
}

fn ca() -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    Ca {
        cert: params.self_signed(&key).unwrap(),
        key,
    }
}

/// A certificate for `localhost` valid until the start of `year`: (cert PEM, key PEM, DER).
fn leaf(ca: &Ca, year: i32) -> (String, String, Vec<u8>) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.not_after = rcgen::date_time_ymd(year, 1, 1);
    let cert = params.signed_by(&key, &ca.cert, &ca.key).unwrap();
    (cert.pem(), key.serialize_pem(), cert.der().to_vec())
}

/// A directory laid out as a Secret volume: `tls.crt` and `tls.key` are symlinks
/// to `..data/…`, and `..data` points at the current version's directory.
struct SecretVolume {
    dir: PathBuf,
    version: u32,
}

impl SecretVolume {
    fn new(dir: PathBuf, cert: &str, key: &str) -> Self {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut volume = SecretVolume { dir, version: 0 };
        volume.publish(cert, key);
        for name in ["tls.crt", "tls.key"] {
            symlink(Path::new("..data").join(name), volume.dir.join(name)).unwrap();
        }
        volume
    }

    /// Writes a new version and switches `..data` to it in one rename.
    fn publish(&mut self, cert: &str, key: &str) {
        self.version += 1;
        let version = format!("..v{}", self.version);
        std::fs::create_dir(self.dir.join(&version)).unwrap();
        std::fs::write(self.dir.join(&version).join("tls.crt"), cert).unwrap();
        std::fs::write(self.dir.join(&version).join("tls.key"), key).unwrap();
        let next = self.dir.join("..data_tmp");
        symlink(&version, &next).unwrap();
        std::fs::rename(&next, self.dir.join("..data")).unwrap();
    }

    fn config(&self) -> ServerTlsConfig {
        ServerTlsConfig {
            cert_file: self.dir.join("tls.crt"),
            key_file: self.dir.join("tls.key"),
            client_ca_file: None,
        }
    }
}

/// The DER of the certificate a new connection is served.
fn served_certificate(server: &Running, ca: &Ca) -> Vec<u8> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.cert.der().clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(vigie_server::tls::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let conn =
        rustls::ClientConnection::new(Arc::new(config), ServerName::try_from("localhost").unwrap())
            .unwrap();
    let mut stream = rustls::StreamOwned::new(conn, server.connect());
    stream.write_all(&post("/in", "x")).unwrap();
    let certificate: CertificateDer = stream.conn.peer_certificates().unwrap()[0].clone();
    let reply = read_reply(&mut BufReader::new(stream)).unwrap();
    assert_eq!(reply.code, 200);
    certificate.to_vec()
}

/// Waits until `done` holds, polling the server's counters (bounded by [`T`]).
fn wait_for(metrics: &ServerMetrics, done: impl Fn(&ServerMetrics) -> bool) {
    let start = std::time::Instant::now();
    while !done(metrics) {
        assert!(
            start.elapsed() < T,
            "the server did not notice the new files"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn not_after(year: i32) -> i64 {
    rcgen::date_time_ymd(year, 1, 1).unix_timestamp()
}

#[test]
fn rotated_files_serve_new_connections_and_broken_ones_are_refused() {
    let ca = ca();
    let first = leaf(&ca, 2030);
    let dir = std::env::temp_dir().join(format!("vigie-tls-reload-{}", std::process::id()));
    let mut volume = SecretVolume::new(dir.clone(), &first.0, &first.1);
    let routes = Routes::new().route(Method::POST, "/in", |_: Request| {
        Response::text(StatusCode::OK, "ok")
    });
    let limits = Limits {
        tls_reload_interval: Duration::from_millis(20),
        ..Limits::default()
    };
    let server = Running::start_with(limits, Some(volume.config()), routes);
    let metrics = server.metrics.clone();
    assert_eq!(served_certificate(&server, &ca), first.2);
    assert_eq!(metrics.tls_certificate_not_after(), Some(not_after(2030)));

    // Rotation: the next connection gets the new certificate.
    let second = leaf(&ca, 2031);
    volume.publish(&second.0, &second.1);
    wait_for(&metrics, |m| m.tls_reloads() == 1);
    assert_eq!(served_certificate(&server, &ca), second.2);
    assert_eq!(metrics.tls_certificate_not_after(), Some(not_after(2031)));

    // Garbage in place of the certificate: refused, the previous one still serves.
    volume.publish("not a certificate\n", &second.1);
    wait_for(&metrics, |m| m.tls_reload_failures() == 1);
    assert_eq!(served_certificate(&server, &ca), second.2);

    // A certificate with another certificate's key: refused too.
    let third = leaf(&ca, 2032);
    volume.publish(&third.0, &first.1);
    wait_for(&metrics, |m| m.tls_reload_failures() == 2);
    assert_eq!(served_certificate(&server, &ca), second.2);
    assert_eq!(metrics.tls_certificate_not_after(), Some(not_after(2031)));

    // The fixed pair loads.
    volume.publish(&third.0, &third.1);
    wait_for(&metrics, |m| m.tls_reloads() == 2);
    assert_eq!(served_certificate(&server, &ca), third.2);

    let mut text = String::new();
    metrics.render(&mut text);
    assert!(
        text.contains("vigie_tls_reloads_total{result=\"loaded\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("vigie_tls_reloads_total{result=\"refused\"} 2"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "vigie_tls_certificate_not_after_seconds {}",
            not_after(2032)
        )),
        "{text}"
    );
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_plain_listener_has_no_tls_metrics() {
    let server = Running::start(Limits::default(), Routes::new());
    let metrics = server.stop();
    let mut text = String::new();
    metrics.render(&mut text);
    assert!(!text.contains("vigie_tls_"), "{text}");
}
