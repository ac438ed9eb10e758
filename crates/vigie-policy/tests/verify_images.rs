//! ClusterPolicy `verifyImages` answered from the Context file's facts.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

use vigie_policy::{policies_from_str, Status};
mod common;

#[test]
fn verify_images_suite_agrees_and_says_what_is_missing() {
    let report = common::run_agreeing("verify-images", 7);
    let message = |rule: &str, resource: &str| {
        common::message_of(&report, |e| e.rule == rule && e.resource == resource)
    };
    assert_eq!(
        message("release-key", "shop/tool"),
        "failed to verify image registry.shop.example/tool:2: .attestors[0].entries[0].keys: no matching signatures"
    );
    assert!(
        message("release-key", "shop/ghost")
            .contains("no data for image 'registry.shop.example/ghost:1'"),
        "{}",
        message("release-key", "shop/ghost")
    );
}

const RULE_HEAD: &str = "apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: p}
spec:
  rules:
  - name: r
    match:
      any:
      - resources: {kinds: [Pod]}
    verifyImages:
";

#[test]
fn malformed_verify_images_are_errors_naming_the_field() {
    let cases = [
        (
            "    - attestors: []\n",
            "spec.rules[0].verifyImages[0].imageReferences",
            "needs the images",
        ),
        (
            "    - imageReferences: ['*']\n      attestors: [{entries: [{nothing: {}}]}]\n",
            "spec.rules[0].verifyImages[0].attestors[0].entries[0]",
            "keys, keyless, certificates or attestor",
        ),
        (
            "    - imageReferences: ['*']\n      mutateDigest: maybe\n",
            "spec.rules[0].verifyImages[0].mutateDigest",
            "expected true or false",
        ),
        (
            "    - imageReferences: ['*']\n      attestations: [{conditions: []}]\n",
            "spec.rules[0].verifyImages[0].attestations[0].type",
            "needs its type",
        ),
    ];
    for (body, path, reason) in cases {
        let loaded = policies_from_str(&format!("{RULE_HEAD}{body}"), "p.yaml");
        assert!(loaded.policies.is_empty(), "{body}");
        assert_eq!(loaded.errors.len(), 1, "{:?}", loaded.errors);
        let e = &loaded.errors[0];
        assert_eq!(e.path, path, "{e}");
        assert!(e.reason.contains(reason), "{e}");
        assert!(e.line.is_some(), "{e}");
    }
}

#[test]
fn a_digest_missing_from_the_facts_is_an_error_and_verify_digest_fails_without_mutation() {
    let mutate = "    - imageReferences: ['app*']\n";
    let loaded = policies_from_str(&format!("{RULE_HEAD}{mutate}"), "p.yaml");
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let pod = vigie_policy::Target::from_json(serde_json::json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"},
        "spec": {"containers": [{"name": "c", "image": "app:1"}]}}));
    let request = vigie_policy::Request {
        cel_lookup: std::sync::Arc::new(vigie_cel::kyverno::Offline {
            resources: Vec::new(),
            images: vec![serde_json::json!({"image": "app:1"})],
        }),
        ..Default::default()
    };
    let outcome = vigie_policy::mutate(&loaded.policies, &pod, &request);
    let (_, result) = &outcome.results[0];
    assert_eq!(result.status, Status::Error);
    assert!(
        result.message.contains("gives no digest"),
        "{}",
        result.message
    );
    assert!(!outcome.changed);

    let strict = "    - imageReferences: ['app*']\n      mutateDigest: false\n";
    let loaded = policies_from_str(&format!("{RULE_HEAD}{strict}"), "p.yaml");
    let outcome = vigie_policy::mutate(&loaded.policies, &pod, &request);
    let (_, result) = &outcome.results[0];
    assert_eq!(
        (result.status, result.message.as_str()),
        (Status::Fail, "missing digest for app:1")
    );
}
