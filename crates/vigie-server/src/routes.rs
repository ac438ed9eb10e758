//! What a listener serves: handlers registered by path and method. Handlers are
//! plain synchronous functions; the server runs them on a bounded pool of threads,
//! so an engine needs no async code.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode, Uri};

/// A request whose whole body has been read (within the limits).
#[derive(Debug)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The target, with its query.
    pub uri: Uri,
    /// The headers.
    pub headers: HeaderMap,
    /// The body, at most [`Limits::max_body_bytes`](crate::Limits::max_body_bytes).
    pub body: Bytes,
    /// Who sent it.
    pub peer: SocketAddr,
}

/// A response: a status, a body and its content type, and `Retry-After` for 503s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: StatusCode,
    /// The `Content-Type` of the body (visible ASCII, as every header value).
    pub content_type: &'static str,
    /// The body.
    pub body: Bytes,
    /// Seconds for `Retry-After`, so that the client tries again later.
    pub retry_after: Option<u32>,
}

impl Response {
    /// A `text/plain` response.
    pub fn text(status: StatusCode, body: impl Into<String>) -> Self {
        Self {
            status,
            content_type: "text/plain; charset=utf-8",
            body: Bytes::from(body.into()),
            retry_after: None,
        }
    }

    /// An `application/json` response.
    pub fn json(status: StatusCode, body: impl Into<Bytes>) -> Self {
        Self {
            status,
            content_type: "application/json",
            body: body.into(),
            retry_after: None,
        }
    }

    /// The same response with `Retry-After: seconds`.
    pub fn retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
    }
}

/// Why the server answered a request for a handler's route without calling it. The
/// server answers the client; this tells the application, to count it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// 413: the body is over [`Limits::max_body_bytes`](crate::Limits::max_body_bytes).
    TooLarge,
    /// 411: a body-carrying method without `Content-Length` or chunked framing.
    LengthRequired,
    /// 400: the body's framing is broken, or the client closed it early.
    BadBody,
    /// 408: the body did not arrive within [`Limits::body_timeout`](crate::Limits::body_timeout).
    BodyTimeout,
    /// 503: the body memory, or the handler pool and its queue, are full.
    Overloaded,
    /// 503: the handler did not answer within [`Limits::handler_timeout`](crate::Limits::handler_timeout).
    HandlerTimeout,
}

impl Refusal {
    /// A short stable name, for counters.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::TooLarge => "too_large",
            Refusal::LengthRequired => "length_required",
            Refusal::BadBody => "read_error",
            Refusal::BodyTimeout => "body_timeout",
            Refusal::Overloaded => "overloaded",
            Refusal::HandlerTimeout => "handler_timeout",
        }
    }
}

/// Answers the requests of a route. Runs on a worker thread: it may block, and it
/// should return within [`Limits::handler_timeout`](crate::Limits::handler_timeout).
pub trait Handler: Send + Sync + 'static {
    /// Answers a request.
    fn handle(&self, request: Request) -> Response;

    /// Told when the server answered a request of this route itself (see
    /// [`Refusal`]). Called on the server's threads: it must not block.
    fn refused(&self, _refusal: Refusal) {}
}

impl<F> Handler for F
where
    F: Fn(Request) -> Response + Send + Sync + 'static,
{
    fn handle(&self, request: Request) -> Response {
        self(request)
    }
}

/// Appends the application's metrics (Prometheus text) to `/metrics`.
pub type MetricsRenderer = Arc<dyn Fn(&mut String) + Send + Sync>;

/// The handlers of one path, by method.
type MethodHandlers = Vec<(Method, Arc<dyn Handler>)>;

/// The routes of a listener. `/healthz`, `/readyz` and `/metrics` are built in and
/// answer `GET` and `HEAD`; registering one of these paths replaces the built-in.
#[derive(Clone, Default)]
pub struct Routes {
    by_path: BTreeMap<String, MethodHandlers>,
    metrics: Option<MetricsRenderer>,
}

/// What the routes make of a request's path and method.
pub(crate) enum Route<'a> {
    Handler(&'a Arc<dyn Handler>),
    Health,
    Ready,
    Metrics,
    /// 405, with the methods the path takes.
    WrongMethod(String),
    NotFound,
}

impl Routes {
    /// No routes besides the built-in ones.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves `method` on `path` (the path alone, without query) with `handler`.
    pub fn route(mut self, method: Method, path: &str, handler: impl Handler) -> Self {
        let handlers = self.by_path.entry(path.to_string()).or_default();
        handlers.retain(|(m, _)| *m != method);
        handlers.push((method, Arc::new(handler)));
        self
    }

    /// Adds the application's metrics to `/metrics`, after the server's own.
    pub fn metrics(mut self, render: impl Fn(&mut String) + Send + Sync + 'static) -> Self {
        self.metrics = Some(Arc::new(render));
        self
    }

    pub(crate) fn render_metrics(&self, out: &mut String) {
        if let Some(render) = &self.metrics {
            render(out);
        }
    }

    pub(crate) fn find(&self, method: &Method, path: &str) -> Route<'_> {
        if let Some(handlers) = self.by_path.get(path) {
            if let Some((_, h)) = handlers.iter().find(|(m, _)| m == method) {
                return Route::Handler(h);
            }
            let allow: Vec<&str> = handlers.iter().map(|(m, _)| m.as_str()).collect();
            return Route::WrongMethod(allow.join(", "));
        }
        let builtin = match path {
            "/healthz" => Route::Health,
            "/readyz" => Route::Ready,
            "/metrics" => Route::Metrics,
            _ => return Route::NotFound,
        };
        if *method == Method::GET || *method == Method::HEAD {
            builtin
        } else {
            Route::WrongMethod("GET, HEAD".to_string())
        }
    }
}
