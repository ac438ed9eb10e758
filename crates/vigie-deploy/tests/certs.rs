//! The certificates `vigie admission certs` makes serve real TLS: a client that
//! trusts only `ca.crt` reaches a vigie-server using `tls.crt` and `tls.key`, by
//! each of the Service's names and by the extra IP.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use vigie_deploy::certs::CertsRequest;
use vigie_deploy::CertsError;
use vigie_server::{
    Method, Request, Response, Routes, Server, ServerConfig, ServerTlsConfig, Shutdown, StatusCode,
};

fn request() -> CertsRequest {
    CertsRequest {
        service: "vigie-admission".into(),
        namespace: "guard".into(),
        extra_dns: vec!["vigie.example.test".into()],
        ips: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
        days: 30,
    }
}

/// GETs `/hello` over TLS, checking the server's certificate for `name`.
fn get_hello(
    addr: std::net::SocketAddr,
    ca: &std::path::Path,
    name: &str,
) -> Result<String, String> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(vigie_server::tls::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let server_name = ServerName::try_from(name.to_string()).unwrap();
    let conn = rustls::ClientConnection::new(Arc::new(config), server_name).unwrap();
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut stream = rustls::StreamOwned::new(conn, tcp);
    stream
        .write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut reply = String::new();
    match stream.read_to_string(&mut reply) {
        Ok(_) => Ok(reply),
        // The server closes without close_notify at times; what was read counts.
        Err(e) if !reply.is_empty() => Ok(format!("{reply}{e}")),
        Err(e) => Err(e.to_string()),
    }
}

#[test]
fn a_client_trusting_the_ca_reaches_a_server_using_the_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let written = request()
        .generate()
        .unwrap()
        .write(dir.path(), false)
        .unwrap();
    assert_eq!(written.len(), 3);
    let mode = std::fs::metadata(dir.path().join("tls.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    let server = Server::bind(ServerConfig {
        listen: "127.0.0.1:0".into(),
        tls: Some(ServerTlsConfig {
            cert_file: dir.path().join("tls.crt"),
            key_file: dir.path().join("tls.key"),
            client_ca_file: None,
        }),
        limits: Default::default(),
    })
    .unwrap();
    let addr = server.local_addr();
    let shutdown = Shutdown::new();
    let stop = shutdown.clone();
    let routes = Routes::new().route(Method::GET, "/hello", |_: Request| {
        Response::text(StatusCode::OK, "hello")
    });
    let thread = std::thread::spawn(move || server.serve(routes, stop).unwrap());

    let ca = dir.path().join("ca.crt");
    for name in [
        "vigie-admission",
        "vigie-admission.guard",
        "vigie-admission.guard.svc",
        "vigie-admission.guard.svc.cluster.local",
        "vigie.example.test",
        "127.0.0.1",
    ] {
        let reply = get_hello(addr, &ca, name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(reply.starts_with("HTTP/1.1 200"), "{name}: {reply}");
        assert!(reply.contains("hello"), "{name}: {reply}");
    }
    // A name the certificate does not hold is refused by the client.
    let error = get_hello(addr, &ca, "other.guard.svc").unwrap_err();
    assert!(error.contains("certificate"), "{error}");
    shutdown.trigger();
    thread.join().unwrap();
}

#[test]
fn existing_files_are_kept_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tls.crt"), "mine").unwrap();
    let bundle = request().generate().unwrap();
    match bundle.write(dir.path(), false) {
        Err(CertsError::Exists(path)) => assert_eq!(path, dir.path().join("tls.crt")),
        other => panic!("{other:?}"),
    }
    // Nothing was written, not even the files that did not exist.
    assert!(!dir.path().join("ca.crt").exists());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("tls.crt")).unwrap(),
        "mine"
    );
    // A key readable by others before is replaced by one that is not.
    std::fs::write(dir.path().join("tls.key"), "old").unwrap();
    std::fs::set_permissions(dir.path().join("tls.key"), PermissionsExt::from_mode(0o644)).unwrap();
    bundle.write(dir.path(), true).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("tls.crt")).unwrap(),
        bundle.cert_pem
    );
    let mode = std::fs::metadata(dir.path().join("tls.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn invalid_names_and_validity_are_refused_before_anything_is_made() {
    let mut bad = request();
    bad.namespace = "Guard_ns".into();
    let e = bad.generate().unwrap_err();
    assert!(
        e.to_string().starts_with("invalid namespace `Guard_ns`"),
        "{e}"
    );
    let mut bad = request();
    bad.extra_dns = vec!["bad..name".into()];
    let e = bad.generate().unwrap_err();
    assert!(
        e.to_string().starts_with("invalid DNS name `bad..name`"),
        "{e}"
    );
    let mut long = request();
    long.days = 4000;
    let e = long.generate().unwrap_err();
    assert!(e.to_string().contains("between 1 and 3650"), "{e}");
}
