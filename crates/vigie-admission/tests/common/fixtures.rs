//! Admission requests and the policy most tests use, as text and JSON only, so
//! that the command tests of vigie-cli read the same ones (they include this
//! file by path).

use serde_json::{json, Value as Json};

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

/// The AdmissionReview of a CREATE of the Pod `pod(name, namespace, labels)`.
pub fn pod_create(name: &str, namespace: &str, labels: Json) -> Json {
    review("CREATE", Some(&pod(name, namespace, labels)), None)
}

/// The rule `team-label`: Pods need a `team` label. A list item of `rules:`,
/// indented as in a policy's spec.
pub const TEAM_RULE: &str = r#"  - name: team-label
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
"#;

/// The rule `name` on Pods, for the `operations` given (`DELETE`, `CREATE,
/// UPDATE`; empty: every operation), doing `action` (the rule's `validate:` or
/// `mutate:` field, indented four spaces). A list item of `rules:`, indented as
/// in a policy's spec.
pub fn pod_rule(name: &str, operations: &str, action: &str) -> String {
    let operations = if operations.is_empty() {
        String::new()
    } else {
        format!("          operations: [{operations}]\n")
    };
    format!(
        "  - name: {name}\n    match:\n      any:\n      - resources:\n          kinds: [Pod]\n{operations}{action}"
    )
}

/// The spec field that makes a ClusterPolicy deny what fails its rules.
pub const ENFORCE: &str = "  validationFailureAction: Enforce\n";

/// A ClusterPolicy `name` whose spec holds the fields `spec` (lines indented
/// two spaces, each ending in a newline; often [`ENFORCE`] or nothing) and
/// then the list `rules` (items indented as in a spec).
pub fn cluster_policy(name: &str, spec: &str, rules: &str) -> String {
    format!(
        "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata:\n  name: {name}\nspec:\n{spec}  rules:\n{rules}"
    )
}

/// An enforced ban on `kubectl exec` into Pods (a CONNECT to `Pod/exec`).
pub fn exec_ban_policy() -> String {
    cluster_policy(
        "no-exec",
        ENFORCE,
        r#"  - name: block-exec
    match:
      any:
      - resources:
          kinds: [Pod/exec]
          operations: [CONNECT]
    validate:
      message: "exec into Pods is not allowed"
      deny: {}
"#,
    )
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
{TEAM_RULE}"#
    )
}
