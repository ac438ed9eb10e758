use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use super::*;
use ReportResult::{Error, Fail, Pass, Warn};

fn pod(namespace: &str, name: &str) -> ObjectRef {
    ObjectRef {
        api_version: "v1".into(),
        kind: "Pod".into(),
        namespace: namespace.into(),
        name: name.into(),
        uid: format!("uid-{name}"),
    }
}

fn entry(policy: &str, rule: &str, result: ReportResult, resource: ObjectRef) -> ReportEntry {
    ReportEntry {
        policy: policy.into(),
        rule: rule.into(),
        result,
        message: format!("{rule} says so"),
        severity: Some("Medium".into()),
        category: Some("Pod Security".into()),
        resource,
        timestamp: UNIX_EPOCH + Duration::new(1_700_000_000, 5),
    }
}

fn results_of(report: &Value) -> Vec<(String, String, String)> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["resources"][0]["name"].as_str().unwrap().to_string(),
                r["policy"].as_str().unwrap().to_string(),
                r["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_latest_evaluation_of_a_resource_and_policy_replaces_the_previous_one() {
    let mut set = ReportSet::new(ReportApi::OpenReports, 100);
    set.record(vec![
        entry("p", "a", Fail, pod("team", "web")),
        entry("p", "b", Fail, pod("team", "web")),
        entry("q", "c", Pass, pod("team", "web")),
    ]);
    set.record(vec![entry("p", "a", Pass, pod("team", "web"))]);
    let reports = set.reports();
    assert_eq!(reports.len(), 1);
    let report = &reports[0];
    assert_eq!(
        results_of(report),
        [
            ("web".into(), "p".into(), "a".into()),
            ("web".into(), "q".into(), "c".into())
        ]
    );
    assert_eq!(
        report["summary"],
        json!({"pass": 2, "fail": 0, "warn": 0, "error": 0, "skip": 0})
    );
    assert_eq!(set.dropped(), 0);
    assert_eq!(set.len(), 2);
}

#[test]
fn a_full_report_evicts_the_evaluations_recorded_longest_ago_and_counts_them() {
    let mut set = ReportSet::new(ReportApi::OpenReports, 3);
    set.record(vec![
        entry("p", "a", Fail, pod("team", "old")),
        entry("p", "b", Fail, pod("team", "old")),
    ]);
    set.record(vec![entry("p", "a", Pass, pod("team", "mid"))]);
    set.record(vec![entry("p", "a", Pass, pod("team", "new"))]);
    let names: Vec<String> = results_of(&set.reports()[0])
        .into_iter()
        .map(|r| r.0)
        .collect();
    assert_eq!(names, ["mid", "new"]);
    assert_eq!(set.dropped(), 2);
    // Another namespace has its own bound.
    set.record(vec![entry("p", "a", Pass, pod("other", "x"))]);
    assert_eq!(set.dropped(), 2);
    assert_eq!(set.reports().len(), 2);
}

#[test]
fn an_evaluation_larger_than_the_bound_keeps_its_first_results() {
    let mut set = ReportSet::new(ReportApi::OpenReports, 2);
    let many = (0..5)
        .map(|i| entry("p", &format!("r{i}"), Fail, pod("team", "web")))
        .collect();
    set.record(many);
    let rules: Vec<String> = results_of(&set.reports()[0])
        .into_iter()
        .map(|r| r.2)
        .collect();
    assert_eq!(rules, ["r0", "r1"]);
    assert_eq!(set.dropped(), 3);
}

#[test]
fn memory_stays_bounded_however_many_results_arrive() {
    let mut set = ReportSet::new(ReportApi::OpenReports, 50).with_max_reports(4);
    for i in 0..10_000 {
        let namespace = format!("ns{}", i % 7);
        set.record(vec![entry(
            "p",
            "a",
            Fail,
            pod(&namespace, &format!("pod{i}")),
        )]);
    }
    assert_eq!(set.reports().len(), 4);
    assert_eq!(set.len(), 200);
    assert_eq!(set.dropped(), 10_000 - 200);
}

#[test]
fn cluster_scoped_resources_go_to_the_cluster_report_in_both_apis() {
    let namespace = ObjectRef {
        api_version: "v1".into(),
        kind: "Namespace".into(),
        name: "team".into(),
        ..Default::default()
    };
    for (api, kinds) in [
        (ReportApi::OpenReports, ["Report", "ClusterReport"]),
        (ReportApi::WgPolicy, ["PolicyReport", "ClusterPolicyReport"]),
    ] {
        let mut set = ReportSet::new(api, 10);
        set.record(vec![
            entry("p", "a", Warn, namespace.clone()),
            entry("p", "a", Error, pod("team", "web")),
        ]);
        let reports = set.reports();
        assert_eq!(reports.len(), 2);
        assert_eq!(reports[0]["kind"], kinds[0]);
        assert_eq!(reports[0]["apiVersion"], api.api_version());
        assert_eq!(reports[0]["metadata"]["namespace"], "team");
        assert_eq!(reports[0]["scope"]["kind"], "Namespace");
        assert_eq!(reports[1]["kind"], kinds[1]);
        assert!(reports[1]["metadata"].get("namespace").is_none());
        assert!(reports[1].get("scope").is_none());
        let cluster_result = &reports[1]["results"][0];
        assert_eq!(cluster_result["result"], "warn");
        assert_eq!(cluster_result["scored"], false);
        assert!(cluster_result["resources"][0].get("namespace").is_none());
        // Only openreports.io has a report-level source.
        assert_eq!(
            reports[0].get("source").is_some(),
            api == ReportApi::OpenReports
        );
    }
}

#[test]
fn a_result_carries_every_field_of_the_schema() {
    let mut set = ReportSet::new(ReportApi::OpenReports, 10).with_source("kyverno");
    set.record(vec![entry("p", "a", Fail, pod("team", "web"))]);
    let result = &set.reports()[0]["results"][0];
    assert_eq!(
        *result,
        json!({
            "source": "kyverno",
            "policy": "p",
            "rule": "a",
            "result": "fail",
            "scored": true,
            "message": "a says so",
            "severity": "medium",
            "category": "Pod Security",
            "timestamp": {"seconds": 1_700_000_000u64, "nanos": 5},
            "resources": [{"apiVersion": "v1", "kind": "Pod", "namespace": "team",
                           "name": "web", "uid": "uid-web"}],
        })
    );
}

#[test]
fn a_severity_the_schema_refuses_is_left_out() {
    let mut set = ReportSet::new(ReportApi::WgPolicy, 10);
    let mut odd = entry("p", "a", Fail, pod("team", "web"));
    odd.severity = Some("urgent".into());
    set.record(vec![odd]);
    assert!(set.reports()[0]["results"][0].get("severity").is_none());
}

#[test]
fn long_messages_are_shortened_at_a_character_boundary() {
    let mut set = ReportSet::new(ReportApi::OpenReports, 10);
    let mut long = entry("p", "a", Fail, pod("team", "web"));
    long.message = "é".repeat(3000);
    set.record(vec![long]);
    let message = set.reports()[0]["results"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.len() <= ReportSet::MAX_MESSAGE_BYTES);
    assert!(message.ends_with('…'));
}

#[test]
fn an_invalid_namespace_is_dropped_not_written() {
    let mut set = ReportSet::new(ReportApi::OpenReports, 10);
    set.record(vec![
        entry("p", "a", Fail, pod("../etc", "web")),
        entry("p", "a", Fail, pod("Team", "web")),
    ]);
    assert!(set.reports().is_empty());
    assert_eq!(set.dropped(), 2);
}

#[test]
fn write_dir_writes_one_file_per_report_and_replaces_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports");
    let mut set = ReportSet::new(ReportApi::OpenReports, 10);
    set.record(vec![
        entry("p", "a", Fail, pod("team", "web")),
        entry("p", "a", Pass, pod("", "node-thing")),
    ]);
    assert_eq!(set.write_dir(&out).unwrap(), 2);
    set.record(vec![entry("p", "a", Pass, pod("team", "web"))]);
    assert_eq!(set.write_dir(&out).unwrap(), 2);
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["clusterreport.json", "report-team.json"]);
    let text = std::fs::read_to_string(out.join("report-team.json")).unwrap();
    let report: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(report["summary"]["pass"], 1);
    assert_eq!(report["summary"]["fail"], 0);
}

#[test]
fn a_time_before_the_epoch_is_written_as_zero() {
    let mut set = ReportSet::new(ReportApi::OpenReports, 10);
    let mut early = entry("p", "a", Pass, pod("team", "web"));
    early.timestamp = SystemTime::UNIX_EPOCH - Duration::from_secs(5);
    set.record(vec![early]);
    assert_eq!(
        set.reports()[0]["results"][0]["timestamp"],
        json!({"seconds": 0, "nanos": 0})
    );
}

#[test]
fn report_api_names_parse() {
    assert_eq!(
        "openreports".parse::<ReportApi>(),
        Ok(ReportApi::OpenReports)
    );
    assert_eq!("wgpolicy".parse::<ReportApi>(), Ok(ReportApi::WgPolicy));
    assert!("kyverno"
        .parse::<ReportApi>()
        .unwrap_err()
        .to_string()
        .contains("openreports or wgpolicy"));
}
