//! Mutate rules through the public API: `vigie_policy::mutate` and `json_patch`,
//! one test per patch form, anchor and foreach shape.

use serde_json::{json, Value};
use vigie_policy::{json_patch, mutate, policies_from_str, Policy, Request, Status, Target};
mod common;

use common::clean_policies as policies;

/// A ClusterPolicy with one rule, `rule`, that matches Pods; `rest` is the
/// rule's other fields (`preconditions`, `mutate`), indented as in the rule.
fn pod_policy(rule: &str, rest: &str) -> Vec<Policy> {
    policies(&common::one_rule_cluster_policy(rule, "Pod", rest))
}

/// The outcome of mutating `target` with `policies`, in a request with no
/// user information.
fn run(policies: &[Policy], target: &Target) -> vigie_policy::MutationOutcome {
    mutate(policies, target, &Request::default())
}

fn pod(labels: Value, containers: Value) -> Target {
    Target::from_json(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "namespace": "shop", "labels": labels},
        "spec": {"containers": containers}
    }))
}

fn statuses(outcome: &vigie_policy::MutationOutcome) -> Vec<(usize, String, Status)> {
    outcome
        .results
        .iter()
        .map(|(i, r)| (*i, r.rule.clone(), r.status))
        .collect()
}

const LABELS: &str = "apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: labels}
spec:
  rules:
  - name: team
    match: {any: [{resources: {kinds: [Pod]}}]}
    mutate:
      patchStrategicMerge:
        metadata:
          labels:
            +(team): platform
  - name: copy-team
    match: {any: [{resources: {kinds: [Pod]}}]}
    mutate:
      patchStrategicMerge:
        metadata:
          annotations:
            owner: '{{ request.object.metadata.labels.team }}'
";

#[test]
fn each_rule_sees_the_previous_result_and_the_outcome_has_a_json_patch() {
    let policies = policies(LABELS);
    let target = pod(json!({}), json!([{"name": "a", "image": "nginx"}]));
    let outcome = run(&policies, &target);
    assert!(outcome.changed);
    assert_eq!(outcome.object["metadata"]["labels"]["team"], "platform");
    assert_eq!(
        outcome.object["metadata"]["annotations"]["owner"],
        "platform"
    );
    assert_eq!(
        statuses(&outcome),
        vec![
            (0, "team".into(), Status::Pass),
            (0, "copy-team".into(), Status::Pass)
        ]
    );
    assert_eq!(
        outcome.results[0].1.message,
        "mutated Pod/web in namespace shop"
    );
    let patch = json_patch(&target.object, &outcome.object);
    let ops = patch.as_array().unwrap();
    assert!(ops.iter().all(|op| op["op"] == "add"), "{patch}");
    let mut replayed = target.object.clone();
    let parsed: json_patch::Patch = serde_json::from_value(patch).unwrap();
    json_patch::patch(&mut replayed, &parsed).unwrap();
    assert_eq!(replayed, outcome.object);
}

#[test]
fn an_existing_label_is_kept_and_nothing_changed_is_a_skip() {
    let policies = policies(LABELS);
    let target = pod(json!({"team": "web"}), json!([]));
    let outcome = mutate(&policies[..], &target, &Request::default());
    assert_eq!(outcome.results[0].1.status, Status::Skip);
    assert_eq!(outcome.results[0].1.message, "no patches applied");
    assert_eq!(outcome.object["metadata"]["annotations"]["owner"], "web");
    let refs: Vec<&Policy> = policies.iter().collect();
    assert!(mutate(&refs, &target, &Request::default()).changed);
}

#[test]
fn a_missing_variable_is_an_error_and_the_object_is_left_alone() {
    let policies = pod_policy(
        "r",
        "    mutate:
      patchStrategicMerge:
        metadata: {labels: {x: '{{ request.object.spec.nope }}'}}
",
    );
    let target = pod(json!({}), json!([]));
    let outcome = run(&policies, &target);
    assert_eq!(outcome.results[0].1.status, Status::Error);
    common::assert_contains(
        &outcome.results[0].1.message,
        "variable substitution failed",
    );
    assert!(!outcome.changed);
}

#[test]
fn json6902_with_variables_and_preconditions() {
    let policies = pod_policy(
        "r",
        "    preconditions:
      all:
      - {key: '{{ request.object.metadata.namespace }}', operator: Equals, value: shop}
    mutate:
      patchesJson6902: |-
        - op: add
          path: /metadata/labels/ns
          value: '{{ request.object.metadata.namespace }}'
        - op: remove
          path: /spec/containers/0
",
    );
    let target = pod(json!({}), json!([{"name": "a"}, {"name": "b"}]));
    let outcome = run(&policies, &target);
    assert_eq!(outcome.object["metadata"]["labels"]["ns"], "shop");
    assert_eq!(outcome.object["spec"]["containers"], json!([{"name": "b"}]));
    let mut other = target.object.clone();
    other["metadata"]["namespace"] = json!("dev");
    let outcome = run(&policies, &Target::from_json(other));
    assert_eq!(outcome.results[0].1.status, Status::Skip);
    assert_eq!(outcome.results[0].1.message, "preconditions not met");
}

#[test]
fn foreach_json6902_in_descending_order_removes_by_index() {
    let policies = pod_policy(
        "drop-sidecars",
        "    mutate:
      foreach:
      - list: request.object.spec.containers
        order: Descending
        preconditions:
          all:
          - {key: '{{ element.name }}', operator: Equals, value: 'sidecar-*'}
        patchesJson6902: |-
          - op: remove
            path: /spec/containers/{{ elementIndex }}
",
    );
    let target = pod(
        json!({}),
        json!([{"name": "sidecar-1"}, {"name": "app"}, {"name": "sidecar-2"}]),
    );
    let outcome = run(&policies, &target);
    assert_eq!(
        outcome.object["spec"]["containers"],
        json!([{"name": "app"}])
    );
    assert_eq!(outcome.results[0].1.status, Status::Pass);
}

#[test]
fn nested_foreach_sees_both_elements_and_context() {
    let policies = pod_policy(
        "env-per-port",
        "    mutate:
      foreach:
      - list: request.object.spec.containers
        order: Ascending
        context:
        - name: prefix
          variable: {value: PORT_}
        foreach:
        - list: element0.ports
          patchesJson6902: |-
            - op: add
              path: /spec/containers/{{ elementIndex0 }}/env/-
              value: {name: '{{ prefix }}{{ element1.containerPort }}', value: '{{ element0.name }}'}
",
    );
    let target = pod(
        json!({}),
        json!([{"name": "a", "ports": [{"containerPort": 80}, {"containerPort": 443}]}, {"name": "b"}]),
    );
    let outcome = run(&policies, &target);
    assert_eq!(
        outcome.results[0].1.status,
        Status::Pass,
        "{:?}",
        outcome.results
    );
    assert_eq!(
        outcome.object["spec"]["containers"][0]["env"],
        json!([{"name": "PORT_80", "value": "a"}, {"name": "PORT_443", "value": "a"}])
    );
    assert!(outcome.object["spec"]["containers"][1].get("env").is_none());
}

#[test]
fn conditional_anchor_in_a_list_patches_matching_containers_only() {
    let policies = pod_policy(
        "latest-pulls-always",
        "    mutate:
      patchStrategicMerge:
        spec:
          containers:
          - (image): '*:latest'
            imagePullPolicy: Always
",
    );
    let target = pod(
        json!({}),
        json!([{"name": "a", "image": "nginx:1"}, {"name": "b", "image": "redis:latest"}]),
    );
    let outcome = run(&policies, &target);
    let containers = &outcome.object["spec"]["containers"];
    assert_eq!(
        containers,
        &json!([{"name": "b", "image": "redis:latest", "imagePullPolicy": "Always"},
                {"name": "a", "image": "nginx:1"}]),
        "kustomize puts the patched element first"
    );
}

#[test]
fn autogen_mutates_the_pod_template_of_a_deployment() {
    let policies = policies(LABELS);
    let deployment = Target::from_json(json!({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
        "spec": {"template": {"metadata": {"labels": {"team": "x"}}, "spec": {"containers": []}}}
    }));
    let outcome = run(&policies, &deployment);
    assert_eq!(
        outcome.object["spec"]["template"]["metadata"]["annotations"]["owner"],
        "x"
    );
    assert!(outcome
        .results
        .iter()
        .any(|(_, r)| r.rule == "autogen-copy-team" && r.status == Status::Pass));
}

#[test]
fn targets_rules_load_and_leave_the_trigger_alone() {
    let policies = policies(
        &common::one_rule_cluster_policy(
            "r",
            "ConfigMap",
            "    mutate:
      targets: [{apiVersion: v1, kind: Secret, name: s}]
      patchStrategicMerge: {metadata: {labels: {a: b}}}
",
        )
        .replace("spec:\n", "spec:\n  mutateExistingOnPolicyUpdate: true\n"),
    );
    let cm = Target::from_json(json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "c"}}));
    // The targets are patched by `mutate_existing` (tests/mutate_existing.rs).
    let outcome = mutate(&policies, &cm, &Request::default());
    assert!(!outcome.changed && outcome.results.is_empty());
}

#[test]
fn a_bad_json_patch_is_a_policy_error_with_its_path() {
    let loaded = policies_from_str(
        &common::one_rule_cluster_policy(
            "r",
            "Pod",
            "    mutate:\n      patchesJson6902: 'op: add'\n",
        ),
        "p.yaml",
    );
    assert_eq!(loaded.errors.len(), 1);
    let text = loaded.errors[0].to_string();
    common::assert_contains(&text, "spec.rules[0].mutate.patchesJson6902");
    common::assert_contains(&text, "not a list of operations");
}
