//! `policies.kyverno.io` PolicyExceptions on the CEL policy kinds: in suites
//! (`exceptions:`), in `apply`, and malformed ones.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

use vigie_policy::Status;
mod common;

use common::load_exceptions_text as load_text;

#[test]
fn exceptions_exempt_grant_values_and_report_as_kyverno_does() {
    let report = common::run_agreeing("cel-exceptions", 9);
    let message = common::message_by_policy(&report);
    assert_eq!(
        message("require-team", "ops/toolbox"),
        "rule is skipped due to policy exception: ops/ops-without-team"
    );
    assert_eq!(
        message("stamp-owner", "shop/legacy"),
        "rule is passed due to policy exception: legacy-untouched"
    );
    // Values granted do not exempt: the policy ran and said why it failed.
    assert_eq!(
        message("no-host-ports", "monitoring/sneaky"),
        "host ports are not allowed"
    );
}

const HEAD: &str =
    "apiVersion: policies.kyverno.io/v1\nkind: PolicyException\nmetadata: {name: x}\nspec:\n";

#[test]
fn malformed_exceptions_are_errors_naming_file_line_and_field() {
    let cases = [
        (
            "  policyRefs: [{name: p, kind: ClusterPolicy}]\n",
            "spec.policyRefs[0].kind: unknown policy kind \"ClusterPolicy\"",
        ),
        (
            "  policyRefs: [{name: p}]\n",
            "spec.policyRefs[0].kind: expected a non-empty string kind",
        ),
        (
            "  policyRefs: []\n",
            "spec.policyRefs: an exception needs the policies it exempts from",
        ),
        (
            "  policyRefs: [{name: p, kind: ValidatingPolicy}]\n  matchConditions:\n  - {name: c, expression: \"objekt.x == 1\"}\n",
            "spec.matchConditions[0].expression:",
        ),
        (
            "  policyRefs: [{name: p, kind: ValidatingPolicy}]\n  validations: [{expression: \"false\"}]\n",
            "spec.validations: unknown field",
        ),
        (
            "  policyRefs: [{name: p, kind: ValidatingPolicy}]\n  reportResult: fail\n",
            "spec.reportResult: expected skip or pass",
        ),
        (
            "  policyRefs: [{name: p, kind: ValidatingPolicy}]\n  expiresAt: tomorrow\n",
            "spec.expiresAt: expected an RFC 3339 time",
        ),
    ];
    for (i, (spec, expected)) in cases.iter().enumerate() {
        let loaded = load_text(&i.to_string(), &format!("{HEAD}{spec}"));
        assert!(loaded.exceptions.is_empty(), "case {i}");
        assert_eq!(loaded.errors.len(), 1, "case {i}: {:?}", loaded.errors);
        let error = &loaded.errors[0];
        common::assert_contains(error, ".yaml:1: PolicyException x: ");
        assert!(error.contains(expected), "case {i}: {error}");
    }
    // A good exception next to a bad one is still read.
    let loaded = load_text(
        "mixed",
        &format!(
            "{HEAD}  policyRefs: [{{name: p, kind: ValidatingPolicy}}]\n---\n{HEAD}  policyRefs: [{{name: p, kind: Nope}}]\n"
        ),
    );
    assert_eq!(loaded.exceptions.len(), 1);
    assert_eq!(loaded.errors.len(), 1);
    common::assert_contains(&loaded.errors[0], ":7: PolicyException x");
}

#[test]
fn a_condition_that_cannot_be_evaluated_is_an_error_naming_the_exception() {
    let loaded = load_text(
        "error",
        &format!(
            "{HEAD}  policyRefs: [{{name: require-team, kind: ValidatingPolicy}}]\n  matchConditions:\n  - {{name: broken, expression: \"object.spec.missing == 1\"}}\n"
        ),
    );
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let policies = vigie_policy::load_policies(
        &[common::suite_file("cel-exceptions", "policies.yaml")],
        1 << 20,
    );
    let policy = policies
        .policies
        .iter()
        .find(|p| p.name == "require-team")
        .unwrap();
    let pod = vigie_policy::Target::from_json(serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "a", "namespace": "shop", "labels": {"team": "x"}},
        "spec": {"containers": [{"name": "c", "image": "i"}]}}));
    let request = vigie_policy::Request::default();
    let exempted = vigie_policy::exempt(&loaded.exceptions, policy, &pod, &request);
    assert_eq!(exempted.skipped.len(), 1);
    let result = &exempted.skipped[0];
    assert_eq!(result.status, Status::Error);
    assert!(
        result
            .message
            .starts_with("policy exception x: match condition broken resulted in error"),
        "{}",
        result.message
    );
    // The rule that errored is not run again; its autogen copies stay for controllers.
    assert!(!exempted
        .policy
        .rules
        .iter()
        .any(|r| r.name == "require-team"));
}

#[test]
fn apply_takes_cel_exceptions() {
    let (without, with) =
        common::apply_without_and_with_exceptions("cel-exceptions", "policies.yaml");
    // exporter's host port is granted; toolbox and legacy are exempted from
    // require-team, legacy and toolbox from stamp-owner.
    assert_eq!(without.counts.fail, 5, "{:?}", without.counts);
    assert_eq!(with.counts.fail, 2, "{:?}", with.counts);
    assert_eq!(
        with.counts.skip,
        without.counts.skip + 2,
        "{:?}",
        with.counts
    );
}
