//! `vigie policy apply --policy-report`: policy reports per namespace, in the
//! report API asked for, rendered by vigie-report's shared ReportSet.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;
use common::{assert_contains, outcome, run_command, shop, vigie, ClusterPolicy};

fn policy_yaml() -> String {
    ClusterPolicy::new(
        "need-team",
        &[("policies.kyverno.io/severity", "medium")],
        None,
    )
    .label_rule(
        "team",
        "Pod, Namespace",
        "a team label is needed",
        "team",
        None,
    )
    .yaml()
}

fn apply(extra: &[&str]) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.yaml");
    let resources = dir.path().join("resources.yaml");
    std::fs::write(&policy, policy_yaml()).unwrap();
    std::fs::write(&resources, shop("{team: a}")).unwrap();
    outcome(&run_command(
        vigie()
            .args(["policy", "apply"])
            .arg(&policy)
            .arg("-r")
            .arg(&resources)
            .args(extra),
    ))
}

fn documents(yaml: &str) -> Vec<yaml_rust2::Yaml> {
    yaml_rust2::YamlLoader::load_from_str(yaml).unwrap()
}

#[test]
fn openreports_gives_a_report_per_namespace_and_a_cluster_report() {
    let (code, out, err) = apply(&["--policy-report", "--report-api", "openreports"]);
    assert_eq!(code, Some(1), "{err}");
    let docs = documents(&out);
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["Report", "ClusterReport"], "{out}");
    let shop = &docs[0];
    assert_eq!(shop["apiVersion"].as_str(), Some("openreports.io/v1alpha1"));
    assert_eq!(shop["metadata"]["namespace"].as_str(), Some("shop"));
    assert_eq!(shop["summary"]["pass"].as_i64(), Some(1));
    assert_eq!(shop["summary"]["fail"].as_i64(), Some(1));
    assert_eq!(shop["results"][0]["severity"].as_str(), Some("medium"));
    assert_eq!(
        docs[1]["summary"]["fail"].as_i64(),
        Some(1),
        "the Namespace"
    );
}

#[test]
fn wgpolicy_is_the_default_api() {
    let (code, out, err) = apply(&["--policy-report"]);
    assert_eq!(code, Some(1), "{err}");
    let docs = documents(&out);
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["PolicyReport", "ClusterPolicyReport"], "{out}");
    assert_eq!(
        docs[0]["apiVersion"].as_str(),
        Some("wgpolicyk8s.io/v1alpha2")
    );
}

#[test]
fn an_unknown_report_api_is_refused_with_the_choices() {
    let (code, _, err) = apply(&["--policy-report", "--report-api", "kyverno"]);
    assert_eq!(code, Some(2));
    assert_contains(&err, "expected openreports or wgpolicy");
}
