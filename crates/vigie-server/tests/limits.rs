//! The server under abuse, over real loopback connections: slow clients are cut by
//! total deadlines, one peer cannot take every connection, bodies over the limit get
//! 413 whatever their framing, and overload is answered 503 with `Retry-After`.
//! Deadlines are short here; outcomes are counted, never timed.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use common::{closed_by_server, exchange, post, read_reply, wait_until, Running, T};
use vigie_server::{
    Deadline, Handler, Limits, Method, Refusal, Rejection, Request, Response, Routes, StatusCode,
};

/// Echoes the body's length; counts what the server refused.
#[derive(Default)]
struct Echo {
    refusals: Mutex<Vec<Refusal>>,
}

/// The handler the server holds, sharing its [`Echo`] with the test.
struct EchoHandler(Arc<Echo>);

impl Handler for EchoHandler {
    fn handle(&self, request: Request) -> Response {
        Response::text(StatusCode::OK, format!("{} bytes", request.body.len()))
    }

    fn refused(&self, refusal: Refusal) {
        self.0.refusals.lock().unwrap().push(refusal);
    }
}

/// A server under `limits` whose `POST /in` keeps what it is sent.
fn echo_server(limits: Limits) -> (Running, Arc<Echo>) {
    let echo = Arc::new(Echo::default());
    let routes = Routes::new().route(Method::POST, "/in", EchoHandler(echo.clone()));
    (Running::start(limits, routes), echo)
}

#[test]
fn a_client_trickling_its_headers_is_cut_at_the_header_deadline() {
    let (server, _) = echo_server(Limits {
        header_timeout: Duration::from_millis(300),
        ..Limits::default()
    });
    let mut tcp = server.connect();
    // One byte every 20 ms: the whole head would take 8 s, each byte well within
    // any per-byte timeout.
    let head = format!("POST /in HTTP/1.1\r\nX-Slow: {}\r\n\r\n", "a".repeat(400));
    let mut sent = 0;
    for byte in head.as_bytes() {
        if tcp.write_all(&[*byte]).is_err() || closed_by_server(&mut tcp) {
            break;
        }
        sent += 1;
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(sent < head.len(), "the whole head was accepted");
    // Another client is served meanwhile and after.
    assert_eq!(exchange(server.addr, &post("/in", "abc")).code, 200);
    let metrics = server.stop();
    assert_eq!(metrics.timeouts(Deadline::Header), 1);
}

#[test]
fn an_idle_connection_is_closed_at_the_idle_deadline() {
    let (server, _) = echo_server(Limits {
        idle_timeout: Duration::from_millis(200),
        ..Limits::default()
    });
    let mut tcp = server.connect();
    // A keep-alive request, then nothing: the server closes the connection.
    tcp.write_all(&post("/in", "x")).unwrap();
    let mut reader = BufReader::new(tcp.try_clone().unwrap());
    assert_eq!(read_reply(&mut reader).unwrap().code, 200);
    wait_until("the idle connection stays open", || {
        closed_by_server(&mut tcp)
    });
    let metrics = server.stop();
    assert_eq!(metrics.timeouts(Deadline::Idle), 1);
}

/// Connects from another loopback address, as another peer would.
fn connect_from(source: &str, addr: std::net::SocketAddr) -> TcpStream {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
        let stream = socket.connect(addr).await.unwrap();
        stream.into_std().unwrap()
    })
}

#[test]
fn one_peer_holding_hundreds_of_idle_connections_does_not_lock_out_another() {
    let (server, _) = echo_server(Limits {
        max_connections_per_peer: 16,
        ..Limits::default()
    });
    // 300 idle connections from 127.0.0.2.
    let idle: Vec<TcpStream> = (0..300)
        .map(|_| connect_from("127.0.0.2", server.addr))
        .collect();
    // The accept loop has seen all 300 once 284 were refused.
    let refused = || server.metrics.rejected(Rejection::MaxConnectionsPerPeer);
    wait_until("fewer than 284 connections refused", || refused() >= 284);
    assert_eq!(refused(), 284);
    // 127.0.0.1 is served, on several connections.
    for _ in 0..20 {
        let reply = exchange(server.addr, &post("/in", "hello"));
        assert_eq!((reply.code, reply.body.as_str()), (200, "5 bytes"));
    }
    drop(idle);
    let metrics = server.stop();
    assert_eq!(metrics.responses(200), 20);
}

#[test]
fn bodies_over_the_limit_get_413_whatever_their_framing() {
    let (server, echo) = echo_server(Limits {
        max_body_bytes: 100,
        ..Limits::default()
    });
    let mut tcp = server.connect();
    let mut reader = BufReader::new(tcp.try_clone().unwrap());
    // Content-Length over the limit: read and dropped, and the connection lives on.
    tcp.write_all(&post("/in", &"a".repeat(150))).unwrap();
    let reply = read_reply(&mut reader).unwrap();
    assert_eq!(reply.code, 413);
    assert!(
        reply.body.contains("the limit is 100 bytes"),
        "{}",
        reply.body
    );
    // Chunked, each chunk small, over the limit in all.
    let chunk = "b".repeat(40);
    let mut chunked = String::from("POST /in HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
    for _ in 0..4 {
        chunked.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
    }
    chunked.push_str("0\r\n\r\n");
    tcp.write_all(chunked.as_bytes()).unwrap();
    assert_eq!(read_reply(&mut reader).unwrap().code, 413);
    // Chunked within the limit.
    let small = "POST /in HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3;x=y\r\nabc\r\n0\r\nTrailer: t\r\n\r\n";
    tcp.write_all(small.as_bytes()).unwrap();
    let reply = read_reply(&mut reader).unwrap();
    assert_eq!((reply.code, reply.body.as_str()), (200, "8 bytes"));
    // A declared length far over the limit is refused without reading it.
    tcp.write_all(b"POST /in HTTP/1.1\r\nContent-Length: 999999999999\r\n\r\n")
        .unwrap();
    let reply = read_reply(&mut reader).unwrap();
    assert_eq!(reply.code, 413);
    assert_eq!(reply.header("connection"), Some("close"));
    server.stop();
    assert_eq!(
        *echo.refusals.lock().unwrap(),
        [Refusal::TooLarge, Refusal::TooLarge, Refusal::TooLarge]
    );
}

#[test]
fn methods_paths_lengths_and_framing_are_checked() {
    let (server, echo) = echo_server(Limits::default());
    for method in ["GET", "PUT"] {
        let reply = exchange(
            server.addr,
            format!("{method} /in HTTP/1.1\r\nContent-Length: 0\r\n\r\n").as_bytes(),
        );
        assert_eq!(reply.code, 405, "{method}");
        assert_eq!(reply.header("allow"), Some("POST"));
    }
    assert_eq!(exchange(server.addr, &post("/elsewhere", "x")).code, 404);
    let reply = exchange(
        server.addr,
        b"POST /healthz HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(
        (reply.code, reply.header("allow")),
        (405, Some("GET, HEAD"))
    );
    assert_eq!(
        exchange(server.addr, b"POST /in HTTP/1.1\r\n\r\n").code,
        411
    );
    // Broken heads and framings: hyper's answers.
    for (raw, code) in [
        (
            "POST /in HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".to_string(),
            400,
        ),
        (
            "POST /in HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd".into(),
            400,
        ),
        ("GARBAGE\r\n\r\n".into(), 400),
        (
            format!("GET /healthz HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(20_000)),
            431,
        ),
    ] {
        assert_eq!(
            exchange(server.addr, raw.as_bytes()).code,
            code,
            "{}",
            &raw[..30]
        );
    }
    let metrics = server.stop();
    assert_eq!(metrics.responses(405), 3);
    assert_eq!(
        *echo.refusals.lock().unwrap(),
        [Refusal::LengthRequired, Refusal::BadBody]
    );
}

/// Routes with `/in`, which answers the length of the body, and `/block`,
/// which counts its callers (`entered`) and holds each until `release` sends
/// (or for T at the most).
fn blocking_routes() -> (Routes, Arc<AtomicUsize>, mpsc::Sender<()>) {
    let (release, wait) = mpsc::channel::<()>();
    let wait = Mutex::new(wait);
    let entered = Arc::new(AtomicUsize::new(0));
    let counter = entered.clone();
    let routes = Routes::new()
        .route(Method::POST, "/in", |r: Request| {
            Response::text(StatusCode::OK, format!("{}", r.body.len()))
        })
        .route(Method::POST, "/block", move |_: Request| {
            counter.fetch_add(1, Ordering::SeqCst);
            let _ = wait.lock().unwrap().recv_timeout(T);
            Response::text(StatusCode::OK, "done")
        });
    (routes, entered, release)
}

#[test]
fn slow_bodies_slow_handlers_and_a_full_pool_are_refused() {
    let (routes, entered, release) = blocking_routes();
    let server = Running::start(
        Limits {
            body_timeout: Duration::from_millis(200),
            handler_timeout: Duration::from_millis(200),
            max_concurrent_handlers: 1,
            max_queued_handlers: 0,
            ..Limits::default()
        },
        routes,
    );
    // A body that stops halfway: 408, and the connection is closed.
    let mut tcp = server.connect();
    tcp.write_all(b"POST /in HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")
        .unwrap();
    let reply = read_reply(&mut BufReader::new(tcp)).unwrap();
    assert_eq!(
        (reply.code, reply.header("connection")),
        (408, Some("close"))
    );
    // A handler that does not answer in time: 503 with Retry-After. It keeps its
    // place in the pool until it returns, so the next request finds the pool full.
    let reply = exchange(server.addr, &post("/block", ""));
    assert_eq!((reply.code, reply.header("retry-after")), (503, Some("1")));
    let reply = exchange(server.addr, &post("/in", "abc"));
    assert_eq!((reply.code, reply.header("retry-after")), (503, Some("1")));
    assert!(reply.body.contains("busy"), "{}", reply.body);
    release.send(()).unwrap();
    wait_until("no request served after the release", || {
        exchange(server.addr, &post("/in", "abc")).code == 200
    });
    let metrics = server.stop();
    assert_eq!(metrics.timeouts(Deadline::Body), 1);
    assert_eq!(metrics.timeouts(Deadline::Handler), 1);
    assert_eq!(entered.load(Ordering::SeqCst), 1);
}

#[test]
fn a_full_pool_queues_requests_up_to_the_queue_limit() {
    let (routes, entered, release) = blocking_routes();
    let server = Running::start(
        Limits {
            handler_timeout: T,
            max_concurrent_handlers: 1,
            max_queued_handlers: 1,
            ..Limits::default()
        },
        routes,
    );
    let addr = server.addr;
    let blocker = std::thread::spawn(move || exchange(addr, &post("/block", "")).code);
    while entered.load(Ordering::SeqCst) == 0 {
        std::thread::sleep(Duration::from_millis(5));
    }
    // The pool is taken: of two more requests, one waits in the queue and the
    // other finds the queue full (which one depends on who arrives first).
    let waiting: Vec<_> = (0..2)
        .map(|_| std::thread::spawn(move || exchange(addr, &post("/in", "abc"))))
        .collect();
    while server.metrics.responses(503) == 0 {
        std::thread::sleep(Duration::from_millis(5));
    }
    release.send(()).unwrap();
    assert_eq!(blocker.join().unwrap(), 200);
    let mut replies: Vec<_> = waiting.into_iter().map(|t| t.join().unwrap()).collect();
    replies.sort_by_key(|r| r.code);
    assert_eq!((replies[0].code, replies[0].body.as_str()), (200, "3"));
    assert_eq!(
        (replies[1].code, replies[1].header("retry-after")),
        (503, Some("1"))
    );
    assert!(replies[1].body.contains("busy"), "{}", replies[1].body);
    let metrics = server.stop();
    assert_eq!(metrics.timeouts(Deadline::Handler), 0);
}

#[test]
fn the_body_memory_budget_refuses_what_does_not_fit() {
    let (server, echo) = echo_server(Limits {
        max_body_bytes: 8 << 10,
        max_body_memory_bytes: 8 << 10,
        ..Limits::default()
    });
    // One request holds the whole budget while its body is incomplete...
    let mut holder = server.connect();
    holder
        .write_all(b"POST /in HTTP/1.1\r\nContent-Length: 8192\r\n\r\nabc")
        .unwrap();
    // The server reserves the declared length as soon as it reads the head,
    // before its first wait: once the request is in flight the budget is
    // held. A probe sent earlier could take a part of the budget at the
    // moment the holder asks for it, and the holder, not the probe, would be
    // refused.
    wait_until("the holding request never reached the server", || {
        server.metrics.in_flight() == 1
    });
    // ...so another one waits for nothing: 503, Retry-After.
    wait_until("no request refused while the budget is held", || {
        let reply = exchange(server.addr, &post("/in", "abc"));
        reply.code == 503 && reply.header("retry-after") == Some("1")
    });
    holder.write_all(&vec![b'x'; 8189]).unwrap();
    let reply = read_reply(&mut BufReader::new(holder)).unwrap();
    assert_eq!((reply.code, reply.body.as_str()), (200, "8192 bytes"));
    assert_eq!(exchange(server.addr, &post("/in", "abc")).code, 200);
    server.stop();
    assert!(echo.refusals.lock().unwrap().contains(&Refusal::Overloaded));
}
