//! The built-in endpoints, keep-alive, graceful shutdown and TLS, over real loopback
//! connections.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use common::{exchange, post, read_reply, wait_until, Running, T};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use vigie_server::{Limits, Method, Request, Response, Routes, ServerTlsConfig, StatusCode};

#[test]
fn health_readiness_and_metrics_are_built_in() {
    let routes = Routes::new()
        .route(Method::POST, "/in", |_: Request| {
            Response::text(StatusCode::OK, "ok")
        })
        .metrics(|out: &mut String| out.push_str("app_things_total 7\n"));
    let server = Running::start(Limits::default(), routes);
    let get = |path: &str| {
        exchange(
            server.addr,
            format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes(),
        )
    };
    assert_eq!(get("/healthz").body, "ok");
    assert_eq!(get("/readyz").body, "ready");
    assert_eq!(exchange(server.addr, &post("/in", "x")).code, 200);
    let metrics = get("/metrics");
    assert_eq!(metrics.code, 200);
    for line in [
        "vigie_http_connections_accepted_total 4\n",
        "vigie_http_requests_total{code=\"200\"} 3\n",
        "vigie_http_requests_in_flight 1\n",
        // The three requests answered before this one.
        "vigie_http_request_duration_seconds_count 3\n",
        "vigie_http_connections_rejected_total{reason=\"max_connections_per_peer\"} 0\n",
        "vigie_http_timeouts_total{deadline=\"header\"} 0\n",
        "app_things_total 7\n",
    ] {
        assert!(metrics.body.contains(line), "{line}: {}", metrics.body);
    }
    server.stop();
}

#[test]
fn a_request_is_timed_from_its_head_to_its_response() {
    let routes = Routes::new().route(Method::POST, "/slow", |_: Request| {
        std::thread::sleep(std::time::Duration::from_millis(30));
        Response::text(StatusCode::OK, "late")
    });
    let server = Running::start(Limits::default(), routes);
    assert_eq!(exchange(server.addr, &post("/slow", "x")).code, 200);
    let metrics = exchange(server.addr, b"GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n").body;
    let sample = |name: &str| -> u64 {
        let line = metrics
            .lines()
            .find(|line| line.starts_with(name) && line[name.len()..].starts_with(' '))
            .unwrap_or_else(|| panic!("no {name} in {metrics}"));
        line[name.len() + 1..].parse().unwrap()
    };
    // At least 30 ms: never in a bucket below that, always in +Inf.
    assert_eq!(
        sample("vigie_http_request_duration_seconds_bucket{le=\"0.025\"}"),
        0
    );
    assert_eq!(
        sample("vigie_http_request_duration_seconds_bucket{le=\"+Inf\"}"),
        1
    );
    assert_eq!(sample("vigie_http_request_duration_seconds_count"), 1);
    server.stop();
}

#[test]
fn large_responses_are_written_whole() {
    // Far larger than the header buffer, which also bounds hyper's write buffer.
    let routes = Routes::new().route(Method::GET, "/big", |_: Request| {
        Response::text(StatusCode::OK, "x".repeat(300_000))
    });
    let server = Running::start(Limits::default(), routes);
    let reply = exchange(server.addr, b"GET /big HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!((reply.code, reply.body.len()), (200, 300_000));
    server.stop();
}

#[test]
fn keep_alive_and_expect_continue_work_on_one_connection() {
    let routes = Routes::new().route(Method::POST, "/in", |r: Request| {
        Response::text(
            StatusCode::OK,
            String::from_utf8_lossy(&r.body).into_owned(),
        )
    });
    let server = Running::start(Limits::default(), routes);
    let mut tcp = server.connect();
    let mut reader = BufReader::new(tcp.try_clone().unwrap());
    for body in ["one", "two"] {
        tcp.write_all(&post("/in", body)).unwrap();
        assert_eq!(read_reply(&mut reader).unwrap().body, body);
    }
    tcp.write_all(b"POST /in HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        .unwrap();
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert_eq!(line, "HTTP/1.1 100 Continue\r\n");
    reader.read_line(&mut line).unwrap();
    tcp.write_all(b"three").unwrap();
    assert_eq!(read_reply(&mut reader).unwrap().body, "three");
    let metrics = server.stop();
    assert_eq!(metrics.accepted(), 1);
}

#[test]
fn graceful_shutdown_finishes_the_request_in_progress() {
    let (entered_tx, entered) = mpsc::channel::<()>();
    let (release, wait) = mpsc::channel::<()>();
    let entered_tx = Mutex::new(entered_tx);
    let wait = Mutex::new(wait);
    let routes = Routes::new().route(Method::POST, "/slow", move |_: Request| {
        entered_tx.lock().unwrap().send(()).unwrap();
        wait.lock().unwrap().recv_timeout(T).unwrap();
        Response::text(StatusCode::OK, "finished")
    });
    let server = Running::start(Limits::default(), routes);
    let mut tcp = server.connect();
    tcp.write_all(&post("/slow", "x")).unwrap();
    entered.recv_timeout(T).unwrap();
    // Shutdown while the handler runs: no new connections, the request finishes.
    server.shutdown.trigger();
    wait_until("the listener still accepts after shutdown", || {
        let attempt = std::net::TcpStream::connect(server.addr).and_then(|mut c| {
            c.set_read_timeout(Some(T))?;
            c.write_all(b"GET /healthz HTTP/1.1\r\n\r\n")?;
            read_reply(&mut BufReader::new(c))
        });
        attempt.is_err()
    });
    release.send(()).unwrap();
    let reply = read_reply(&mut BufReader::new(tcp)).unwrap();
    assert_eq!((reply.code, reply.body.as_str()), (200, "finished"));
    server.thread.join().unwrap();
}

/// A CA-signed certificate for `localhost`, as PEM files, and the CA's PEM.
fn certificate(dir: &PathBuf) -> (ServerTlsConfig, PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    std::fs::create_dir_all(dir).unwrap();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    let write = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    (
        ServerTlsConfig {
            cert_file: write("tls.crt", cert.pem()),
            key_file: write("tls.key", key.serialize_pem()),
            client_ca_file: None,
        },
        write("ca.crt", ca.pem()),
    )
}

#[test]
fn tls_serves_https_and_refuses_plain_http_with_400() {
    let dir = std::env::temp_dir().join(format!("vigie-server-tls-{}", std::process::id()));
    let (tls, ca) = certificate(&dir);
    let called = Arc::new(AtomicBool::new(false));
    let seen = called.clone();
    let routes = Routes::new().route(Method::POST, "/in", move |_: Request| {
        seen.store(true, Ordering::SeqCst);
        Response::text(StatusCode::OK, "ok")
    });
    let server = Running::start_with(Limits::default(), Some(tls), routes);

    let reply = exchange(server.addr, &post("/in", "plain"));
    assert_eq!(reply.code, 400);
    assert!(reply.body.contains("speaks HTTPS"), "{}", reply.body);
    assert!(!called.load(Ordering::SeqCst));

    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(&ca).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let mut stream = server.connect_tls(roots);
    stream.write_all(&post("/in", "secret")).unwrap();
    let reply = read_reply(&mut BufReader::new(stream)).unwrap();
    assert_eq!((reply.code, reply.body.as_str()), (200, "ok"));
    assert!(called.load(Ordering::SeqCst));
    let metrics = server.stop();
    assert_eq!(metrics.rejected(vigie_server::Rejection::PlainHttpOnTls), 1);
    let _ = std::fs::remove_dir_all(&dir);
}
