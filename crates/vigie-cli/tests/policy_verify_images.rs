//! ClusterPolicy `verifyImages` through the CLI, answered from `--context-file`.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;
use common::{assert_exit, run, text};

fn suite(file: &str) -> String {
    format!(
        "{}/../vigie-policy/tests/suites/verify-images/{file}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn apply_verifies_from_the_context_file_and_writes_digests() {
    let (p, r, c) = (
        suite("policy.yaml"),
        suite("resources.yaml"),
        suite("context.yaml"),
    );
    let out = run(&["policy", "apply", &p, "-r", &r, "--context-file", &c]);
    assert_exit(&out, 1);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("image: \"registry.shop.example/web:1.4@sha256:1111"),
        "{stdout}"
    );
    assert!(stdout.contains("kyverno.io/verify-images"), "{stdout}");
    assert!(
        stdout.contains("pass: 3, fail: 2, warn: 0, error: 1"),
        "{stdout}"
    );

    // Without the facts nothing is verified, and nothing passes.
    let out = run(&["policy", "apply", &p, "-r", &r]);
    assert_exit(&out, 1);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("pass: 0,"), "{stdout}");
    assert!(stdout.contains("no data for image"), "{stdout}");
}

#[test]
fn test_runs_the_verify_images_suite() {
    let out = run(&["policy", "test", &suite("")]);
    assert_exit(&out, 0);
    assert!(
        text(&out.stdout).ends_with("7 passed, 0 failed\n"),
        "{}",
        text(&out.stdout)
    );
}
