//! `vigie policy` on hostile or mistaken input: the real binary, exit codes and
//! messages (0 clean, 1 findings, 2 input that could not be read or used).

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;
use common::{
    arg, assert_contains, assert_exit, policy_apply, policy_test, run_command, spawn_piped, stderr,
    stdout, vigie, write, ClusterPolicy,
};

use std::process::Command;

const POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: team
spec:
  containers:
  - name: c
    image: nginx
";

fn require_label() -> String {
    ClusterPolicy::new("require-app-label", &[], Some("Enforce"))
        .label_rule("app-label", "Pod", "an app label is required", "app", None)
        .yaml()
}

const CEL_ONLY: &str = "apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: no-default-namespace
spec:
  rules:
  - name: not-default
    match:
      any:
      - resources:
          kinds: [Pod]
    validate:
      cel:
        expressions:
        - expression: \"resource.Get('v1', 'namespaces', '', object.metadata.namespace) != null\"
  - name: signed-images
    match:
      any:
      - resources:
          kinds: [Pod]
    validate:
      manifests:
        attestors:
        - entries:
          - keys: {publicKeys: 'not a key'}
";

const SUITE: &str = "apiVersion: cli.kyverno.io/v1alpha1
kind: Test
metadata:
  name: labels
policies: [policy.yaml]
resources: [pod.yaml]
results:
- policy: require-app-label
  rule: app-label
  resources: [web]
  kind: Pod
  result: fail
";

/// Denies a Pod whose name the ConfigMap `team/allowed` does not list.
const ALLOW_LIST: &str = "apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: allow-list}
spec:
  rules:
  - name: listed
    match: {any: [{resources: {kinds: [Pod]}}]}
    context:
    - name: allowed
      configMap: {name: allowed, namespace: team}
    validate:
      deny:
        conditions:
          any:
          - key: '{{ request.object.metadata.name }}'
            operator: AnyNotIn
            value: '{{ allowed.data.names }}'
";

#[test]
fn apply_with_policies_and_resources_swapped_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(dir.path(), "policy.yaml", require_label());
    let pod = write(dir.path(), "pod.yaml", POD.as_bytes());
    let out = policy_apply(&pod, &policy);
    assert_exit(&out, 2);
    assert_contains(&stderr(&out), "pod.yaml: holds no Kyverno policy");
    // Right way round: the failure is found, exit 1.
    let out = policy_apply(&policy, &pod);
    assert_exit(&out, 1);
    assert_contains(&stdout(&out), "pass: 0, fail: 1");
}

#[test]
fn apply_without_resources_or_policies_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(dir.path(), "policy.yaml", require_label());
    let out = run_command(vigie().args(["policy", "apply", arg(&policy)]));
    assert_exit(&out, 2);
    assert_contains(&stderr(&out), "--resource");

    // A directory with no policy in it, and one with no object in it.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let pod = write(dir.path(), "pod.yaml", POD.as_bytes());
    let out = policy_apply(&empty, &pod);
    assert_exit(&out, 2);
    assert_contains(
        &stderr(&out),
        "no Kyverno policy (ClusterPolicy or Policy) found in",
    );
    let out = policy_apply(&policy, &empty);
    assert_exit(&out, 2);
    assert_contains(&stderr(&out), "no Kubernetes object found in");
}

#[test]
fn unsupported_rules_are_never_counted_as_passing() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(dir.path(), "cel.yaml", CEL_ONLY.as_bytes());
    let pod = write(dir.path(), "pod.yaml", POD.as_bytes());
    let out = policy_apply(&policy, &pod);
    assert_exit(&out, 2);
    let err = stderr(&out);
    // resource.Get is answered offline from the suite's objects: with none
    // given, the namespace is not found and the rule fails (never a pass).
    let report = stdout(&out);
    assert_contains(&report, "FAIL policy no-default-namespace");
    assert_contains(&report, "namespaces \"team\" not found");
    assert_contains(&err, "cel.yaml:16: policy no-default-namespace, rule signed-images: validate.manifests rules are not supported yet");
    assert_eq!(
        err.matches("not supported yet").count(),
        1,
        "autogen copies once: {err}"
    );
    assert_contains(&stdout(&out), "pass: 0");
}

#[test]
fn unreadable_suites_exit_2() {
    for (name, content, reason) in [
        ("binary", &b"\x00\x01\xff\xfe"[..], "not UTF-8 text"),
        ("yaml", &b"results: [\n"[..], "invalid YAML"),
        ("not-a-test", &b"just: a map\n"[..], "holds no kyverno test"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "kyverno-test.yaml", content);
        let out = policy_test(dir.path());
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains(reason), "{name}: {}", stderr(&out));
    }
    // A readable suite next to an unreadable one still runs, and 2 wins.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "good/kyverno-test.yaml", SUITE.as_bytes());
    write(dir.path(), "good/policy.yaml", require_label());
    write(dir.path(), "good/pod.yaml", POD.as_bytes());
    write(dir.path(), "bad/kyverno-test.yaml", b"\xff");
    let out = policy_test(dir.path());
    assert_exit(&out, 2);
    assert_contains(&stdout(&out), "1 passed, 0 failed");
}

#[test]
fn a_suite_naming_dev_zero_stops_at_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "kyverno-test.yaml",
        SUITE.replace("[policy.yaml]", "[/dev/zero]").as_bytes(),
    );
    write(dir.path(), "pod.yaml", POD.as_bytes());
    let out = run_command(vigie().args([
        "policy",
        "test",
        arg(dir.path()),
        "--max-file-bytes",
        "65536",
    ]));
    assert_exit(&out, 2);
    assert_contains(
        &stderr(&out),
        "/dev/zero: larger than 65536 bytes, the limit on one file or stdin; \
             raise it with --max-file-bytes",
    );
}

#[test]
fn apply_refuses_files_over_the_cap_and_names_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(dir.path(), "policy.yaml", require_label());
    let pod = write(dir.path(), "pod.yaml", POD.as_bytes());
    let out = run_command(vigie().args([
        "policy",
        "apply",
        "/dev/zero",
        "-r",
        arg(&pod),
        "--max-file-bytes",
        "4096",
    ]));
    assert_exit(&out, 2);
    assert_contains(&stderr(&out), "/dev/zero: larger than 4096 bytes");
    // Resources too, and the other resources still run.
    let big = write(dir.path(), "big.yaml", vec![b'#'; 5000]);
    let out = run_command(vigie().args([
        "policy",
        "apply",
        arg(&policy),
        "-r",
        arg(&big),
        arg(&pod),
        "--max-file-bytes",
        "4096",
    ]));
    assert_exit(&out, 2);
    assert_contains(
        &stderr(&out),
        "big.yaml: larger than 4096 bytes, the limit on one file or stdin; \
             raise it with --max-file-bytes",
    );
    assert_contains(&stdout(&out), "fail: 1");
}

#[cfg(unix)]
#[test]
fn fifos_inside_directories_are_skipped_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "policies/policy.yaml", require_label());
    write(dir.path(), "resources/pod.yaml", POD.as_bytes());
    write(dir.path(), "suites/kyverno-test.yaml", SUITE.as_bytes());
    write(dir.path(), "suites/policy.yaml", require_label());
    write(dir.path(), "suites/pod.yaml", POD.as_bytes());
    for fifo in [
        "policies/stuck.yaml",
        "resources/stuck.yaml",
        "suites/sub/kyverno-test.yaml",
    ] {
        let path = dir.path().join(fifo);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let status = Command::new("mkfifo").arg(&path).status().unwrap();
        assert!(status.success());
    }
    let out = run_command(vigie().args([
        "policy",
        "apply",
        arg(&dir.path().join("policies")),
        "-r",
        arg(&dir.path().join("resources")),
    ]));
    assert_exit(&out, 1);
    let err = stderr(&out);
    assert!(
        err.contains("policies/stuck.yaml: not a regular file (a FIFO, socket or device): skipped")
            && err.contains(
                "resources/stuck.yaml: not a regular file (a FIFO, socket or device): skipped"
            ),
        "{err}"
    );
    let out = policy_test(&dir.path().join("suites"));
    assert_exit(&out, 0);
    assert_contains(
        &stderr(&out),
        "sub/kyverno-test.yaml: not a regular file (a FIFO, socket or device): skipped",
    );
}

#[test]
fn errors_name_file_and_line_without_placeholders() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(dir.path(), "policy.yaml", require_label());
    let broken = write(
        dir.path(),
        "broken.yaml",
        format!("{POD}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: [\n").as_bytes(),
    );
    let out = policy_apply(&policy, &broken);
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert_contains(&err, "broken.yaml:14:");
    assert!(!err.contains(":0:0:") && !err.contains("policy ?"), "{err}");
    // The good object in the same file still ran.
    assert_contains(&stdout(&out), "fail: 1");

    let bad_utf8 = write(dir.path(), "bad.yaml", b"apiVersion: v1\nkind: \xff\n");
    let out = run_command(vigie().args(["policy", "apply", arg(&bad_utf8), "-r", arg(&policy)]));
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert_contains(&err, "bad.yaml:2: not UTF-8 text");
    assert!(!err.contains("policy ?") && !err.contains(", :"), "{err}");
}

#[test]
fn streaming_apply_still_finds_config_maps_listed_after_their_readers() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(dir.path(), "policy.yaml", ALLOW_LIST.as_bytes());
    let resources = format!(
        "{POD}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: allowed, namespace: team}}\ndata:\n  names: '[\"web\"]'\n"
    );
    let file = write(dir.path(), "resources.yaml", resources.as_bytes());
    let out = policy_apply(&policy, &file);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_contains(&stdout(&out), "pass: 1, fail: 0");
}

#[test]
fn stdin_over_the_cap_is_refused_in_the_scan_words_and_the_rest_still_runs() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let policy = write(dir.path(), "policy.yaml", require_label());
    let pod = write(dir.path(), "pod.yaml", POD.as_bytes());
    let mut child = spawn_piped(
        vigie()
            .args(["policy", "apply", arg(&policy), "-r", "-", arg(&pod)])
            .args(["--max-file-bytes", "1000"]),
    );
    // vigie may stop reading at the cap: a broken pipe here is expected.
    let _ = child
        .stdin
        .take()
        .unwrap()
        .write_all(POD.repeat(50).as_bytes());
    let out = child.wait_with_output().unwrap();
    assert_exit(&out, 2);
    assert_contains(
        &stderr(&out),
        "error: <stdin>: larger than 1000 bytes, the limit on one file or stdin; \
             raise it with --max-file-bytes",
    );
    assert_contains(&stdout(&out), "fail: 1");
}

#[test]
fn the_default_cap_is_the_scan_one() {
    for command in [&["policy", "apply"][..], &["policy", "test"], &["scan"]] {
        let out = run_command(vigie().args(command).arg("--help"));
        // Help text wraps: compare with its words joined by single spaces.
        let help = stdout(&out)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            help.contains("[default: 1073741824]"),
            "{command:?}: {help}"
        );
    }
}
