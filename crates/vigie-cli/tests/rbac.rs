//! `vigie rbac`: answers, formats and exit codes, run as a user would.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;
use common::{arg, assert_contains, assert_exit, items, run, stderr, stdout, write};

use std::process::Output;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../vigie-rbac/tests/fixtures/cluster.yaml"
);

#[test]
fn who_can_prints_subjects_with_binding_and_role() {
    let out = run(&["rbac", "who-can", "create", "pods", "-n", "ci", FIXTURE]);
    assert_exit(&out, 0);
    let listed = stdout(&out);
    assert!(
        listed.starts_with("Who can create pods in namespace ci: 5 grant(s)"),
        "{listed}"
    );
    let alice = listed
        .lines()
        .find(|l| l.starts_with("User alice"))
        .unwrap();
    assert!(
        alice.contains("RoleBinding ci/devs") && alice.contains("Role ci/pod-maker"),
        "{alice}"
    );
    assert_contains(&listed, "ServiceAccount ci/deployer: Deployment ci/web");
}

#[test]
fn who_can_json_and_cluster_scope() {
    let out = run(&["rbac", "who-can", "create", "pods", "-o", "json", FIXTURE]);
    assert_exit(&out, 0);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["scope"], "cluster-wide");
    let names: Vec<&str> = items(&json["grants"])
        .map(|g| g["subject"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["system:masters", "ops", "deployer"]);
}

#[test]
fn paths_exit_one_when_a_path_exists() {
    let out = run(&["rbac", "paths", FIXTURE]);
    assert_exit(&out, 1);
    let paths = stdout(&out);
    assert!(
        paths.starts_with("6 subject(s) can reach cluster-admin power"),
        "{paths}"
    );
    assert_contains(&paths, "User alice (2 steps)");
}

#[test]
fn paths_exit_zero_when_none() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "rbac.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: a}\nrules: [{apiGroups: [''], resources: [configmaps], verbs: [get]}]\n");
    let out = run(&["rbac", "paths", file.to_str().unwrap()]);
    assert_exit(&out, 0);
    assert_eq!(stdout(&out), "No escalation path to cluster-admin power.\n");
}

#[test]
fn broken_input_is_named_and_the_rest_still_answers() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(FIXTURE, dir.path().join("cluster.yaml")).unwrap();
    std::fs::write(dir.path().join("broken.yaml"), "kind: [unclosed\n").unwrap();
    let out = run(&["rbac", "paths", arg(dir.path())]);
    assert_exit(&out, 2);
    assert_contains(&stderr(&out), "broken.yaml:2:1: document 1: invalid YAML");
    assert_contains(&stdout(&out), "User alice (2 steps)");
}

/// The same answers from a cluster (the API server stand-in serving the
/// fixture's objects) as from the file.
#[test]
fn cluster_answers_as_the_files_do() {
    use api_standin::{Standin, StandinConfig};
    let objects = api_standin::load_objects(&[FIXTURE.to_string()]).expect("the fixture loads");
    let standin = Standin::start(StandinConfig::new(objects)).expect("the stand-in starts");
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, standin.kubeconfig()).unwrap();
    let kubeconfig = kubeconfig.to_str().unwrap();

    let from_cluster = run(&[
        "rbac",
        "paths",
        "-o",
        "json",
        "--cluster",
        "--kubeconfig",
        kubeconfig,
    ]);
    let from_file = run(&["rbac", "paths", "-o", "json", FIXTURE]);
    assert_exit(&from_cluster, 1);
    let steps = |out: &Output| -> Vec<(String, usize)> {
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        items(&json)
            .map(|p| {
                (
                    p["subject"]["name"].as_str().unwrap().to_string(),
                    p["steps"].as_array().unwrap().len(),
                )
            })
            .collect()
    };
    assert_eq!(steps(&from_cluster), steps(&from_file));

    let who = run(&[
        "rbac",
        "who-can",
        "create",
        "pods",
        "-n",
        "ci",
        "--cluster",
        "--kubeconfig",
        kubeconfig,
    ]);
    assert_exit(&who, 0);
    let listed = stdout(&who);
    assert_contains(&listed, "User alice");
    assert_contains(&listed, "ServiceAccount ci/deployer: Deployment ci/web");
}

#[test]
fn files_and_cluster_are_exclusive() {
    let out = run(&["rbac", "paths", "--cluster", FIXTURE]);
    assert_exit(&out, 2);
    let out = run(&["rbac", "paths"]);
    assert_exit(&out, 2);
}
