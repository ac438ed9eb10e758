use std::sync::Arc;

use serde::Serialize;

use crate::Severity;

/// The object a finding is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRef {
    /// `apiVersion`, as written (`apps/v1`).
    pub api_version: String,
    /// `kind` (`Deployment`).
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// `metadata.namespace`, when the object has one.
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
}

impl ResourceRef {
    /// `Deployment default/web`, or `ClusterRole admin` when not namespaced.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {}/{}", self.kind, ns, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// A live cluster object a finding is about: what names it in the cluster, and
/// the version of it that was read.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectLocation {
    /// The kubeconfig context the cluster was reached through (`in-cluster`
    /// for a service account's).
    pub context: String,
    /// `apiVersion` of the object.
    pub api_version: String,
    /// `kind` of the object.
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// `metadata.namespace`, for a namespaced object.
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
    /// `metadata.uid`: the object itself, not another of the same name.
    pub uid: String,
    /// `metadata.resourceVersion`: the version of the object that was scanned.
    pub resource_version: String,
}

/// Where something is in the input: a position in a file, or a cluster object.
/// Lines and columns are 1-based; for a cluster object they are 0 (the API
/// server's objects have no lines), `file` names the cluster (`cluster:CONTEXT`)
/// and [`Location::object`] names the object.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// Shared by every finding of the file.
    pub file: Arc<str>,
    /// The line (1-based; 0 for a cluster object).
    pub line: u32,
    /// The column (1-based; 0 for a cluster object).
    pub column: u32,
    /// 0-based index of the YAML document in the file.
    pub document: u32,
    /// 0-based index within the `items` of a `List` document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<u32>,
    /// Set when the file was rendered first (`kubectl kustomize`): the line and
    /// column then refer to the rendered output, not to a file on disk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rendered_by: Option<Arc<str>>,
    /// Set when the object was read from a live cluster rather than a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<Arc<ObjectLocation>>,
}

impl Location {
    /// `file:line:column`, or `cluster:CONTEXT Kind ns/name` for a cluster object.
    pub fn display(&self) -> String {
        match &self.object {
            Some(object) => match &object.namespace {
                Some(ns) => format!("{} {} {ns}/{}", self.file, object.kind, object.name),
                None => format!("{} {} {}", self.file, object.kind, object.name),
            },
            None => format!("{}:{}:{}", self.file, self.line, self.column),
        }
    }

    /// Where in its object a field is, for a line under a finding: `line:column`,
    /// or nothing for a cluster object, whose fields have no lines.
    pub fn field_position(&self) -> Option<String> {
        self.object
            .is_none()
            .then(|| format!("{}:{}", self.line, self.column))
    }
}

/// One offending field of one resource, for one control.
///
/// Large scans hold millions of findings: what many findings share (the
/// control's texts, the resource, the file name) is shared, not copied.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// The control's ID (`VG-W005`, `PSS-R03`).
    pub control_id: Arc<str>,
    /// The control's title.
    pub title: Arc<str>,
    /// The control's severity.
    pub severity: Severity,
    /// The object the finding is about.
    pub resource: Arc<ResourceRef>,
    /// Where the offending field is.
    pub location: Location,
    /// Dotted path of the offending field, `spec.containers[0].securityContext.privileged`.
    pub field_path: String,
    /// What is wrong, stating the offending value.
    pub message: String,
    /// How to fix it; the control's text, the same for all its findings.
    pub remediation: Arc<str>,
    /// Who the finding is about when that is not the object itself: the user,
    /// group or service account an RBAC binding grants a dangerous permission to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Arc<ResourceRef>>,
    /// Set when an exception covers this finding: it is reported, but does not
    /// count against the score or the exit code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<Box<AppliedException>>,
}

/// The exception that covers a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppliedException {
    /// Why the finding is accepted, as the exception says.
    pub reason: String,
    /// `YYYY-MM-DD`, the last day the exception applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Where the exception was declared: `annotation` or the exceptions file path.
    pub source: String,
}

/// A framework (NSA/CISA, CIS, MITRE ATT&CK, Pod Security Standards) and its score.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FrameworkSummary {
    /// `nsa`, `cis`, `mitre`, `pss-baseline`, `pss-restricted`.
    pub id: String,
    /// The framework's name, for people.
    pub title: String,
    /// IDs of the report's controls that belong to the framework.
    pub controls: Vec<String>,
    /// Mean over those controls that applied to something of 100 × passed / evaluated.
    pub score: f64,
}

/// A control that ran, and how many resources it was evaluated on and failed.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ControlSummary {
    /// The control's ID.
    pub id: String,
    /// The control's title.
    pub title: String,
    /// The control's severity.
    pub severity: Severity,
    /// What the control checks, in words.
    pub description: String,
    /// How to fix what the control finds; the same for all its findings.
    pub remediation: String,
    /// The control reads several objects together (RBAC bindings and their
    /// roles, NetworkPolicies and the workloads they select). A scan reports
    /// its findings after those about single objects, once every object is read.
    pub cross_object: bool,
    /// Resources the control applied to.
    pub evaluated: u32,
    /// Of those, resources with at least one finding.
    pub failed: u32,
}

impl ControlSummary {
    /// 100 × passed / evaluated, or `None` when the control applied to nothing.
    pub fn score(&self) -> Option<f64> {
        (self.evaluated > 0)
            .then(|| 100.0 * f64::from(self.evaluated - self.failed) / f64::from(self.evaluated))
    }
}

/// A resource that was scanned, with the controls that applied to it (indices into
/// [`Report::controls`]) so that passes can be reported as well as failures.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScannedResource {
    /// The object.
    pub resource: Arc<ResourceRef>,
    /// Where the object starts in the input.
    pub location: Location,
    /// The controls that applied to it, as indices into [`Report::controls`].
    pub controls: Vec<u32>,
}

/// Input that could not be read or parsed (or a warning about it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InputError {
    /// The file, or the input's name (`-` for stdin, `cluster:CONTEXT`).
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The line of the problem, when it has one.
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The column of the problem, when it has one.
    pub column: Option<u32>,
    /// What is wrong.
    pub reason: String,
    /// `false` for warnings, which do not change the exit code.
    pub fatal: bool,
}

/// Counts of findings per severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SeverityCounts {
    /// Findings of severity critical.
    pub critical: usize,
    /// Findings of severity high.
    pub high: usize,
    /// Findings of severity medium.
    pub medium: usize,
    /// Findings of severity low.
    pub low: usize,
    /// Findings of severity info.
    pub info: usize,
}

impl SeverityCounts {
    /// The count for `severity`.
    pub fn get(&self, severity: Severity) -> usize {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }

    /// All findings counted, whatever their severity.
    pub fn total(&self) -> usize {
        self.critical + self.high + self.medium + self.low + self.info
    }

    /// Counts one more finding of `severity`.
    pub fn add(&mut self, severity: Severity) {
        match severity {
            Severity::Critical => self.critical += 1,
            Severity::High => self.high += 1,
            Severity::Medium => self.medium += 1,
            Severity::Low => self.low += 1,
            Severity::Info => self.info += 1,
        }
    }

    /// Adds the counts of `other`.
    pub fn merge(&mut self, other: &SeverityCounts) {
        self.critical += other.critical;
        self.high += other.high;
        self.medium += other.medium;
        self.low += other.low;
        self.info += other.info;
    }
}

/// What a report's findings add up to.
///
/// Kept apart from the findings because a large scan writes its findings out
/// as it goes (see [`Report::findings`]) and still has to print these counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    /// Active findings (those no exception covers) per severity.
    pub active: SeverityCounts,
    /// Findings an exception covers: reported, counted nowhere else.
    pub excepted: usize,
    /// Resources with at least one active finding.
    pub failed_resources: usize,
}

impl Totals {
    /// The totals of a list of findings, for reports assembled by hand. A resource
    /// is identified by what it is and where it was read (file, document, item):
    /// the same name can appear twice.
    pub fn count(findings: &[Finding]) -> Self {
        let mut totals = Totals::default();
        let mut failed = std::collections::HashSet::new();
        for finding in findings {
            if finding.exception.is_some() {
                totals.excepted += 1;
                continue;
            }
            totals.active.add(finding.severity);
            let location = &finding.location;
            failed.insert((
                &finding.resource,
                &location.file,
                location.document,
                location.item,
            ));
        }
        totals.failed_resources = failed.len();
        totals
    }
}

/// Everything a scan produced.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// `vigie`.
    pub tool_name: String,
    /// vigie's version.
    pub tool_version: String,
    /// What was checked, in words: `Pod Security Standards restricted v1.37`.
    pub profile: String,
    /// Every control that ran, with its counts.
    pub controls: Vec<ControlSummary>,
    /// Frameworks the scan was asked for, with their scores; empty for a scan
    /// that names no framework.
    pub frameworks: Vec<FrameworkSummary>,
    /// Every object scanned, with the controls that applied to it.
    pub resources: Vec<ScannedResource>,
    /// Every finding, in the order the scan made them; empty when the scan
    /// handed them to a writer as it went instead (`totals` still counts them).
    pub findings: Vec<Finding>,
    /// What the findings add up to, whether or not `findings` holds them.
    pub totals: Totals,
    /// Input that could not be read, and warnings about it.
    pub errors: Vec<InputError>,
}

impl Report {
    /// Counts of active (not excepted) findings per severity.
    pub fn severity_counts(&self) -> SeverityCounts {
        self.totals.active
    }

    /// Compliance score in percent: for each control that applied to at least one
    /// resource, 100 × passed resources / evaluated resources; then the mean over
    /// those controls (the formula Kubescape uses). 100 when nothing applied.
    pub fn compliance_score(&self) -> f64 {
        let scores: Vec<f64> = self
            .controls
            .iter()
            .filter_map(ControlSummary::score)
            .collect();
        if scores.is_empty() {
            100.0
        } else {
            scores.iter().sum::<f64>() / scores.len() as f64
        }
    }

    /// Input errors that made part of the input unreadable (warnings excluded).
    pub fn fatal_error_count(&self) -> usize {
        self.errors.iter().filter(|e| e.fatal).count()
    }

    /// Whether any active (not excepted) finding is at or above `threshold`.
    pub fn has_findings_at_or_above(&self, threshold: Severity) -> bool {
        Severity::ALL
            .into_iter()
            .any(|s| s >= threshold && self.totals.active.get(s) > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn control(evaluated: u32, failed: u32) -> ControlSummary {
        ControlSummary {
            id: "X".into(),
            title: "x".into(),
            severity: Severity::High,
            description: String::new(),
            remediation: String::new(),
            cross_object: false,
            evaluated,
            failed,
        }
    }

    #[test]
    fn score_averages_controls_that_applied() {
        let report = Report {
            tool_name: "vigie".into(),
            tool_version: "0".into(),
            profile: String::new(),
            controls: vec![control(4, 1), control(2, 2), control(0, 0)],
            frameworks: vec![],
            resources: vec![],
            findings: vec![],
            totals: Totals::default(),
            errors: vec![],
        };
        // (75 + 0) / 2; the control that applied to nothing does not count.
        assert!((report.compliance_score() - 37.5).abs() < 1e-9);
    }

    #[test]
    fn severities_order_and_parse() {
        assert!(Severity::Critical > Severity::High);
        assert_eq!("HIGH".parse::<Severity>(), Ok(Severity::High));
        assert!("severe".parse::<Severity>().is_err());
    }
}
