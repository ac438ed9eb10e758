//! What the policy tests share: our own suites under `tests/suites/`, the
//! check that a suite ran cleanly with every entry agreeing, the message of
//! one entry, exceptions loaded from text or applied from a suite's files,
//! and policies loaded from text that must load cleanly.

// Each test file uses part of this module.
#![allow(dead_code)]

use std::path::PathBuf;

use vigie_policy::report::{apply, ApplyOptions, ApplyOutcome};
use vigie_policy::suite::{run_suite, EntryOutcome, SuiteReport, Verdict};
use vigie_policy::{load_exceptions, policies_from_str, LoadedExceptions, Policy, Request};

/// The folder of our own suite `name`.
pub fn suite_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/suites")
        .join(name)
}

/// The file `file` of our own suite `name`, as the loaders take it.
pub fn suite_file(name: &str, file: &str) -> String {
    suite_dir(name).join(file).to_string_lossy().into_owned()
}

/// The test file of our own suite `name`.
pub fn suite(name: &str) -> PathBuf {
    suite_dir(name).join("kyverno-test.yaml")
}

/// Runs our suite `name` and asserts it read without errors, has `entries`
/// result entries, and that vigie agrees with each; returns the report for the
/// test's own checks.
pub fn run_agreeing(name: &str, entries: usize) -> SuiteReport {
    let report = run_suite(&suite(name));
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.entries.len(), entries);
    for e in &report.entries {
        assert_eq!(
            e.verdict,
            Verdict::Agree,
            "{} {}: {}",
            e.rule,
            e.resource,
            e.message
        );
    }
    report
}

/// The message of the first entry of `report` that `wanted` picks, or an empty
/// string when none does (so that the comparison that follows names it).
pub fn message_of(report: &SuiteReport, wanted: impl Fn(&EntryOutcome) -> bool) -> String {
    report
        .entries
        .iter()
        .find(|e| wanted(e))
        .map(|e| e.message.clone())
        .unwrap_or_default()
}

/// The message of `report`'s entry for a policy and a resource, as a function
/// of the two names.
pub fn message_by_policy(report: &SuiteReport) -> impl Fn(&str, &str) -> String + '_ {
    |policy, resource| message_of(report, |e| e.policy == policy && e.resource == resource)
}

/// The message of `report`'s entry for a rule and a resource, as a function of
/// the two names.
pub fn message_by_rule(report: &SuiteReport) -> impl Fn(&str, &str) -> String + '_ {
    |rule, resource| message_of(report, |e| e.rule == rule && e.resource == resource)
}

/// Writes `text` to a scratch file named after `tag` and loads it as
/// exceptions; the file is gone again when this returns.
pub fn load_exceptions_text(tag: &str, text: &str) -> LoadedExceptions {
    let scratch = std::env::temp_dir().join(format!(
        "vigie-policy-exception-{tag}-{}.yaml",
        std::process::id()
    ));
    std::fs::write(&scratch, text).expect("scratch file written");
    let loaded = load_exceptions(&[scratch.to_string_lossy().into_owned()], 1 << 20);
    std::fs::remove_file(&scratch).expect("scratch file removed");
    loaded
}

/// `apply` of the suite `name`'s `policies` file to its `resources.yaml`, with
/// the suite's `exceptions` files.
pub fn apply_with_exceptions(name: &str, policies: &str, exceptions: &[&str]) -> ApplyOutcome {
    apply(
        &[suite_file(name, policies)],
        &[suite_file(name, "resources.yaml")],
        Request::default(),
        &ApplyOptions {
            exceptions: exceptions.iter().map(|f| suite_file(name, f)).collect(),
            ..Default::default()
        },
    )
}

/// `apply` of the suite `name`'s `policies` file without exceptions, then with
/// its `exceptions.yaml`, asserting that the second read all its inputs.
pub fn apply_without_and_with_exceptions(
    name: &str,
    policies: &str,
) -> (ApplyOutcome, ApplyOutcome) {
    let without = apply_with_exceptions(name, policies, &[]);
    let with = apply_with_exceptions(name, policies, &["exceptions.yaml"]);
    assert!(with.input_errors.is_empty(), "{:?}", with.input_errors);
    (without, with)
}

/// The policies of `text`, asserting that every one loaded with no error and
/// no unsupported rule.
pub fn clean_policies(text: &str) -> Vec<Policy> {
    let loaded = policies_from_str(text, "policy.yaml");
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert!(
        loaded.unsupported_rules.is_empty(),
        "{:?}",
        loaded.unsupported_rules
    );
    loaded.policies
}

/// A ClusterPolicy `p` with one rule, `rule`, that matches `kind`; `rest` is
/// the rule's other fields (`preconditions`, `mutate`...), indented as in the
/// rule.
pub fn one_rule_cluster_policy(rule: &str, kind: &str, rest: &str) -> String {
    format!(
        "apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {{name: p}}
spec:
  rules:
  - name: {rule}
    match: {{any: [{{resources: {{kinds: [{kind}]}}}}]}}
{rest}"
    )
}

/// Asserts that `text` contains `part`, showing `text` when it does not.
#[track_caller]
pub fn assert_contains(text: &str, part: &str) {
    assert!(text.contains(part), "{part:?} is not in:\n{text}");
}

/// A request whose image facts (what the Context file's `images` would give)
/// are the entries of `images`, a JSON list.
pub fn with_image_facts(images: serde_json::Value) -> Request {
    Request {
        cel_lookup: std::sync::Arc::new(vigie_cel::kyverno::Offline {
            resources: Vec::new(),
            images: images.as_array().cloned().unwrap_or_default(),
        }),
        ..Default::default()
    }
}
