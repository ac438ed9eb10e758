//! What a Pod Security Standards check is.

use vigie_finding::Severity;

use super::version::{Level, Version};
use crate::pod::{Pod, Violation};

/// One check of the Pod Security Standards.
pub struct Check {
    /// vigie's stable ID: `PSS-B..` for baseline, `PSS-R..` for restricted.
    pub id: &'static str,
    /// The check's ID in Kubernetes' pod-security-admission (`hostNamespaces`).
    pub k8s_id: &'static str,
    /// The control's name in the Pod Security Standards document, as Kyverno's
    /// `podSecurity.exclude[].controlName` refers to it.
    pub control_name: &'static str,
    /// What the check finds, in a few words.
    pub title: &'static str,
    /// The lowest level the check belongs to.
    pub level: Level,
    /// First Kubernetes version whose standards include the check.
    pub since: Version,
    /// The baseline check (by `k8s_id`) this restricted check replaces.
    pub overrides: Option<&'static str>,
    /// How bad a failure is.
    pub severity: Severity,
    /// How to fix a failure.
    pub remediation: &'static str,
    /// The source file of the check: its `//!` comment is the documentation.
    pub doc: &'static str,
    /// Adds the pod's violations at a version of the standards.
    pub evaluate: fn(&Pod<'_>, Version, &mut Vec<Violation>),
}

impl Check {
    /// The documentation of the check (What it does / Why is this bad / Example),
    /// taken from the doc comment of its source file so it is written once.
    pub fn explanation(&self) -> String {
        crate::control::doc_comment(self.doc)
    }

    /// The first sentence of "What it does", for tables and rule descriptions.
    pub fn summary(&self) -> String {
        crate::control::first_sentence(&self.explanation())
    }
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Check").field("id", &self.id).finish()
    }
}
