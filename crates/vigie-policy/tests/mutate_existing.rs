//! Mutating existing resources (`mutate.targets`): the engine on its own, and
//! suites whose `targetResources` the rules patch, compared with
//! `patchedResources` as `kyverno test` compares them.

mod common;

use serde_json::json;
use vigie_policy::suite::{run_suite, Verdict};
use vigie_policy::{mutate, mutate_existing, policies_from_str, Policy, Request, Status, Target};

#[test]
fn targets_selected_by_wildcard_and_foreach_are_patched_and_a_precondition_excludes_one() {
    let report = common::run_agreeing("mutate-existing", 5);
    // Each verdict is the target's own result, not the trigger's.
    let actual: Vec<_> = report
        .entries
        .iter()
        .map(|e| (e.resource.as_str(), e.actual))
        .collect();
    assert_eq!(
        actual,
        [
            ("shop/creds-db", Some(Status::Pass)),
            ("shop/creds-api", Some(Status::Skip)),
            ("elsewhere/creds-db", None),
            ("shop/token", None),
            ("shop/web", Some(Status::Pass)),
        ]
    );
}

#[test]
fn a_patched_target_that_differs_or_a_wrong_status_disagrees() {
    let report = run_suite(&common::suite("mutate-existing-wrong"));
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.entries.len(), 2);
    assert_eq!(report.entries[0].verdict, Verdict::Disagree);
    common::assert_contains(
        &report.entries[0].message,
        "/metadata/labels/team: expected billing, actual payments",
    );
    assert_eq!(report.entries[1].verdict, Verdict::Disagree);
    assert_eq!(report.entries[1].actual, Some(Status::Skip));
}

fn policy(text: &str) -> Policy {
    common::clean_policies(text)
        .into_iter()
        .next()
        .expect("one policy")
}

fn secret(namespace: &str, name: &str, uid: &str, labels: serde_json::Value) -> Target {
    Target::from_json(json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace, "uid": uid, "labels": labels}}))
}

fn trigger(namespace: &str) -> Target {
    Target::from_json(json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "trigger", "namespace": namespace}, "data": {"owner": "ops"}}))
}

const BY_SELECTOR: &str = "apiVersion: kyverno.io/v1
kind: Policy
metadata: {name: owners, namespace: shop}
spec:
  rules:
  - name: own
    match: {any: [{resources: {kinds: [ConfigMap]}}]}
    mutate:
      targets:
      - apiVersion: v1
        kind: Secret
        namespace: elsewhere
        selector: {matchLabels: {tier: db}}
      - apiVersion: v1
        kind: Secret
        uid: u-3
      patchStrategicMerge:
        metadata: {labels: {owner: '{{ request.object.data.owner }}'}}
";

#[test]
fn a_namespaced_policy_selects_by_label_and_uid_in_its_own_namespace_only() {
    let policy = policy(BY_SELECTOR);
    let targets = [
        secret("shop", "a", "u-1", json!({"tier": "db"})),
        secret("elsewhere", "b", "u-2", json!({"tier": "db"})),
        secret("shop", "c", "u-3", json!({})),
        secret("shop", "d", "u-4", json!({"tier": "web"})),
    ];
    let out = mutate_existing(&[&policy], &trigger("shop"), &targets, &Request::default());
    let patched: Vec<_> = out
        .iter()
        .map(|m| {
            (
                m.target,
                m.result.status,
                m.patched
                    .as_ref()
                    .map(|p| p["metadata"]["labels"]["owner"].clone()),
            )
        })
        .collect();
    // The selector's namespace is the Policy's own: `b` is out of reach.
    assert_eq!(
        patched,
        [
            (Some(0), Status::Pass, Some(json!("ops"))),
            (Some(2), Status::Pass, Some(json!("ops"))),
        ]
    );
    // A trigger in another namespace is outside a namespaced Policy.
    assert!(mutate_existing(
        &[&policy],
        &trigger("elsewhere"),
        &targets,
        &Request::default()
    )
    .is_empty());
}

#[test]
fn the_trigger_itself_is_never_patched_by_a_targets_rule() {
    let policy = policy(BY_SELECTOR);
    let outcome = mutate(&[&policy], &trigger("shop"), &Request::default());
    assert!(!outcome.changed);
    assert!(outcome.results.is_empty(), "{:?}", outcome.results);
}

#[test]
fn a_target_named_exactly_that_is_not_given_is_an_error_on_the_trigger() {
    let policy = policy(&common::one_rule_cluster_policy(
        "r",
        "ConfigMap",
        "    mutate:
      targets: [{apiVersion: v1, kind: Secret, name: missing, namespace: '{{ request.object.metadata.namespace }}'}]
      patchStrategicMerge: {metadata: {labels: {a: b}}}
",
    ));
    let out = mutate_existing(&[&policy], &trigger("shop"), &[], &Request::default());
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].target, None);
    assert_eq!(out[0].result.status, Status::Error);
    common::assert_contains(&out[0].result.message, "v1/Secret shop/missing not found");
}

#[test]
fn a_target_without_a_kind_is_a_policy_error_with_its_path() {
    let loaded = policies_from_str(
        &common::one_rule_cluster_policy(
            "r",
            "ConfigMap",
            "    mutate:
      targets: [{apiVersion: v1, name: s}]
      patchStrategicMerge: {metadata: {labels: {a: b}}}
",
        ),
        "p.yaml",
    );
    assert_eq!(loaded.errors.len(), 1);
    let e = loaded.errors[0].to_string();
    assert!(
        e.contains("mutate.targets[0].kind") && e.contains("a target needs a kind"),
        "{e}"
    );
}

#[test]
fn a_mutating_policy_with_mutate_existing_patches_the_targets_it_selects() {
    let report = common::run_agreeing("mutate-existing-cel", 3);
    let actual: Vec<_> = report.entries.iter().map(|e| e.actual).collect();
    // The ConfigMap the match conditions pass, the one they do not, and a
    // Secret outside targetMatchConstraints.
    assert_eq!(actual, [Some(Status::Pass), Some(Status::Skip), None]);
}

#[test]
fn a_target_selection_by_cel_expression_patches_the_objects_it_lists() {
    let report = common::run_agreeing("mutate-existing-expression", 4);
    let actual: Vec<_> = report.entries.iter().map(|e| e.actual).collect();
    // Listed and passing the match conditions; listed and not; a Secret and
    // a ConfigMap of another namespace, which the list does not hold.
    assert_eq!(actual, [Some(Status::Pass), Some(Status::Skip), None, None]);
}

#[test]
fn a_target_expression_that_is_not_a_list_is_an_error_and_a_bad_one_a_load_error() {
    let policy = |expression: &str| {
        format!(
            "apiVersion: policies.kyverno.io/v1
kind: MutatingPolicy
metadata: {{name: m}}
spec:
  evaluation: {{mutateExisting: {{enabled: true}}}}
  matchConstraints:
    resourceRules: [{{apiGroups: [''], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}}]
  targetMatchConstraints:
    expression: \"{expression}\"
  mutations:
  - patchType: ApplyConfiguration
    applyConfiguration: {{expression: 'Object{{metadata: Object.metadata{{labels: {{\"a\": \"b\"}}}}}}'}}
"
        )
    };
    let loaded = policies_from_str(&policy("objekt.metadata"), "m.yaml");
    assert_eq!(loaded.errors.len(), 1, "{:?}", loaded.errors);
    assert_eq!(
        loaded.errors[0].path, "spec.targetMatchConstraints.expression",
        "{}",
        loaded.errors[0]
    );
    let loaded = policies_from_str(&policy("object.metadata.name"), "m.yaml");
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert!(loaded.unsupported_rules.is_empty());
    let trigger = Target::from_json(serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "t", "namespace": "shop"}}));
    let mutations = mutate_existing(&loaded.policies, &trigger, &[], &Request::default());
    let errors: Vec<&str> = mutations
        .iter()
        .filter(|m| m.result.status == Status::Error)
        .map(|m| m.result.message.as_str())
        .collect();
    assert_eq!(errors.len(), 1, "{mutations:?}");
    assert!(
        errors[0].starts_with("targetMatchConstraints.expression must give a list of objects"),
        "{}",
        errors[0]
    );
}
