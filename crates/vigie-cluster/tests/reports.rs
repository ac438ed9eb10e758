//! Writing policy reports to the API server stand-in.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, UNIX_EPOCH};

use api_standin::{Standin, StandinConfig};
use serde_json::json;
use vigie_cluster::reports::{ReportWriteError, ReportWriter, WRITER_LABEL};
use vigie_cluster::{Cluster, ClusterOptions};
use vigie_report::policy_report::{ObjectRef, ReportApi, ReportEntry, ReportResult, ReportSet};

fn connect(report_types: bool) -> (Standin, Cluster, tempfile::TempDir) {
    let mut config = StandinConfig::new(vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b"}}),
    ]);
    if report_types {
        config.extra_types = StandinConfig::report_types();
    }
    let standin = Standin::start(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, standin.kubeconfig()).unwrap();
    let options = ClusterOptions {
        kubeconfig: Some(path),
        ..ClusterOptions::default()
    };
    let cluster = Cluster::connect(&options).unwrap();
    (standin, cluster, dir)
}

fn entry(namespace: &str, kind: &str, name: &str, result: ReportResult) -> ReportEntry {
    ReportEntry {
        policy: "VG-P001".into(),
        rule: "privileged".into(),
        result,
        message: "a container runs privileged".into(),
        severity: Some("high".into()),
        category: None,
        resource: ObjectRef {
            api_version: "v1".into(),
            kind: kind.into(),
            namespace: namespace.into(),
            name: name.into(),
            uid: String::new(),
        },
        timestamp: UNIX_EPOCH + Duration::from_secs(1_800_000_000),
    }
}

fn set(api: ReportApi, entries: Vec<ReportEntry>) -> ReportSet {
    let mut set = ReportSet::new(api, 1000);
    set.record(entries);
    set
}

#[test]
fn reports_are_applied_per_namespace_and_stale_ones_deleted() {
    let (standin, cluster, _dir) = connect(true);
    let writer = ReportWriter::new(ReportApi::OpenReports, "vigie-scan");
    let first = set(
        ReportApi::OpenReports,
        vec![
            entry("a", "Pod", "web", ReportResult::Fail),
            entry("a", "Pod", "db", ReportResult::Pass),
            entry("b", "Pod", "job", ReportResult::Fail),
            entry("", "Node", "node-1", ReportResult::Fail),
        ],
    );
    let written = writer.write(&cluster, &first).unwrap();
    assert_eq!((written.applied, written.deleted), (3, 0), "{written:?}");
    assert!(written.errors.is_empty(), "{written:?}");
    let a = standin
        .object("reports.openreports.io", Some("a"), "vigie-scan")
        .unwrap();
    assert_eq!(a["summary"]["fail"], 1);
    assert_eq!(a["summary"]["pass"], 1);
    assert_eq!(a["metadata"]["labels"][WRITER_LABEL], "vigie-scan");
    assert_eq!(a["metadata"]["managedFields"][0]["manager"], "vigie");
    assert_eq!(
        standin.names("clusterreports.openreports.io"),
        ["vigie-scan"]
    );

    // Another writer's report is not this writer's to delete.
    let other = ReportWriter::new(ReportApi::OpenReports, "vigie-admission");
    other
        .write(
            &cluster,
            &set(
                ReportApi::OpenReports,
                vec![entry("b", "Pod", "x", ReportResult::Fail)],
            ),
        )
        .unwrap();

    // Namespace b and the cluster-scoped object pass now: no result left there.
    let second = set(
        ReportApi::OpenReports,
        vec![entry("a", "Pod", "web", ReportResult::Fail)],
    );
    let written = writer.write(&cluster, &second).unwrap();
    assert_eq!((written.applied, written.deleted), (1, 2), "{written:?}");
    assert_eq!(
        standin.names("reports.openreports.io"),
        ["a/vigie-scan", "b/vigie-admission"]
    );
    assert!(standin.names("clusterreports.openreports.io").is_empty());
    let a = standin
        .object("reports.openreports.io", Some("a"), "vigie-scan")
        .unwrap();
    assert_eq!(a["results"].as_array().unwrap().len(), 1);
    assert!(a["summary"]["pass"] == 0, "{a}");
}

#[test]
fn wgpolicy_reports_and_the_size_bound() {
    let (standin, cluster, _dir) = connect(true);
    let entries: Vec<ReportEntry> = (0..200)
        .map(|i| entry("a", "Pod", &format!("pod-{i:03}"), ReportResult::Fail))
        .collect();
    let writer = ReportWriter::new(ReportApi::WgPolicy, "vigie-scan").with_max_report_bytes(20_000);
    let written = writer
        .write(&cluster, &set(ReportApi::WgPolicy, entries))
        .unwrap();
    assert!(written.results_left_out > 0, "{written:?}");
    let report = standin
        .object("policyreports.wgpolicyk8s.io", Some("a"), "vigie-scan")
        .unwrap();
    let kept = report["results"].as_array().unwrap().len();
    assert_eq!(kept + written.results_left_out, 200);
    assert_eq!(report["summary"]["fail"], kept as u64);
    assert!(standin.names("reports.openreports.io").is_empty());
}

#[test]
fn a_cluster_without_the_report_crds_is_a_clear_error() {
    let (_standin, cluster, _dir) = connect(false);
    let writer = ReportWriter::new(ReportApi::OpenReports, "vigie-scan");
    let error = writer
        .write(&cluster, &set(ReportApi::OpenReports, Vec::new()))
        .unwrap_err();
    assert!(
        matches!(error, ReportWriteError::NotServed { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("CRD"), "{error}");
    let bad = ReportWriter::new(ReportApi::OpenReports, "Vigie_Scan");
    assert!(matches!(
        bad.write(&cluster, &set(ReportApi::OpenReports, Vec::new())),
        Err(ReportWriteError::BadName(_))
    ));
}

/// The results of a report as `name=result`, sorted.
fn results_of(report: &serde_json::Value) -> Vec<String> {
    let mut results: Vec<String> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{}={}",
                r["resources"][0]["name"].as_str().unwrap(),
                r["result"].as_str().unwrap()
            )
        })
        .collect();
    results.sort();
    results
}

#[test]
fn replicas_writing_the_same_reports_keep_each_other_results() {
    let (standin, cluster, dir) = connect(true);
    // The second replica is a client of its own, as another process is.
    let other_cluster = Cluster::connect(&ClusterOptions {
        kubeconfig: Some(dir.path().join("kubeconfig")),
        ..ClusterOptions::default()
    })
    .unwrap();
    let replica = |cluster: &Cluster, me: &str, common: ReportResult| {
        let writer =
            ReportWriter::new(ReportApi::OpenReports, "vigie-admission").shared_between_replicas();
        // Each turn the replica has seen one more object, as requests come.
        for turn in 0..8 {
            let mut entries: Vec<ReportEntry> = (0..=turn)
                .map(|i| entry("a", "Pod", &format!("{me}-{i}"), ReportResult::Fail))
                .collect();
            entries.push(entry("a", "Pod", "common", common));
            entries.push(entry("", "Node", &format!("node-{me}"), ReportResult::Fail));
            let written = writer
                .write(cluster, &set(ReportApi::OpenReports, entries))
                .unwrap();
            assert!(written.errors.is_empty(), "{written:?}");
        }
        writer
    };
    let (first, _second) = std::thread::scope(|scope| {
        let first = scope.spawn(|| replica(&cluster, "x", ReportResult::Fail));
        let second = scope.spawn(|| replica(&other_cluster, "y", ReportResult::Fail));
        (first.join().unwrap(), second.join().unwrap())
    });
    let report = standin
        .object("reports.openreports.io", Some("a"), "vigie-admission")
        .unwrap();
    let mut expected: Vec<String> = (0..8)
        .flat_map(|i| [format!("x-{i}=fail"), format!("y-{i}=fail")])
        .collect();
    expected.push("common=fail".into());
    expected.sort();
    assert_eq!(results_of(&report), expected);
    assert_eq!(report["summary"]["fail"], 17);
    assert_eq!(
        report["metadata"]["labels"][WRITER_LABEL],
        "vigie-admission"
    );
    let nodes = standin
        .object("clusterreports.openreports.io", None, "vigie-admission")
        .unwrap();
    assert_eq!(results_of(&nodes), ["node-x=fail", "node-y=fail"]);

    // The first replica now has fewer results: it takes back its own, and
    // only its own; a result of the same object and policy replaces the other's.
    let written = first
        .write(
            &cluster,
            &set(
                ReportApi::OpenReports,
                vec![
                    entry("a", "Pod", "x-0", ReportResult::Fail),
                    entry("a", "Pod", "common", ReportResult::Pass),
                ],
            ),
        )
        .unwrap();
    assert!(written.errors.is_empty(), "{written:?}");
    let report = standin
        .object("reports.openreports.io", Some("a"), "vigie-admission")
        .unwrap();
    let mut expected: Vec<String> = (0..8).map(|i| format!("y-{i}=fail")).collect();
    expected.extend(["x-0=fail".to_string(), "common=pass".to_string()]);
    expected.sort();
    assert_eq!(results_of(&report), expected);
    assert_eq!(report["summary"]["fail"], 9);
    assert_eq!(report["summary"]["pass"], 1);
    let nodes = standin
        .object("clusterreports.openreports.io", None, "vigie-admission")
        .unwrap();
    assert_eq!(results_of(&nodes), ["node-y=fail"]);
}
