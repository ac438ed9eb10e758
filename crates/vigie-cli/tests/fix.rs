//! `vigie fix` end to end: the real binary on copies of real files.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;
use common::{assert_contains, assert_exit, examples, run, stderr, stdout};

use std::path::Path;

use serde_json::Value;

/// A copy of an examples directory in a temporary directory.
fn copy_of(example: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(examples().join(example)).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    let path = dir.path().display().to_string();
    (dir, path)
}

/// Digests for every image of examples/insecure.
fn digests(dir: &Path) -> String {
    let digest = format!("sha256:{}", "0123456789abcdef".repeat(4));
    let text = [
        "redis:7.4",
        "registry.example.com/tools/backup:1.2",
        "registry.example.com/storefront/api:2.4.1",
        "nginx:1.27",
    ]
    .iter()
    .map(|image| format!("{image}: {digest}\n"))
    .collect::<String>();
    let path = dir.join("digests.yaml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// The fields the fixes of examples/insecure change, as they read before and after.
const FIXED_FIELDS: [&str; 12] = [
    "allowPrivilegeEscalation:",
    "privileged:",
    "hostNetwork:",
    "type:",
    "image:",
    "runAsNonRoot:",
    "readOnlyRootFilesystem:",
    "readOnly:",
    "securityContext:",
    "seccompProfile:",
    "capabilities:",
    "automountServiceAccountToken:",
];

#[test]
fn fixing_examples_insecure_leaves_only_findings_without_a_fix() {
    let (dir, path) = copy_of("insecure");
    let digests_dir = tempfile::tempdir().unwrap();
    let digests = digests(digests_dir.path());
    let args = ["fix", &path, "-f", "all", "--image-digests", &digests];

    // The diff shows only the fixed fields, and writes nothing.
    let diff = run(&[&args[..], &["--diff"]].concat());
    assert_exit(&diff, 1);
    let text = stdout(&diff);
    let mut changed = 0;
    for line in text.lines() {
        if line.starts_with("---") || line.starts_with("+++") {
            continue;
        }
        if let Some(body) = line.strip_prefix('-').or_else(|| line.strip_prefix('+')) {
            changed += 1;
            let trimmed = body.trim_start().trim_start_matches("- ");
            assert!(
                FIXED_FIELDS.iter().any(|f| trimmed.starts_with(f))
                    || trimmed == "drop:"
                    || trimmed == "ALL",
                "a line that is not a fixed field changed: {line}"
            );
        }
    }
    assert!(changed > 20, "{text}");
    let original = std::fs::read_to_string(examples().join("insecure/storefront.yaml")).unwrap();
    let copy = std::fs::read_to_string(dir.path().join("storefront.yaml")).unwrap();
    assert_eq!(original, copy, "--diff wrote the file");

    // Fixed in place: a scan finds none of the fixed findings.
    let fixed = run(&args);
    assert_exit(&fixed, 1);
    assert_contains(&stdout(&fixed), "fixed ");
    assert!(!stderr(&fixed).contains("not fixed"), "{}", stderr(&fixed));
    let scan = run(&["scan", &path, "-f", "all", "-o", "json"]);
    let report: Value = serde_json::from_slice(&scan.stdout).unwrap();
    let fully_fixed = [
        "PSS-B01", "PSS-B02", "PSS-R02", "PSS-R05", "VG-W001", "VG-W004", "VG-W008", "VG-W010",
        "VG-W012", "VG-W013", "VG-W014", "VG-W028", "VG-R020",
    ];
    for finding in report["findings"].as_array().unwrap() {
        let id = finding["controlId"].as_str().unwrap();
        assert!(!fully_fixed.contains(&id), "still found: {finding}");
    }
    // What is left has no automatic fix: a second run has nothing to do.
    let again = run(&[&args[..], &["--dry-run"]].concat());
    assert_exit(&again, 1);
    assert_eq!(stdout(&again), "", "{}", stderr(&again));
    assert!(stderr(&again).contains("left without an automatic fix"));
}

const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web   # the front end
spec:
  containers:
  - name: web
    image: nginx:1.27
    securityContext: {allowPrivilegeEscalation: true, privileged: true}
";

fn file_with(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pod.yaml");
    std::fs::write(&path, text).unwrap();
    let path = path.display().to_string();
    (dir, path)
}

#[test]
fn dry_run_lists_and_writes_nothing() {
    let (_dir, path) = file_with(POD);
    // Exit 0: nothing would be left once fixed.
    let output = run(&["fix", &path, "--dry-run"]);
    assert_exit(&output, 0);
    assert_contains(&stdout(&output), "would fix");
    assert_contains(&stdout(&output), "PSS-B02");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), POD);
}

#[test]
fn only_the_named_controls_are_fixed_and_permissions_are_kept() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, path) = file_with(POD);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let output = run(&["fix", &path, "--control", "pss-b02"]);
    assert_exit(&output, 1);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, POD.replace("privileged: true", "privileged: false"));
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    let err = stderr(&output);
    assert!(!err.contains("not fixed:"), "{err}");
    assert_contains(
        &err,
        "findings with an automatic fix left: their checks are not among those --control names",
    );
}

#[test]
fn nothing_to_fix_exits_zero() {
    let (_dir, path) = copy_of("hardened");
    let output = run(&["fix", &path]);
    assert_exit(&output, 0);
    assert_eq!(stdout(&output), "");
}

#[test]
fn helm_output_is_refused_and_left_as_it_is() {
    let rendered = format!("---\n# Source: web/templates/pod.yaml\n{POD}");
    let (_dir, path) = file_with(&rendered);
    let output = run(&["fix", &path]);
    assert_exit(&output, 1);
    let err = stderr(&output);
    assert_contains(&err, "rendered by Helm");
    assert_contains(&err, "chart's values");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), rendered);
}

#[test]
fn values_shared_through_aliases_are_reported_not_fixed() {
    // The anchored `true` is also enableServiceLinks: editing it would change both.
    let text = "apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  hostNetwork: &on true
  enableServiceLinks: *on
  containers:
  - name: a
    image: a:1
";
    let (_dir, path) = file_with(text);
    let output = run(&["fix", &path, "--control", "PSS-B01"]);
    assert_exit(&output, 1);
    let err = stderr(&output);
    assert!(
        err.contains("not fixed:") && err.contains("PSS-B01") && err.contains("aliases"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
}

#[test]
fn bad_input_and_arguments_exit_two_with_a_reason() {
    let output = run(&["fix", "/nonexistent/vigie-fix.yaml"]);
    assert_exit(&output, 2);
    assert_contains(&stderr(&output), "no such file");

    let (dir, path) = file_with(POD);
    let output = run(&["fix", &path, "--control", "VG-X999"]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("unknown check `VG-X999`"));
    let output = run(&["fix", &path, "--control", "VG-W024"]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("VG-W024 has no automatic fix"));

    let digests = dir.path().join("digests.yaml");
    std::fs::write(&digests, "nginx:1.27: latest\n").unwrap();
    let output = run(&[
        "fix",
        &path,
        "--image-digests",
        &digests.display().to_string(),
    ]);
    assert_exit(&output, 2);
    assert_contains(&stderr(&output), "digests.yaml:1:13");

    let output = run(&["fix", "-"]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("standard input cannot be fixed in place"));

    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, "kind: [\n").unwrap();
    let output = run(&["fix", &path, &broken.display().to_string()]);
    assert_eq!(output.status.code(), Some(2), "2 wins over 1");
    assert_contains(&stderr(&output), "broken.yaml:");
    assert!(
        stdout(&output).contains("fixed"),
        "the other file is still fixed"
    );
    let fixed = std::fs::read_to_string(&path).unwrap();
    assert_contains(&fixed, "privileged: false");
}

#[test]
fn documents_over_the_edit_limit_are_reported_with_the_limit() {
    let (_dir, path) = file_with(POD);
    let output = run(&["fix", &path, "--max-document-bytes", "100"]);
    assert_exit(&output, 1);
    let err = stderr(&output);
    assert_contains(&err, "larger than 100 bytes (--max-document-bytes)");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), POD);
}

#[test]
fn controls_explain_says_whether_a_check_has_an_automatic_fix() {
    let with = run(&["controls", "explain", "VG-W008"]);
    assert!(stdout(&with).contains(
        "Automatic fix (vigie fix): sets securityContext.allowPrivilegeEscalation: false"
    ));
    let without = run(&["controls", "explain", "VG-W024"]);
    assert!(stdout(&without).contains("Automatic fix: none"));
}
