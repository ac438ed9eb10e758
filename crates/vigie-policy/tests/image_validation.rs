//! ImageValidatingPolicy: our own suite (`tests/suites/image-validation`),
//! whose signatures and attestations come from its Context file, and the
//! policy's load errors and unsupported modes.

mod common;

use serde_json::json;
use vigie_policy::{evaluate, policies_from_str, Request, RuleAction, Status, Target};

#[test]
fn own_suite_agrees_entry_by_entry() {
    let report = common::run_agreeing("image-validation", 12);
    let message = common::message_by_policy(&report);
    assert_eq!(
        message("shop-images-signed", "worker"),
        "every shop image must be signed with the release key"
    );
    // Autogen: the Deployment's template images were checked.
    assert_eq!(
        message("shop-images-signed", "web-deploy"),
        "every shop image must be signed with the release key"
    );
    assert_eq!(
        message("shop-images-signed", "batch"),
        "provenance of 1 image(s) is not from the shop builder"
    );
    let unknown = message("shop-images-signed", "unknown-image");
    assert!(
        unknown.contains("no data for image 'registry.shop.example/never-described:0.1'")
            && unknown.contains("never contacts a registry"),
        "{unknown}"
    );
    assert_eq!(
        message("pinned-by-digest", "web"),
        "image registry.shop.example/web:1.4 does not have a digest"
    );
    assert_eq!(
        message("config-images", "tool-config"),
        "the declared image must not run as root"
    );
}

const POLICY: &str = r#"
apiVersion: policies.kyverno.io/v1
kind: ImageValidatingPolicy
metadata: {name: signed}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
  validationConfigurations: {verifyDigest: false}
  attestors:
  - name: key
    cosign: {key: {data: "(key)"}}
  validations:
  - expression: "images.containers.all(i, verifyImageSignatures(i, [attestors.key]) > 0)"
"#;

fn pod(image: &str) -> Target {
    Target::from_json(json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "namespace": "a"},
        "spec": {"containers": [{"name": "c", "image": image}]}}))
}

#[test]
fn signatures_required_and_unknown_images() {
    let policies = common::clean_policies(POLICY);
    let policy = &policies[0];
    assert_eq!(policy.kind, "ImageValidatingPolicy");
    let run = |req: &Request, image: &str| evaluate(policy, &pod(image), req)[0].clone();
    let signed = common::with_image_facts(json!([{"image": "app:1", "signatures": ["key"]}]));
    let r = run(&signed, "app:1");
    assert_eq!(r.status, Status::Pass, "{}", r.message);
    // Normalized references find the same entry.
    assert_eq!(run(&signed, "docker.io/app:1").status, Status::Pass);
    let unsigned = common::with_image_facts(json!([{"image": "app:1", "signatures": ["other"]}]));
    let r = run(&unsigned, "app:1");
    assert_eq!(
        (r.status, r.message.as_str()),
        (Status::Fail, "CEL expression validation failed at index 0")
    );
    // An entry that says nothing of signatures is an error, not a failure
    // or a pass.
    let silent = common::with_image_facts(json!([{"image": "app:1", "config": {}}]));
    let r = run(&silent, "app:1");
    assert_eq!(r.status, Status::Error, "{}", r.message);
    common::assert_contains(&r.message, "no `signatures` list");
    let r = run(&Request::default(), "app:1");
    assert_eq!(r.status, Status::Error, "{}", r.message);
}

#[test]
fn required_fails_images_no_check_verified() {
    // The validation never verifies: `required` (the default) fails the
    // selected images, and only those.
    let text = POLICY.replace(
        "images.containers.all(i, verifyImageSignatures(i, [attestors.key]) > 0)",
        "true",
    );
    let policies = common::clean_policies(&text);
    let r = evaluate(&policies[0], &pod("app:1"), &Request::default())[0].clone();
    assert_eq!(r.status, Status::Fail);
    assert_eq!(
        r.message,
        "image app:1 is not verified: no policy performed a signature or attestation check on it"
    );
    let text = text.replace(
        "verifyDigest: false",
        "verifyDigest: false, required: false",
    );
    let policies = common::clean_policies(&text);
    let r = evaluate(&policies[0], &pod("app:1"), &Request::default())[0].clone();
    assert_eq!(r.status, Status::Pass, "{}", r.message);
}

#[test]
fn bad_policies_name_their_path_and_json_mode_is_unsupported() {
    // Each (text, replacement): the one error it makes, at its path and line.
    let refused = [
        // Both kinds of attestor in one.
        (
            "cosign: {key: {data: \"(key)\"}}",
            "cosign: {key: {data: \"(key)\"}}\n    notary: {certs: {value: x}}",
            "spec.attestors[0]",
        ),
        (
            "verifyImageSignatures(i, [attestors.key]) > 0",
            "i.startz(",
            "spec.validations[0].expression",
        ),
        (
            "  validationConfigurations",
            "  matchImageReferences: [{}]\n  validationConfigurations",
            "spec.matchImageReferences[0]",
        ),
    ];
    for (text, replacement, path) in refused {
        let loaded = policies_from_str(&POLICY.replace(text, replacement), "p.yaml");
        assert_eq!(loaded.errors.len(), 1, "{path}: {:?}", loaded.errors);
        assert_eq!(loaded.errors[0].path, path);
        assert!(loaded.errors[0].line.is_some(), "{path}");
    }
    let text = POLICY.replace(
        "  validationConfigurations",
        "  evaluation: {mode: JSON}\n  validationConfigurations",
    );
    let loaded = policies_from_str(&text, "p.yaml");
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert!(matches!(
        loaded.policies[0].rules[0].action,
        RuleAction::Unsupported(f) if f.contains("evaluation.mode")
    ));
    assert_eq!(loaded.unsupported_rules.len(), 1);
}

#[test]
fn mutate_digest_pins_selected_images_from_the_facts() {
    let text = POLICY.replace(
        "  validationConfigurations:",
        "  matchImageReferences: [{glob: \"docker.io/*\"}]\n  validationConfigurations:",
    );
    let policies = common::clean_policies(&text);
    let digest = "sha256:0123456789012345678901234567890123456789012345678901234567890123";
    let facts = common::with_image_facts(json!([{"image": "docker.io/app:1", "digest": digest}]));
    let target = Target::from_json(json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "namespace": "a"},
        "spec": {
            "initContainers": [{"name": "i", "image": "ghost:2"}],
            "containers": [
                {"name": "a", "image": "app:1"},
                {"name": "b", "image": format!("app:1@{digest}")},
                {"name": "c", "image": "registry.example/other:1"}]}}));
    let outcome = vigie_policy::pin_image_digests(&policies, &target, &facts);
    assert!(outcome.changed);
    let image = |list: &str, i: usize| outcome.object["spec"][list][i]["image"].clone();
    // Named as Kyverno names it, with the digest of its entry.
    assert_eq!(
        image("containers", 0),
        json!(format!("docker.io/app:1@{digest}"))
    );
    // A digest already, or not selected: left as written.
    assert_eq!(image("containers", 1), json!(format!("app:1@{digest}")));
    assert_eq!(image("containers", 2), json!("registry.example/other:1"));
    // No facts for ghost: an error naming it, and app:1 is pinned all the same.
    assert_eq!(image("initContainers", 0), json!("ghost:2"));
    assert_eq!(outcome.results.len(), 1);
    let (index, result) = &outcome.results[0];
    assert_eq!((*index, result.status), (0, Status::Error));
    assert!(
        result.message.starts_with(
            "failed to update digest: failed to resolve digest for image docker.io/ghost:2: no data for image 'docker.io/ghost:2'"
        ),
        "{}",
        result.message
    );
    assert!(!result.message.contains("other"), "{}", result.message);
    // An entry without a digest is an error too.
    let no_digest = common::with_image_facts(
        json!([{"image": "app:1"}, {"image": "ghost:2", "digest": digest}]),
    );
    let outcome = vigie_policy::pin_image_digests(&policies, &target, &no_digest);
    common::assert_contains(
        &outcome.results[0].1.message,
        "'docker.io/app:1' gives no digest",
    );
    // mutateDigest: false pins nothing and says nothing.
    let off = text.replace(
        "verifyDigest: false",
        "verifyDigest: false, mutateDigest: false",
    );
    let outcome = vigie_policy::pin_image_digests(&common::clean_policies(&off), &target, &facts);
    assert!(!outcome.changed && outcome.results.is_empty());
    // The policy's match conditions decide, as for its validation.
    let sandboxed = text.replace(
        "  validationConfigurations:",
        "  matchConditions:\n  - {name: no, expression: \"false\"}\n  validationConfigurations:",
    );
    let outcome =
        vigie_policy::pin_image_digests(&common::clean_policies(&sandboxed), &target, &facts);
    assert!(!outcome.changed && outcome.results.is_empty());
}

#[test]
fn required_is_settled_across_the_policies_of_the_request() {
    // catch-all comes first and verifies nothing: its `required` holds only
    // through team-signed's checks, evaluated after it.
    let report = common::run_agreeing("image-validation-required", 5);
    let message = |resource: &str| {
        report
            .entries
            .iter()
            .find(|e| e.resource.ends_with(resource) && e.policy == "catch-all")
            .map(|e| e.message.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        message("unsigned"),
        "image registry.shop.example/team/tool:1 failed signature or attestation verification"
    );
    assert_eq!(
        message("unchecked"),
        "image registry.shop.example/ops/agent:1 is not verified: no policy performed a \
         signature or attestation check on it"
    );
    // Alone, catch-all cannot be satisfied: the failure stands (never a pass
    // for want of settling).
    let policies = common::clean_policies(
        &std::fs::read_to_string(common::suite_file(
            "image-validation-required",
            "policies.yaml",
        ))
        .unwrap(),
    );
    let facts = common::with_image_facts(
        json!([{"image": "registry.shop.example/team/app:1", "signatures": ["team-key"]}]),
    );
    let pod = pod("registry.shop.example/team/app:1");
    let alone = evaluate(&policies[0], &pod, &facts);
    assert_eq!(alone[0].status, Status::Fail, "{}", alone[0].message);
    // Both in one context, catch-all first: settled to a pass.
    let context = vigie_policy::PolicyContext::new(&pod, &facts);
    let first = vigie_policy::evaluate_in(&context, &policies[0]);
    assert_eq!(first[0].status, Status::Fail);
    let second = vigie_policy::evaluate_in(&context, &policies[1]);
    assert_eq!(second[0].status, Status::Pass, "{}", second[0].message);
    let settled = context.settle_image_requirements();
    assert_eq!(settled.len(), 1);
    assert_eq!(
        (settled[0].policy.as_str(), settled[0].status),
        ("catch-all", Status::Pass)
    );
    assert!(context.settle_image_requirements().is_empty());
}
