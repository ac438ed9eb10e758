//! `vigie admission certs` and `vigie admission manifests`, run as a user would:
//! the manifests go through `vigie scan` as they would go to `kubectl apply`.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;
/// The webhook tests' own policies, so that both crates test the same ones.
#[path = "../../vigie-admission/tests/common/fixtures.rs"]
#[allow(dead_code)]
mod fixtures;
use common::{assert_contains, assert_exit, run, run_with_stdin, text, vigie, ClusterPolicy};

use std::path::Path;
use std::process::Output;

/// An audited team-label policy and an enforced ban on `kubectl exec`.
fn policies_yaml() -> String {
    let need_team = ClusterPolicy::new("need-team", &[], Some("Audit")).label_rule(
        "team",
        "Pod",
        "a team label is needed",
        "team",
        None,
    );
    format!("{}---\n{}", need_team.yaml(), fixtures::exec_ban_policy())
}

fn write_policies(dir: &Path) -> String {
    let policies = dir.join("policies");
    std::fs::create_dir_all(&policies).unwrap();
    std::fs::write(policies.join("policies.yaml"), policies_yaml()).unwrap();
    policies.to_str().unwrap().to_string()
}

/// `vigie admission manifests` for `policies` in the namespace `guard`, with
/// the `extra` arguments.
fn manifests(policies: &str, extra: &[&str]) -> Output {
    let args = [
        "admission",
        "manifests",
        "--policies",
        policies,
        "--namespace",
        "guard",
    ];
    run(&[&args[..], extra].concat())
}

fn scan(manifests: &[u8], args: &[&str]) -> Output {
    run_with_stdin(vigie().args(["scan", "-"]).args(args), manifests)
}

#[test]
fn certs_are_written_once_and_kept_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("certs");
    let out = out.to_str().unwrap();
    let args = [
        "admission",
        "certs",
        "--namespace",
        "guard",
        "--out",
        out,
        "--ip",
        "127.0.0.1",
    ];
    let first = run(&args);
    assert_exit(&first, 0);
    for file in ["ca.crt", "tls.crt", "tls.key"] {
        assert!(Path::new(out).join(file).is_file(), "{file}");
    }
    let second = run(&args);
    assert_exit(&second, 2);
    let stderr = text(&second.stderr);
    assert_contains(
        &stderr,
        "ca.crt: already exists; pass --force to replace it",
    );
    let forced = run(&[&args[..], &["--force"]].concat());
    assert_exit(&forced, 0);

    let bad = run(&[
        "admission",
        "certs",
        "--namespace",
        "Guard",
        "--out",
        out,
        "--force",
    ]);
    assert_exit(&bad, 2);
    assert!(text(&bad.stderr).contains("invalid namespace `Guard`"));
}

#[test]
fn the_manifests_pass_the_restricted_scan_with_no_finding() {
    let dir = tempfile::tempdir().unwrap();
    let policies = write_policies(dir.path());
    let certs = dir.path().join("certs");
    let certs = certs.to_str().unwrap();
    let made = run(&["admission", "certs", "--namespace", "guard", "--out", certs]);
    assert_exit(&made, 0);
    let manifests = manifests(&policies, &["--certs", certs]);
    assert_exit(&manifests, 0);
    let yaml = text(&manifests.stdout);
    assert_contains(&yaml, "kind: ValidatingWebhookConfiguration");
    assert_contains(&yaml, "- pods/exec");
    assert!(
        yaml.contains("- deployments"),
        "autogen controllers: {yaml}"
    );
    assert_contains(&yaml, "caBundle: ");

    let scanned = scan(&manifests.stdout, &["--level", "restricted"]);
    let report = text(&scanned.stdout);
    assert_eq!(
        scanned.status.code(),
        Some(0),
        "{report}{}",
        text(&scanned.stderr)
    );
    assert!(report.starts_with("No findings"), "{report}");
}

#[test]
fn a_broken_policy_is_named_and_the_others_still_make_manifests() {
    let dir = tempfile::tempdir().unwrap();
    let policies = write_policies(dir.path());
    std::fs::write(
        Path::new(&policies).join("broken.yaml"),
        "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata:\n  name: broken\nspec:\n  rules: [\n",
    )
    .unwrap();
    let output = manifests(&policies, &[]);
    assert_exit(&output, 2);
    let stderr = text(&output.stderr);
    assert_contains(&stderr, "broken.yaml:");
    assert!(text(&output.stdout).contains("kind: ValidatingWebhookConfiguration"));
}

#[test]
fn options_out_of_range_are_refused_and_nothing_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let policies = write_policies(dir.path());
    for (flag, value, expected) in [
        ("--replicas", "1", "at least 2"),
        ("--timeout-seconds", "60", "accepts 1 to 30"),
        ("--failure-policy", "Maybe", "expected Fail or Ignore"),
    ] {
        let output = manifests(&policies, &[flag, value]);
        assert_eq!(output.status.code(), Some(2), "{flag}");
        assert!(
            text(&output.stderr).contains(expected),
            "{flag}: {}",
            text(&output.stderr)
        );
        assert!(output.stdout.is_empty(), "{flag}");
    }
}
