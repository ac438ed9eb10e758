use std::sync::Arc;

use serde::Serialize;

use crate::Severity;

/// The object a finding is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRef {
    pub api_version: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
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

/// Where something is in the input. Lines and columns are 1-based.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// Shared by every finding of the file.
    pub file: Arc<str>,
    pub line: u32,
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
}

/// One offending field of one resource, for one control.
///
/// Large scans hold millions of findings: what many findings share (the
/// control's texts, the resource, the file name) is shared, not copied.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub control_id: Arc<str>,
    pub title: Arc<str>,
    pub severity: Severity,
    pub resource: Arc<ResourceRef>,
    pub location: Location,
    /// Dotted path of the offending field, `spec.containers[0].securityContext.privileged`.
    pub field_path: String,
    /// What is wrong, stating the offending value.
    pub message: String,
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
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub description: String,
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
    pub resource: Arc<ResourceRef>,
    pub location: Location,
    pub controls: Vec<u32>,
}

/// Input that could not be read or parsed (or a warning about it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InputError {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    pub reason: String,
    /// `false` for warnings, which do not change the exit code.
    pub fatal: bool,
}

/// Counts of findings per severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SeverityCounts {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
}

impl SeverityCounts {
    pub fn get(&self, severity: Severity) -> usize {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }

    pub fn total(&self) -> usize {
        self.critical + self.high + self.medium + self.low + self.info
    }
}

/// Everything a scan produced.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub tool_name: String,
    pub tool_version: String,
    /// What was checked, in words: `Pod Security Standards restricted v1.37`.
    pub profile: String,
    pub controls: Vec<ControlSummary>,
    /// Frameworks the scan was asked for, with their scores; empty for a scan
    /// that names no framework.
    pub frameworks: Vec<FrameworkSummary>,
    pub resources: Vec<ScannedResource>,
    pub findings: Vec<Finding>,
    pub errors: Vec<InputError>,
}

impl Report {
    /// Findings not covered by an exception: those that count.
    pub fn active_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.exception.is_none())
    }

    /// Counts of active (not excepted) findings per severity.
    pub fn severity_counts(&self) -> SeverityCounts {
        let mut counts = SeverityCounts::default();
        for f in self.active_findings() {
            match f.severity {
                Severity::Critical => counts.critical += 1,
                Severity::High => counts.high += 1,
                Severity::Medium => counts.medium += 1,
                Severity::Low => counts.low += 1,
                Severity::Info => counts.info += 1,
            }
        }
        counts
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
        self.active_findings().any(|f| f.severity >= threshold)
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
