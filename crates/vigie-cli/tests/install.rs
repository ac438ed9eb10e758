//! `vigie install`: the manifests pass vigie's own restricted scan, with the
//! sensor's privileges as declared exceptions; the sensor and scanner have the
//! rights they need and no more; deploy/kustomize is `vigie install`'s output.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;
use common::{assert_contains, assert_exit, repo, run_with_stdin, ClusterPolicy};

use std::process::Output;

use serde_json::Value;
use vigie_deploy::install::SENSOR_EXCEPTIONS;
use yaml_rust2::YamlLoader;

fn vigie(args: &[&str], stdin: &[u8]) -> Output {
    run_with_stdin(common::vigie().args(args), stdin)
}

fn policy() -> String {
    ClusterPolicy::new("team-label", &[], Some("Audit"))
        .label_rule("has-team", "Pod", "Pods carry a team label.", "team", None)
        .yaml()
}

fn install_all() -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("policy.yaml"), policy()).unwrap();
    let out = vigie(
        &[
            "install",
            "--components",
            "scanner,admission,sensor",
            "--policies",
            dir.path().to_str().unwrap(),
            "--image",
            "registry.example/vigie@sha256:1111111111111111111111111111111111111111111111111111111111111111",
            "--service-monitors",
        ],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn objects(yaml: &str) -> Vec<yaml_rust2::Yaml> {
    YamlLoader::load_from_str(yaml).unwrap()
}

fn find<'a>(objects: &'a [yaml_rust2::Yaml], kind: &str, name: &str) -> &'a yaml_rust2::Yaml {
    objects
        .iter()
        .find(|o| o["kind"].as_str() == Some(kind) && o["metadata"]["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

#[test]
fn the_install_passes_the_restricted_scan_with_the_sensor_exceptions_counted() {
    let manifests = install_all();
    let out = vigie(
        &["scan", "-", "--level", "restricted", "-o", "json"],
        manifests.as_bytes(),
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "no active finding: {report}");
    assert_eq!(report["errors"], serde_json::json!([]));
    let findings = report["findings"].as_array().unwrap();
    assert!(
        !findings.is_empty(),
        "the sensor's privileges are found, and excepted"
    );
    let mut excepted = std::collections::BTreeSet::new();
    for finding in findings {
        assert!(finding["exception"].is_object(), "{finding}");
        assert_eq!(finding["resource"]["kind"], "DaemonSet", "{finding}");
        assert_eq!(finding["resource"]["name"], "vigie-sensor", "{finding}");
        excepted.insert(finding["controlId"].as_str().unwrap().to_string());
    }
    // Every declared exception is needed: none is there for nothing.
    let declared: std::collections::BTreeSet<String> = SENSOR_EXCEPTIONS
        .iter()
        .map(|(id, _)| id.to_string())
        .collect();
    assert_eq!(excepted, declared);
    let objects = objects(&manifests);
    let sensor = find(&objects, "DaemonSet", "vigie-sensor");
    let reason = sensor["metadata"]["annotations"]["vigie.dev/skip-reason"]
        .as_str()
        .unwrap();
    for (id, why) in SENSOR_EXCEPTIONS {
        assert!(reason.contains(why), "{id}: {reason}");
    }
}

#[test]
fn the_sensor_and_the_scanner_get_what_they_need_and_no_more() {
    let manifests = install_all();
    let objects = objects(&manifests);
    let sensor = &find(&objects, "DaemonSet", "vigie-sensor")["spec"]["template"]["spec"];
    assert_eq!(sensor["hostPID"].as_bool(), Some(true));
    assert_eq!(
        sensor["tolerations"][0]["operator"].as_str(),
        Some("Exists")
    );
    assert!(
        sensor["tolerations"][0]["key"].is_badvalue(),
        "every taint tolerated"
    );
    let context = &sensor["containers"][0]["securityContext"];
    let added: Vec<&str> = context["capabilities"]["add"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(added, ["BPF", "PERFMON", "SYS_RESOURCE"]);
    assert_eq!(context["capabilities"]["drop"][0].as_str(), Some("ALL"));
    assert_eq!(context["privileged"].as_bool(), Some(false));
    assert_eq!(context["allowPrivilegeEscalation"].as_bool(), Some(false));
    let paths: Vec<&str> = sensor["volumes"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|v| v["hostPath"]["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "/sys/kernel/btf",
            "/sys/fs/bpf",
            "/run/containerd",
            "/run/crio"
        ]
    );
    // The runtime sockets' directories are read-only, the sensor's image its own.
    let mounts = sensor["containers"][0]["volumeMounts"].as_vec().unwrap();
    for m in &mounts[2..] {
        assert_eq!(m["readOnly"].as_bool(), Some(true), "{m:?}");
    }
    assert!(sensor["containers"][0]["image"]
        .as_str()
        .unwrap()
        .starts_with("vigie-sensor:"));

    let role = find(&objects, "ClusterRole", "vigie-scanner");
    for rule in role["rules"].as_vec().unwrap() {
        let verbs: Vec<&str> = rule["verbs"]
            .as_vec()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let groups: Vec<&str> = rule["apiGroups"]
            .as_vec()
            .map(|g| g.iter().map(|v| v.as_str().unwrap()).collect())
            .unwrap_or_default();
        if groups == ["*"] {
            assert_eq!(
                verbs,
                ["list", "watch"],
                "reading everything is list and watch only"
            );
        } else if !groups.is_empty() {
            assert!(
                groups
                    .iter()
                    .all(|g| *g == "openreports.io" || *g == "wgpolicyk8s.io"),
                "writes only reports: {groups:?}"
            );
        }
    }
    let scanner = find(&objects, "Deployment", "vigie-scanner");
    let image = scanner["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap();
    assert_contains(image, "@sha256:");
    assert!(objects
        .iter()
        .any(|o| o["kind"].as_str() == Some("ServiceMonitor")));
    assert!(objects
        .iter()
        .any(|o| o["kind"].as_str() == Some("ValidatingWebhookConfiguration")));
    assert_eq!(
        objects
            .iter()
            .filter(|o| o["kind"].as_str() == Some("Namespace"))
            .count(),
        1
    );
}

#[test]
fn admission_without_policies_is_refused() {
    let out = vigie(&["install", "--components", "admission"], b"");
    assert_exit(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--policies"));
}

#[test]
fn deploy_kustomize_is_what_vigie_install_prints() {
    let out = vigie(&["install"], b"");
    assert!(out.status.success());
    let printed = String::from_utf8(out.stdout).unwrap();
    let committed = std::fs::read_to_string(repo("deploy/kustomize/vigie.yaml")).unwrap();
    assert!(
        printed == committed,
        "deploy/kustomize/vigie.yaml differs from `vigie install`: regenerate it with\n  cargo run -p vigie-cli -- install > deploy/kustomize/vigie.yaml"
    );
    let kustomization =
        std::fs::read_to_string(repo("deploy/kustomize/kustomization.yaml")).unwrap();
    let docs = YamlLoader::load_from_str(&kustomization).unwrap();
    assert_eq!(docs[0]["resources"][0].as_str(), Some("vigie.yaml"));
}
