//! `apply` and its outputs: summary text, JSON, a wgpolicyk8s.io PolicyReport,
//! SARIF and JUnit; and the JSON/JUnit forms of `test` reports.

use std::fmt::Write as _;

use serde_json::{json, Value as Json};
use vigie_resource::{load, LoadOptions};

use crate::engine::{evaluate, Request, Status, Target};
use crate::load::load_policies;
use crate::policy::FailureAction;
use crate::suite::{SuiteReport, Verdict};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub warn: usize,
    pub error: usize,
    pub skip: usize,
}

/// One rule result on one resource.
#[derive(Clone, Debug)]
pub struct ApplyResult {
    pub policy: String,
    pub rule: String,
    pub status: Status,
    pub message: String,
    pub severity: Option<String>,
    pub category: Option<String>,
    pub scored: bool,
    pub resource: ResourceRef,
    pub source_file: String,
}

#[derive(Clone, Debug)]
pub struct ResourceRef {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
    pub file: String,
    pub line: u32,
}

#[derive(Clone, Debug, Default)]
pub struct ApplyOutcome {
    pub results: Vec<ApplyResult>,
    pub counts: Counts,
    /// Policies or resources that could not be loaded (the rest still ran).
    pub input_errors: Vec<String>,
    pub policies: usize,
    pub resources: usize,
}

/// Applies every policy to every resource. With `audit_warn`, failures of Audit
/// policies are reported as warnings.
pub fn apply(
    policy_paths: &[String],
    resource_paths: &[String],
    mut request: Request,
    audit_warn: bool,
) -> ApplyOutcome {
    let loaded = load_policies(policy_paths);
    let mut outcome = ApplyOutcome {
        policies: loaded.policies.len(),
        ..Default::default()
    };
    outcome
        .input_errors
        .extend(loaded.errors.iter().map(ToString::to_string));
    for (file, kind, name) in &loaded.unsupported {
        outcome.input_errors.push(format!(
            "{file}: {kind} {name}: this policy kind is not supported yet"
        ));
    }
    let resources = load(
        resource_paths,
        &LoadOptions {
            no_kustomize: false,
            ..Default::default()
        },
    );
    outcome.input_errors.extend(
        resources
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| format!("{}: {}", d.file, d.reason)),
    );
    let targets: Vec<Target> = resources
        .resources
        .into_iter()
        .map(Target::from_resource)
        .collect();
    outcome.resources = targets.len();
    request.config_maps = targets
        .iter()
        .filter(|t| t.kind == "ConfigMap")
        .map(|t| t.object.clone())
        .collect();
    for policy in &loaded.policies {
        let scored = policy.annotation("policies.kyverno.io/scored") != Some("false");
        for t in &targets {
            for r in evaluate(policy, t, &request) {
                let mut status = r.status;
                if status == Status::Fail
                    && (!scored || audit_warn && policy.failure_action == FailureAction::Audit)
                {
                    status = Status::Warn;
                }
                let (file, line) = t
                    .resource
                    .as_ref()
                    .map(|res| (res.origin.file.path.clone(), res.pos.line))
                    .unwrap_or_default();
                outcome.results.push(ApplyResult {
                    policy: policy.qualified_name(),
                    rule: r.rule,
                    status,
                    message: r.message,
                    severity: policy.severity().map(str::to_string),
                    category: policy.category().map(str::to_string),
                    scored,
                    resource: ResourceRef {
                        api_version: t.api_version.clone(),
                        kind: t.kind.clone(),
                        name: t.name.clone(),
                        namespace: t.namespace.clone(),
                        file,
                        line,
                    },
                    source_file: policy.source.clone(),
                });
            }
        }
    }
    for r in &outcome.results {
        match r.status {
            Status::Pass => outcome.counts.pass += 1,
            Status::Fail => outcome.counts.fail += 1,
            Status::Warn => outcome.counts.warn += 1,
            Status::Error => outcome.counts.error += 1,
            Status::Skip => outcome.counts.skip += 1,
        }
    }
    outcome
}

fn resource_label(r: &ResourceRef) -> String {
    if r.namespace.is_empty() {
        format!("{}/{}", r.kind, r.name)
    } else {
        format!("{}/{}/{}", r.namespace, r.kind, r.name)
    }
}

pub fn text(o: &ApplyOutcome) -> String {
    let mut out = format!(
        "Applying {} policies to {} resources...\n",
        o.policies, o.resources
    );
    for r in o
        .results
        .iter()
        .filter(|r| matches!(r.status, Status::Fail | Status::Warn | Status::Error))
    {
        let _ = writeln!(
            out,
            "\n{} policy {} -> resource {} ({}:{})\n  rule {}: {}",
            r.status.as_str().to_uppercase(),
            r.policy,
            resource_label(&r.resource),
            r.resource.file,
            r.resource.line,
            r.rule,
            r.message
        );
    }
    let c = &o.counts;
    let _ = writeln!(
        out,
        "\npass: {}, fail: {}, warn: {}, error: {}, skip: {}",
        c.pass, c.fail, c.warn, c.error, c.skip
    );
    out
}

fn result_json(r: &ApplyResult) -> Json {
    json!({
        "policy": r.policy,
        "rule": r.rule,
        "result": r.status.as_str(),
        "message": r.message,
        "severity": r.severity,
        "category": r.category,
        "scored": r.scored,
        "resource": {
            "apiVersion": r.resource.api_version,
            "kind": r.resource.kind,
            "name": r.resource.name,
            "namespace": r.resource.namespace,
            "file": r.resource.file,
            "line": r.resource.line,
        },
    })
}

pub fn json(o: &ApplyOutcome) -> String {
    let c = &o.counts;
    let doc = json!({
        "results": o.results.iter().map(result_json).collect::<Vec<_>>(),
        "summary": {"pass": c.pass, "fail": c.fail, "warn": c.warn, "error": c.error, "skip": c.skip},
        "errors": o.input_errors,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// A wgpolicyk8s.io/v1alpha2 ClusterPolicyReport of every result.
pub fn policy_report(o: &ApplyOutcome) -> Json {
    let c = &o.counts;
    let results: Vec<Json> = o
        .results
        .iter()
        .map(|r| {
            let mut res = json!({"apiVersion": r.resource.api_version, "kind": r.resource.kind, "name": r.resource.name});
            if !r.resource.namespace.is_empty() {
                res["namespace"] = json!(r.resource.namespace);
            }
            let mut entry = json!({
                "source": "kyverno",
                "policy": r.policy,
                "rule": r.rule,
                "result": r.status.as_str(),
                "message": r.message,
                "scored": r.scored,
                "resources": [res],
            });
            if let Some(s) = &r.severity {
                entry["severity"] = json!(s);
            }
            if let Some(cat) = &r.category {
                entry["category"] = json!(cat);
            }
            entry
        })
        .collect();
    json!({
        "apiVersion": "wgpolicyk8s.io/v1alpha2",
        "kind": "ClusterPolicyReport",
        "metadata": {"name": "merged"},
        "results": results,
        "summary": {"pass": c.pass, "fail": c.fail, "warn": c.warn, "error": c.error, "skip": c.skip},
    })
}

pub fn policy_report_yaml(o: &ApplyOutcome) -> String {
    let mut out = String::new();
    write_yaml(&policy_report(o), 0, &mut out);
    out
}

fn yaml_scalar(v: &Json) -> String {
    match v {
        Json::String(s) => {
            let plain = !s.is_empty()
                && !s.contains([
                    ':', '#', '\n', '"', '\'', '{', '}', '[', ']', ',', '&', '*', '!', '|', '>',
                    '%', '@', '`',
                ])
                && !s.starts_with([' ', '-', '?'])
                && !s.ends_with(' ')
                && !matches!(s.as_str(), "true" | "false" | "null" | "yes" | "no" | "~")
                && s.parse::<f64>().is_err();
            if plain {
                s.clone()
            } else {
                Json::String(s.clone()).to_string()
            }
        }
        other => other.to_string(),
    }
}

/// A small block-style YAML writer for reports.
fn write_yaml(v: &Json, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Json::Object(m) => {
            for (k, val) in m {
                match val {
                    Json::Object(inner) if !inner.is_empty() => {
                        let _ = writeln!(out, "{pad}{k}:");
                        write_yaml(val, indent + 2, out);
                    }
                    Json::Array(items) if !items.is_empty() => {
                        let _ = writeln!(out, "{pad}{k}:");
                        write_yaml(val, indent, out);
                    }
                    Json::Object(_) => {
                        let _ = writeln!(out, "{pad}{k}: {{}}");
                    }
                    Json::Array(_) => {
                        let _ = writeln!(out, "{pad}{k}: []");
                    }
                    scalar => {
                        let _ = writeln!(out, "{pad}{k}: {}", yaml_scalar(scalar));
                    }
                }
            }
        }
        Json::Array(items) => {
            for item in items {
                match item {
                    Json::Object(_) | Json::Array(_) => {
                        let mut inner = String::new();
                        write_yaml(item, indent + 2, &mut inner);
                        let trimmed = inner.trim_start_matches(' ');
                        let _ = write!(out, "{pad}- {trimmed}");
                    }
                    scalar => {
                        let _ = writeln!(out, "{pad}- {}", yaml_scalar(scalar));
                    }
                }
            }
        }
        scalar => {
            let _ = writeln!(out, "{pad}{}", yaml_scalar(scalar));
        }
    }
}

pub fn sarif(o: &ApplyOutcome) -> String {
    let mut rules: Vec<Json> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut results = Vec::new();
    for r in o
        .results
        .iter()
        .filter(|r| matches!(r.status, Status::Fail | Status::Warn | Status::Error))
    {
        let id = format!("{}/{}", r.policy, r.rule);
        if seen.insert(id.clone()) {
            rules.push(json!({"id": id, "name": r.rule, "properties": {"category": r.category, "severity": r.severity}}));
        }
        let level = match r.status {
            Status::Warn => "warning",
            _ => "error",
        };
        results.push(json!({
            "ruleId": id,
            "level": level,
            "message": {"text": format!("{}: {}", resource_label(&r.resource), r.message)},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": r.resource.file},
                "region": {"startLine": r.resource.line.max(1)}
            }}],
        }));
    }
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "vigie", "informationUri": "https://example.invalid/vigie", "rules": rules}}, "results": results}],
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn junit(o: &ApplyOutcome) -> String {
    let c = &o.counts;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites><testsuite name=\"vigie policy apply\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
        o.results.len(),
        c.fail + c.warn,
        c.error,
        c.skip
    );
    for r in &o.results {
        let _ = write!(
            out,
            "  <testcase classname=\"{}\" name=\"{} {}\">",
            xml_escape(&r.policy),
            xml_escape(&r.rule),
            xml_escape(&resource_label(&r.resource))
        );
        match r.status {
            Status::Fail | Status::Warn => {
                let _ = write!(out, "<failure message=\"{}\"/>", xml_escape(&r.message));
            }
            Status::Error => {
                let _ = write!(out, "<error message=\"{}\"/>", xml_escape(&r.message));
            }
            Status::Skip => out.push_str("<skipped/>"),
            Status::Pass => {}
        }
        out.push_str("</testcase>\n");
    }
    out.push_str("</testsuite></testsuites>\n");
    out
}

pub fn test_json(reports: &[SuiteReport]) -> String {
    let suites: Vec<Json> = reports
        .iter()
        .map(|r| {
            json!({
                "path": r.path.display().to_string(),
                "name": r.name,
                "errors": r.errors,
                "results": r.entries.iter().map(|e| json!({
                    "policy": e.policy, "rule": e.rule, "kind": e.kind, "resource": e.resource,
                    "expected": e.expected, "actual": e.actual.map(Status::as_str),
                    "verdict": match &e.verdict { Verdict::Agree => "pass", Verdict::Disagree => "fail", Verdict::Unsupported(_) => "unsupported", Verdict::Unrunnable(_) => "unrunnable" },
                    "reason": match &e.verdict { Verdict::Unsupported(r) | Verdict::Unrunnable(r) => r.clone(), _ => e.message.clone() },
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    serde_json::to_string_pretty(&json!({"suites": suites})).unwrap_or_default() + "\n"
}

pub fn test_junit(reports: &[SuiteReport]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for r in reports {
        let failures = r.count(|v| *v == Verdict::Disagree);
        let skipped = r.count(|v| matches!(v, Verdict::Unsupported(_) | Verdict::Unrunnable(_)));
        let _ = writeln!(
            out,
            " <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\" errors=\"{}\">",
            xml_escape(&r.path.display().to_string()),
            r.entries.len(),
            r.errors.len()
        );
        for e in &r.entries {
            let _ = write!(
                out,
                "  <testcase classname=\"{}\" name=\"{} {} {}\">",
                xml_escape(&e.policy),
                xml_escape(&e.rule),
                xml_escape(&e.kind),
                xml_escape(&e.resource)
            );
            match &e.verdict {
                Verdict::Agree => {}
                Verdict::Disagree => {
                    let got = e.actual.map_or("none", Status::as_str);
                    let _ = write!(
                        out,
                        "<failure message=\"expected {}, got {got}: {}\"/>",
                        xml_escape(&e.expected),
                        xml_escape(&e.message)
                    );
                }
                Verdict::Unsupported(reason) => {
                    let _ = write!(
                        out,
                        "<skipped message=\"unsupported: {}\"/>",
                        xml_escape(reason)
                    );
                }
                Verdict::Unrunnable(reason) => {
                    let _ = write!(
                        out,
                        "<skipped message=\"unrunnable: {}\"/>",
                        xml_escape(reason)
                    );
                }
            }
            out.push_str("</testcase>\n");
        }
        out.push_str(" </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
