//! The CEL mutating kinds through the public API: Kyverno's MutatingPolicy
//! (ApplyConfiguration and JSONPatch, match conditions, variables, autogen)
//! and Kubernetes' MutatingAdmissionPolicy with its binding and params; and a
//! suite of MutatingPolicy and GeneratingPolicy entries.

mod common;

use serde_json::{json, Value};
use vigie_policy::{mutate, policies_from_str, Request, Status, Target};

/// A MutatingPolicy matching Pods, with `body` appended to its spec.
fn mpol(body: &str) -> String {
    format!(
        "apiVersion: policies.kyverno.io/v1
kind: MutatingPolicy
metadata: {{name: m}}
spec:
  matchConstraints:
    resourceRules:
    - apiGroups: ['']
      apiVersions: [v1]
      operations: [CREATE, UPDATE]
      resources: [pods]
{body}"
    )
}

fn pod(labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "namespace": "shop", "labels": labels},
        "spec": {"containers": [{"name": "app", "image": "nginx"}]}})
}

/// Runs the policies of `text` on `object`: the status of each rule result
/// and the object after them.
fn run(text: &str, object: Value, request: &Request) -> (Vec<(String, Status)>, Value) {
    let loaded = policies_from_str(text, "policy.yaml");
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert!(loaded.unsupported.is_empty(), "{:?}", loaded.unsupported);
    let outcome = mutate(&loaded.policies, &Target::from_json(object), request);
    let statuses = outcome
        .results
        .into_iter()
        .map(|(_, r)| (r.rule, r.status))
        .collect();
    (statuses, outcome.object)
}

#[test]
fn mutating_policies_patch_as_kubernetes_does() {
    let cases = [
        (
            "apply configuration merges maps",
            mpol(
                "  mutations:
  - patchType: ApplyConfiguration
    applyConfiguration:
      expression: >-
        Object{metadata: Object.metadata{labels: Object.metadata.labels{team: 'blue'}}}
",
            ),
            pod(json!({"app": "web"})),
            Status::Pass,
            json!({"app": "web", "team": "blue"}),
            None,
        ),
        (
            "containers merge by name; variables feed the expression",
            mpol(
                "  variables:
  - name: policy
    expression: \"'Always'\"
  mutations:
  - patchType: ApplyConfiguration
    applyConfiguration:
      expression: >-
        Object{spec: Object.spec{containers: object.spec.containers.map(c,
          Object.spec.containers{name: c.name, imagePullPolicy: variables.policy})}}
",
            ),
            pod(json!({})),
            Status::Pass,
            json!({}),
            Some(json!([{"name": "app", "image": "nginx", "imagePullPolicy": "Always"}])),
        ),
        (
            "JSON patches apply in order, each seeing the one before",
            mpol(
                "  mutations:
  - patchType: JSONPatch
    jsonPatch:
      expression: >-
        [JSONPatch{op: 'add', path: '/metadata/labels/' + jsonpatch.escapeKey('example.com/tier'),
          value: 'gold'}]
  - patchType: JSONPatch
    jsonPatch:
      expression: >-
        has(object.metadata.labels) && 'example.com/tier' in object.metadata.labels
          ? [JSONPatch{op: 'remove', path: '/metadata/labels/app'}] : []
",
            ),
            pod(json!({"app": "web"})),
            Status::Pass,
            json!({"example.com/tier": "gold"}),
            None,
        ),
        (
            "mutations that change nothing still pass (Kyverno skips only on a match condition)",
            mpol(
                "  mutations:
  - patchType: ApplyConfiguration
    applyConfiguration:
      expression: \"Object{metadata: Object.metadata{labels: Object.metadata.labels{app: 'web'}}}\"
",
            ),
            pod(json!({"app": "web"})),
            Status::Pass,
            json!({"app": "web"}),
            None,
        ),
        (
            "a false match condition skips",
            mpol(
                "  matchConditions:
  - name: labelled
    expression: \"has(object.metadata.labels) && 'inject' in object.metadata.labels\"
  mutations:
  - patchType: ApplyConfiguration
    applyConfiguration:
      expression: \"Object{metadata: Object.metadata{labels: {'x': 'y'}}}\"
",
            ),
            pod(json!({"app": "web"})),
            Status::Skip,
            json!({"app": "web"}),
            None,
        ),
        (
            "an expression that fails is an error and changes nothing",
            mpol(
                "  mutations:
  - patchType: JSONPatch
    jsonPatch:
      expression: \"[JSONPatch{op: 'add', path: '/metadata/labels/a', value: object.spec.missing}]\"
",
            ),
            pod(json!({"app": "web"})),
            Status::Error,
            json!({"app": "web"}),
            None,
        ),
        (
            "failurePolicy Ignore passes over a failing mutation",
            mpol(
                "  failurePolicy: Ignore
  mutations:
  - patchType: JSONPatch
    jsonPatch:
      expression: \"[JSONPatch{op: 'add', path: '/metadata/labels/a', value: object.spec.missing}]\"
  - patchType: ApplyConfiguration
    applyConfiguration:
      expression: \"Object{metadata: Object.metadata{labels: {'b': 'c'}}}\"
",
            ),
            pod(json!({"app": "web"})),
            Status::Pass,
            json!({"app": "web", "b": "c"}),
            None,
        ),
    ];
    for (why, text, object, status, labels, containers) in cases {
        let (statuses, out) = run(&text, object, &Request::default());
        assert_eq!(statuses, [("m".to_string(), status)], "{why}");
        assert_eq!(out["metadata"]["labels"], labels, "{why}");
        if let Some(c) = containers {
            assert_eq!(out["spec"]["containers"], c, "{why}");
        }
    }
}

#[test]
fn pod_policies_mutate_the_templates_of_pod_controllers() {
    let text = mpol(
        "  mutations:
  - patchType: ApplyConfiguration
    applyConfiguration:
      expression: >-
        Object{metadata: Object.metadata{labels: {'team': 'blue'}},
          spec: Object.spec{containers: object.spec.containers.map(c,
            Object.spec.containers{name: c.name, imagePullPolicy: 'Always'})}}
",
    );
    let template = json!({"metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "app", "image": "nginx"}]}});
    let want = json!({"metadata": {"labels": {"app": "web", "team": "blue"}},
        "spec": {"containers": [{"name": "app", "image": "nginx", "imagePullPolicy": "Always"}]}});
    let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
        "spec": {"template": template}});
    let (statuses, out) = run(&text, deployment, &Request::default());
    assert_eq!(statuses, [("autogen-m".to_string(), Status::Pass)]);
    assert_eq!(out["spec"]["template"], want);
    assert_eq!(out["metadata"]["labels"], json!({"app": "web"}));
    let cronjob = json!({"apiVersion": "batch/v1", "kind": "CronJob",
        "metadata": {"name": "nightly", "namespace": "shop"},
        "spec": {"jobTemplate": {"spec": {"template": template}}}});
    let (statuses, out) = run(&text, cronjob, &Request::default());
    assert_eq!(statuses, [("autogen-cronjob-m".to_string(), Status::Pass)]);
    assert_eq!(out["spec"]["jobTemplate"]["spec"]["template"], want);
}

const ADMISSION_POLICY: &str = "apiVersion: admissionregistration.k8s.io/v1beta1
kind: MutatingAdmissionPolicy
metadata: {name: default-tier}
spec:
  paramKind: {apiVersion: v1, kind: ConfigMap}
  matchConstraints:
    resourceRules:
    - apiGroups: ['']
      apiVersions: [v1]
      operations: [CREATE]
      resources: [pods]
  mutations:
  - patchType: ApplyConfiguration
    applyConfiguration:
      expression: \"Object{metadata: Object.metadata{labels: {'tier': params.data.tier}}}\"
---
apiVersion: admissionregistration.k8s.io/v1beta1
kind: MutatingAdmissionPolicyBinding
metadata: {name: default-tier-binding}
spec:
  policyName: default-tier
  paramRef: {name: tiers, namespace: config}
";

#[test]
fn mutating_admission_policies_take_params_from_their_binding() {
    let params = |ns: &str, tier: &str| {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "tiers", "namespace": ns}, "data": {"tier": tier}})
    };
    let request = Request {
        config_maps: vec![params("shop", "wrong"), params("config", "gold")],
        ..Request::default()
    };
    let (statuses, out) = run(ADMISSION_POLICY, pod(json!({})), &request);
    assert_eq!(statuses, [("default-tier".to_string(), Status::Pass)]);
    assert_eq!(out["metadata"]["labels"], json!({"tier": "gold"}));
    // No autogen for Kubernetes' own kind.
    let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"template": {"spec": {"containers": []}}}});
    let (statuses, _) = run(ADMISSION_POLICY, deployment, &request);
    assert!(statuses.is_empty(), "{statuses:?}");
}

#[test]
fn bad_mutations_are_errors_naming_their_path() {
    let cases = [
        (
            "  mutations:\n  - patchType: Merge\n    applyConfiguration: {expression: 'Object{}'}\n",
            "spec.mutations[0].patchType",
        ),
        (
            "  mutations:\n  - patchType: JSONPatch\n    jsonPatch: {}\n",
            "spec.mutations[0].jsonPatch.expression",
        ),
        (
            "  mutations:\n  - patchType: JSONPatch\n    jsonPatch: {expression: 'objekt.spec'}\n",
            "spec.mutations[0].jsonPatch.expression",
        ),
        ("  mutations: []\n", "spec.mutations"),
    ];
    for (body, path) in cases {
        let loaded = policies_from_str(&mpol(body), "policy.yaml");
        assert!(loaded.policies.is_empty(), "{body}");
        assert_eq!(loaded.errors.len(), 1, "{body}");
        assert_eq!(loaded.errors[0].path, path, "{body}");
    }
}

#[test]
fn a_suite_of_cel_kinds_compares_patched_and_generated_resources() {
    common::run_agreeing("cel-kinds", 3);
}
