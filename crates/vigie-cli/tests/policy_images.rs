//! `vigie policy test` and `vigie policy apply --context-file` on
//! ImageValidatingPolicies, whose signatures and attestations come from the
//! Context file (vigie-policy's own suite `image-validation`).

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;
use common::{assert_contains, outcome, run};

use std::path::PathBuf;

fn suite() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vigie-policy/tests/suites/image-validation")
}

fn vigie(args: &[&str]) -> (Option<i32>, String, String) {
    outcome(&run(args))
}

fn file(name: &str) -> String {
    suite().join(name).to_string_lossy().into_owned()
}

#[test]
fn test_runs_the_image_validation_suite() {
    let dir = suite().to_string_lossy().into_owned();
    let (code, out, err) = vigie(&["policy", "test", &dir]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.trim_end().ends_with("12 passed, 0 failed"), "{out}");
}

#[test]
fn apply_answers_from_the_context_file_and_errs_without_it() {
    let (policies, resources, context) = (
        file("policies.yaml"),
        file("resources.yaml"),
        file("context.yaml"),
    );
    let args = ["policy", "apply", &policies, "-r", &resources];
    let with = [
        &args[..],
        &["--context-file", &context, "--output-format", "json"],
    ]
    .concat();
    let (code, out, err) = vigie(&with);
    assert_eq!(code, Some(1), "{out}\n{err}");
    let results: serde_json::Value = serde_json::from_str(&out).unwrap();
    let text = results.to_string();
    assert_contains(
        &text,
        "every shop image must be signed with the release key",
    );
    assert_contains(&text, "does not have a digest");
    // Without the Context file nothing is known of the images: errors
    // naming what is missing, never a pass of the signature policy.
    let without = [&args[..], &["--output-format", "json"]].concat();
    let (code, out, err) = vigie(&without);
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert_contains(&out, "never contacts a registry");
    assert!(!text.is_empty());
}
