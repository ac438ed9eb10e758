//! `vigie scan --cluster --watch` against the API server stand-in: a change to
//! an object shows in the metrics and in the policy report written to the cluster.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;
use common::{assert_contains, items};

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use api_standin::{Standin, StandinConfig};
use serde_json::json;

fn http(address: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let json = "Content-Type: application/json\r\n";
    api_standin::exchange(address, method, path, json, body).unwrap()
}

/// Kills the scanner when the test ends, passed or not.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Asks `/metrics` until `condition` holds; fails after two minutes (a guard
/// against a hung test, not a measure of speed).
fn metrics_until(address: &str, what: &str, condition: impl Fn(&str) -> bool) -> String {
    let mut last = String::new();
    for _ in 0..1200 {
        let (status, body) = http(address, "GET", "/metrics", "");
        if status == 200 && condition(&body) {
            return body;
        }
        last = body;
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the metrics never showed {what}:\n{last}");
}

fn value_of(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn a_changed_object_changes_the_metrics_and_the_report() {
    let mut config = StandinConfig::new(vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop"},
               "spec": {"containers": [{"name": "c", "image": "nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000"}]}}),
    ]);
    config.extra_types = StandinConfig::report_types();
    let standin = Standin::start(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, standin.kubeconfig()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigie"))
        .args([
            "scan",
            "--cluster",
            "--watch",
            "--metrics-listen",
            "127.0.0.1:0",
            "--kubeconfig",
        ])
        .arg(&kubeconfig)
        .env_remove("KUBECONFIG")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let _running = Running(child);
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let address = loop {
        let line = received
            .recv_timeout(Duration::from_secs(120))
            .expect("the scanner says where its metrics are");
        if let Some(rest) = line.strip_prefix("vigie scan: metrics on http://") {
            break rest.trim_end_matches("/metrics").to_string();
        }
    };
    let first = metrics_until(&address, "a first scan", |m| {
        value_of(m, "vigie_scans_total").is_some_and(|n| n >= 1.0)
    });
    let score = value_of(
        &first,
        "vigie_compliance_score{framework=\"pss-restricted\"}",
    )
    .expect("the restricted score");
    assert_contains(
        &first,
        "vigie_inventory_objects{api_version=\"v1\",kind=\"Pod\"} 1",
    );
    assert_contains(&first, "vigie_scan_duration_seconds");
    assert!(
        first.contains("vigie_http_requests_total"),
        "vigie-server's own metrics: {first}"
    );
    let report = standin
        .object("reports.openreports.io", Some("shop"), "vigie-scan")
        .expect("the namespace's report is written");
    let failed_before = report["summary"]["fail"].as_u64().unwrap();
    let (status, ready) = http(&address, "GET", "/readyz", "");
    assert_eq!(status, 200, "{ready}");

    // A privileged Pod appears: its findings reach the metrics and the report.
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "root", "namespace": "shop"},
        "spec": {"containers": [{"name": "c", "image": "nginx", "securityContext": {"privileged": true}}]}});
    let standin_address = standin.url().trim_start_matches("http://").to_string();
    let (status, _) = http(
        &standin_address,
        "POST",
        "/api/v1/namespaces/shop/pods",
        &pod.to_string(),
    );
    assert_eq!(status, 201);
    let after = metrics_until(&address, "the new Pod scanned", |m| {
        m.contains("vigie_inventory_objects{api_version=\"v1\",kind=\"Pod\"} 2")
            && value_of(m, "vigie_scans_total").is_some_and(|n| n >= 2.0)
            && value_of(m, "vigie_compliance_score{framework=\"pss-restricted\"}")
                .is_some_and(|s| s < score)
    });
    assert!(
        after
            .lines()
            .any(|l| l.starts_with("vigie_findings{") && l.contains("namespace=\"shop\"")),
        "{after}"
    );
    let report = standin
        .object("reports.openreports.io", Some("shop"), "vigie-scan")
        .unwrap();
    assert!(
        report["summary"]["fail"].as_u64().unwrap() > failed_before,
        "{report}"
    );
    assert!(
        items(&report["results"]).any(|r| r["resources"][0]["name"] == "root"),
        "{report}"
    );

    // Both Pods go: the namespace has no finding left, and its report goes.
    for name in ["web", "root"] {
        let (status, _) = http(
            &standin_address,
            "DELETE",
            &format!("/api/v1/namespaces/shop/pods/{name}"),
            "",
        );
        assert_eq!(status, 200);
    }
    metrics_until(&address, "the Pods gone", |m| {
        m.contains("vigie_inventory_objects{api_version=\"v1\",kind=\"Pod\"} 0")
            && !m
                .lines()
                .any(|l| l.starts_with("vigie_findings{") && l.contains("namespace=\"shop\""))
    });
    // The report is deleted in the same scan that the metrics show.
    for _ in 0..1200 {
        if standin
            .object("reports.openreports.io", Some("shop"), "vigie-scan")
            .is_none()
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the report of a namespace without findings was not deleted");
}
