//! The stand-in is checked by a real client other than vigie's: kubectl.
//! kubectl is installed by scripts/setup; without it these tests fail and say so.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

use api_standin::{Standin, StandinConfig};

fn standin() -> Standin {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/insecure")
        .display()
        .to_string();
    let objects = api_standin::load_objects(&[examples]).unwrap();
    Standin::start(StandinConfig::new(objects)).unwrap()
}

/// Runs kubectl against the stand-in; its output, or a failure naming what is missing.
fn kubectl(standin: &Standin, args: &[&str]) -> String {
    let cache = tempfile::tempdir().unwrap();
    let output = Command::new("kubectl")
        .arg("--server")
        .arg(standin.url())
        .arg("--cache-dir")
        .arg(cache.path())
        .args(args)
        .env_remove("KUBECONFIG")
        .env("HOME", cache.path())
        .output()
        .unwrap_or_else(|e| {
            panic!("kubectl is needed for this test (scripts/setup installs it): {e}")
        });
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "kubectl {args:?} failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn kubectl_lists_pods_of_every_namespace() {
    let standin = standin();
    // The insecure example has no Pod of its own: an empty answer, read without error.
    let out = kubectl(&standin, &["get", "pods", "-A"]);
    assert!(out.is_empty() || out.starts_with("NAMESPACE"), "{out}");
    let out = kubectl(&standin, &["get", "deployments", "-A"]);
    assert!(out.contains("storefront"), "{out}");
    let out = kubectl(
        &standin,
        &["get", "deploy", "-n", "storefront", "-o", "name"],
    );
    assert!(
        out.lines().all(|l| l.starts_with("deployment.apps/")) && !out.is_empty(),
        "{out}"
    );
}

#[test]
fn kubectl_discovers_the_resource_types() {
    let standin = standin();
    let out = kubectl(&standin, &["api-resources"]);
    for expected in [
        "pods",
        "deployments",
        "clusterrolebindings",
        "networkpolicies",
    ] {
        assert!(
            out.lines().any(|l| l.starts_with(expected)),
            "{expected}: {out}"
        );
    }
}

#[test]
fn kubectl_reads_raw_paths_and_pages() {
    let standin = standin();
    let out = kubectl(&standin, &["get", "--raw", "/api/v1/namespaces"]);
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list["kind"], "NamespaceList");
    assert_eq!(list["items"][0]["metadata"]["name"], "storefront");
    let out = kubectl(
        &standin,
        &["get", "--raw", "/apis/apps/v1/deployments?limit=1"],
    );
    let page: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let token = page["metadata"]["continue"].as_str().unwrap();
    let out = kubectl(
        &standin,
        &[
            "get",
            "--raw",
            &format!("/apis/apps/v1/deployments?limit=1&continue={token}"),
        ],
    );
    let next: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_ne!(
        next["items"][0]["metadata"]["name"],
        page["items"][0]["metadata"]["name"]
    );
    let out = kubectl(&standin, &["version", "-o", "json"]);
    assert!(out.contains("v1.31.2"), "{out}");
    // Paging through kubectl's own client (`--chunk-size`).
    let out = kubectl(
        &standin,
        &[
            "get",
            "deploy,sts,cronjobs",
            "-A",
            "--chunk-size",
            "1",
            "-o",
            "name",
        ],
    );
    assert_eq!(out.lines().count(), 4, "{out}");
}

#[test]
fn kubectl_applies_server_side_gets_and_deletes() {
    let mut config = StandinConfig::new(Vec::new());
    config.extra_types = StandinConfig::report_types();
    let standin = Standin::start(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.yaml");
    let write = |fail: usize| {
        std::fs::write(
            &file,
            format!(
                "apiVersion: openreports.io/v1alpha1\nkind: Report\nmetadata:\n  name: vigie\n  namespace: shop\n  labels:\n    app.kubernetes.io/managed-by: vigie\nsummary:\n  fail: {fail}\nresults: []\n"
            ),
        )
        .unwrap();
    };
    write(1);
    let file_arg = file.display().to_string();
    let apply = [
        "apply",
        "--server-side",
        "--field-manager",
        "vigie-test",
        "--validate=false",
        "-f",
        file_arg.as_str(),
    ];
    let out = kubectl(&standin, &apply);
    assert!(out.contains("serverside-applied"), "{out}");
    let out = kubectl(
        &standin,
        &["get", "reports.openreports.io", "-n", "shop", "-o", "json"],
    );
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list["items"][0]["summary"]["fail"], 1, "{out}");
    // kubectl hides managedFields; the stand-in's copy shows the manager.
    let stored = standin
        .object("reports.openreports.io", Some("shop"), "vigie")
        .unwrap();
    assert_eq!(
        stored["metadata"]["managedFields"][0]["manager"],
        "vigie-test"
    );
    write(4);
    kubectl(&standin, &apply);
    let out = kubectl(
        &standin,
        &[
            "get",
            "reports.openreports.io",
            "-n",
            "shop",
            "-l",
            "app.kubernetes.io/managed-by=vigie",
            "-o",
            "jsonpath={.items[*].summary.fail}",
        ],
    );
    assert_eq!(out, "4");
    let out = kubectl(&standin, &["delete", "-f", file_arg.as_str()]);
    assert!(out.contains("deleted"), "{out}");
    assert!(standin.names("reports.openreports.io").is_empty());
}

#[test]
fn kubectl_reads_a_node_kubelet_configuration() {
    let node =
        serde_json::json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "worker-1"}});
    let mut config = StandinConfig::new(vec![node]);
    config.node_configz.insert(
        "worker-1".into(),
        serde_json::json!({"kubeletconfig": {"readOnlyPort": 10255}}),
    );
    let standin = Standin::start(config).unwrap();
    let out = kubectl(
        &standin,
        &["get", "--raw", "/api/v1/nodes/worker-1/proxy/configz"],
    );
    let configz: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(configz["kubeletconfig"]["readOnlyPort"], 10255);
}
