//! `policies.kyverno.io` PolicyExceptions through the CLI: `policy apply
//! --exceptions`, exceptions written among the policies, `policy test`, and a
//! malformed exception.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;
use common::{arg, assert_contains, assert_exit, run, text, write};

/// The suite of vigie-policy's own tests.
fn suite(file: &str) -> String {
    format!(
        "{}/../vigie-policy/tests/suites/cel-exceptions/{file}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn apply_with_cel_exceptions_reports_them_and_exits_on_what_is_left() {
    let (p, r, e) = (
        suite("policies.yaml"),
        suite("resources.yaml"),
        suite("exceptions.yaml"),
    );
    let out = run(&[
        "policy",
        "apply",
        &p,
        "-r",
        &r,
        "--exceptions",
        &e,
        "--output-format",
        "json",
    ]);
    // sneaky's and web's host ports still fail.
    assert_exit(&out, 1);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    let results = json["results"].as_array().unwrap();
    let skipped: Vec<&str> = results
        .iter()
        .filter(|r| r["result"] == "skip")
        .map(|r| r["message"].as_str().unwrap())
        .collect();
    assert!(
        skipped.contains(&"rule is skipped due to policy exception: ops/ops-without-team"),
        "{skipped:?}"
    );
    let fails = results.iter().filter(|r| r["result"] == "fail").count();
    assert_eq!(fails, 2, "{results:?}");
}

#[test]
fn exceptions_among_the_policies_apply_and_a_bad_one_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let policy = std::fs::read_to_string(suite("policies.yaml")).unwrap();
    let exceptions = std::fs::read_to_string(suite("exceptions.yaml")).unwrap();
    let both = write(
        dir.path(),
        "both.yaml",
        format!("{policy}\n---\n{exceptions}"),
    );
    let r = suite("resources.yaml");
    let out = run(&["policy", "apply", arg(&both), "-r", &r]);
    assert_exit(&out, 1);
    assert_contains(&text(&out.stdout), "fail: 2");

    let bad = write(
        dir.path(),
        "bad.yaml",
        "apiVersion: policies.kyverno.io/v1\nkind: PolicyException\nmetadata: {name: oops}\nspec:\n  policyRefs:\n  - {name: require-team, kind: Widget}\n",
    );
    let out = run(&[
        "policy",
        "apply",
        &suite("policies.yaml"),
        "-r",
        &r,
        "--exceptions",
        arg(&bad),
    ]);
    assert_exit(&out, 2);
    assert_contains(
        &text(&out.stderr),
        "bad.yaml:1: PolicyException oops: spec.policyRefs[0].kind: unknown policy kind \"Widget\"",
    );
}

#[test]
fn test_runs_the_suite_with_cel_exceptions() {
    let dir = suite("");
    let out = run(&["policy", "test", &dir]);
    assert_exit(&out, 0);
    assert!(
        text(&out.stdout).ends_with("9 passed, 0 failed\n"),
        "{}",
        text(&out.stdout)
    );
}
