//! Cleanup policies as a dry run: which resources a ClusterCleanupPolicy
//! (match, exclude, JMESPath conditions) and a DeletingPolicy (CEL
//! conditions and variables) would delete.

use serde_json::{json, Value};
use vigie_policy::{deletions, policies_from_str, Request, Status, Target};

const POLICIES: &str = "apiVersion: kyverno.io/v2
kind: ClusterCleanupPolicy
metadata: {name: old-debug-pods}
spec:
  schedule: '0 * * * *'
  match:
    any:
    - resources: {kinds: [Pod]}
  exclude:
    any:
    - resources: {namespaces: [kube-system]}
  conditions:
    all:
    - key: \"{{ target.metadata.labels.debug || '' }}\"
      operator: Equals
      value: 'true'
---
apiVersion: policies.kyverno.io/v1
kind: DeletingPolicy
metadata: {name: expired-configmaps}
spec:
  schedule: '*/5 * * * *'
  matchConstraints:
    resourceRules:
    - apiGroups: ['']
      apiVersions: [v1]
      resources: [configmaps]
  variables:
  - name: expires
    expression: \"object.metadata.?annotations['expires'].orValue('')\"
  conditions:
  - name: expired
    expression: \"variables.expires != '' && variables.expires < '2026-01-01'\"
";

/// A Pod `x` of `namespace` with `labels`.
fn pod(namespace: &str, labels: Value) -> Target {
    Target::from_json(json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "x", "namespace": namespace, "labels": labels}}))
}

/// A ConfigMap `x` of `shop` with `annotations`.
fn config_map(annotations: Value) -> Target {
    Target::from_json(json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "x", "namespace": "shop", "annotations": annotations}}))
}

#[test]
fn cleanup_policies_select_what_they_would_delete() {
    let loaded = policies_from_str(POLICIES, "cleanup.yaml");
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert!(loaded.unsupported.is_empty(), "{:?}", loaded.unsupported);
    let cases = [
        (
            "a debug pod",
            pod("shop", json!({"debug": "true"})),
            vec![("old-debug-pods", Status::Pass)],
        ),
        (
            "a pod without the label is spared",
            pod("shop", json!({})),
            vec![("old-debug-pods", Status::Skip)],
        ),
        (
            "an excluded namespace is not matched",
            pod("kube-system", json!({"debug": "true"})),
            vec![],
        ),
        (
            "an expired config map",
            config_map(json!({"expires": "2025-06-30"})),
            vec![("expired-configmaps", Status::Pass)],
        ),
        (
            "a config map still valid",
            config_map(json!({"expires": "2027-01-01"})),
            vec![("expired-configmaps", Status::Skip)],
        ),
    ];
    for (why, target, want) in cases {
        let got: Vec<(String, Status)> = deletions(&loaded.policies, &target, &Request::default())
            .into_iter()
            .map(|(i, r)| (loaded.policies[i].name.clone(), r.status))
            .collect();
        let want: Vec<(String, Status)> =
            want.into_iter().map(|(p, s)| (p.to_string(), s)).collect();
        assert_eq!(got, want, "{why}");
    }
    let debug = pod("shop", json!({"debug": "true"}));
    let r = deletions(&loaded.policies, &debug, &Request::default());
    assert_eq!(r[0].1.message, "would be deleted (schedule 0 * * * *)");
}
