//! Helpers of the webhook's tests: reviews, policies and webhooks built in memory.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]
#![allow(dead_code)]

pub mod https;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value as Json};
use vigie_admission::{AdmissionMetrics, ClusterData, PolicySet, PolicyStore, Webhook};
use vigie_policy::policies_from_str;

/// A policy set from YAML text; panics when a policy does not load.
pub fn set_of(yaml: &str) -> PolicySet {
    let loaded = policies_from_str(yaml, "policies.yaml");
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    PolicySet::new(loaded.policies, 1)
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

/// A Pod with these labels in `namespace`.
pub fn pod(name: &str, namespace: &str, labels: Json) -> Json {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}
    })
}

/// An AdmissionReview of `operation` on `object` (and `old` when given).
pub fn review(operation: &str, object: Option<&Json>, old: Option<&Json>) -> Json {
    let subject = object.or(old).unwrap();
    let kind = subject["kind"].as_str().unwrap();
    let namespace = subject["metadata"]["namespace"].as_str().unwrap_or("");
    let (group, version) = match subject["apiVersion"].as_str().unwrap().rsplit_once('/') {
        Some((g, v)) => (g.to_string(), v.to_string()),
        None => (
            String::new(),
            subject["apiVersion"].as_str().unwrap().to_string(),
        ),
    };
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
            "kind": {"group": group, "version": version, "kind": kind},
            "resource": {"group": group, "version": version, "resource": format!("{}s", kind.to_lowercase())},
            "name": subject["metadata"]["name"],
            "namespace": namespace,
            "operation": operation,
            "userInfo": {"username": "alice", "groups": ["system:authenticated"]},
            "object": object.cloned().unwrap_or(Json::Null),
            "oldObject": old.cloned().unwrap_or(Json::Null),
            "dryRun": false
        }
    })
}

/// The `response` of the AdmissionReview answered to `body` at /validate.
pub fn validate(webhook: &Webhook, body: &Json) -> Json {
    let answer = webhook
        .answer(
            vigie_admission::Endpoint::Validate,
            body.to_string().as_bytes(),
        )
        .expect("an AdmissionReview answer");
    answer.to_review()["response"].clone()
}

/// The policy used by most tests: Pods need a `team` label, under `action`.
pub fn team_policy(action: &str, extra_spec: &str) -> String {
    format!(
        r#"
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: require-team
spec:
  validationFailureAction: {action}
{extra_spec}
  rules:
  - name: team-label
    match:
      any:
      - resources:
          kinds: [Pod]
    validate:
      message: "the label team is required"
      pattern:
        metadata:
          labels:
            team: "?*"
"#
    )
}
