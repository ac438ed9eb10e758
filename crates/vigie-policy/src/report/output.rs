//! The outputs of `apply`: summary text, JSON, policy reports (openreports.io or
//! wgpolicyk8s.io, through vigie-report's `ReportSet`), SARIF and JUnit (through
//! vigie-report's writers, the scan's: this crate only turns its results into
//! findings and test cases). JSON and JUnit are written result by result, SARIF
//! resource by resource, so they never exist whole in memory; policy reports are
//! aggregated per namespace first.

use std::fmt::Write as _;
use std::io::{self, Write};

use std::time::SystemTime;

use std::collections::HashMap;

use serde_json::{json, Value as Json};
use vigie_finding::{
    ControlSummary, Finding, InputError, Location, Report, ResourceRef as FindingResource,
    Severity, Totals,
};
use vigie_report::junit;
use vigie_report::policy_report::{ObjectRef, ReportApi, ReportEntry, ReportResult, ReportSet};
use vigie_report::{Encoder, Format, RenderOptions, ReportWriter};

use super::{ApplyOutcome, ApplyResult, MutatedResource, ResourceRef};
use crate::engine::Status;

fn resource_label(r: &ResourceRef) -> String {
    if r.namespace.is_empty() {
        format!("{}/{}", r.kind, r.name)
    } else {
        format!("{}/{}/{}", r.namespace, r.kind, r.name)
    }
}

/// One result of the summary text, introduced by `label`.
fn write_result(out: &mut dyn Write, label: &str, r: &ApplyResult) -> io::Result<()> {
    writeln!(
        out,
        "\n{label} policy {} -> resource {} ({}:{})\n  rule {}: {}",
        r.policy.name,
        resource_label(&r.resource),
        r.resource.file,
        r.resource.line,
        r.rule,
        r.message
    )
}

/// The summary text: each failure, warning and error, the resources cleanup
/// policies would delete, then the counts.
pub fn text(o: &ApplyOutcome, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "Applying {} policies to {} resources...",
        o.policies, o.resources
    )?;
    for r in o
        .results
        .iter()
        .filter(|r| matches!(r.status, Status::Fail | Status::Warn | Status::Error))
    {
        write_result(out, &r.status.as_str().to_uppercase(), r)?;
    }
    for r in &o.deletions {
        write_result(out, "DELETE", r)?;
    }
    if !o.deletions.is_empty() {
        writeln!(out, "\nwould delete: {} resources", o.deletions.len())?;
    }
    if o.generated_resources > 0 {
        writeln!(out, "\ngenerated: {} resources", o.generated_resources)?;
    }
    if o.mutated_resources > 0 {
        writeln!(out, "\nmutated: {} resources", o.mutated_resources)?;
    }
    let c = &o.counts;
    writeln!(
        out,
        "\npass: {}, fail: {}, warn: {}, error: {}, skip: {}",
        c.pass, c.fail, c.warn, c.error, c.skip
    )
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

fn summary_json(o: &ApplyOutcome) -> Json {
    let c = &o.counts;
    json!({"pass": c.pass, "fail": c.fail, "warn": c.warn, "error": c.error, "skip": c.skip})
}

/// Writes `value` pretty-printed as if `depth` levels deep in a document, with
/// vigie-report's nested JSON writer (the one its JSON and SARIF use).
fn write_nested(out: &mut dyn Write, value: &Json, depth: usize) -> io::Result<()> {
    let mut bytes = Vec::new();
    vigie_report::write_nested_json(value, depth, &mut bytes);
    out.write_all(&bytes)
}

/// Writes a pretty-printed JSON array at `depth`, one item at a time.
fn write_array<T>(
    out: &mut dyn Write,
    items: impl IntoIterator<Item = T>,
    depth: usize,
    mut item_json: impl FnMut(T) -> Json,
) -> io::Result<()> {
    let pad = "  ".repeat(depth);
    let mut empty = true;
    for item in items {
        out.write_all(if empty { b"[" } else { b"," })?;
        write!(out, "\n{pad}  ")?;
        write_nested(out, &item_json(item), depth + 1)?;
        empty = false;
    }
    if empty {
        out.write_all(b"[]")
    } else {
        write!(out, "\n{pad}]")
    }
}

/// The JSON report: `errors`, `results` and `summary`, written result by result.
pub fn write_json(o: &ApplyOutcome, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(b"{\n  \"errors\": ")?;
    write_nested(out, &json!(o.input_errors), 1)?;
    out.write_all(b",\n  \"results\": ")?;
    write_array(out, &o.results, 1, result_json)?;
    // Only when a cleanup policy selected something, so that other reports
    // keep their shape.
    if !o.deletions.is_empty() {
        out.write_all(b",\n  \"deletions\": ")?;
        write_array(out, &o.deletions, 1, result_json)?;
    }
    out.write_all(b",\n  \"summary\": ")?;
    write_nested(out, &summary_json(o), 1)?;
    out.write_all(b"\n}\n")
}

/// Every kept result as policy reports of `api` (openreports.io or
/// wgpolicyk8s.io): one report per namespace, one for cluster-scoped resources,
/// through the shared [`ReportSet`]. The set holds every result (its bound is the
/// number of results), except those of a resource whose namespace is not a valid
/// namespace name, counted in [`ReportSet::dropped`]. A resource given twice (same
/// kind, namespace and name) keeps the results of its last evaluation, as in a
/// cluster.
pub fn report_set(o: &ApplyOutcome, api: ReportApi) -> ReportSet {
    let now = SystemTime::now();
    let mut set = ReportSet::new(api, o.results.len().max(1))
        .with_max_reports(usize::MAX)
        .with_source("kyverno");
    let entry = |r: &ApplyResult| ReportEntry {
        policy: r.policy.name.clone(),
        rule: r.rule.to_string(),
        result: match r.status {
            Status::Pass => ReportResult::Pass,
            Status::Fail => ReportResult::Fail,
            Status::Warn => ReportResult::Warn,
            Status::Error => ReportResult::Error,
            Status::Skip => ReportResult::Skip,
        },
        message: r.message.to_string(),
        severity: r.policy.severity.clone(),
        category: r.policy.category.clone(),
        resource: ObjectRef {
            api_version: r.resource.api_version.clone(),
            kind: r.resource.kind.clone(),
            namespace: r.resource.namespace.clone(),
            name: r.resource.name.clone(),
            uid: String::new(),
        },
        timestamp: now,
    };
    // Results come resource by resource: recorded so, the set's work space stays
    // the size of one resource's results.
    for results in o
        .results
        .chunk_by(|a, b| std::sync::Arc::ptr_eq(&a.resource, &b.resource))
    {
        set.record(results.iter().map(entry).collect());
    }
    set
}

/// The reports of `set` as a YAML stream, one document each.
pub fn write_policy_reports_yaml(set: &ReportSet, out: &mut dyn Write) -> io::Result<()> {
    let mut text = String::new();
    for report in set.iter_reports() {
        text.clear();
        text.push_str("---\n");
        write_yaml(&report, 0, &mut text);
        out.write_all(text.as_bytes())?;
    }
    Ok(())
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
                && !matches!(
                    s.to_ascii_lowercase().as_str(),
                    "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n" | "~"
                )
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

/// One object as a block-style YAML document (without the `---` line).
pub fn yaml_document(v: &Json) -> String {
    let mut out = String::new();
    write_yaml(v, 0, &mut out);
    out
}

/// The mutated objects as a YAML stream, each introduced by a comment naming it,
/// where it was read and the rules that changed it.
pub fn write_mutated(o: &ApplyOutcome, out: &mut dyn Write) -> io::Result<()> {
    for m in &o.mutated {
        write!(out, "{}", mutated_document(m))?;
    }
    Ok(())
}

/// One mutated object as a YAML document, introduced by `---` and a comment naming
/// it, where it was read and the rules that changed it.
pub fn mutated_document(m: &MutatedResource) -> String {
    if m.generated {
        return format!(
            "---\n# generated {} for {} ({}:{}) by {}\n{}",
            object_label(&m.object),
            resource_label(&m.resource),
            m.resource.file,
            m.resource.line,
            m.rules.join(", "),
            yaml_document(&m.object)
        );
    }
    format!(
        "---\n# mutated {} ({}:{}) by {}\n{}",
        resource_label(&m.resource),
        m.resource.file,
        m.resource.line,
        m.rules.join(", "),
        yaml_document(&m.object)
    )
}

/// `<ns>/<Kind>/<name>` of an object.
fn object_label(object: &Json) -> String {
    let t = |p: &str| object.pointer(p).and_then(Json::as_str).unwrap_or_default();
    let ns = t("/metadata/namespace");
    if ns.is_empty() {
        format!("{}/{}", t("/kind"), t("/metadata/name"))
    } else {
        format!("{ns}/{}/{}", t("/kind"), t("/metadata/name"))
    }
}

/// Where mutated objects go, as `kyverno apply -o` does: into an existing
/// directory one file per object (`<kind>-<namespace>-<name>.yaml`), to any other
/// path one file holding them all.
pub enum MutatedWriter {
    /// One file per object in this directory.
    Directory(std::path::PathBuf),
    /// One YAML stream.
    File(io::BufWriter<std::fs::File>),
}

impl MutatedWriter {
    /// Opens `path` (a directory is used as one, any other path is created).
    pub fn open(path: &std::path::Path) -> io::Result<MutatedWriter> {
        if path.is_dir() {
            Ok(MutatedWriter::Directory(path.to_path_buf()))
        } else {
            Ok(MutatedWriter::File(io::BufWriter::new(
                std::fs::File::create(path)?,
            )))
        }
    }

    /// Writes one mutated object.
    pub fn write(&mut self, m: &MutatedResource) -> io::Result<()> {
        match self {
            MutatedWriter::File(file) => file.write_all(mutated_document(m).as_bytes()),
            MutatedWriter::Directory(dir) => {
                let field = |p: &str| {
                    m.object
                        .pointer(p)
                        .and_then(Json::as_str)
                        .unwrap_or_default()
                        .to_string()
                };
                // A generated object is named after itself, not its trigger.
                let (kind, namespace, object_name) = if m.generated {
                    (
                        field("/kind"),
                        field("/metadata/namespace"),
                        field("/metadata/name"),
                    )
                } else {
                    let r = &m.resource;
                    (r.kind.clone(), r.namespace.clone(), r.name.clone())
                };
                let mut name = kind.to_lowercase();
                for part in [&namespace, &object_name] {
                    if !part.is_empty() {
                        name.push('-');
                        name.push_str(part);
                    }
                }
                let safe: String = name
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                std::fs::write(dir.join(format!("{safe}.yaml")), mutated_document(m))
            }
        }
    }

    /// Flushes what is buffered.
    pub fn finish(&mut self) -> io::Result<()> {
        match self {
            MutatedWriter::File(file) => file.flush(),
            MutatedWriter::Directory(_) => Ok(()),
        }
    }
}

/// A small block-style YAML writer for reports and mutated objects.
fn write_yaml(v: &Json, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Json::Object(m) => {
            for (k, val) in m {
                let k = yaml_scalar(&Json::String(k.clone()));
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
                    Json::Object(m) if m.is_empty() => {
                        let _ = writeln!(out, "{pad}- {{}}");
                    }
                    Json::Array(a) if a.is_empty() => {
                        let _ = writeln!(out, "{pad}- []");
                    }
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

/// Whether a result goes into the SARIF log: failures, warnings and errors.
fn reported(r: &ApplyResult) -> bool {
    matches!(r.status, Status::Fail | Status::Warn | Status::Error)
}

/// The SARIF rule of a result: `policy/rule`.
fn rule_id(r: &ApplyResult) -> String {
    format!("{}/{}", r.policy.name, r.rule)
}

/// The severity of a result: the policy's `policies.kyverno.io/severity`, else
/// high for a failure or an error and medium for a warning, which gives the
/// SARIF levels `error` and `warning`.
fn severity(r: &ApplyResult) -> Severity {
    r.policy
        .severity
        .as_deref()
        .and_then(|s| s.parse().ok())
        .unwrap_or(match r.status {
            Status::Warn => Severity::Medium,
            _ => Severity::High,
        })
}

/// The SARIF 2.1.0 log of failures, warnings and errors, through vigie-report's
/// SARIF writer (the scan's): each policy rule is a rule of the log, each result
/// a finding on its resource, at the line its document starts on; input errors
/// are tool notifications. Written resource by resource.
pub fn write_sarif(o: &ApplyOutcome, out: &mut dyn Write) -> io::Result<()> {
    let mut controls: Vec<ControlSummary> = Vec::new();
    let mut index = HashMap::new();
    for r in &o.results {
        let id = rule_id(r);
        let at = *index.entry(id.clone()).or_insert_with(|| {
            let category = r
                .policy
                .category
                .as_deref()
                .map(|c| format!(" (category: {c})"))
                .unwrap_or_default();
            controls.push(ControlSummary {
                title: r.rule.to_string(),
                description: format!("Rule {} of policy {}{category}", r.rule, r.policy.name),
                severity: severity(r),
                remediation: String::new(),
                cross_object: false,
                evaluated: 0,
                failed: 0,
                id,
            });
            controls.len() - 1
        });
        controls[at].evaluated += 1;
        if reported(r) {
            controls[at].failed += 1;
        }
    }
    // The log's rules are those with a result in it.
    controls.retain(|c| c.failed > 0);
    let report = Report {
        tool_name: "vigie".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        profile: "policy apply".into(),
        controls,
        frameworks: Vec::new(),
        resources: Vec::new(),
        findings: Vec::new(),
        totals: Totals::default(),
        errors: o
            .input_errors
            .iter()
            .map(|reason| InputError {
                // The messages name their file themselves.
                file: String::new(),
                line: None,
                column: None,
                reason: reason.clone(),
                fatal: true,
            })
            .collect(),
    };
    let options = RenderOptions::default();
    let encoder = Encoder::new(Format::Sarif, &options, &report);
    let mut writer = ReportWriter::begin(Format::Sarif, &options, &report, out);
    for results in o
        .results
        .chunk_by(|a, b| std::sync::Arc::ptr_eq(&a.resource, &b.resource))
    {
        let resource = &results[0].resource;
        let location = Location {
            file: resource.file.as_str().into(),
            line: resource.line,
            column: 0,
            document: 0,
            item: None,
            rendered_by: None,
            object: None,
        };
        let object = std::sync::Arc::new(FindingResource {
            api_version: resource.api_version.clone(),
            kind: resource.kind.clone(),
            namespace: Some(resource.namespace.clone()).filter(|ns| !ns.is_empty()),
            name: resource.name.clone(),
        });
        let no_remediation: std::sync::Arc<str> = "".into();
        let findings: Vec<Finding> = results
            .iter()
            .filter(|r| reported(r))
            .map(|r| Finding {
                control_id: rule_id(r).into(),
                title: r.rule.clone(),
                severity: severity(r),
                resource: object.clone(),
                location: location.clone(),
                field_path: String::new(),
                message: r.message.to_string(),
                remediation: no_remediation.clone(),
                subject: None,
                exception: None,
            })
            .collect();
        if !findings.is_empty() {
            writer.write(encoder.encode(&location, findings));
        }
    }
    writer.finish(&report)
}

/// The JUnit XML report, through vigie-report's JUnit writer: one suite, one
/// test case per result (a warning is a failure of type `warn`), written result
/// by result.
pub fn junit(o: &ApplyOutcome, out: &mut dyn Write) -> io::Result<()> {
    let case = |r: &ApplyResult| {
        let detail = || junit::Detail {
            message: r.message.to_string(),
            kind: Some(r.status.as_str().to_string()),
            text: String::new(),
        };
        junit::TestCase {
            name: format!("{} {}", r.rule, resource_label(&r.resource)),
            classname: r.policy.name.clone(),
            outcome: match r.status {
                Status::Pass => junit::Outcome::Passed,
                Status::Fail | Status::Warn => junit::Outcome::Failure(detail()),
                Status::Error => junit::Outcome::Error(detail()),
                Status::Skip => junit::Outcome::Skipped(junit::Detail::default()),
            },
            system_out: None,
        }
    };
    let mut counts = junit::Counts {
        tests: o.results.len(),
        ..junit::Counts::default()
    };
    for r in &o.results {
        match r.status {
            Status::Pass => {}
            Status::Fail | Status::Warn => counts.failures += 1,
            Status::Error => counts.errors += 1,
            Status::Skip => counts.skipped += 1,
        }
    }
    const NAME: &str = "vigie policy apply";
    let mut writer = junit::JunitWriter::begin(out, NAME, counts, &[])?;
    writer.begin_suite(NAME, counts)?;
    for r in &o.results {
        writer.case(&case(r))?;
    }
    writer.finish()
}
