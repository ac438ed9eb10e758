//! `/readyz` of the servers a command runs: the admission webhook and its
//! metrics listener, and the metrics listener of `scan --watch`.

use vigie_server::{Method, Request, Response, Routes, StatusCode};

/// `routes` with `/readyz` for GET and HEAD: 200 `ready` while `is_ready` says
/// so, 503 with `not_ready` as the body otherwise.
pub fn with_readyz(
    routes: Routes,
    is_ready: impl Fn() -> bool + Clone + Send + Sync + 'static,
    not_ready: &'static str,
) -> Routes {
    let answer = move |_: Request| {
        if is_ready() {
            Response::text(StatusCode::OK, "ready")
        } else {
            Response::text(StatusCode::SERVICE_UNAVAILABLE, not_ready)
        }
    };
    routes
        .route(Method::GET, "/readyz", answer.clone())
        .route(Method::HEAD, "/readyz", answer)
}
