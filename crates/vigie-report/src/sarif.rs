//! SARIF 2.1.0, shaped for GitHub code scanning: one rule per control, one result
//! per finding at its real line and column, input errors as tool notifications.
//! The one SARIF writer of vigie: `policy apply` hands it its results as findings
//! too (one control per policy rule, no field path).
//!
//! An excepted finding is still a result, with a `suppressions` entry (SARIF
//! 2.1.0 §3.35) so that code scanning shows it as dismissed rather than open.
//! Framework scores go into the run's property bag.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{json, Map, Value};
use vigie_finding::{AppliedException, ControlSummary, Finding, InputError, Report, Severity};

use crate::group::exception_note;
use crate::json::write_pretty;

const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/os/schemas/sarif-schema-2.1.0.json";
const INFORMATION_URI: &str = "https://example.invalid/vigie";
/// The base that relative paths are resolved against: the checkout root, which
/// the uploader knows and we do not.
const SOURCE_ROOT: &str = "%SRCROOT%";

/// The rules of the log, one per control, and where each is in the list.
pub(crate) struct Rules {
    rules: Vec<Value>,
    index: HashMap<String, usize>,
}

impl Rules {
    pub(crate) fn new(head: &Report) -> Self {
        let rules = rules(head);
        let mut index = HashMap::new();
        for (i, rule) in rules.iter().enumerate() {
            index.entry(rule.id.to_string()).or_insert(i);
        }
        Rules {
            rules: rules.iter().map(Rule::to_json).collect(),
            index,
        }
    }
}

// The log is written while the scan runs: the tool and its rules first, then
// each result as it comes, then the invocation (its notifications are the input
// errors, known at the end) and the scores.

/// The log up to the opening of the results list.
pub(crate) fn write_head(head: &Report, rules: &Rules, out: &mut Vec<u8>) {
    let tool = json!({
        "driver": {
            "name": head.tool_name,
            "version": head.tool_version,
            "semanticVersion": head.tool_version,
            "informationUri": INFORMATION_URI,
            "rules": rules.rules,
        }
    });
    out.extend_from_slice(
        format!(
            "{{\n  \"$schema\": \"{SCHEMA_URI}\",\n  \"version\": \"2.1.0\",\n  \"runs\": [\n    {{\n      \"tool\": "
        )
        .as_bytes(),
    );
    write_pretty(&tool, 3, out);
    out.extend_from_slice(b",\n      \"results\": [");
}

/// Results, separated by commas.
pub(crate) fn write_results(findings: &[Finding], rules: &Rules, out: &mut Vec<u8>) {
    for (i, finding) in findings.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"\n        ");
        write_pretty(&result(finding, rules.index[&*finding.control_id]), 4, out);
    }
}

/// The end of the results list (`any`: whether it has elements) and of the log.
pub(crate) fn write_tail(report: &Report, any: bool, out: &mut Vec<u8>) {
    out.extend_from_slice(if any { b"\n      ]" } else { b"]" });
    let invocations = json!([{
        "executionSuccessful": report.fatal_error_count() == 0,
        "toolExecutionNotifications":
            report.errors.iter().map(notification).collect::<Vec<_>>(),
    }]);
    let properties = json!({
        "profile": report.profile,
        "frameworks": report.frameworks.iter().map(|framework| json!({
            "id": framework.id,
            "title": framework.title,
            "controls": framework.controls,
            "score": (framework.score * 100.0).round() / 100.0,
        })).collect::<Vec<_>>(),
    });
    out.extend_from_slice(b",\n      \"invocations\": ");
    write_pretty(&invocations, 3, out);
    out.extend_from_slice(b",\n      \"properties\": ");
    write_pretty(&properties, 3, out);
    out.extend_from_slice(b"\n    }\n  ]\n}\n");
}

/// What a SARIF rule needs, taken from a control (or, for a finding whose control
/// the report does not list, from the finding itself).
struct Rule<'a> {
    id: &'a str,
    title: &'a str,
    description: &'a str,
    severity: Severity,
    /// Controls carry no remediation of their own; their findings do, and it is
    /// the same text for every finding of a control.
    remediation: Option<&'a str>,
}

fn rules(report: &Report) -> Vec<Rule<'_>> {
    let remediation_of = |id: &str| {
        report
            .findings
            .iter()
            .find(|f| &*f.control_id == id && !f.remediation.is_empty())
            .map(|f| &*f.remediation)
    };
    let mut rules: Vec<Rule<'_>> = report
        .controls
        .iter()
        .map(|control: &ControlSummary| Rule {
            id: &control.id,
            title: &control.title,
            description: &control.description,
            severity: control.severity,
            remediation: Some(control.remediation.as_str())
                .filter(|r| !r.is_empty())
                .or_else(|| remediation_of(&control.id)),
        })
        .collect();
    for finding in &report.findings {
        if !rules.iter().any(|rule| rule.id == &*finding.control_id) {
            rules.push(Rule {
                id: &finding.control_id,
                title: &finding.title,
                description: "",
                severity: finding.severity,
                remediation: remediation_of(&finding.control_id),
            });
        }
    }
    rules
}

impl Rule<'_> {
    fn to_json(&self) -> Value {
        let full_description = if self.description.is_empty() {
            self.title
        } else {
            self.description
        };
        let help = self.remediation.unwrap_or(full_description);
        json!({
            "id": self.id,
            "name": rule_name(self.title),
            "shortDescription": { "text": self.title },
            "fullDescription": { "text": full_description },
            "help": { "text": help },
            "defaultConfiguration": { "level": level(self.severity) },
            "properties": {
                "severity": self.severity.as_str(),
                "security-severity": security_severity(self.severity),
                "tags": ["security", "kubernetes"],
            }
        })
    }
}

// A result is written as typed values rather than a JSON tree: a large scan
// writes millions. Members are in the order of a JSON tree's sorted keys, so
// the text is the same as the tree's would be.

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    level: &'static str,
    locations: [ResultLocation<'a>; 1],
    message: Message,
    partial_fingerprints: Fingerprints,
    properties: ResultProperties<'a>,
    rule_id: &'a str,
    rule_index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressions: Option<[Suppression<'a>; 1]>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultLocation<'a> {
    logical_locations: Vec<LogicalLocation<'a>>,
    /// None for an object read from a live cluster: it has no file.
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<PhysicalLocation<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation<'a> {
    fully_qualified_name: String,
    kind: &'static str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<LogicalProperties<'a>>,
}

/// What a logical location adds: the role of a binding's subject, or the
/// identity of a live cluster object.
#[derive(Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalProperties<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uid: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation<'a> {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<RenderedBy<'a>>,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RenderedBy<'a> {
    rendered_by: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_column: u32,
    start_line: u32,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
struct Fingerprints {
    #[serde(rename = "vigieFinding/v1")]
    vigie_finding: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    field_path: &'a str,
    severity: &'static str,
}

#[derive(Serialize)]
struct Suppression<'a> {
    justification: &'a str,
    kind: &'static str,
    properties: SuppressionProperties<'a>,
    status: &'static str,
}

#[derive(Serialize)]
struct SuppressionProperties<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<&'a str>,
    source: &'a str,
}

/// Where an artifact is: a URI, relative to `uriBaseId` when that is set.
#[derive(Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

fn result(finding: &Finding, rule_index: usize) -> SarifResult<'_> {
    let location = &finding.location;
    let mut text = format!("{}: {}", finding.resource.display(), finding.message);
    // A policy result is about a whole object: no field to point at.
    if !finding.field_path.is_empty() {
        text.push_str(&format!(" (at {})", finding.field_path));
    }
    if let Some(tool) = &location.rendered_by {
        // The line is one of the rendered output, not of a file in the repository:
        // say so where a reader of the alert will see it.
        text.push_str(&format!("; line {} of `{tool}` output", location.line));
    }
    if let Some(subject) = &finding.subject {
        text.push_str(&format!("; subject: {}", subject.display()));
    }
    if let Some(exception) = &finding.exception {
        // For viewers that do not read suppressions.
        text.push_str(&format!("; excepted: {}", exception_note(exception)));
    }

    let mut logical = vec![LogicalLocation {
        fully_qualified_name: finding.resource.display(),
        kind: "resource",
        name: &finding.resource.name,
        properties: location.object.as_deref().map(|object| LogicalProperties {
            context: Some(&object.context),
            resource_version: Some(&object.resource_version),
            uid: Some(&object.uid),
            ..LogicalProperties::default()
        }),
    }];
    if let Some(subject) = &finding.subject {
        // The user, group or service account the binding grants to: a member of
        // the binding's `subjects`.
        logical.push(LogicalLocation {
            fully_qualified_name: subject.display(),
            kind: "member",
            name: &subject.name,
            properties: Some(LogicalProperties {
                role: Some("subject"),
                ..LogicalProperties::default()
            }),
        });
    }

    SarifResult {
        level: level(finding.severity),
        locations: [ResultLocation {
            logical_locations: logical,
            physical_location: location.object.is_none().then(|| PhysicalLocation {
                artifact_location: artifact_location(&location.file),
                properties: location
                    .rendered_by
                    .as_deref()
                    .map(|tool| RenderedBy { rendered_by: tool }),
                region: Region {
                    start_column: location.column.max(1),
                    start_line: location.line.max(1),
                },
            }),
        }],
        message: Message { text },
        partial_fingerprints: Fingerprints {
            vigie_finding: fingerprint(finding),
        },
        properties: ResultProperties {
            field_path: &finding.field_path,
            severity: finding.severity.as_str(),
        },
        rule_id: &finding.control_id,
        rule_index,
        suppressions: finding.exception.as_deref().map(|e| [suppression(e)]),
    }
}

/// An exception as a SARIF suppression. One declared in an annotation of the
/// manifest is `inSource` (like a lint pragma); one from an exceptions file is
/// `external`. `accepted`: the exception was reviewed and applies.
fn suppression(exception: &AppliedException) -> Suppression<'_> {
    let kind = if exception.source == "annotation" {
        "inSource"
    } else {
        "external"
    };
    Suppression {
        justification: &exception.reason,
        kind,
        properties: SuppressionProperties {
            expires: exception.expires.as_deref(),
            source: &exception.source,
        },
        status: "accepted",
    }
}

fn notification(error: &InputError) -> Value {
    if error.file.is_empty() {
        // An error of no file in particular (`policy apply` with nothing to
        // apply): a location would name the checkout root.
        return json!({
            "level": if error.fatal { "error" } else { "warning" },
            "message": { "text": error.reason },
        });
    }
    let mut physical = Map::new();
    physical.insert(
        "artifactLocation".into(),
        serde_json::to_value(artifact_location(&error.file)).expect("a JSON value"),
    );
    if let Some(line) = error.line {
        let mut region = json!({ "startLine": line.max(1) });
        if let Some(column) = error.column {
            region["startColumn"] = json!(column.max(1));
        }
        physical.insert("region".into(), region);
    }
    json!({
        "level": if error.fatal { "error" } else { "warning" },
        "message": { "text": error.reason },
        "locations": [{ "physicalLocation": physical }],
    })
}

/// GitHub shows errors and warnings by default and hides notes.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// The numbers GitHub code scanning maps to its own critical/high/medium/low bands
/// (9.0+, 7.0–8.9, 4.0–6.9, 0.1–3.9). It wants them as strings.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

/// A rule name is an identifier, not a sentence: `Privileged containers` becomes
/// `PrivilegedContainers`.
fn rule_name(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase());
            first.into_iter().chain(chars).collect::<String>()
        })
        .collect()
}

/// Where an artifact is. Relative paths stay relative (to `%SRCROOT%`) so that the
/// uploader can match them to files of the repository; absolute ones become
/// `file://` URIs.
fn artifact_location(path: &str) -> ArtifactLocation {
    let slashed = path.replace('\\', "/");
    let is_windows_absolute = slashed.as_bytes().get(1) == Some(&b':');
    if slashed.starts_with('/') || is_windows_absolute {
        let prefix = if is_windows_absolute {
            "file:///"
        } else {
            "file://"
        };
        ArtifactLocation {
            uri: format!("{prefix}{}", encode_uri_path(&slashed)),
            uri_base_id: None,
        }
    } else {
        let relative = slashed.trim_start_matches("./");
        ArtifactLocation {
            uri: encode_uri_path(relative),
            uri_base_id: Some(SOURCE_ROOT),
        }
    }
}

/// Percent-encodes what may not appear in a URI path (spaces, `%`, `#`, `?`,
/// non-ASCII, ...), keeping `/` as the separator.
fn encode_uri_path(path: &str) -> String {
    let mut encoded = String::with_capacity(path.len());
    for byte in path.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&byte);
        if keep {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Identifies a finding across runs so that code scanning does not open a new
/// alert when lines move: control, resource and field, never the line number.
/// FNV-1a is used because it is tiny and, unlike std's hasher, stable forever.
fn fingerprint(finding: &Finding) -> String {
    let resource = &finding.resource;
    let parts = [
        &*finding.control_id,
        resource.api_version.as_str(),
        resource.kind.as_str(),
        resource.namespace.as_deref().unwrap_or(""),
        resource.name.as_str(),
        finding.field_path.as_str(),
    ];
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        // The separator keeps ("ab", "c") and ("a", "bc") apart.
        for byte in part.bytes().chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_stay_relative_with_forward_slashes() {
        let location = |path| serde_json::to_value(artifact_location(path)).unwrap();
        assert_eq!(
            location(r"deploy\web app.yaml"),
            json!({ "uri": "deploy/web%20app.yaml", "uriBaseId": "%SRCROOT%" })
        );
        assert_eq!(
            location("./k8s/a.yaml"),
            json!({ "uri": "k8s/a.yaml", "uriBaseId": "%SRCROOT%" })
        );
        assert_eq!(
            location("/srv/k8s/a.yaml"),
            json!({ "uri": "file:///srv/k8s/a.yaml" })
        );
        assert_eq!(
            location(r"C:\k8s\a.yaml"),
            json!({ "uri": "file:///C:/k8s/a.yaml" })
        );
    }

    #[test]
    fn rule_names_are_identifiers() {
        assert_eq!(rule_name("Privileged containers"), "PrivilegedContainers");
        assert_eq!(
            rule_name("hostPath volumes (non-RO)"),
            "HostPathVolumesNonRO"
        );
    }
}
