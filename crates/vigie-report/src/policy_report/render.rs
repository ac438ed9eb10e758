//! The report objects, as JSON values shaped by the CRD schemas.

use std::time::UNIX_EPOCH;

use serde_json::{json, Map, Value};

use super::set::Bucket;
use super::{ReportApi, ReportEntry, ReportResult};

/// The name of every report vigie writes (one per namespace, and the cluster one).
pub(super) const REPORT_NAME: &str = "vigie";

/// Severities the report CRDs accept; any other value would make the API server
/// refuse the whole report, so it is left out of the result instead.
const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "info"];

pub(super) fn report(
    api: ReportApi,
    source: &str,
    namespace: &str,
    max_results: usize,
    bucket: &Bucket,
) -> Value {
    let mut metadata = json!({
        "name": REPORT_NAME,
        "labels": {"app.kubernetes.io/managed-by": "vigie"},
    });
    let kind = if namespace.is_empty() {
        api.cluster_kind()
    } else {
        metadata["namespace"] = json!(namespace);
        api.namespaced_kind()
    };
    let (mut pass, mut fail, mut warn, mut error, mut skip) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut results = Vec::new();
    for group in bucket.groups.values() {
        for entry in &group.entries {
            *match entry.result {
                ReportResult::Pass => &mut pass,
                ReportResult::Fail => &mut fail,
                ReportResult::Warn => &mut warn,
                ReportResult::Error => &mut error,
                ReportResult::Skip => &mut skip,
            } += 1;
            results.push(result(source, entry));
        }
    }
    let mut report = Map::new();
    report.insert("apiVersion".into(), json!(api.api_version()));
    report.insert("kind".into(), json!(kind));
    report.insert("metadata".into(), metadata);
    if api == ReportApi::OpenReports {
        report.insert("source".into(), json!(source));
        report.insert(
            "configuration".into(),
            json!({"limits": {"maxResults": max_results}}),
        );
    }
    if !namespace.is_empty() {
        report.insert(
            "scope".into(),
            json!({"apiVersion": "v1", "kind": "Namespace", "name": namespace}),
        );
    }
    report.insert(
        "summary".into(),
        json!({"pass": pass, "fail": fail, "warn": warn, "error": error, "skip": skip}),
    );
    report.insert("results".into(), Value::Array(results));
    Value::Object(report)
}

fn result(source: &str, entry: &ReportEntry) -> Value {
    let since_epoch = entry
        .timestamp
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let r = &entry.resource;
    let mut resource = Map::new();
    resource.insert("apiVersion".into(), json!(r.api_version));
    resource.insert("kind".into(), json!(r.kind));
    if !r.namespace.is_empty() {
        resource.insert("namespace".into(), json!(r.namespace));
    }
    resource.insert("name".into(), json!(r.name));
    if !r.uid.is_empty() {
        resource.insert("uid".into(), json!(r.uid));
    }
    let mut out = Map::new();
    out.insert("source".into(), json!(source));
    out.insert("policy".into(), json!(entry.policy));
    out.insert("rule".into(), json!(entry.rule));
    out.insert("result".into(), json!(entry.result.as_str()));
    // `warn` is by definition the result of a policy that is not scored.
    out.insert("scored".into(), json!(entry.result != ReportResult::Warn));
    out.insert("message".into(), json!(entry.message));
    if let Some(severity) = entry
        .severity
        .as_deref()
        .map(str::to_ascii_lowercase)
        .filter(|s| SEVERITIES.contains(&s.as_str()))
    {
        out.insert("severity".into(), json!(severity));
    }
    if let Some(category) = &entry.category {
        out.insert("category".into(), json!(category));
    }
    out.insert(
        "timestamp".into(),
        json!({"seconds": since_epoch.as_secs(), "nanos": since_epoch.subsec_nanos()}),
    );
    out.insert("resources".into(), json!([Value::Object(resource)]));
    Value::Object(out)
}
