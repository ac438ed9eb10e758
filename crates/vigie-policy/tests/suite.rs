//! End-to-end: a kyverno-test.yaml suite of our own, run by the suite runner.

use std::path::PathBuf;

use vigie_policy::suite::{find_suites, run_suite, Verdict};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

#[test]
fn own_suite_agrees_entry_by_entry() {
    let suites = find_suites(&[fixtures()]);
    assert_eq!(suites.len(), 1);
    let report = run_suite(&suites[0]);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    for e in &report.entries {
        if let Verdict::Unsupported(_) = e.verdict {
            continue;
        }
        assert_eq!(
            e.verdict,
            Verdict::Agree,
            "{} {} {}: expected {}, got {:?} ({})",
            e.rule,
            e.kind,
            e.resource,
            e.expected,
            e.actual,
            e.message
        );
    }
    assert_eq!(report.count(|v| *v == Verdict::Agree), 13);
    assert_eq!(
        report.count(|v| matches!(v, Verdict::Unsupported(_))),
        0,
        "mutate entries and patchedResources run"
    );
}

#[test]
fn apply_counts_and_policy_report() {
    let dir = fixtures().join("suite");
    let policy = dir.join("policy.yaml").to_string_lossy().into_owned();
    let resources = dir.join("resources.yaml").to_string_lossy().into_owned();
    let mut request = vigie_policy::Request::default();
    vigie_policy::values::apply_set(&mut request.values, "maxContainers=2").unwrap();
    let outcome = vigie_policy::report::apply(
        &[policy],
        &[resources],
        request,
        &vigie_policy::report::ApplyOptions::default(),
    );
    assert!(
        outcome.input_errors.is_empty(),
        "{:?}",
        outcome.input_errors
    );
    assert!(outcome.counts.fail >= 4, "{:?}", outcome.counts);
    let set = vigie_policy::report::report_set(
        &outcome,
        vigie_report::policy_report::ReportApi::WgPolicy,
    );
    assert_eq!(set.dropped(), 0);
    let reports = set.reports();
    let report = reports
        .iter()
        .find(|r| r["kind"] == "ClusterPolicyReport")
        .expect("the report of resources without a namespace");
    assert_eq!(report["apiVersion"], "wgpolicyk8s.io/v1alpha2");
    let first_fail = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["result"] == "fail")
        .unwrap();
    assert_eq!(first_fail["severity"], "high");
    assert_eq!(first_fail["category"], "Example");
}

#[test]
fn invalid_policy_is_reported_and_others_still_load() {
    let text = "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: broken}\nspec:\n  rules:\n  - name: r\n    match: {any: [{resources: {kinds: [Pod]}}]}\n    validate:\n      deny:\n        conditions:\n          any:\n          - {key: a, operator: Bigger, value: b}\n---\napiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: fine}\nspec:\n  rules:\n  - name: r\n    match: {any: [{resources: {kinds: [ConfigMap]}}]}\n    validate: {pattern: {data: {a: '?*'}}}\n";
    let loaded = vigie_policy::policies_from_str(text, "p.yaml");
    assert_eq!(loaded.policies.len(), 1);
    assert_eq!(loaded.policies[0].name, "fine");
    let err = loaded
        .errors
        .iter()
        .find(|e| e.policy == "broken")
        .expect("error for broken");
    assert_eq!(err.rule.as_deref(), Some("r"));
    assert_eq!(err.line, Some(12));
    let text = err.to_string();
    assert!(
        text.contains("p.yaml:12")
            && text.contains("Bigger")
            && text.contains("deny.conditions.any[0].operator"),
        "{text}"
    );
}
