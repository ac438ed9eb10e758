//! `apply` and its outputs: summary text, JSON, a wgpolicyk8s.io PolicyReport,
//! SARIF and JUnit; and the JSON/JUnit forms of `test` reports.

use std::fmt::Write as _;

use std::sync::Arc;

use serde_json::{json, Value as Json};
use vigie_resource::{load_each, LoadOptions, Resource};

use crate::engine::{evaluate, Request, Status, Target};
use crate::inputs::{diagnostic_text, gather, resources_of_text, DEFAULT_MAX_FILE_BYTES};
use crate::json::node_to_json;
use crate::load::load_policies;
use crate::policy::{Check, ContextEntry, ContextSource, FailureAction, Policy, RuleAction};
use crate::suite::{SuiteReport, Verdict};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub warn: usize,
    pub error: usize,
    pub skip: usize,
}

impl Counts {
    fn add(&mut self, status: Status) {
        match status {
            Status::Pass => self.pass += 1,
            Status::Fail => self.fail += 1,
            Status::Warn => self.warn += 1,
            Status::Error => self.error += 1,
            Status::Skip => self.skip += 1,
        }
    }
}

/// What every result of one policy shares, kept once.
#[derive(Clone, Debug)]
pub struct PolicyInfo {
    /// `namespace/name` for a Policy, `name` for a ClusterPolicy.
    pub name: String,
    pub severity: Option<String>,
    pub category: Option<String>,
    pub scored: bool,
    /// The file the policy was read from.
    pub source: String,
}

/// One rule result on one resource. Kept small: what results share (the policy,
/// the rule name, the resource) is shared, so memory grows with the results
/// kept, never with the size of the objects.
#[derive(Clone, Debug)]
pub struct ApplyResult {
    pub policy: Arc<PolicyInfo>,
    pub rule: Arc<str>,
    pub status: Status,
    pub message: Box<str>,
    pub resource: Arc<ResourceRef>,
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
    /// The results kept (see [`ApplyOptions::keep_passing`]), resource by resource.
    pub results: Vec<ApplyResult>,
    /// Every result, kept or not.
    pub counts: Counts,
    /// Policies or resources that could not be loaded, rules that could not run,
    /// or nothing to apply (the rest still ran): exit code 2.
    pub input_errors: Vec<String>,
    /// Files skipped on purpose (a FIFO or device inside a directory).
    pub notes: Vec<String>,
    pub policies: usize,
    pub resources: usize,
}

/// How `apply` runs.
#[derive(Clone, Debug)]
pub struct ApplyOptions {
    /// Report failures of Audit policies as warnings.
    pub audit_warn: bool,
    /// Keep pass and skip results too (the JSON, YAML, SARIF and JUnit outputs list
    /// them; the text summary only counts them).
    pub keep_passing: bool,
    /// The size cap on each file read.
    pub max_file_bytes: u64,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            audit_warn: false,
            keep_passing: true,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }
}

/// The results of every policy on one resource, computed where it was parsed.
struct Evaluated {
    resource: Arc<ResourceRef>,
    results: Vec<(usize, Arc<str>, Status, Box<str>)>,
}

/// Applies every policy to every resource. Resources stream through the policies
/// as they are parsed (in parallel), and only compact result records are kept, so
/// memory does not grow with the size of the input objects.
pub fn apply(
    policy_paths: &[String],
    resource_paths: &[String],
    mut request: Request,
    options: &ApplyOptions,
) -> ApplyOutcome {
    let loaded = load_policies(policy_paths, options.max_file_bytes);
    let mut outcome = ApplyOutcome {
        policies: loaded.policies.len(),
        notes: loaded.notes.clone(),
        ..Default::default()
    };
    outcome
        .input_errors
        .extend(loaded.unreadable.iter().map(ToString::to_string));
    outcome
        .input_errors
        .extend(loaded.errors.iter().map(ToString::to_string));
    for (file, kind, name) in &loaded.unsupported {
        outcome.input_errors.push(format!(
            "{file}: {kind} {name}: this policy kind is not supported yet; it was not applied"
        ));
    }
    outcome
        .input_errors
        .extend(loaded.unsupported_rules.iter().map(ToString::to_string));
    if loaded.policies.is_empty()
        && loaded.unsupported.is_empty()
        && loaded.errors.is_empty()
        && loaded.unreadable.is_empty()
    {
        outcome.input_errors.push(format!(
            "no Kyverno policy (ClusterPolicy or Policy) found in {}; nothing was applied",
            policy_paths.join(", ")
        ));
    }
    let gathered = gather(resource_paths, options.max_file_bytes, true);
    outcome.notes.extend(gathered.notes.iter().cloned());
    outcome
        .input_errors
        .extend(gathered.errors.iter().map(ToString::to_string));
    let load_options = LoadOptions {
        no_kustomize: false,
        ..Default::default()
    };
    if loaded.policies.iter().any(uses_config_maps) {
        // ConfigMaps may come after the objects that read them: gather them first.
        let mut config_maps = Vec::new();
        let config_map = |r: Resource| (r.kind == "ConfigMap").then(|| node_to_json(&r.root));
        load_each(&gathered.paths, &load_options, config_map, |cm| {
            config_maps.extend(cm)
        });
        for (name, text) in &gathered.texts {
            let (resources, _) = resources_of_text(name, text);
            config_maps.extend(resources.into_iter().filter_map(config_map));
        }
        request.config_maps = config_maps;
    }
    let infos: Vec<Arc<PolicyInfo>> = loaded
        .policies
        .iter()
        .map(|p| {
            Arc::new(PolicyInfo {
                name: p.qualified_name(),
                severity: p.severity().map(str::to_string),
                category: p.category().map(str::to_string),
                scored: p.annotation("policies.kyverno.io/scored") != Some("false"),
                source: p.source.clone(),
            })
        })
        .collect();
    let rule_names: Vec<Vec<Arc<str>>> = loaded
        .policies
        .iter()
        .map(|p| p.rules.iter().map(|r| Arc::from(r.name.as_str())).collect())
        .collect();
    let evaluate_one = |resource: Resource| -> Evaluated {
        let target = Target::from_resource(resource);
        let (file, line) = target
            .resource
            .as_ref()
            .map(|res| (res.origin.file.path.clone(), res.pos.line))
            .unwrap_or_default();
        let mut results = Vec::new();
        for (index, policy) in loaded.policies.iter().enumerate() {
            let scored = infos[index].scored;
            for r in evaluate(policy, &target, &request) {
                let mut status = r.status;
                if status == Status::Fail
                    && (!scored
                        || options.audit_warn && policy.failure_action == FailureAction::Audit)
                {
                    status = Status::Warn;
                }
                let rule = rule_names[index]
                    .iter()
                    .find(|n| &***n == r.rule.as_str())
                    .cloned()
                    .unwrap_or_else(|| Arc::from(r.rule.as_str()));
                results.push((index, rule, status, r.message.into_boxed_str()));
            }
        }
        Evaluated {
            resource: Arc::new(ResourceRef {
                api_version: target.api_version,
                kind: target.kind,
                name: target.name,
                namespace: target.namespace,
                file,
                line,
            }),
            results,
        }
    };
    let mut consume = |evaluated: Evaluated| {
        outcome.resources += 1;
        for (index, rule, status, message) in evaluated.results {
            outcome.counts.add(status);
            if options.keep_passing || !matches!(status, Status::Pass | Status::Skip) {
                outcome.results.push(ApplyResult {
                    policy: infos[index].clone(),
                    rule,
                    status,
                    message,
                    resource: evaluated.resource.clone(),
                });
            }
        }
    };
    let summary = load_each(&gathered.paths, &load_options, evaluate_one, &mut consume);
    let mut text_errors = Vec::new();
    for (name, text) in &gathered.texts {
        let (resources, errors) = resources_of_text(name, text);
        text_errors.extend(
            errors
                .into_iter()
                .map(|(line, reason)| format!("{name}:{line}: {reason}")),
        );
        for r in resources {
            consume(evaluate_one(r));
        }
    }
    outcome.input_errors.extend(
        summary
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(diagnostic_text),
    );
    outcome.input_errors.extend(text_errors);
    if outcome.resources == 0 && gathered.errors.is_empty() {
        outcome.input_errors.push(format!(
            "no Kubernetes object found in {}; nothing was applied",
            resource_paths.join(", ")
        ));
    }
    outcome
}

/// Whether a policy reads ConfigMaps through `configMap` context entries.
fn uses_config_maps(policy: &Policy) -> bool {
    fn in_entries(entries: &[ContextEntry]) -> bool {
        entries
            .iter()
            .any(|e| matches!(e.source, ContextSource::ConfigMap { .. }))
    }
    fn in_check(check: &Check) -> bool {
        match check {
            Check::Foreach(list) => list
                .iter()
                .any(|f| in_entries(&f.context) || in_check(&f.check)),
            _ => false,
        }
    }
    policy.rules.iter().any(|rule| {
        in_entries(&rule.context)
            || matches!(&rule.action, RuleAction::Validate(v) if in_check(&v.check))
    })
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
            r.policy.name,
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
        "policy": r.policy.name,
        "rule": &*r.rule,
        "result": r.status.as_str(),
        "message": &*r.message,
        "severity": r.policy.severity,
        "category": r.policy.category,
        "scored": r.policy.scored,
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
                "policy": r.policy.name,
                "rule": &*r.rule,
                "result": r.status.as_str(),
                "message": &*r.message,
                "scored": r.policy.scored,
                "resources": [res],
            });
            if let Some(s) = &r.policy.severity {
                entry["severity"] = json!(s);
            }
            if let Some(cat) = &r.policy.category {
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
        let id = format!("{}/{}", r.policy.name, r.rule);
        if seen.insert(id.clone()) {
            rules.push(json!({"id": id, "name": &*r.rule, "properties": {"category": r.policy.category, "severity": r.policy.severity}}));
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
            xml_escape(&r.policy.name),
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
