//! `vigie policy apply` and `vigie policy test` with mutate rules: the real binary,
//! exit codes, the mutated objects printed or written, `patchedResources` compared.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;
use common::{
    arg, assert_contains, assert_exit, policy_apply, policy_test, run_command, text, vigie, write,
};

const POLICIES: &str = "apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: defaults
spec:
  rules:
  - name: add-team
    match:
      any:
      - resources:
          kinds: [ConfigMap]
    mutate:
      patchStrategicMerge:
        metadata:
          labels:
            +(team): platform
---
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: require-team
spec:
  validationFailureAction: Enforce
  rules:
  - name: team
    match:
      any:
      - resources:
          kinds: [ConfigMap]
    validate:
      message: a team label is required
      pattern:
        metadata:
          labels:
            team: '?*'
";

const CONFIG_MAPS: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  mode: fast
";

#[test]
fn apply_prints_the_mutated_object_and_validates_it() {
    let dir = tempfile::tempdir().unwrap();
    let policies = write(dir.path(), "policies.yaml", POLICIES);
    let resources = write(dir.path(), "cm.yaml", CONFIG_MAPS);
    let out = policy_apply(&policies, &resources);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert_contains(&stdout, "# mutated shop/ConfigMap/settings (");
    assert_contains(&stdout, "by defaults/add-team\n");
    assert_contains(&stdout, "  labels:\n    team: platform\n");
    // The validation sees the label the mutation added.
    assert_contains(&stdout, "pass: 2, fail: 0, warn: 0, error: 0, skip: 0");
}

#[test]
fn apply_writes_mutated_objects_to_a_directory_or_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let policies = write(dir.path(), "policies.yaml", POLICIES);
    let resources = write(dir.path(), "cm.yaml", CONFIG_MAPS);
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let write_mutated = |to: &std::path::Path| {
        run_command(vigie().args([
            "policy",
            "apply",
            arg(&policies),
            "-r",
            arg(&resources),
            "--write-mutated",
            arg(to),
        ]))
    };
    let out = write_mutated(&out_dir);
    assert_exit(&out, 0);
    assert!(!text(&out.stdout).contains("team: platform"));
    let written = std::fs::read_to_string(out_dir.join("configmap-shop-settings.yaml")).unwrap();
    assert_contains(&written, "team: platform");
    let file = dir.path().join("all.yaml");
    let out = write_mutated(&file);
    assert_exit(&out, 0);
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .starts_with("---\n# mutated"));
    let missing = dir.path().join("no/such/dir/file.yaml");
    let out = write_mutated(&missing);
    assert_exit(&out, 2);
    assert_contains(&text(&out.stderr), "cannot write the mutated resources");
}

const SUITE: &str = "apiVersion: cli.kyverno.io/v1alpha1
kind: Test
metadata:
  name: defaults
policies: [policies.yaml]
resources: [cm.yaml]
results:
- policy: defaults
  rule: add-team
  kind: ConfigMap
  resources: [settings]
  patchedResources: patched.yaml
  result: pass
";

#[test]
fn test_compares_patched_resources_and_names_the_difference() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "policies.yaml", POLICIES);
    write(dir.path(), "cm.yaml", CONFIG_MAPS);
    let suite = write(dir.path(), "kyverno-test.yaml", SUITE);
    let good = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: shop\n  labels: {team: platform}\ndata: {mode: fast}\n";
    write(dir.path(), "patched.yaml", good);
    let out = policy_test(&suite);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert_contains(&text(&out.stdout), "1 passed, 0 failed");

    write(dir.path(), "patched.yaml", good.replace("platform", "web"));
    let out = policy_test(&suite);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("the mutated resource differs from")
            && stdout.contains("/metadata/labels/team: expected web, actual platform"),
        "{stdout}"
    );
}
