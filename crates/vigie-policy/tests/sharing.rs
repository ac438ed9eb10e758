//! Evaluating several policies on one target with a shared variables document
//! gives what evaluating each alone gives.

use serde_json::json;
use vigie_policy::policies_from_str;
use vigie_policy::{evaluate, evaluate_in, PolicyContext, Request, Target};

const POLICIES: &str = r#"
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: images
spec:
  rules:
  - name: no-latest
    match:
      any:
      - resources:
          kinds: [Pod]
    validate:
      message: "{{ images.containers.*.tag }}"
      deny:
        conditions:
          any:
          - key: latest
            operator: AnyIn
            value: "{{ images.containers.*.tag }}"
---
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: names
spec:
  rules:
  - name: named
    match:
      any:
      - resources:
          kinds: [Pod]
    validate:
      message: "{{ request.object.metadata.name }} in {{ request.namespace }}"
      pattern:
        metadata:
          labels:
            app: "?*"
"#;

#[test]
fn a_shared_variables_document_changes_no_result() {
    let loaded = policies_from_str(POLICIES, "p.yaml");
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let target = Target::from_json(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"containers": [{"name": "c", "image": "nginx:latest"}]}
    }));
    let request = Request::default();
    let context = PolicyContext::new(&target, &request);
    for policy in &loaded.policies {
        let alone = evaluate(policy, &target, &request);
        let shared = evaluate_in(&context, policy);
        assert_eq!(alone, shared);
        assert!(!shared.is_empty());
    }
}
