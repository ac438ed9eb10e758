//! PolicyExceptions in suites (`exceptions:`) and in `apply`.

use vigie_policy::{load_exceptions, ExceptionSpec};
mod common;

fn path(file: &str) -> String {
    common::suite_file("exceptions", file)
}

#[test]
fn exceptions_skip_the_rules_they_name_for_the_resources_they_match() {
    let report = common::run_agreeing("exceptions", 5);
    assert_eq!(
        common::message_of(&report, |e| e.resource == "ops/legacy-backup"),
        "rule skipped due to policy exception ops/legacy-tools"
    );
}

#[test]
fn both_apis_are_read_and_a_bad_exception_is_an_error_naming_its_file() {
    let loaded = load_exceptions(&[path("exceptions.yaml")], 1 << 20);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert_eq!(loaded.exceptions.len(), 4);
    assert!(matches!(loaded.exceptions[3].spec, ExceptionSpec::Cel(_)));

    let loaded = common::load_exceptions_text(
        "bad",
        "apiVersion: kyverno.io/v2\nkind: PolicyException\nmetadata: {name: x}\nspec:\n  exceptions: []\n",
    );
    assert!(loaded.exceptions.is_empty());
    assert_eq!(loaded.errors.len(), 1, "{:?}", loaded.errors);
    let error = &loaded.errors[0];
    common::assert_contains(
        error,
        ":1: PolicyException x: spec.exceptions: expected a non-empty list",
    );

    let policy_file = load_exceptions(&[path("policy.yaml")], 1 << 20);
    assert_eq!(policy_file.errors.len(), 1);
    assert!(policy_file.errors[0].ends_with("holds no PolicyException; nothing was read from it"));
}

#[test]
fn apply_takes_exceptions() {
    let (without, with) = common::apply_without_and_with_exceptions("exceptions", "policy.yaml");
    // legacy-backup in ops, hotfix (pinned-tag) and node-agent (baseline) no longer fail.
    assert_eq!(without.counts.fail, 5, "{:?}", without.counts);
    assert_eq!(with.counts.fail, 2, "{:?}", with.counts);
    assert_eq!(with.counts.skip, without.counts.skip + 2);
}
