//! ClusterPolicy `verifyImages` answered from the Context file's facts.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

use vigie_policy::{policies_from_str, Status};
mod common;

#[test]
fn verify_images_suite_agrees_and_says_what_is_missing() {
    let report = common::run_agreeing("verify-images", 7);
    let message = common::message_by_rule(&report);
    assert_eq!(
        message("release-key", "shop/tool"),
        "failed to verify image registry.shop.example/tool:2: .attestors[0].entries[0].keys: no matching signatures"
    );
    common::assert_contains(
        &message("release-key", "shop/ghost"),
        "no data for image 'registry.shop.example/ghost:1'",
    );
}

/// A Pod `a` with one container running `image`.
fn pod(image: &str) -> vigie_policy::Target {
    vigie_policy::Target::from_json(serde_json::json!({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"},
        "spec": {"containers": [{"name": "c", "image": image}]}}))
}

/// A ClusterPolicy whose rule `r` on Pods has the `verifyImages` entries
/// `entries`.
fn verify_images_policy(entries: &str) -> String {
    common::one_rule_cluster_policy("r", "Pod", &format!("    verifyImages:\n{entries}"))
}

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
    assert_each_refused(&verify_images_policy(""), &cases);
}

#[test]
fn a_digest_missing_from_the_facts_is_an_error_and_verify_digest_fails_without_mutation() {
    let mutate = "    - imageReferences: ['app*']\n";
    let loaded = policies_from_str(&verify_images_policy(mutate), "p.yaml");
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let pod = pod("app:1");
    let request = common::with_image_facts(serde_json::json!([{"image": "app:1"}]));
    let outcome = vigie_policy::mutate(&loaded.policies, &pod, &request);
    let (_, result) = &outcome.results[0];
    assert_eq!(result.status, Status::Error);
    common::assert_contains(&result.message, "gives no digest");
    assert!(!outcome.changed);

    let strict = "    - imageReferences: ['app*']\n      mutateDigest: false\n";
    let loaded = policies_from_str(&verify_images_policy(strict), "p.yaml");
    let outcome = vigie_policy::mutate(&loaded.policies, &pod, &request);
    let (_, result) = &outcome.results[0];
    assert_eq!(
        (result.status, result.message.as_str()),
        (Status::Fail, "missing digest for app:1")
    );
}

#[test]
fn variables_extractors_and_annotation_names_suite_agrees() {
    let report = common::run_agreeing("verify-images-templated", 7);
    let unresolved = common::message_of(&report, |e| e.resource == "team-a/unlabelled");
    assert!(
        unresolved.contains("failed to substitute variables in spec.rules[0].verifyImages")
            && unresolved.contains("request.object.metadata.labels.registry"),
        "{unresolved}"
    );
}

#[test]
fn malformed_image_extractors_are_errors_naming_the_field() {
    let head = common::one_rule_cluster_policy(
        "r",
        "Task",
        "    verifyImages: [{imageReferences: ['*']}]\n    imageExtractors:\n",
    );
    let cases = [
        (
            "      Task: [{path: /spec/steps/*}]\n",
            "spec.rules[0].imageExtractors.Task[0].path",
            "ending in the image field, or a value",
        ),
        (
            "      Task: [{path: /spec/image, jmesPath: 'trim_prefix(@'}]\n",
            "spec.rules[0].imageExtractors.Task[0].jmesPath",
            "invalid JMESPath",
        ),
        (
            "      Task: [{path: /spec/image, key: 3}]\n",
            "spec.rules[0].imageExtractors.Task[0].key",
            "expected a string",
        ),
        (
            "      Task: /spec/image\n",
            "spec.rules[0].imageExtractors.Task",
            "expected a list of extractors",
        ),
    ];
    assert_each_refused(&head, &cases);
}

#[test]
fn an_extractor_that_does_not_yield_an_image_is_an_error() {
    let policy = common::one_rule_cluster_policy(
        "r",
        "Task",
        "    imageExtractors:
      Task:
      - {name: steps, path: /spec/steps/*/image, jmesPath: 'length(@)'}
    verifyImages: [{imageReferences: ['*'], mutateDigest: false, verifyDigest: false}]
",
    );
    let loaded = policies_from_str(&policy, "p.yaml");
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let task = |steps: serde_json::Value| {
        vigie_policy::Target::from_json(serde_json::json!({
            "apiVersion": "tekton.dev/v1", "kind": "Task", "metadata": {"name": "t"},
            "spec": {"steps": steps}}))
    };
    let request = vigie_policy::Request::default();
    let outcome = vigie_policy::mutate(
        &loaded.policies,
        &task(serde_json::json!([{"image": "app:1"}])),
        &request,
    );
    let (_, result) = &outcome.results[0];
    assert_eq!(result.status, Status::Error);
    assert_eq!(
        result.message,
        "failed to extract images: imageExtractors steps: /spec/steps/0/image: jmesPath must \
         produce a string, but produced 5"
    );
    // `*` on a string is malformed input, not an empty list.
    let outcome = vigie_policy::mutate(
        &loaded.policies,
        &task(serde_json::json!("app:1")),
        &request,
    );
    let (_, result) = &outcome.results[0];
    assert_eq!(result.status, Status::Error);
    common::assert_contains(&result.message, "/spec/steps: `*` needs a list or a map");
    // No step has an image: nothing selected, the rule skips.
    let outcome = vigie_policy::mutate(
        &loaded.policies,
        &task(serde_json::json!([{"name": "x"}])),
        &request,
    );
    let (_, result) = &outcome.results[0];
    assert_eq!(result.status, Status::Skip, "{}", result.message);
}

#[test]
fn annotation_names_follow_kyverno_image_info() {
    use vigie_policy::verify_images::annotation_name;
    assert_eq!(annotation_name("nginx"), "docker.io/nginx:latest");
    assert_eq!(annotation_name("nginx:1.25"), "docker.io/nginx:1.25");
    assert_eq!(annotation_name("team/app:2"), "docker.io/team/app:2");
    assert_eq!(
        annotation_name("ghcr.io/o/app:1@sha256:ab"),
        "ghcr.io/o/app@sha256:ab"
    );
    assert_eq!(
        annotation_name("localhost:5000/app"),
        "localhost:5000/app:latest"
    );
}

#[test]
fn mutate_digest_writes_kyvernos_name_for_the_image() {
    let rule = "    - imageReferences: ['*']\n";
    let loaded = policies_from_str(&verify_images_policy(rule), "p.yaml");
    let pod = pod("nginx:1.25");
    let request = common::with_image_facts(
        serde_json::json!([{"image": "nginx:1.25", "digest": "sha256:ab"}]),
    );
    let outcome = vigie_policy::mutate(&loaded.policies, &pod, &request);
    assert_eq!(outcome.results[0].1.status, Status::Pass);
    assert_eq!(
        outcome.object["spec"]["containers"][0]["image"],
        "docker.io/nginx:1.25@sha256:ab"
    );
}

/// Each `(body, path, reason)`: `head` + `body` loads no policy and exactly
/// one error, at `path`, with a line, whose reason says `reason`.
fn assert_each_refused(head: &str, cases: &[(&str, &str, &str)]) {
    for (body, path, reason) in cases {
        let loaded = policies_from_str(&format!("{head}{body}"), "p.yaml");
        assert!(loaded.policies.is_empty(), "{body}");
        assert_eq!(loaded.errors.len(), 1, "{:?}", loaded.errors);
        let e = &loaded.errors[0];
        assert_eq!(e.path, *path, "{e}");
        assert!(e.reason.contains(reason), "{e}");
        assert!(e.line.is_some(), "{e}");
    }
}
