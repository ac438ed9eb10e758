//! Every command that prints: a reader that has gone is not a crash, and
//! arguments out of range are refused with a reason.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;
use common::{assert_exit, vigie, write};

use std::process::{Output, Stdio};

/// Standard output whose reader is already closed: the first write fails with
/// EPIPE, as in `vigie controls list | head -0` once `head` has exited.
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    Stdio::from(writer)
}

fn run_into_closed_pipe(args: &[&str]) -> Output {
    vigie()
        .args(args)
        .stdout(closed_pipe())
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

fn assert_quiet_success(args: &[&str], expected_code: i32) {
    let output = run_into_closed_pipe(args);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(expected_code),
        "{args:?}: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
}

#[test]
fn controls_survive_a_closed_pipe() {
    assert_quiet_success(&["controls", "list"], 0);
    assert_quiet_success(&["controls", "list", "-f", "nsa"], 0);
    assert_quiet_success(&["controls", "explain", "PSS-B02"], 0);
}

#[test]
fn completions_survive_a_closed_pipe() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        assert_quiet_success(&["completions", shell], 0);
    }
}

#[test]
fn detect_rules_survive_a_closed_pipe() {
    assert_quiet_success(&["detect", "rules", "list"], 0);
    assert_quiet_success(&["detect", "rules", "list", "-o", "json"], 0);
    let dir = tempfile::tempdir().unwrap();
    let rules = write(dir.path(), "rules.yaml", "- rule: Secret read\n  desc: a secret was read\n  condition: ka.verb = get and ka.target.resource = secrets\n  output: secret %ka.target.name read\n  priority: WARNING\n  source: k8s_audit\n");
    assert_quiet_success(&["detect", "rules", "validate", rules.to_str().unwrap()], 0);
}

#[test]
fn controls_list_takes_all_frameworks() {
    let all = vigie()
        .args(["controls", "list", "-f", "all"])
        .output()
        .unwrap();
    assert_exit(&all, 0);
    let plain = vigie().args(["controls", "list"]).output().unwrap();
    assert_eq!(all.stdout, plain.stdout);
    let unknown = vigie()
        .args(["controls", "list", "-f", "pci"])
        .output()
        .unwrap();
    assert_exit(&unknown, 2);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown framework `pci`"));
}

#[test]
fn out_of_range_arguments_are_refused() {
    let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/hardened");
    for (args, reason) in [
        (
            vec!["--compliance-threshold", "150"],
            "not a percentage from 0 to 100",
        ),
        (
            vec!["--compliance-threshold=-1"],
            "not a percentage from 0 to 100",
        ),
        (
            vec!["--compliance-threshold", "NaN"],
            "not a percentage from 0 to 100",
        ),
        (vec!["--compliance-threshold", "high"], "not a number"),
        (
            vec!["--pss-version", "v1.99"],
            "unknown Pod Security version `v1.99`",
        ),
    ] {
        let output = vigie()
            .arg("scan")
            .arg(examples)
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(reason), "{args:?}: {stderr}");
    }
    let version = vigie()
        .args([
            "controls",
            "list",
            "-f",
            "pss-baseline",
            "--pss-version",
            "v1.99",
        ])
        .output()
        .unwrap();
    assert_exit(&version, 2);
    // In range, the same arguments pass.
    let ok = vigie()
        .arg("scan")
        .arg(examples)
        .args(["--compliance-threshold", "100", "--pss-version", "v1.37"])
        .output()
        .unwrap();
    assert_exit(&ok, 0);
}

#[test]
fn a_closed_standard_error_is_not_a_crash() {
    // `vigie scan . 2>&1 | head`: once the reader has gone, messages cannot be
    // written, and the exit code still tells what happened.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "apiVersion: v1\nkind: Pod\nspec: [\n").unwrap();
    let bad = bad.to_str().unwrap();
    for (args, code) in [
        (vec!["scan", bad], 2),
        (vec!["detect", "audit", "/dev/zero"], 2),
        (vec!["controls", "explain", "NOPE"], 2),
    ] {
        let output = vigie()
            .args(&args)
            .stdout(closed_pipe())
            .stderr(closed_pipe())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(code), "{args:?}");
    }
}
