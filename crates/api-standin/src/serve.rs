//! Requests to answers.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http::{header, Response, StatusCode};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};

use crate::store::{Store, Stored};
use crate::{Counters, StandinConfig};

/// What the API server stand-in knows and counts.
pub(crate) struct State {
    store: Store,
    forbidden: Vec<String>,
    /// Continue tokens still to answer 410.
    expire_left: AtomicUsize,
    server_version: String,
    configz: Value,
    counters: Arc<Counters>,
}

/// The most items a page holds, whatever `limit` asks (a real server caps too).
const MAX_PAGE: usize = 10_000;

impl State {
    pub(crate) fn new(config: StandinConfig, counters: Arc<Counters>) -> Self {
        State {
            store: Store::new(config.objects),
            forbidden: config.forbidden,
            expire_left: AtomicUsize::new(config.expire_continue_tokens),
            server_version: config.server_version,
            configz: config.configz,
            counters,
        }
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
                        async move { Ok::<_, Infallible>(state.answer(&request)) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }
    }
}

type Answer = Response<Full<Bytes>>;

fn answer_json(status: StatusCode, body: impl Into<Bytes>) -> Answer {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(body.into()))
        .expect("a valid response")
}

fn value(status: StatusCode, value: &Value) -> Answer {
    answer_json(
        status,
        serde_json::to_vec(value).expect("JSON values serialize"),
    )
}

/// A `Status` failure, as the API server reports errors.
fn status(code: StatusCode, reason: &str, message: String) -> Answer {
    value(
        code,
        &json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "message": message, "reason": reason, "code": code.as_u16(),
        }),
    )
}

fn not_found(path: &str) -> Answer {
    status(
        StatusCode::NOT_FOUND,
        "NotFound",
        format!("the server could not find the requested resource ({path})"),
    )
}

/// The query of a list.
#[derive(Default)]
struct ListQuery {
    limit: Option<usize>,
    continue_token: Option<String>,
    watch: bool,
}

impl ListQuery {
    fn parse(query: Option<&str>) -> Self {
        let mut parsed = ListQuery::default();
        for pair in query.unwrap_or("").split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "limit" => parsed.limit = value.parse().ok().filter(|&l| l > 0),
                "continue" if !value.is_empty() => {
                    parsed.continue_token = Some(percent_decode(value))
                }
                "watch" => parsed.watch = value == "true" || value == "1",
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
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl State {
    fn answer<B>(&self, request: &hyper::Request<B>) -> Answer {
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        if request.method() != http::Method::GET {
            return status(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "the stand-in serves reads only".into(),
            );
        }
        let path = request.uri().path();
        let query = ListQuery::parse(request.uri().query());
        let metadata_only = request
            .headers()
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.contains("as=PartialObjectMetadataList"));
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        match segments.as_slice() {
            ["version"] => value(StatusCode::OK, &self.version()),
            ["api"] => value(StatusCode::OK, &self.store.catalog.core_versions()),
            ["apis"] => value(StatusCode::OK, &self.store.catalog.groups()),
            ["api", version] => self.discovery("", version, path),
            ["apis", group, version] => self.discovery(group, version, path),
            ["api", version, rest @ ..] => {
                self.resource_path("", version, rest, &query, metadata_only, path)
            }
            ["apis", group, version, rest @ ..] => {
                self.resource_path(group, version, rest, &query, metadata_only, path)
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
        match self.store.catalog.resources(group, version) {
            Some(list) => value(StatusCode::OK, &list),
            None => not_found(path),
        }
    }

    /// `[namespaces, NS,] PLURAL [, NAME]` under a group version, and node proxy.
    fn resource_path(
        &self,
        group: &str,
        version: &str,
        rest: &[&str],
        query: &ListQuery,
        metadata_only: bool,
        path: &str,
    ) -> Answer {
        let (namespace, plural, name) = match rest {
            ["nodes", node, "proxy", "configz"] if group.is_empty() => {
                return match self.find(self.store.catalog.find("", "v1", "nodes"), None, node) {
                    Some(_) => value(StatusCode::OK, &self.configz),
                    None => not_found(path),
                };
            }
            ["namespaces", ns, plural] => (Some(*ns), *plural, None),
            ["namespaces", ns, plural, name] => (Some(*ns), *plural, Some(*name)),
            [plural] => (None, *plural, None),
            [plural, name] => (None, *plural, Some(*name)),
            _ => return not_found(path),
        };
        let Some(t) = self.store.catalog.find(group, version, plural) else {
            return not_found(path);
        };
        let resource_type = &self.store.catalog.types[t];
        let qualified = resource_type.qualified();
        if self.forbidden.contains(&qualified) {
            self.counters.forbidden.fetch_add(1, Ordering::Relaxed);
            let scope = match namespace {
                Some(ns) => format!("in the namespace \"{ns}\""),
                None => "at the cluster scope".into(),
            };
            return status(
                StatusCode::FORBIDDEN,
                "Forbidden",
                format!(
                    "{qualified} is forbidden: User \"system:serviceaccount:vigie:scanner\" cannot {} resource \"{plural}\" in API group \"{group}\" {scope}",
                    if name.is_some() { "get" } else { "list" }
                ),
            );
        }
        if let Some(name) = name {
            return match self.find(Some(t), namespace, name) {
                Some(stored) => answer_json(StatusCode::OK, Bytes::copy_from_slice(&stored.object)),
                None => status(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    format!("{qualified} \"{name}\" not found"),
                ),
            };
        }
        let selected: Vec<&Stored> = self.store.by_type[t]
            .iter()
            .filter(|s| namespace.is_none() || s.namespace.as_deref() == namespace)
            .collect();
        if query.watch {
            return self.watch(&selected);
        }
        self.list(t, &selected, query, metadata_only)
    }

    fn find(&self, t: Option<usize>, namespace: Option<&str>, name: &str) -> Option<&Stored> {
        self.store.by_type[t?].iter().find(|s| {
            s.name == name && (namespace.is_none() || s.namespace.as_deref() == namespace)
        })
    }

    /// A page of a list: items from the offset the continue token holds.
    fn list(
        &self,
        t: usize,
        selected: &[&Stored],
        query: &ListQuery,
        metadata_only: bool,
    ) -> Answer {
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
        let resource_type = &self.store.catalog.types[t];
        let mut metadata = json!({"resourceVersion": self.store.resource_version.to_string()});
        if end < selected.len() {
            metadata["continue"] = json!(format!("{t}.{end}"));
            metadata["remainingItemCount"] = json!(selected.len() - end);
        }
        let (api_version, kind) = if metadata_only {
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
            body.extend_from_slice(if metadata_only {
                &stored.metadata
            } else {
                &stored.item
            });
        }
        body.extend_from_slice(b"]}");
        answer_json(StatusCode::OK, body)
    }

    /// The objects as `ADDED` events, then the end of the stream.
    fn watch(&self, selected: &[&Stored]) -> Answer {
        let mut body = Vec::new();
        for stored in selected {
            body.extend_from_slice(b"{\"type\":\"ADDED\",\"object\":");
            body.extend_from_slice(&stored.object);
            body.extend_from_slice(b"}\n");
        }
        answer_json(StatusCode::OK, body)
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
}
