//! The pod label index against a plain evaluation of selectors (workload by
//! workload, as Kubernetes defines them), and a bound on the work it does.

use std::collections::BTreeSet;
use std::fmt::Write;

use vigie_resource::{Node, Resource};

use super::topology::{label_selector_is_empty, pod_labels, service_selector};
use crate::control::{ClusterOutcome, Evaluator, Inventory, InventoryIndex};
use crate::controls::common::{resources, WORKLOAD_KINDS};
use crate::controls::rbac::service_accounts::namespace_of;
use crate::pod::list_of;
use crate::Config;

/// The label of a workload as selectors see it.
fn label(labels: Option<&Node>, key: &str) -> Option<String> {
    labels.and_then(|l| l.get(key)).map(Node::display_value)
}

/// A `LabelSelector` evaluated on one workload's labels, the plain way.
fn plain_label_selector(selector: &Node, labels: Option<&Node>) -> bool {
    let equal = selector
        .get("matchLabels")
        .and_then(Node::as_map)
        .unwrap_or(&[])
        .iter()
        .all(|e| label(labels, &e.key) == Some(e.value.display_value()));
    equal
        && list_of(selector, "matchExpressions")
            .iter()
            .all(|expression| {
                let key = expression.get("key").and_then(Node::as_str).unwrap_or("");
                let values: Vec<String> = list_of(expression, "values")
                    .iter()
                    .map(Node::display_value)
                    .collect();
                let value = label(labels, key);
                let listed = value.as_ref().is_some_and(|v| values.contains(v));
                match expression.get("operator").and_then(Node::as_str) {
                    Some("In") => listed,
                    Some("NotIn") => !listed,
                    Some("Exists") => value.is_some(),
                    Some("DoesNotExist") => value.is_none(),
                    _ => false,
                }
            })
}

/// A Service selector evaluated on one workload's labels, the plain way.
fn plain_service_selector(selector: &Node, labels: Option<&Node>) -> bool {
    let entries = selector.as_map().unwrap_or(&[]);
    !entries.is_empty()
        && entries
            .iter()
            .all(|e| label(labels, &e.key) == Some(e.value.display_value()))
}

fn workloads(resources: &[Resource]) -> impl Iterator<Item = (usize, &Resource)> {
    resources
        .iter()
        .enumerate()
        .filter(|(_, r)| WORKLOAD_KINDS.contains(&r.kind.as_str()))
}

/// What each control flags, computed workload by workload.
fn plain_findings(id: &str, resources: &[Resource]) -> BTreeSet<usize> {
    let policies = || {
        resources
            .iter()
            .enumerate()
            .filter(|(_, r)| r.kind == "NetworkPolicy")
    };
    let selects = |policy: &Resource, workload: &Resource| {
        namespace_of(policy) == namespace_of(workload)
            && policy
                .root
                .get_path(&["spec", "podSelector"])
                .is_none_or(|s| {
                    label_selector_is_empty(s) || plain_label_selector(s, pod_labels(workload))
                })
    };
    match id {
        "VG-N006" => workloads(resources)
            .filter(|(_, w)| !policies().any(|(_, p)| selects(p, w)))
            .map(|(i, _)| i)
            .collect(),
        "VG-N008" => policies()
            .filter(|(_, p)| {
                let selector = p.root.get_path(&["spec", "podSelector"]);
                selector.is_some_and(|s| !label_selector_is_empty(s))
                    && !workloads(resources).any(|(_, w)| selects(p, w))
            })
            .map(|(i, _)| i)
            .collect(),
        "VG-N013" => resources
            .iter()
            .enumerate()
            .filter(|(_, s)| s.kind == "Service")
            .filter(|(_, s)| {
                service_selector(s).as_map().is_some_and(|m| !m.is_empty())
                    && !workloads(resources).any(|(_, w)| {
                        namespace_of(s) == namespace_of(w)
                            && plain_service_selector(service_selector(s), pod_labels(w))
                    })
            })
            .map(|(i, _)| i)
            .collect(),
        _ => unreachable!(),
    }
}

/// Runs a cross-object control on an inventory whose index the caller keeps.
fn run(id: &str, inventory: Inventory<'_>) -> BTreeSet<usize> {
    let control = crate::controls::find(id).unwrap();
    let Evaluator::Cluster { evaluate, .. } = control.evaluator else {
        unreachable!("{id} is cross-object");
    };
    let mut outcome = ClusterOutcome::default();
    evaluate(&inventory, &Config::default(), &mut outcome);
    outcome.violations.iter().map(|(i, _)| *i).collect()
}

const TRICKY: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec: {template: {metadata: {labels: {app: web, tier: front, version: "2"}}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-copy, namespace: shop}
spec: {template: {metadata: {labels: {app: web, tier: front, version: "2"}}}}
---
apiVersion: v1
kind: Pod
metadata: {name: dup, namespace: shop, labels: {app: a, app: b, tier: null, zone: "x y"}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: bare, namespace: shop}
spec: {template: {spec: {}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: other-ns, namespace: lab}
spec: {template: {metadata: {labels: {app: web, tier: front}}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: version-number, namespace: shop}
spec: {podSelector: {matchLabels: {version: "2"}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: last-duplicate-wins, namespace: shop}
spec: {podSelector: {matchExpressions: [{key: app, operator: In, values: [b]}]}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: first-duplicate-loses, namespace: shop}
spec: {podSelector: {matchExpressions: [{key: app, operator: In, values: [a]}]}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: null-is-absent, namespace: shop}
spec: {podSelector: {matchExpressions: [{key: tier, operator: DoesNotExist}, {key: zone, operator: In, values: ["x y"]}]}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: not-in-unknown-value, namespace: lab}
spec: {podSelector: {matchExpressions: [{key: app, operator: NotIn, values: [nothing-like-it]}]}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: unknown-operator, namespace: shop}
spec: {podSelector: {matchExpressions: [{key: app, operator: Near, values: [web]}]}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: unknown-key, namespace: shop}
spec: {podSelector: {matchExpressions: [{key: nope, operator: Exists}]}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: contradiction, namespace: shop}
spec: {podSelector: {matchExpressions: [{key: tier, operator: In, values: [front]}, {key: tier, operator: NotIn, values: [front]}]}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: only-absence, namespace: shop}
spec: {podSelector: {matchExpressions: [{key: app, operator: DoesNotExist}, {key: tier, operator: NotIn, values: [back]}]}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: in-empty, namespace: lab}
spec: {podSelector: {matchExpressions: [{key: app, operator: In, values: []}]}}
---
apiVersion: v1
kind: Pod
metadata: {name: lonely, namespace: quiet, labels: {app: db}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-only, namespace: quiet}
spec: {podSelector: {matchLabels: {app: web}}}
---
apiVersion: v1
kind: Service
metadata: {name: two-keys, namespace: shop}
spec: {selector: {tier: front, app: web}}
---
apiVersion: v1
kind: Service
metadata: {name: number, namespace: shop}
spec: {selector: {version: 2}}
---
apiVersion: v1
kind: Service
metadata: {name: wrong-namespace, namespace: lab}
spec: {selector: {version: 2}}
---
apiVersion: v1
kind: Service
metadata: {name: duplicate-key, namespace: shop}
spec: {selector: {app: web, app: a}}
"#;

#[test]
fn index_agrees_with_plain_evaluation() {
    let resources = resources(TRICKY);
    let index = InventoryIndex::new(&resources);
    let inventory = Inventory::new(&resources, &index);
    let name = |set: &BTreeSet<usize>| -> Vec<&str> {
        set.iter().map(|&i| resources[i].name.as_str()).collect()
    };
    for id in ["VG-N006", "VG-N008", "VG-N013"] {
        let expected = plain_findings(id, &resources);
        assert_eq!(
            name(&run(id, inventory)),
            name(&expected),
            "{id} differs from the plain evaluation"
        );
    }
    // The fixture exercises both outcomes of the policy controls.
    assert_eq!(name(&plain_findings("VG-N006", &resources)), ["lonely"]);
    assert!(plain_findings("VG-N008", &resources).len() >= 3);
}

/// One namespace of `workloads` workloads, each with its own `app` label (so
/// that every label set is distinct) and shared `tier`, `component` and
/// `track` labels, and `policies` NetworkPolicies with set-based selectors.
fn one_namespace(workloads: usize, policies: usize) -> String {
    const TIERS: [&str; 6] = ["web", "api", "worker", "db", "cache", "batch"];
    let mut text = String::new();
    for i in 0..workloads {
        let _ = write!(
            text,
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: app-{i}, namespace: prod}}\nspec: {{template: {{metadata: {{labels: {{app: app-{i}, tier: {}, component: c{}, track: {}}}}}}}}}\n---\n",
            TIERS[i % 6],
            i % 40,
            if i % 10 == 0 { "canary" } else { "stable" },
        );
    }
    for p in 0..policies {
        let (tier, other) = (TIERS[p % 6], TIERS[(p / 6) % 6]);
        let expressions = match p % 8 {
            0 => format!("[{{key: tier, operator: In, values: [{tier}, {other}]}}]"),
            1 => format!("[{{key: tier, operator: NotIn, values: [{tier}, {other}, db]}}]"),
            2 => format!("[{{key: component, operator: In, values: [c{}]}}, {{key: track, operator: NotIn, values: [canary]}}]", p % 45),
            3 => format!("[{{key: app, operator: In, values: [app-{}]}}]", p * 7),
            4 => format!("[{{key: component, operator: Exists}}, {{key: tier, operator: NotIn, values: [{tier}]}}]"),
            5 => format!("[{{key: tier, operator: In, values: [{tier}]}}, {{key: track, operator: In, values: [stable]}}]"),
            6 => format!("[{{key: legacy, operator: DoesNotExist}}, {{key: app, operator: In, values: [app-{}]}}]", p * 3),
            _ => format!("[{{key: track, operator: NotIn, values: [stable]}}, {{key: component, operator: NotIn, values: [c{}]}}]", p % 45),
        };
        let _ = write!(
            text,
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: np-{p}, namespace: prod}}\nspec: {{podSelector: {{matchExpressions: {expressions}}}}}\n---\n"
        );
    }
    text
}

#[test]
fn set_based_policies_cost_far_less_than_workloads_times_policies() {
    let (workloads, policies) = (3_000, 320);
    let resources = resources(&one_namespace(workloads, policies));
    let index = InventoryIndex::new(&resources);
    let inventory = Inventory::new(&resources, &index);
    for id in ["VG-N006", "VG-N008"] {
        assert_eq!(
            run(id, inventory),
            plain_findings(id, &resources),
            "{id} differs from the plain evaluation"
        );
    }
    // Label sets looked at by both controls together: linear in the input,
    // where the plain evaluation looks at workloads x policies for each.
    let work = inventory.pod_labels().evaluations();
    assert!(
        work <= 3 * (workloads + policies) as u64,
        "{work} label sets looked at for {workloads} workloads and {policies} policies"
    );
}
