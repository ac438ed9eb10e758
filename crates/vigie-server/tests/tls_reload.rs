//! TLS files that change while the server runs, over real TLS on loopback. The
//! files are swapped the way the kubelet updates a mounted Secret: the names are
//! symlinks into `..data`, itself a symlink replaced in one rename.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufReader, Write};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{post, read_reply, wait_until, Running};
use rcgen::{BasicConstraints, Certificate, CertificateParams, IsCa, KeyPair};
use rustls::pki_types::CertificateDer;
use vigie_server::{Limits, Method, Request, Response, Routes, ServerTlsConfig, StatusCode};

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
    let mut stream = server.connect_tls(roots);
    stream.write_all(&post("/in", "x")).unwrap();
    let certificate: CertificateDer = stream.conn.peer_certificates().unwrap()[0].clone();
    let reply = read_reply(&mut BufReader::new(stream)).unwrap();
    assert_eq!(reply.code, 200);
    certificate.to_vec()
}

/// What a test says when the server's counters do not show the change of files.
const UNNOTICED: &str = "the server did not notice the new files";

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
    wait_until(UNNOTICED, || metrics.tls_reloads() == 1);
    assert_eq!(served_certificate(&server, &ca), second.2);
    assert_eq!(metrics.tls_certificate_not_after(), Some(not_after(2031)));

    // Garbage in place of the certificate: refused, the previous one still serves.
    volume.publish("not a certificate\n", &second.1);
    wait_until(UNNOTICED, || metrics.tls_reload_failures() == 1);
    assert_eq!(served_certificate(&server, &ca), second.2);

    // A certificate with another certificate's key: refused too.
    let third = leaf(&ca, 2032);
    volume.publish(&third.0, &first.1);
    wait_until(UNNOTICED, || metrics.tls_reload_failures() == 2);
    assert_eq!(served_certificate(&server, &ca), second.2);
    assert_eq!(metrics.tls_certificate_not_after(), Some(not_after(2031)));

    // The fixed pair loads.
    volume.publish(&third.0, &third.1);
    wait_until(UNNOTICED, || metrics.tls_reloads() == 2);
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

/// A client certificate signed by `ca`, as a rustls client configuration that
/// trusts `server_ca`.
fn client_with_certificate(ca: &Ca, server_ca: &Ca) -> rustls::ClientConfig {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["client".to_string()])
        .unwrap()
        .signed_by(&key, &ca.cert, &ca.key)
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(server_ca.cert.der().clone()).unwrap();
    rustls::ClientConfig::builder_with_provider(vigie_server::tls::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_client_auth_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
        )
        .unwrap()
}

/// Whether a request with this client configuration is answered.
fn answered(server: &Running, config: rustls::ClientConfig) -> bool {
    let mut stream = server.connect_tls_with(config);
    if stream.write_all(&post("/in", "x")).is_err() {
        return false;
    }
    matches!(read_reply(&mut BufReader::new(stream)), Ok(reply) if reply.code == 200)
}

#[test]
fn a_rotated_client_ca_decides_which_clients_get_in() {
    let server_ca = ca();
    let (old_ca, new_ca) = (ca(), ca());
    let serving = leaf(&server_ca, 2030);
    let dir = std::env::temp_dir().join(format!("vigie-tls-client-ca-{}", std::process::id()));
    let volume = SecretVolume::new(dir.clone(), &serving.0, &serving.1);
    let client_ca = dir.join("client-ca.crt");
    std::fs::write(&client_ca, old_ca.cert.pem()).unwrap();
    let mut tls = volume.config();
    tls.client_ca_file = Some(client_ca.clone());
    let routes = Routes::new().route(Method::POST, "/in", |_: Request| {
        Response::text(StatusCode::OK, "ok")
    });
    let limits = Limits {
        tls_reload_interval: Duration::from_millis(20),
        ..Limits::default()
    };
    let server = Running::start_with(limits, Some(tls), routes);
    let admitted =
        |client_ca: &Ca| answered(&server, client_with_certificate(client_ca, &server_ca));
    assert!(admitted(&old_ca));
    assert!(!admitted(&new_ca));

    let next = dir.join("client-ca.crt.next");
    std::fs::write(&next, new_ca.cert.pem()).unwrap();
    std::fs::rename(&next, &client_ca).unwrap();
    wait_until(UNNOTICED, || server.metrics.tls_reloads() == 1);
    assert!(admitted(&new_ca));
    assert!(!admitted(&old_ca));
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
