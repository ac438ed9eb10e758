//! The JSON report: a versioned document for scripts and dashboards.
//!
//! The shapes below (and the finding written by hand in [`finding`]) are the
//! public schema (`docs/report.schema.json`, `docs/json-report.md`); they are
//! written out here rather than derived from the internal model so that a change
//! to the model cannot silently change them.

use std::cell::RefCell;

use serde::Serialize;

use vigie_finding::{Location, Report, ResourceRef, SeverityCounts};

mod finding;
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
pub(crate) const SCHEMA_VERSION: &str = "1.2";

/// What comes before the findings.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Head<'a> {
    schema_version: &'static str,
    tool: Tool<'a>,
    profile: &'a str,
}

/// What comes after the findings: it needs all of them counted.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Tail<'a> {
    errors: Vec<InputError<'a>>,
    resources: Lazy<'a, Resource<'a>>,
    controls: Vec<Control<'a>>,
    frameworks: Vec<Framework<'a>>,
    summary: Summary,
}

/// A sequence built element by element while it is written: a large scan has
/// hundreds of thousands of resources, and holding their JSON shapes all at once
/// would cost more memory than the resources themselves.
struct Lazy<'a, T>(RefCell<Option<Box<dyn Iterator<Item = T> + 'a>>>);

impl<'a, T> Lazy<'a, T> {
    fn new(items: impl Iterator<Item = T> + 'a) -> Self {
        Self(RefCell::new(Some(Box::new(items))))
    }
}

impl<T: Serialize> Serialize for Lazy<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let items = self.0.borrow_mut().take();
        serializer.collect_seq(items.into_iter().flatten())
    }
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
struct Object<'a> {
    api_version: &'a str,
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
    name: &'a str,
}

impl<'a> From<&'a ResourceRef> for Object<'a> {
    fn from(resource: &'a ResourceRef) -> Self {
        Object {
            api_version: &resource.api_version,
            kind: &resource.kind,
            namespace: resource.namespace.as_deref(),
            name: &resource.name,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Position<'a> {
    file: &'a str,
    line: u32,
    column: u32,
    document: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    item: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rendered_by: Option<&'a str>,
}

impl<'a> From<&'a Location> for Position<'a> {
    fn from(location: &'a Location) -> Self {
        Position {
            file: &location.file,
            line: location.line,
            column: location.column,
            document: location.document,
            item: location.item,
            rendered_by: location.rendered_by.as_deref(),
        }
    }
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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Resource<'a> {
    resource: Object<'a>,
    location: Position<'a>,
    /// IDs of the controls evaluated on this resource (stable, unlike indices).
    controls: Lazy<'a, &'a str>,
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

/// Findings as elements of the findings list, separated by commas.
pub(crate) fn write_findings(findings: &[vigie_finding::Finding], out: &mut Vec<u8>) {
    for (i, finding) in findings.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"\n    ");
        finding::write(finding, out);
    }
}

/// The end of the findings list (`any`: whether it has elements) and the rest.
pub(crate) fn write_tail(report: &Report, any: bool, out: &mut Vec<u8>) {
    out.extend_from_slice(if any { b"\n  ]" } else { b"]" });
    let start = out.len();
    write_pretty(&tail(report), 0, out);
    // The tail's fields continue the document: its `{` becomes a comma.
    out[start] = b',';
    out.push(b'\n');
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
        resources: Lazy::new(report.resources.iter().map(|scanned| {
            Resource {
                resource: (&*scanned.resource).into(),
                location: (&scanned.location).into(),
                controls: Lazy::new(
                    scanned
                        .controls
                        .iter()
                        .filter_map(|&index| report.controls.get(index as usize))
                        .map(|control| control.id.as_str()),
                ),
            }
        })),
    }
}

/// Scores to two decimals: more digits would be noise, and would make the
/// document differ between platforms for no reason.
fn round2(score: f64) -> f64 {
    (score * 100.0).round() / 100.0
}
