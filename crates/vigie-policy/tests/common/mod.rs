//! What the suite tests share: our own suites under `tests/suites/`, and the
//! check that a suite ran cleanly with every entry agreeing.

// Each test file uses part of this module.
#![allow(dead_code)]

use std::path::PathBuf;

use vigie_policy::suite::{run_suite, SuiteReport, Verdict};

/// The folder of our own suite `name`.
pub fn suite_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/suites")
        .join(name)
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
