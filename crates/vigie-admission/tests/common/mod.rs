//! Helpers of the webhook's tests: reviews, policies and webhooks built in memory.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]
#![allow(dead_code)]

pub mod fixtures;
pub mod http_reply;
pub mod https;

// Each test file uses part of what is re-exported.
#[allow(unused_imports)]
pub use fixtures::{
    cluster_policy, pod, pod_create, pod_rule, review, team_policy, ENFORCE, TEAM_RULE,
};

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value as Json;
use vigie_admission::{AdmissionMetrics, ClusterData, PolicySet, PolicyStore, Webhook};
use vigie_policy::policies_from_str;

/// A policy set from YAML text; panics when a policy does not load.
pub fn set_of(yaml: &str) -> PolicySet {
    let loaded = policies_from_str(yaml, "policies.yaml");
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    PolicySet::new(loaded.policies, 1).with_exceptions(loaded.exceptions)
}

/// A webhook serving `yaml`, with this cluster data and time budget.
pub fn webhook_with(yaml: &str, cluster: ClusterData, timeout: Duration) -> Arc<Webhook> {
    let metrics = Arc::new(AdmissionMetrics::default());
    let store = PolicyStore::new(Vec::new(), 1 << 20, set_of(yaml), metrics.clone());
    Arc::new(Webhook {
        store: Arc::new(store),
        cluster: Arc::new(vigie_admission::ClusterView::fixed(cluster)),
        metrics,
        timeout,
        reports: None,
    })
}

pub fn webhook(yaml: &str) -> Arc<Webhook> {
    webhook_with(yaml, ClusterData::default(), Duration::from_secs(8))
}

/// The `response` of the AdmissionReview answered to `body` at /validate.
pub fn validate(webhook: &Webhook, body: &Json) -> Json {
    respond(webhook, vigie_admission::Endpoint::Validate, body)
}

/// The `response` of the AdmissionReview answered to `body` at /mutate.
pub fn mutate(webhook: &Webhook, body: &Json) -> Json {
    respond(webhook, vigie_admission::Endpoint::Mutate, body)
}

fn respond(webhook: &Webhook, endpoint: vigie_admission::Endpoint, body: &Json) -> Json {
    let answer = webhook
        .answer(endpoint, body.to_string().as_bytes())
        .expect("an AdmissionReview answer");
    answer.to_review()["response"].clone()
}

/// Fails the test, showing the response, unless it denies the request with a
/// message that holds `needle`; the message, for further checks.
#[track_caller]
pub fn assert_denied<'a>(response: &'a Json, needle: &str) -> &'a str {
    assert_eq!(response["allowed"], false, "{response}");
    let message = response["status"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(needle), "no {needle:?} in {message:?}");
    message
}

/// Fails the test, showing the response, unless it allows the request with a
/// first warning that holds `needle`; the warning, for further checks.
#[track_caller]
pub fn assert_warned<'a>(response: &'a Json, needle: &str) -> &'a str {
    assert_eq!(response["allowed"], true, "{response}");
    let warning = response["warnings"][0].as_str().unwrap_or_default();
    assert!(warning.contains(needle), "no {needle:?} in {warning:?}");
    warning
}
