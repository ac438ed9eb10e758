//! The HTTP side: `POST /validate` and `POST /mutate` as vigie-server handlers.
//!
//! A body that cannot be decoded as far as `request.uid` gets HTTP 400 (there is no
//! uid to answer to: the API server treats it as a failed call and applies the
//! webhook's failurePolicy). A body with a uid but a bad request gets an
//! AdmissionReview with `allowed: false` and code 400, so that the API server
//! shows the reason and the answer does not depend on the failurePolicy. Both are
//! logged and counted by reason.

use std::sync::Arc;
use std::time::{Duration, Instant};

use vigie_server::{Handler, Refusal, Request, Response, StatusCode};

use crate::cluster::ClusterView;
use crate::metrics::AdmissionMetrics;
use crate::mutation::mutate;
use crate::reports::{AuditRecord, ObjectId, ReportQueue};
use crate::response::{AdmissionResponse, BAD_REQUEST_CODE, DENIED_CODE};
use crate::review::{decode, AdmissionRequest, DecodeFailure};
use crate::store::PolicyStore;
use crate::verdict::{decide, Decision};

/// The default time budget of one request: below the API server's default
/// `timeoutSeconds` of 10, so that vigie answers by failure policy before the API
/// server gives up on it.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(8);

/// Decode errors of one reason logged one by one; past them, only every power of two.
const LOGGED_DECODE_ERRORS: u64 = 100;

/// Which endpoint a handler serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `/validate`.
    Validate,
    /// `/mutate`.
    Mutate,
}

impl Endpoint {
    /// The path.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Validate => "/validate",
            Endpoint::Mutate => "/mutate",
        }
    }
}

/// What every endpoint of a webhook shares.
pub struct Webhook {
    /// The policies served.
    pub store: Arc<PolicyStore>,
    /// Namespace labels and ConfigMaps: the copy in use when a request starts.
    pub cluster: Arc<ClusterView>,
    /// Counters.
    pub metrics: Arc<AdmissionMetrics>,
    /// The time budget of one request.
    pub timeout: Duration,
    /// Where audit results go, when reports are written.
    pub reports: Option<ReportQueue>,
}

/// One endpoint of a webhook, as a vigie-server [`Handler`].
pub struct EndpointHandler {
    webhook: Arc<Webhook>,
    endpoint: Endpoint,
}

impl Webhook {
    /// The handler of `endpoint`.
    pub fn handler(self: &Arc<Self>, endpoint: Endpoint) -> EndpointHandler {
        EndpointHandler {
            webhook: self.clone(),
            endpoint,
        }
    }

    /// Answers one body (the whole of a handler's work, callable without HTTP).
    pub fn answer(
        &self,
        endpoint: Endpoint,
        body: &[u8],
    ) -> Result<AdmissionResponse, DecodeFailure> {
        let started = Instant::now();
        let mut review = match decode(body) {
            Ok(r) => r,
            Err(failure) => {
                let n = self.metrics.decode_error(failure.error.reason());
                // A flood of bad bodies must not flood the log: the first ones are
                // logged, then one at each power of two (the metric counts them all).
                if n <= LOGGED_DECODE_ERRORS || n.is_power_of_two() {
                    log(format_args!(
                        "{}: refused a request ({n} {} so far): {failure}",
                        endpoint.path(),
                        failure.error.reason()
                    ));
                }
                return match &failure.uid {
                    Some(uid) => {
                        self.metrics
                            .request(endpoint.path(), "", "", "error", started.elapsed());
                        Ok(AdmissionResponse::deny(
                            uid.clone(),
                            BAD_REQUEST_CODE,
                            failure.to_string(),
                        ))
                    }
                    None => Err(failure),
                };
            }
        };
        let response = match endpoint {
            Endpoint::Validate => self.validate(&mut review, started),
            Endpoint::Mutate => self.mutate(&mut review),
        };
        let verdict = if response.allowed {
            "allowed"
        } else {
            "denied"
        };
        self.metrics.request(
            endpoint.path(),
            review.operation.as_str(),
            &review.kind.kind,
            verdict,
            started.elapsed(),
        );
        Ok(response)
    }

    fn validate(&self, review: &mut AdmissionRequest, started: Instant) -> AdmissionResponse {
        let set = self.store.current();
        // Read before `decide` moves the object into the engine's target.
        let object = self.reports.as_ref().map(|_| object_id(review));
        let decision = decide(
            &set,
            review,
            &self.cluster.current(),
            started + self.timeout,
        );
        if decision.deadline_hit {
            self.metrics
                .deadline_answer(Endpoint::Validate.path(), decision.allowed);
        }
        self.metrics.results_each(
            decision
                .results
                .iter()
                .map(|r| [r.policy.name.as_str(), r.rule.as_str(), r.status.as_str()]),
        );
        let Decision {
            allowed,
            message,
            warnings,
            results,
            ..
        } = decision;
        // Denied and dry-run requests are not persisted: nothing to report on.
        if allowed && !review.dry_run && !results.is_empty() {
            if let (Some(queue), Some(object)) = (&self.reports, object) {
                queue.push(AuditRecord {
                    object,
                    results,
                    time: std::time::SystemTime::now(),
                });
            }
        }
        let mut response = if allowed {
            AdmissionResponse::allow(std::mem::take(&mut review.uid))
        } else {
            AdmissionResponse::deny(
                std::mem::take(&mut review.uid),
                DENIED_CODE,
                message.unwrap_or_default(),
            )
        };
        response.warnings = warnings;
        response
    }

    fn mutate(&self, review: &mut AdmissionRequest) -> AdmissionResponse {
        let set = self.store.current();
        let mutation = mutate(&set, review, &self.cluster.current());
        self.metrics.results_each(
            mutation
                .results
                .iter()
                .map(|r| [r.policy.name.as_str(), r.rule.as_str(), r.status.as_str()]),
        );
        let mut response = AdmissionResponse::allow(std::mem::take(&mut review.uid));
        response.patch = mutation.patch;
        response.warnings = mutation.warnings;
        response
    }
}

fn object_id(review: &AdmissionRequest) -> ObjectId {
    let object = review.subject();
    let text = |pointer: &str| {
        object
            .and_then(|o| o.pointer(pointer))
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let namespace = Some(text("/metadata/namespace"))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| review.namespace.clone());
    let name = Some(text("/metadata/name"))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| review.name.clone());
    ObjectId {
        api_version: review.kind.api_version(),
        kind: review.kind.kind.clone(),
        namespace,
        name,
        uid: text("/metadata/uid"),
    }
}

fn log(message: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "vigie admission: {message}");
}

impl Handler for EndpointHandler {
    fn handle(&self, request: Request) -> Response {
        match self.webhook.answer(self.endpoint, &request.body) {
            Ok(response) => Response::json(StatusCode::OK, response.to_bytes()),
            Err(failure) => Response::text(StatusCode::BAD_REQUEST, format!("{failure}\n")),
        }
    }

    fn refused(&self, refusal: Refusal) {
        let _ = self.webhook.metrics.decode_error(refusal.as_str());
    }
}
