//! Requests to answers.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{header, Method, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Frame;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};

use crate::store::{Event, Store, Stored};
use crate::write::{parse_body, Refused, Target};
use crate::{Counters, StandinConfig};

/// What the API server stand-in knows and counts.
pub(crate) struct State {
    pub(crate) store: RwLock<Store>,
    forbidden: Vec<String>,
    /// Continue tokens still to answer 410.
    expire_left: AtomicUsize,
    server_version: String,
    configz: Value,
    node_configz: std::collections::BTreeMap<String, Value>,
    counters: Arc<Counters>,
    bookmark_every: Duration,
    watch_timeout: Duration,
    /// Whether watches are cut off, as by a network partition.
    pub(crate) partition: tokio::sync::watch::Sender<Partition>,
}

/// Watches cut off on demand ([`crate::Standin::hold_watches`]).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Partition {
    /// While `true`, watch requests wait unanswered.
    pub(crate) held: bool,
    /// How many times watches were cut off: a stream opened before the
    /// latest cut ends, even when the partition was over before it noticed.
    pub(crate) cuts: u64,
}

/// The most items a page holds, whatever `limit` asks (a real server caps too).
const MAX_PAGE: usize = 10_000;
/// The largest request body accepted, as a real API server's 3 MiB.
const MAX_BODY: usize = 3 * 1024 * 1024;

impl State {
    pub(crate) fn new(config: StandinConfig, counters: Arc<Counters>) -> Self {
        State {
            store: RwLock::new(Store::new(
                config.objects,
                &config.extra_types,
                config.watch_history,
            )),
            forbidden: config.forbidden,
            expire_left: AtomicUsize::new(config.expire_continue_tokens),
            server_version: config.server_version,
            configz: config.configz,
            node_configz: config.node_configz,
            counters,
            bookmark_every: config.bookmark_every,
            watch_timeout: config.watch_timeout,
            partition: tokio::sync::watch::channel(Partition::default()).0,
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(|e| e.into_inner())
    }
}

pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<State>,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let state = state.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(handle(state, request).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
}

/// A whole answer, or a watch stream's lines as they come.
pub(crate) enum Body {
    Full(Option<Bytes>),
    Stream(tokio::sync::mpsc::Receiver<Bytes>),
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            Body::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Body::Stream(lines) => lines
                .poll_recv(cx)
                .map(|line| line.map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, Body::Full(None))
    }

    /// A whole answer's length, so that it is sent with `Content-Length`
    /// (streams go chunked).
    fn size_hint(&self) -> hyper::body::SizeHint {
        match self {
            Body::Full(Some(bytes)) => hyper::body::SizeHint::with_exact(bytes.len() as u64),
            Body::Full(None) => hyper::body::SizeHint::with_exact(0),
            Body::Stream(_) => hyper::body::SizeHint::default(),
        }
    }
}

type Answer = Response<Body>;

fn answer_json(status: StatusCode, body: impl Into<Bytes>) -> Answer {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::Full(Some(body.into())))
        .expect("a valid response")
}

fn value(status: StatusCode, value: &Value) -> Answer {
    answer_json(
        status,
        serde_json::to_vec(value).expect("JSON values serialize"),
    )
}

fn status_value(code: StatusCode, reason: &str, message: &str) -> Value {
    json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {},
        "status": "Failure", "message": message, "reason": reason, "code": code.as_u16(),
    })
}

/// A `Status` failure, as the API server reports errors.
fn status(code: StatusCode, reason: &str, message: String) -> Answer {
    value(code, &status_value(code, reason, &message))
}

fn refused(r: Refused) -> Answer {
    status(r.code, r.reason, r.message)
}

fn not_found(path: &str) -> Answer {
    status(
        StatusCode::NOT_FOUND,
        "NotFound",
        format!("the server could not find the requested resource ({path})"),
    )
}

/// A label selector of equality requirements: `a=b`, `a==b`, `a!=b`, `a`, `!a`.
#[derive(Default, Clone)]
struct Selector {
    requirements: Vec<(String, Option<String>, bool)>,
}

impl Selector {
    fn parse(text: &str) -> Result<Selector, String> {
        let mut requirements = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if part.contains(" in ") || part.contains(" notin ") || part.contains('(') {
                return Err(format!(
                    "the stand-in reads equality selectors only, not `{part}`"
                ));
            }
            let requirement = if let Some((k, v)) = part.split_once("!=") {
                (k.to_string(), Some(v.to_string()), false)
            } else if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
                (k.to_string(), Some(v.to_string()), true)
            } else if let Some(k) = part.strip_prefix('!') {
                (k.to_string(), None, false)
            } else {
                (part.to_string(), None, true)
            };
            requirements.push(requirement);
        }
        Ok(Selector { requirements })
    }

    fn matches(&self, labels: &[(String, String)]) -> bool {
        self.requirements.iter().all(|(key, value, positive)| {
            let found = labels.iter().find(|(k, _)| k == key).map(|(_, v)| v);
            match (value, positive) {
                (None, true) => found.is_some(),
                (None, false) => found.is_none(),
                (Some(v), true) => found == Some(v),
                (Some(v), false) => found != Some(v),
            }
        })
    }
}

/// The query of a request.
#[derive(Default)]
struct Query {
    limit: Option<usize>,
    continue_token: Option<String>,
    watch: bool,
    resource_version: Option<String>,
    timeout_seconds: Option<u64>,
    bookmarks: bool,
    label_selector: Option<String>,
    field_manager: Option<String>,
    force: bool,
}

impl Query {
    fn parse(query: Option<&str>) -> Self {
        let mut parsed = Query::default();
        for pair in query.unwrap_or("").split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let truth = value == "true" || value == "1";
            match key {
                "limit" => parsed.limit = value.parse().ok().filter(|&l| l > 0),
                "continue" if !value.is_empty() => {
                    parsed.continue_token = Some(percent_decode(value))
                }
                "watch" => parsed.watch = truth,
                "resourceVersion" => parsed.resource_version = Some(percent_decode(value)),
                "timeoutSeconds" => parsed.timeout_seconds = value.parse().ok(),
                "allowWatchBookmarks" => parsed.bookmarks = truth,
                "labelSelector" if !value.is_empty() => {
                    parsed.label_selector = Some(percent_decode(value))
                }
                "fieldManager" if !value.is_empty() => {
                    parsed.field_manager = Some(percent_decode(value))
                }
                "force" => parsed.force = truth,
                _ => {}
            }
        }
        parsed
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(b) = text
                .get(i + 1..i + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What a request is about once its path is read.
struct Request<'a> {
    method: Method,
    query: Query,
    metadata_only: bool,
    content_type: String,
    path: &'a str,
    body: Bytes,
}

async fn handle(state: Arc<State>, request: hyper::Request<hyper::body::Incoming>) -> Answer {
    state.counters.requests.fetch_add(1, Ordering::Relaxed);
    let (parts, body) = request.into_parts();
    let body = if matches!(parts.method, Method::POST | Method::PUT | Method::PATCH) {
        match http_body_util::Limited::new(body, MAX_BODY).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) => {
                return status(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "RequestEntityTooLarge",
                    format!("the request body could not be read within {MAX_BODY} bytes: {e}"),
                )
            }
        }
    } else {
        Bytes::new()
    };
    let header = |name: header::HeaderName| {
        parts
            .headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",")
    };
    let query = Query::parse(parts.uri.query());
    if query.watch {
        // A partition: the request reaches the server only once it is over.
        let mut partition = state.partition.subscribe();
        let _ = partition.wait_for(|p| !p.held).await.map(drop);
    }
    let request = Request {
        method: parts.method.clone(),
        query,
        metadata_only: header(header::ACCEPT).contains("as=PartialObjectMetadataList"),
        content_type: header(header::CONTENT_TYPE),
        path: parts.uri.path(),
        body,
    };
    state.answer(&request)
}

impl State {
    fn answer(self: &Arc<Self>, request: &Request<'_>) -> Answer {
        let path = request.path;
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        if request.method != Method::GET && segments.len() <= 3 {
            return status(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                format!("{} is not allowed on {path}", request.method),
            );
        }
        match segments.as_slice() {
            ["version"] => value(StatusCode::OK, &self.version()),
            ["api"] => value(StatusCode::OK, &self.read().catalog.core_versions()),
            ["apis"] => value(StatusCode::OK, &self.read().catalog.groups()),
            ["api", version] => self.discovery("", version, path),
            ["apis", group, version] => self.discovery(group, version, path),
            ["api", version, rest @ ..] => self.resource_path("", version, rest, request),
            ["apis", group, version, rest @ ..] => {
                self.resource_path(group, version, rest, request)
            }
            _ => not_found(path),
        }
    }

    fn version(&self) -> Value {
        let numbers = self.server_version.trim_start_matches('v');
        let mut parts = numbers.split('.');
        json!({
            "major": parts.next().unwrap_or("1"),
            "minor": parts.next().unwrap_or("0"),
            "gitVersion": self.server_version,
            "gitCommit": "0000000000000000000000000000000000000000",
            "gitTreeState": "clean",
            "buildDate": "2026-01-01T00:00:00Z",
            "goVersion": "go1.23.0",
            "compiler": "gc",
            "platform": "linux/amd64",
        })
    }

    fn discovery(&self, group: &str, version: &str, path: &str) -> Answer {
        match self.read().catalog.resources(group, version) {
            Some(list) => value(StatusCode::OK, &list),
            None => not_found(path),
        }
    }

    /// `[namespaces, NS,] PLURAL [, NAME]` under a group version, and node proxy.
    fn resource_path(
        self: &Arc<Self>,
        group: &str,
        version: &str,
        rest: &[&str],
        request: &Request<'_>,
    ) -> Answer {
        let path = request.path;
        let (namespace, plural, name) = match rest {
            ["nodes", node, "proxy", "configz"] if group.is_empty() => {
                if self.forbidden.iter().any(|f| f == "nodes/proxy") {
                    self.counters.forbidden.fetch_add(1, Ordering::Relaxed);
                    return status(
                        StatusCode::FORBIDDEN,
                        "Forbidden",
                        format!("nodes \"{node}\" is forbidden: User \"system:serviceaccount:vigie:scanner\" cannot get resource \"nodes/proxy\" in API group \"\" at the cluster scope"),
                    );
                }
                let store = self.read();
                let nodes = store.catalog.find("", "v1", "nodes");
                return match nodes.and_then(|t| store.position(t, None, node).ok()) {
                    Some(_) if request.method == Method::GET => value(
                        StatusCode::OK,
                        self.node_configz.get(*node).unwrap_or(&self.configz),
                    ),
                    Some(_) => status(
                        StatusCode::METHOD_NOT_ALLOWED,
                        "MethodNotAllowed",
                        "configz is read only".into(),
                    ),
                    None => not_found(path),
                };
            }
            ["namespaces", ns, plural] => (Some(*ns), *plural, None),
            ["namespaces", ns, plural, name] => (Some(*ns), *plural, Some(*name)),
            [plural] => (None, *plural, None),
            [plural, name] => (None, *plural, Some(*name)),
            _ => return not_found(path),
        };
        let (t, qualified, namespaced) = {
            let store = self.read();
            let Some(t) = store.catalog.find(group, version, plural) else {
                return not_found(path);
            };
            let resource_type = &store.catalog.types[t];
            (t, resource_type.qualified(), resource_type.namespaced)
        };
        if namespace.is_some() && !namespaced {
            return not_found(path);
        }
        if self.forbidden.contains(&qualified) {
            self.counters.forbidden.fetch_add(1, Ordering::Relaxed);
            let scope = match namespace {
                Some(ns) => format!("in the namespace \"{ns}\""),
                None => "at the cluster scope".into(),
            };
            let verb = match (&request.method, name) {
                (&Method::GET, Some(_)) => "get",
                (&Method::GET, None) if request.query.watch => "watch",
                (&Method::GET, None) => "list",
                (&Method::POST, _) => "create",
                (&Method::PUT, _) => "update",
                (&Method::PATCH, _) => "patch",
                _ => "delete",
            };
            return status(
                StatusCode::FORBIDDEN,
                "Forbidden",
                format!(
                    "{qualified} is forbidden: User \"system:serviceaccount:vigie:scanner\" cannot {verb} resource \"{plural}\" in API group \"{group}\" {scope}"
                ),
            );
        }
        let selector = match Selector::parse(request.query.label_selector.as_deref().unwrap_or(""))
        {
            Ok(selector) => selector,
            Err(reason) => return status(StatusCode::BAD_REQUEST, "BadRequest", reason),
        };
        let target = Target {
            type_index: t,
            namespace,
            name,
        };
        match (&request.method, name) {
            (&Method::GET, Some(name)) => {
                let store = self.read();
                match store.position(t, namespace, name) {
                    Ok(i) if namespace.is_some() || !namespaced => {
                        answer_json(StatusCode::OK, store.by_type[t][i].object.clone())
                    }
                    _ => status(
                        StatusCode::NOT_FOUND,
                        "NotFound",
                        format!("{qualified} \"{name}\" not found"),
                    ),
                }
            }
            (&Method::GET, None) if request.query.watch => {
                self.watch(t, namespace, selector, &request.query)
            }
            (&Method::GET, None) => self.list(t, namespace, &selector, request),
            (&Method::POST, None) | (&Method::PUT, Some(_)) | (&Method::PATCH, Some(_))
                if namespaced && namespace.is_none() =>
            {
                not_found(path)
            }
            (&Method::POST, None) => self.write_with(request, |store, body, manager| {
                store
                    .create(&target, body, manager)
                    .map(|o| (StatusCode::CREATED, o))
            }),
            (&Method::PUT, Some(_)) => self.write_with(request, |store, body, manager| {
                store
                    .update(&target, body, manager)
                    .map(|o| (StatusCode::OK, o))
            }),
            (&Method::PATCH, Some(_)) => self.patch(&target, request),
            (&Method::DELETE, Some(_)) => match self.write().delete(&target) {
                Ok(object) => value(StatusCode::OK, &object),
                Err(r) => refused(r),
            },
            _ => status(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                format!("{} is not allowed on {path}", request.method),
            ),
        }
    }

    fn write_with(
        &self,
        request: &Request<'_>,
        write: impl FnOnce(&mut Store, Value, &str) -> Result<(StatusCode, Value), Refused>,
    ) -> Answer {
        let body = match parse_body(&request.body) {
            Ok(body) => body,
            Err(r) => return refused(r),
        };
        let manager = request.query.field_manager.as_deref().unwrap_or("unknown");
        let result = write(&mut self.write(), body, manager);
        match result {
            Ok((code, object)) => value(code, &object),
            Err(r) => refused(r),
        }
    }

    fn patch(&self, target: &Target<'_>, request: &Request<'_>) -> Answer {
        let content_type = request.content_type.as_str();
        if content_type.starts_with("application/apply-patch") {
            let Some(manager) = request.query.field_manager.clone() else {
                return status(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    "PATCH, application/apply-patch+yaml: fieldManager is required for apply requests".into(),
                );
            };
            let force = request.query.force;
            return self.write_with(request, |store, body, _| {
                store
                    .apply(target, body, &manager, force)
                    .map(|(o, created)| {
                        let code = if created {
                            StatusCode::CREATED
                        } else {
                            StatusCode::OK
                        };
                        (code, o)
                    })
            });
        }
        if content_type.starts_with("application/merge-patch+json") {
            return self.write_with(request, |store, body, _| {
                store
                    .merge_patch(target, &body)
                    .map(|o| (StatusCode::OK, o))
            });
        }
        status(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            format!(
                "the stand-in applies application/apply-patch+yaml and application/merge-patch+json patches, not {content_type}"
            ),
        )
    }

    /// A page of a list: items from the offset the continue token holds.
    fn list(
        &self,
        t: usize,
        namespace: Option<&str>,
        selector: &Selector,
        request: &Request<'_>,
    ) -> Answer {
        let query = &request.query;
        let store = self.read();
        let selected: Vec<&Stored> = store.by_type[t]
            .iter()
            .filter(|s| namespace.is_none() || s.namespace.as_deref() == namespace)
            .filter(|s| selector.matches(&s.labels))
            .collect();
        let start = match &query.continue_token {
            None => 0,
            Some(token) => {
                if self
                    .expire_left
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                        left.checked_sub(1)
                    })
                    .is_ok()
                {
                    self.counters.gone.fetch_add(1, Ordering::Relaxed);
                    return status(
                        StatusCode::GONE,
                        "Expired",
                        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.".into(),
                    );
                }
                match token.split_once('.').and_then(|(ty, offset)| {
                    Some((ty.parse::<usize>().ok()?, offset.parse::<usize>().ok()?))
                }) {
                    Some((ty, offset)) if ty == t => offset,
                    _ => {
                        return status(
                            StatusCode::BAD_REQUEST,
                            "BadRequest",
                            format!("continue key is not valid: {token}"),
                        )
                    }
                }
            }
        };
        let limit = query.limit.unwrap_or(MAX_PAGE).min(MAX_PAGE);
        self.counters
            .largest_limit
            .fetch_max(query.limit.unwrap_or(0), Ordering::Relaxed);
        self.counters.pages.fetch_add(1, Ordering::Relaxed);
        let end = (start + limit).min(selected.len());
        let resource_type = &store.catalog.types[t];
        let mut metadata = json!({"resourceVersion": store.resource_version.to_string()});
        if end < selected.len() {
            metadata["continue"] = json!(format!("{t}.{end}"));
            metadata["remainingItemCount"] = json!(selected.len() - end);
        }
        let (api_version, kind) = if request.metadata_only {
            self.counters.metadata_pages.fetch_add(1, Ordering::Relaxed);
            (
                "meta.k8s.io/v1".to_string(),
                "PartialObjectMetadataList".to_string(),
            )
        } else {
            (
                resource_type.api_version(),
                format!("{}List", resource_type.kind),
            )
        };
        let head = json!({"apiVersion": api_version, "kind": kind, "metadata": metadata});
        let mut body = serde_json::to_vec(&head).expect("JSON values serialize");
        body.pop(); // the closing brace
        body.extend_from_slice(b",\"items\":[");
        for (i, stored) in selected[start.min(end)..end].iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            body.extend_from_slice(if request.metadata_only {
                &stored.metadata
            } else {
                &stored.item
            });
        }
        body.extend_from_slice(b"]}");
        answer_json(StatusCode::OK, body)
    }

    /// A watch stream: without `resourceVersion` (or `0`), the current objects
    /// as `ADDED` events first; from a version, the changes after it, or a
    /// `410 Gone` error event when that version is older than the changes
    /// kept. Then each change as it is made, `BOOKMARK`s when asked, until
    /// `timeoutSeconds`, or the stand-in's watch timeout.
    fn watch(
        self: &Arc<Self>,
        t: usize,
        namespace: Option<&str>,
        selector: Selector,
        query: &Query,
    ) -> Answer {
        let namespace = namespace.map(str::to_string);
        let matches = move |event: &Event| {
            event.type_index == t
                && (namespace.is_none() || event.namespace == namespace)
                && selector.matches(&event.labels)
        };
        let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(64);
        let mut first: Vec<Bytes> = Vec::new();
        let (mut live, mut last, api_version, kind) = {
            let store = self.read();
            let live = store.events.subscribe();
            let resource_type = &store.catalog.types[t];
            let since = query
                .resource_version
                .as_deref()
                .filter(|v| !v.is_empty() && *v != "0");
            match since.map(str::parse::<u64>) {
                None => {
                    for stored in &store.by_type[t] {
                        let event = Event {
                            version: 0,
                            type_index: t,
                            namespace: stored.namespace.clone(),
                            labels: stored.labels.clone(),
                            line: Bytes::new(),
                        };
                        if matches(&event) {
                            let mut line = b"{\"type\":\"ADDED\",\"object\":".to_vec();
                            line.extend_from_slice(&stored.object);
                            line.extend_from_slice(b"}\n");
                            first.push(line.into());
                        }
                    }
                }
                Some(Ok(version)) if version >= store.compacted => {
                    for event in store.history.iter().filter(|e| e.version > version) {
                        if matches(event) {
                            first.push(event.line.clone());
                        }
                    }
                }
                Some(parsed) => {
                    let message = match parsed {
                        Ok(version) => format!(
                            "too old resource version: {version} ({})",
                            store.compacted + 1
                        ),
                        Err(_) => "resourceVersion is not a number".to_string(),
                    };
                    let code = if parsed.is_ok() {
                        StatusCode::GONE
                    } else {
                        StatusCode::BAD_REQUEST
                    };
                    let reason = if parsed.is_ok() {
                        "Expired"
                    } else {
                        "BadRequest"
                    };
                    let mut line = serde_json::to_vec(
                        &json!({"type": "ERROR", "object": status_value(code, reason, &message)}),
                    )
                    .expect("JSON values serialize");
                    line.push(b'\n');
                    self.counters.gone.fetch_add(1, Ordering::Relaxed);
                    return Response::builder()
                        .status(StatusCode::OK)
                        .header(header::CONTENT_TYPE, "application/json")
                        .body(Body::Full(Some(line.into())))
                        .expect("a valid response");
                }
            }
            (
                live,
                store.resource_version,
                resource_type.api_version(),
                resource_type.kind.clone(),
            )
        };
        let timeout = query
            .timeout_seconds
            .map(Duration::from_secs)
            .unwrap_or(self.watch_timeout);
        let bookmarks = query.bookmarks;
        let every = self.bookmark_every;
        let mut partition = self.partition.subscribe();
        let opened_after = partition.borrow().cuts;
        tokio::spawn(async move {
            // Resolves when the watches are cut off after this one opened.
            let cut = async move {
                loop {
                    if partition.borrow_and_update().cuts != opened_after {
                        return;
                    }
                    if partition.changed().await.is_err() {
                        std::future::pending::<()>().await;
                    }
                }
            };
            tokio::pin!(cut);
            for line in first {
                if tx.send(line).await.is_err() {
                    return;
                }
            }
            let deadline = tokio::time::sleep(timeout);
            tokio::pin!(deadline);
            let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            loop {
                tokio::select! {
                    _ = &mut deadline => return,
                    // Cut off: the stream ends as a broken connection's does.
                    _ = &mut cut => return,
                    _ = ticks.tick(), if bookmarks => {
                        let mut line = serde_json::to_vec(&json!({"type": "BOOKMARK", "object": {
                            "apiVersion": api_version, "kind": kind,
                            "metadata": {"resourceVersion": last.to_string()}}}))
                            .expect("JSON values serialize");
                        line.push(b'\n');
                        if tx.send(line.into()).await.is_err() {
                            return;
                        }
                    }
                    event = live.recv() => match event {
                        Ok(event) => {
                            if event.version <= last {
                                continue;
                            }
                            last = event.version;
                            if matches(&event) && tx.send(event.line.clone()).await.is_err() {
                                return;
                            }
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                            // Too slow a reader: as a real server, end the
                            // watch with an expired version; the client lists again.
                            let status = status_value(StatusCode::GONE, "Expired", "the watch fell too far behind");
                            let mut line = serde_json::to_vec(&json!({"type": "ERROR", "object": status}))
                                .expect("JSON values serialize");
                            line.push(b'\n');
                            let _ = tx.send(line.into()).await;
                            return;
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                    },
                }
            }
        });
        Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::Stream(rx))
            .expect("a valid response")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_are_percent_decoded() {
        assert_eq!(percent_decode("3.500"), "3.500");
        assert_eq!(percent_decode("3%2E500"), "3.500");
        assert_eq!(percent_decode("50%"), "50%");
    }

    #[test]
    fn label_selectors_of_equality() {
        let labels = vec![("app".to_string(), "web".to_string())];
        for (selector, expected) in [
            ("app=web", true),
            ("app==web", true),
            ("app!=web", false),
            ("app", true),
            ("!app", false),
            ("app=web,tier", false),
            ("", true),
        ] {
            assert_eq!(
                Selector::parse(selector).unwrap().matches(&labels),
                expected,
                "{selector}"
            );
        }
        assert!(Selector::parse("app in (a,b)").is_err());
    }
}
