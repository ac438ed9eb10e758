//! The admission webhook of vigie: the `admission.k8s.io/v1` AdmissionReview
//! handling and the policy set it serves, on top of vigie-policy's engine and
//! vigie-server's HTTPS layer.
//!
//! - [`review`]: decoding requests, a typed error for each way a body is wrong;
//! - [`response`]: AdmissionReview responses as the API server expects them;
//! - [`policy_set`] and [`store`]: policies indexed by kind, swapped whole on
//!   reload (a request sees the old set or the new one, never half);
//! - [`verdict`]: Kyverno's semantics (Enforce/Audit, overrides, failurePolicy,
//!   emitWarning, the time budget);
//! - [`webhook`]: `/validate` and `/mutate` as vigie-server handlers;
//! - [`metrics`], [`reports`], [`cluster`], [`mutation`].
//!
//! ```
//! use serde_json::json;
//! use vigie_admission::{decode, AdmissionResponse};
//!
//! let body = json!({
//!     "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
//!     "request": {
//!         "uid": "3f1c", "operation": "CREATE", "namespace": "shop",
//!         "kind": {"group": "", "version": "v1", "kind": "Pod"},
//!         "resource": {"group": "", "version": "v1", "resource": "pods"},
//!         "userInfo": {"username": "alice"},
//!         "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}},
//!     },
//! });
//! let request = decode(body.to_string().as_bytes()).expect("a well-formed review");
//! assert_eq!((request.kind.kind.as_str(), request.namespace.as_str()), ("Pod", "shop"));
//! let answer = AdmissionResponse::deny(&request.uid, 403, "no").to_review();
//! assert_eq!(answer["response"]["allowed"], false);
//! ```

pub mod cluster;
pub mod metrics;
pub mod mutation;
pub mod policy_set;
pub mod reports;
pub mod response;
pub mod review;
pub mod store;
pub mod verdict;
pub mod webhook;

pub use cluster::{ClusterData, ClusterView};
pub use metrics::AdmissionMetrics;
pub use policy_set::PolicySet;
pub use response::AdmissionResponse;
pub use review::{decode, AdmissionRequest, DecodeError, DecodeFailure};
pub use store::{load_set, load_set_with_objects, LoadError, PolicyStore, POLICY_KINDS};
pub use verdict::{decide, Decision};
pub use webhook::{Endpoint, Webhook, DEFAULT_TIMEOUT};
