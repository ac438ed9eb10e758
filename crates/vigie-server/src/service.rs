//! Answering one request: routing, the built-in endpoints, reading the body within
//! its limits, and running the handler on the worker pool within its deadline.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{HeaderValue, ALLOW, CONNECTION, CONTENT_TYPE, RETRY_AFTER, TRANSFER_ENCODING};
use http::{Method, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use tokio::time::Instant;

use crate::body::MAX_DRAIN_BYTES;
use crate::body::{content_length, drain, read_limited, BodyError, Drained, MemoryReservation};
use crate::conn::Activity;
use crate::metrics::Deadline;
use crate::routes::{Handler, Refusal, Request, Response, Route};
use crate::server::Shared;

/// What a plain HTTP request sent to a TLS port is told (with a 400).
pub(crate) const PLAIN_ON_TLS: &str = "this port speaks HTTPS: send the request over TLS\n";

/// A response, with what the connection does after it.
struct Answer {
    response: Response,
    /// Methods for a 405's `Allow`.
    allow: Option<String>,
    /// Close the connection after this response (its body was not read to the end,
    /// or the request is refused outright).
    close: bool,
}

impl Answer {
    fn keep(response: Response) -> Self {
        Self {
            response,
            allow: None,
            close: false,
        }
    }

    fn close(response: Response) -> Self {
        Self {
            response,
            allow: None,
            close: true,
        }
    }
}

/// Answers one request of a connection.
pub(crate) async fn answer(
    shared: Arc<Shared>,
    activity: Arc<Activity>,
    peer: SocketAddr,
    plain_on_tls: bool,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let started = std::time::Instant::now();
    activity.request_started();
    shared.metrics.request_started();
    let answer = if plain_on_tls {
        // Read the request so that the client reads the answer rather than a reset.
        let deadline = Instant::now() + shared.limits.body_timeout;
        let _ = drain(request.into_body(), MAX_DRAIN_BYTES, deadline).await;
        Answer::close(Response::text(StatusCode::BAD_REQUEST, PLAIN_ON_TLS))
    } else {
        route(&shared, peer, request).await
    };
    shared
        .metrics
        .request_finished(answer.response.status.as_u16(), started.elapsed());
    activity.request_finished();
    Ok(into_hyper(answer))
}

async fn route(
    shared: &Arc<Shared>,
    peer: SocketAddr,
    request: hyper::Request<Incoming>,
) -> Answer {
    let text = |status, body: &str| Response::text(status, body);
    let answer = match shared.routes.find(request.method(), request.uri().path()) {
        Route::Handler(handler) => {
            return call_handler(shared, handler.clone(), peer, request).await
        }
        Route::Health => Answer::keep(text(StatusCode::OK, "ok")),
        Route::Ready if shared.shutdown.is_triggered() => {
            Answer::keep(text(StatusCode::SERVICE_UNAVAILABLE, "shutting down"))
        }
        Route::Ready => Answer::keep(text(StatusCode::OK, "ready")),
        Route::Metrics => {
            let mut out = String::new();
            shared.metrics.render(&mut out);
            shared.routes.render_metrics(&mut out);
            let mut response = Response::text(StatusCode::OK, out);
            response.content_type = "text/plain; version=0.0.4; charset=utf-8";
            Answer::keep(response)
        }
        Route::WrongMethod(allow) => Answer {
            allow: Some(allow),
            ..Answer::keep(text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed"))
        },
        Route::NotFound => Answer::keep(text(StatusCode::NOT_FOUND, "not found")),
    };
    // The body, if any, is not wanted: read it out so that the connection can serve
    // the next request, or close it when that takes too long.
    let deadline = Instant::now() + shared.limits.body_timeout;
    let limit = shared.limits.max_body_bytes as u64;
    let drained = drain(request.into_body(), limit, deadline).await;
    Answer {
        close: drained == Drained::Partly,
        ..answer
    }
}

/// Whether a request of this method carries a body, and so must say how long it is.
fn needs_length(method: &Method) -> bool {
    *method == Method::POST || *method == Method::PUT || *method == Method::PATCH
}

async fn call_handler(
    shared: &Arc<Shared>,
    handler: Arc<dyn Handler>,
    peer: SocketAddr,
    request: hyper::Request<Incoming>,
) -> Answer {
    let limits = &shared.limits;
    let (parts, body) = request.into_parts();
    let declared = content_length(&parts.headers);
    if declared.is_none()
        && !parts.headers.contains_key(TRANSFER_ENCODING)
        && needs_length(&parts.method)
    {
        handler.refused(Refusal::LengthRequired);
        return Answer::close(Response::text(
            StatusCode::LENGTH_REQUIRED,
            "length required",
        ));
    }
    let deadline = Instant::now() + limits.body_timeout;
    let mut memory = MemoryReservation::new(shared.body_memory.clone());
    let body =
        match read_limited(body, declared, limits.max_body_bytes, deadline, &mut memory).await {
            Ok(body) => body,
            Err(e) => return refuse_body(shared, handler.as_ref(), e),
        };
    // A place in the pool or its queue, or 503 at once: the queue is bounded.
    let Ok(admitted) = shared.admitted.clone().try_acquire_owned() else {
        handler.refused(Refusal::Overloaded);
        return Answer::keep(busy("busy, retry later"));
    };
    // The wait in the queue counts in the handler's deadline: a request never
    // takes longer than `handler_timeout` to be answered, queued or running.
    let handler_deadline = Instant::now() + limits.handler_timeout;
    let worker = match shared.workers.clone().try_acquire_owned() {
        Ok(worker) => worker,
        Err(_) => {
            match tokio::time::timeout_at(handler_deadline, shared.workers.clone().acquire_owned())
                .await
            {
                Ok(Ok(worker)) => worker,
                // The semaphore is never closed; a timeout is the only way here.
                _ => return handler_late(shared, handler.as_ref()),
            }
        }
    };
    let request = Request {
        method: parts.method,
        uri: parts.uri,
        headers: parts.headers,
        body,
        peer,
    };
    let running = handler.clone();
    let task = tokio::task::spawn_blocking(move || {
        // Both are held until the handler returns, even when its answer comes too
        // late: the pool and the memory stay bounded by what actually runs.
        let _worker = worker;
        let _admitted = admitted;
        let _memory = memory;
        running.handle(request)
    });
    match tokio::time::timeout_at(handler_deadline, task).await {
        Ok(Ok(response)) => Answer::keep(response),
        Ok(Err(_)) => Answer::close(Response::text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the handler failed",
        )),
        Err(_) => handler_late(shared, handler.as_ref()),
    }
}

/// The answer when the handler's deadline passes, in the queue or running.
fn handler_late(shared: &Shared, handler: &dyn Handler) -> Answer {
    shared.metrics.timeout(Deadline::Handler);
    handler.refused(Refusal::HandlerTimeout);
    Answer::keep(busy("the handler did not answer in time, retry later"))
}

/// 503 with `Retry-After`, so that the client tries again.
fn busy(text: &str) -> Response {
    Response::text(StatusCode::SERVICE_UNAVAILABLE, text).retry_after(1)
}

fn refuse_body(shared: &Shared, handler: &dyn Handler, error: BodyError) -> Answer {
    match error {
        BodyError::TooLarge { drained } => {
            handler.refused(Refusal::TooLarge);
            let response = Response::text(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "body too large: the limit is {} bytes",
                    shared.limits.max_body_bytes
                ),
            );
            Answer {
                close: !drained,
                ..Answer::keep(response)
            }
        }
        BodyError::Bad(reason) => {
            handler.refused(Refusal::BadBody);
            Answer::close(Response::text(
                StatusCode::BAD_REQUEST,
                format!("bad body: {reason}"),
            ))
        }
        BodyError::Timeout => {
            shared.metrics.timeout(Deadline::Body);
            handler.refused(Refusal::BodyTimeout);
            Answer::close(Response::text(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the body did not arrive within {} ms",
                    shared.limits.body_timeout.as_millis()
                ),
            ))
        }
        BodyError::Overloaded => {
            handler.refused(Refusal::Overloaded);
            // The body was not read: the connection cannot be reused.
            Answer::close(busy("too many request bodies in memory, retry later"))
        }
    }
}

fn into_hyper(answer: Answer) -> hyper::Response<Full<Bytes>> {
    let response = answer.response;
    let mut out = hyper::Response::new(Full::new(response.body));
    *out.status_mut() = response.status;
    let headers = out.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static(response.content_type),
    );
    if let Some(seconds) = response.retry_after {
        headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    if let Some(allow) = answer.allow.and_then(|a| HeaderValue::from_str(&a).ok()) {
        headers.insert(ALLOW, allow);
    }
    if answer.close {
        headers.insert(CONNECTION, HeaderValue::from_static("close"));
    }
    out
}
