//! Policies that come as objects (a cluster's ClusterPolicies), merged with the
//! files' into the served set: each change of them swaps the set, and a broken
//! one leaves the set served before in place.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{pod, review, team_policy, validate};
use serde_json::json;
use vigie_admission::{load_set, AdmissionMetrics, ClusterData, ClusterView, PolicyStore, Webhook};
use vigie_resource::{load_text, Limits, Resource};

/// The objects of `yaml`, as a cluster's list hands them over.
fn objects(yaml: &str) -> Vec<Resource> {
    let loaded = load_text(yaml, "cluster:standin", &Limits::default());
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    loaded.resources
}

#[test]
fn policy_objects_join_the_files_and_a_broken_one_keeps_the_set_served() {
    let dir = tempfile::tempdir().unwrap();
    // The files hold an audit-only policy: it never denies.
    let file = dir.path().join("audit.yaml");
    std::fs::write(
        &file,
        team_policy("Audit", "").replace("require-team", "audit-team"),
    )
    .unwrap();
    let paths = vec![file.display().to_string()];
    let metrics = Arc::new(AdmissionMetrics::default());
    let (set, _) = load_set(&paths, 1 << 20, 1).unwrap();
    let store = Arc::new(PolicyStore::new(paths, 1 << 20, set, metrics.clone()));
    let webhook = Webhook {
        store: store.clone(),
        cluster: Arc::new(ClusterView::fixed(ClusterData::default())),
        metrics,
        timeout: Duration::from_secs(8),
        reports: None,
    };
    let unlabelled = review("CREATE", Some(&pod("web", "shop", json!({}))), None);
    let allowed = |webhook: &Webhook| validate(webhook, &unlabelled)["allowed"] == true;
    assert!(allowed(&webhook));

    // The cluster gets an enforcing policy: the same request is denied.
    store
        .set_objects(objects(&team_policy("Enforce", "")))
        .unwrap();
    assert_eq!(store.current().len(), 2);
    assert!(!allowed(&webhook));
    let generation = store.current().generation();

    // A broken policy object: refused, the set served before stays.
    let broken = "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: broken}\nspec:\n  rules: 42\n";
    let mut with_broken = objects(&team_policy("Enforce", ""));
    with_broken.extend(objects(broken));
    let error = store.set_objects(with_broken).unwrap_err();
    assert!(!error.problems.is_empty());
    assert_eq!(store.current().generation(), generation);
    assert!(!allowed(&webhook));

    // The policy object deleted: the request is allowed again.
    store.set_objects(Vec::new()).unwrap();
    assert_eq!(store.current().len(), 1);
    assert!(allowed(&webhook));
}
