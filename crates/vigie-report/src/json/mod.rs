//! The JSON report: a versioned document for scripts and dashboards.
//!
//! The shapes below (and the elements written by hand in [`elements`]) are the
//! public schema (`docs/report.schema.json`, `docs/json-report.md`); they are
//! written out here rather than derived from the internal model so that a change
//! to the model cannot silently change them.

use serde::Serialize;

use std::collections::HashMap;
use std::sync::Arc;

use vigie_finding::{Finding, Report, ResourceRef, SeverityCounts};

mod elements;
mod nested;

pub(crate) use nested::write_pretty;

/// Bump the minor version for additive changes, the major one for removals or
/// changes of meaning. Keep `docs/report.schema.json` in step.
///
/// 1.1: `subject` and `exception` on findings, top-level `frameworks`,
/// `summary.exceptedFindings`.
/// 1.2: the findings come right after `profile`, and what counts them
/// (`errors`, `resources`, `controls`, `frameworks`, `summary`) after the
/// findings, so that the document is written while the scan runs.
/// 1.3: `location.object` names the live cluster object of a `vigie scan
/// --cluster` (line and column are then 0).
pub(crate) const SCHEMA_VERSION: &str = "1.3";

/// What comes before the findings.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Head<'a> {
    schema_version: &'static str,
    tool: Tool<'a>,
    profile: &'a str,
}

/// What comes after the findings and the resources: it needs all of them counted.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Tail<'a> {
    controls: Vec<Control<'a>>,
    frameworks: Vec<Framework<'a>>,
    summary: Summary,
}

/// The input errors, which come right after the findings.
#[derive(Serialize)]
struct Errors<'a> {
    errors: Vec<InputError<'a>>,
}

#[derive(Serialize)]
struct Tool<'a> {
    name: &'a str,
    version: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    resources: usize,
    /// Resources with at least one active finding.
    failed_resources: usize,
    controls: usize,
    /// Active findings: those no exception covers.
    findings: usize,
    /// Findings an exception covers; listed in `findings`, counted nowhere else.
    excepted_findings: usize,
    severity_counts: SeverityCounts,
    compliance_score: f64,
    input_errors: usize,
    fatal_input_errors: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Control<'a> {
    id: &'a str,
    title: &'a str,
    severity: &'static str,
    description: &'a str,
    evaluated: u32,
    failed: u32,
    passed: u32,
    /// `null` when the control applied to no resource.
    score: Option<f64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Framework<'a> {
    id: &'a str,
    title: &'a str,
    controls: &'a [String],
    score: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InputError<'a> {
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<u32>,
    reason: &'a str,
    fatal: bool,
}

/// The document up to the opening of the findings list.
pub(crate) fn write_head(head: &Report, out: &mut Vec<u8>) {
    let head = Head {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: &head.tool_name,
            version: &head.tool_version,
        },
        profile: &head.profile,
    };
    write_pretty(&head, 0, out);
    // Reopen the object the serializer closed.
    out.truncate(out.len() - "\n}".len());
    out.extend_from_slice(b",\n  \"findings\": [");
}

/// What findings share, written once: the texts of each control.
pub(crate) struct Texts {
    controls: HashMap<String, elements::ControlTexts>,
}

impl Texts {
    pub(crate) fn new(head: &Report) -> Self {
        Texts {
            controls: head
                .controls
                .iter()
                .map(|c| (c.id.clone(), elements::ControlTexts::new(c)))
                .collect(),
        }
    }
}

/// Findings as elements of the findings list, separated by commas.
pub(crate) fn write_findings(findings: &[Finding], texts: &Texts, out: &mut Vec<u8>) {
    // The findings of a batch are about one resource: it is written once.
    let mut resource: Option<(&Arc<ResourceRef>, Vec<u8>)> = None;
    for (i, finding) in findings.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"\n    ");
        if !resource
            .as_ref()
            .is_some_and(|(r, _)| Arc::ptr_eq(r, &finding.resource))
        {
            let mut bytes = Vec::with_capacity(160);
            elements::write_resource_value(&finding.resource, &mut bytes);
            resource = Some((&finding.resource, bytes));
        }
        let resource_json = resource.as_ref().map_or(&[][..], |(_, b)| b.as_slice());
        let control = texts.controls.get(&*finding.control_id);
        elements::write_finding(finding, control, resource_json, out);
    }
}

/// The end of the findings list (`any`: whether it has elements) and the rest.
///
/// The list of resources runs to 150 MB on 100,000 objects: it is handed to
/// `write` a megabyte at a time rather than built whole.
pub(crate) fn write_tail(report: &Report, any: bool, write: &mut dyn FnMut(&[u8])) {
    let mut buffer = Vec::with_capacity(2 * CHUNK);
    let out = &mut buffer;
    out.extend_from_slice(if any { b"\n  ]" } else { b"]" });
    let errors = Errors {
        errors: report
            .errors
            .iter()
            .map(|error| InputError {
                file: &error.file,
                line: error.line,
                column: error.column,
                reason: &error.reason,
                fatal: error.fatal,
            })
            .collect(),
    };
    write_members(&errors, out);
    out.extend_from_slice(b",\n  \"resources\": [");
    // IDs of the controls evaluated on each resource (stable, unlike indices).
    let control_ids: Vec<Vec<u8>> = report
        .controls
        .iter()
        .map(|c| serde_json::to_vec(&c.id).expect("serializing to memory"))
        .collect();
    for (i, scanned) in report.resources.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"\n    ");
        elements::write_resource(scanned, &control_ids, out);
        if out.len() >= CHUNK {
            write(out);
            out.clear();
        }
    }
    out.extend_from_slice(if report.resources.is_empty() {
        b"]"
    } else {
        b"\n  ]"
    });
    write_members(&tail(report), out);
    out.extend_from_slice(b"\n}\n");
    write(out);
}

/// How much of the tail is handed over at a time.
const CHUNK: usize = 1 << 20;

/// The members of the object `value` serializes to, continuing the document
/// after other members: a comma, then each member, without the braces.
fn write_members(value: &impl Serialize, out: &mut Vec<u8>) {
    let start = out.len();
    write_pretty(value, 0, out);
    out[start] = b',';
    out.truncate(out.len() - "\n}".len());
}

fn tail(report: &Report) -> Tail<'_> {
    let totals = &report.totals;
    Tail {
        summary: Summary {
            resources: report.resources.len(),
            failed_resources: totals.failed_resources,
            controls: report.controls.len(),
            findings: totals.active.total(),
            excepted_findings: totals.excepted,
            severity_counts: totals.active,
            compliance_score: round2(report.compliance_score()),
            input_errors: report.errors.len(),
            fatal_input_errors: report.fatal_error_count(),
        },
        controls: report
            .controls
            .iter()
            .map(|control| Control {
                id: &control.id,
                title: &control.title,
                severity: control.severity.as_str(),
                description: &control.description,
                evaluated: control.evaluated,
                failed: control.failed,
                passed: control.evaluated.saturating_sub(control.failed),
                score: control.score().map(round2),
            })
            .collect(),
        frameworks: report
            .frameworks
            .iter()
            .map(|framework| Framework {
                id: &framework.id,
                title: &framework.title,
                controls: &framework.controls,
                score: round2(framework.score),
            })
            .collect(),
    }
}

/// Scores to two decimals: more digits would be noise, and would make the
/// document differ between platforms for no reason.
fn round2(score: f64) -> f64 {
    (score * 100.0).round() / 100.0
}
