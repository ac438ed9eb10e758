//! Every metric that the Grafana dashboard (deploy/grafana/vigie-posture.json)
//! and the alerting rules (deploy/prometheus/vigie-rules.yaml) name is one that
//! vigie exports. The exported names are read from the code: each exporter's
//! own rendering (its `# TYPE` lines), not a list kept by hand.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;
use common::repo;

use std::collections::BTreeSet;

use yaml_rust2::{Yaml, YamlLoader};

/// Every metric name vigie's exporters write, with the series names a
/// histogram adds (`_bucket`, `_sum`, `_count`).
fn exported() -> BTreeSet<String> {
    let mut text = String::new();
    vigie_server::ServerMetrics::default().render(&mut text);
    vigie_admission::AdmissionMetrics::default().render(&mut text);
    text.push_str(&vigie_detect::metrics::Metrics::default().render());
    vigie_report::posture::PostureMetrics::default().render(&mut text);
    vigie_cluster::InventoryStats::default().render(&mut text);
    let mut names = BTreeSet::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("# TYPE ") else {
            continue;
        };
        let (name, kind) = rest.split_once(' ').unwrap();
        names.insert(name.to_string());
        if kind == "histogram" {
            for suffix in ["_bucket", "_sum", "_count"] {
                names.insert(format!("{name}{suffix}"));
            }
        }
    }
    names
}

/// The `vigie_...` identifiers of a PromQL expression.
fn metrics_in(expr: &str) -> Vec<String> {
    let mut found = Vec::new();
    let bytes = expr.as_bytes();
    let mut i = 0;
    while let Some(at) = expr[i..].find("vigie_") {
        let start = i + at;
        let before_ok =
            start == 0 || !(bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
        let mut end = start;
        while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
            end += 1;
        }
        if before_ok {
            found.push(expr[start..end].to_string());
        }
        i = end;
    }
    found
}

fn dashboard_exprs() -> Vec<String> {
    let text = std::fs::read_to_string(repo("deploy/grafana/vigie-posture.json")).unwrap();
    let dashboard: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut exprs = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            exprs.push(target["expr"].as_str().unwrap().to_string());
        }
    }
    // Template variables query metrics too.
    for variable in dashboard["templating"]["list"].as_array().unwrap() {
        if let Some(query) = variable["query"].as_str() {
            exprs.push(query.to_string());
        }
    }
    exprs
}

fn rules() -> Vec<Yaml> {
    let text = std::fs::read_to_string(repo("deploy/prometheus/vigie-rules.yaml")).unwrap();
    let docs = YamlLoader::load_from_str(&text).unwrap();
    let mut rules = Vec::new();
    for group in docs[0]["groups"].as_vec().unwrap() {
        assert!(group["name"].as_str().is_some());
        rules.extend(group["rules"].as_vec().unwrap().iter().cloned());
    }
    rules
}

#[test]
fn the_dashboard_names_only_exported_metrics_of_every_component() {
    let exported = exported();
    let exprs = dashboard_exprs();
    let named: BTreeSet<String> = exprs.iter().flat_map(|e| metrics_in(e)).collect();
    let unknown: Vec<&String> = named.difference(&exported).collect();
    assert!(
        unknown.is_empty(),
        "the dashboard names metrics vigie does not export: {unknown:?}"
    );
    for family in [
        "vigie_compliance_score",
        "vigie_findings",
        "vigie_inventory_staleness_seconds",
        "vigie_admission_request_duration_seconds_bucket",
        "vigie_detect_sink_dropped_total",
    ] {
        assert!(named.contains(family), "the dashboard shows {family}");
    }
}

#[test]
fn the_alerting_rules_name_only_exported_metrics() {
    let exported = exported();
    let rules = rules();
    let mut alerts = BTreeSet::new();
    for rule in &rules {
        let alert = rule["alert"].as_str().expect("every rule is an alert");
        assert!(alerts.insert(alert.to_string()), "{alert} twice");
        let expr = rule["expr"].as_str().expect("an expression");
        let named = metrics_in(expr);
        assert!(!named.is_empty(), "{alert} reads no vigie metric");
        for metric in named {
            assert!(
                exported.contains(&metric),
                "{alert}: {metric} is not a metric vigie exports"
            );
        }
        assert!(
            rule["labels"]["severity"].as_str().is_some(),
            "{alert}: a severity label"
        );
        assert!(
            rule["annotations"]["summary"].as_str().is_some(),
            "{alert}: a summary"
        );
    }
    for expected in [
        "VigieComplianceScoreLow",
        "VigieCriticalFindingsAppeared",
        "VigieSensorDrops",
        "VigieAdmissionSlow",
    ] {
        assert!(alerts.contains(expected), "{expected} missing: {alerts:?}");
    }
}

#[test]
fn an_unknown_metric_is_caught() {
    // The check itself: a misspelt name is not in the exported set.
    let exported = exported();
    assert!(exported.contains("vigie_compliance_score"));
    assert!(!exported.contains("vigie_compliance_scores"));
    assert_eq!(
        metrics_in("rate(vigie_a_total[5m]) / my_vigie_b + vigie_c{x=\"vigie_d\"}"),
        ["vigie_a_total", "vigie_c", "vigie_d"]
    );
}
