//! `vigie policy apply --target-resource` and `vigie policy test` with
//! `targetResources`: rules with `mutate.targets` patch the existing resources
//! given, which are printed or written like other mutated objects.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;
use common::{arg, assert_contains, policy_apply, policy_test, run_command, text, vigie, write};

const POLICY: &str = "apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: rotate
spec:
  rules:
  - name: mark-for-rotation
    match:
      any:
      - resources:
          kinds: [ConfigMap]
          names: [rotation-request]
    mutate:
      targets:
      - apiVersion: v1
        kind: Secret
        name: 'api-*'
        namespace: '{{ request.object.metadata.namespace }}'
      patchesJson6902: |-
        - op: add
          path: /metadata/annotations
          value: {rotate-after: '{{ request.object.data.date }}'}
";

const TRIGGER: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: rotation-request
  namespace: shop
data:
  date: '2026-12-31'
";

const TARGETS: &str = "apiVersion: v1
kind: Secret
metadata:
  name: api-key
  namespace: shop
---
apiVersion: v1
kind: Secret
metadata:
  name: db-key
  namespace: shop
";

#[test]
fn apply_patches_the_target_resources_and_writes_them() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(dir.path(), "policy.yaml", POLICY);
    let trigger = write(dir.path(), "trigger.yaml", TRIGGER);
    let targets = write(dir.path(), "targets.yaml", TARGETS);
    // `policy apply` of the policy to the trigger, with `more` arguments.
    let apply = |more: &[&str]| {
        run_command(
            vigie()
                .args(["policy", "apply", arg(&policy), "-r", arg(&trigger)])
                .args(more),
        )
    };
    let out = apply(&["--target-resource", arg(&targets)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert_contains(&printed, "# mutated shop/Secret/api-key");
    assert_contains(&printed, "rotate-after:");
    assert_contains(&printed, "2026-12-31");
    assert!(!printed.contains("db-key"), "{printed}");
    assert_contains(&printed, "pass: 1");

    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    // The plural spelling, and writing to a folder.
    let out = apply(&["--target-resources", arg(&targets), "-o", arg(&out_dir)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(out_dir.join("secret-shop-api-key.yaml")).unwrap();
    assert!(
        written.contains("rotate-after:") && written.contains("2026-12-31"),
        "{written}"
    );
    assert!(!out_dir
        .join("configmap-shop-rotation-request.yaml")
        .exists());
}

#[test]
fn apply_without_the_named_target_reports_an_error_never_a_pass() {
    let dir = tempfile::tempdir().unwrap();
    let exact_target = POLICY.replace("name: 'api-*'", "name: api-key");
    let policy = write(dir.path(), "policy.yaml", exact_target);
    let trigger = write(dir.path(), "trigger.yaml", TRIGGER);
    let out = policy_apply(&policy, &trigger);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert_contains(
        &report,
        "v1/Secret shop/api-key not found among the target resources",
    );
    assert_contains(&report, "pass: 0");
}

const SUITE: &str = "apiVersion: cli.kyverno.io/v1alpha1
kind: Test
metadata:
  name: rotate
policies: [policy.yaml]
resources: [trigger.yaml]
targetResources: [targets.yaml]
results:
- policy: rotate
  rule: mark-for-rotation
  kind: Secret
  resources: [shop/api-key]
  patchedResources: patched.yaml
  result: pass
";

#[test]
fn test_compares_the_patched_target_with_patched_resources() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "policy.yaml", POLICY);
    write(dir.path(), "trigger.yaml", TRIGGER);
    write(dir.path(), "targets.yaml", TARGETS);
    write(dir.path(), "kyverno-test.yaml", SUITE);
    let patched = "apiVersion: v1
kind: Secret
metadata:
  name: api-key
  namespace: shop
  annotations: {rotate-after: '2026-12-31'}
";
    write(dir.path(), "patched.yaml", patched);
    let out = policy_test(dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert_contains(&text(&out.stdout), "1 passed, 0 failed");

    write(
        dir.path(),
        "patched.yaml",
        patched.replace("12-31", "01-01"),
    );
    let out = policy_test(dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert_contains(&text(&out.stdout), "the mutated resource differs");
}
