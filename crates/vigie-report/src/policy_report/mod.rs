//! Policy reports, the Kubernetes custom resources policy engines write their
//! results to: `openreports.io/v1alpha1` `Report` / `ClusterReport` (what current
//! Kyverno writes) or `wgpolicyk8s.io/v1alpha2` `PolicyReport` /
//! `ClusterPolicyReport` (what older tools read).
//!
//! A [`ReportSet`] aggregates results into one report per namespace plus one
//! cluster report (for cluster-scoped resources). The latest evaluation of a
//! (resource, policy) pair replaces the previous one, and every report holds at
//! most a fixed number of results: when a new evaluation does not fit, the
//! evaluations recorded longest ago are evicted (a report shows the most recent
//! state, which is what an admission controller's reports are read for), and the
//! results evicted are counted in [`ReportSet::dropped`].

mod files;
mod render;
mod set;

pub use set::ReportSet;

use std::time::SystemTime;

/// Which report API the reports are written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReportApi {
    /// `openreports.io/v1alpha1` `Report` and `ClusterReport`.
    OpenReports,
    /// `wgpolicyk8s.io/v1alpha2` `PolicyReport` and `ClusterPolicyReport`.
    WgPolicy,
}

impl ReportApi {
    /// Both APIs.
    pub const ALL: [ReportApi; 2] = [ReportApi::OpenReports, ReportApi::WgPolicy];

    /// Its name on the command line (`--report-api wgpolicy`).
    pub fn name(self) -> &'static str {
        match self {
            ReportApi::OpenReports => "openreports",
            ReportApi::WgPolicy => "wgpolicy",
        }
    }

    /// The `apiVersion` of the reports.
    pub fn api_version(self) -> &'static str {
        match self {
            ReportApi::OpenReports => "openreports.io/v1alpha1",
            ReportApi::WgPolicy => "wgpolicyk8s.io/v1alpha2",
        }
    }

    /// The kind of a namespaced report.
    pub fn namespaced_kind(self) -> &'static str {
        match self {
            ReportApi::OpenReports => "Report",
            ReportApi::WgPolicy => "PolicyReport",
        }
    }

    /// The kind of the cluster-wide report.
    pub fn cluster_kind(self) -> &'static str {
        match self {
            ReportApi::OpenReports => "ClusterReport",
            ReportApi::WgPolicy => "ClusterPolicyReport",
        }
    }
}

vigie_finding::impl_names! {
    ReportApi named by name, Exact;
    "report API", expected "openreports or wgpolicy"
}

/// The outcome of one rule on one resource, with the values both report APIs use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReportResult {
    /// The resource meets the rule.
    Pass,
    /// The resource does not meet the rule.
    Fail,
    /// The resource does not meet the rule, and the policy is not scored
    /// (an audit-only or advisory policy).
    Warn,
    /// The rule could not be evaluated.
    Error,
    /// The rule did not apply (preconditions, exclusions).
    Skip,
}

impl ReportResult {
    /// The value of a result's `result` field.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportResult::Pass => "pass",
            ReportResult::Fail => "fail",
            ReportResult::Warn => "warn",
            ReportResult::Error => "error",
            ReportResult::Skip => "skip",
        }
    }
}

/// A reference to the Kubernetes object a result is about (a `corev1.ObjectReference`).
/// An empty `namespace` means a cluster-scoped object: its results go to the cluster
/// report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectRef {
    /// `apiVersion` of the object, `apps/v1` or `v1`.
    pub api_version: String,
    /// Kind of the object, `Deployment`.
    pub kind: String,
    /// Namespace of the object; empty for cluster-scoped objects.
    pub namespace: String,
    /// Name of the object.
    pub name: String,
    /// `metadata.uid` of the object; empty when unknown (files, not a cluster).
    pub uid: String,
}

/// One rule's result on one resource, as recorded into a [`ReportSet`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportEntry {
    /// The policy's name (`namespace/name` for a namespaced Policy).
    pub policy: String,
    /// The rule's name within the policy.
    pub rule: String,
    /// The outcome.
    pub result: ReportResult,
    /// What the rule says about the resource (shortened to
    /// [`ReportSet::MAX_MESSAGE_BYTES`] when longer).
    pub message: String,
    /// `critical`, `high`, `medium`, `low` or `info`, from the policy's annotations.
    pub severity: Option<String>,
    /// The policy's category, from its annotations.
    pub category: Option<String>,
    /// The object evaluated.
    pub resource: ObjectRef,
    /// When the result was found.
    pub timestamp: SystemTime,
}

impl ReportEntry {
    /// A scan's finding as a report result: `fail`, or `skip` when an
    /// exception covers it. The policy and the rule are the control's ID, the
    /// severity the control's; the object's uid comes from its cluster
    /// location when it was read from a cluster.
    pub fn from_finding(finding: &vigie_finding::Finding, timestamp: SystemTime) -> ReportEntry {
        let r = &finding.resource;
        ReportEntry {
            policy: finding.control_id.to_string(),
            rule: finding.control_id.to_string(),
            result: if finding.exception.is_some() {
                ReportResult::Skip
            } else {
                ReportResult::Fail
            },
            message: format!("{}: {}", finding.title, finding.message),
            severity: Some(finding.severity.as_str().to_string()),
            category: None,
            resource: ObjectRef {
                api_version: r.api_version.clone(),
                kind: r.kind.clone(),
                namespace: r.namespace.clone().unwrap_or_default(),
                name: r.name.clone(),
                uid: finding
                    .location
                    .object
                    .as_ref()
                    .map(|o| o.uid.clone())
                    .unwrap_or_default(),
            },
            timestamp,
        }
    }
}

#[cfg(test)]
mod tests;
