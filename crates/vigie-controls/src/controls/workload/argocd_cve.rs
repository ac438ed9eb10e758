//! ## What it does
//! Flags containers running Argo CD releases affected by CVE-2022-24348: every
//! release before 2.1.9, and 2.2.0 to 2.2.3.
//!
//! ## Why is this bad
//! A crafted Helm chart values file lets a user who can create or update Argo
//! CD applications read files outside the repository (path traversal), such as
//! other applications' secrets and the repository server's credentials.
//!
//! ## Example
//! ```yaml
//! containers:
//! - name: repo-server
//!   image: quay.io/argoproj/argocd:v2.2.3   # flagged
//! ```
//! Use instead: Argo CD 2.1.9, 2.2.4, 2.3.0 or later.
//!
//! ## References
//! Kubescape C-0081; MITRE ATT&CK T1190 (Exploit Public-Facing Application).

use super::super::prelude::*;
use super::image_cve::{flag_vulnerable_images, VulnerableImage};
use crate::controls::common::is_workload;

pub(crate) const CONTROL: Control = Control {
    id: "VG-W055",
    title: "Argo CD exposed to CVE-2022-24348 (path traversal)",
    severity: Severity::High,
    refs: Refs {
        kubescape: &["C-0081"],
        cis: &[],
        nsa: &[],
        mitre: &["T1190"],
    },
    remediation: "Upgrade Argo CD to 2.1.9, 2.2.4, 2.3.0 or later.",
    doc: include_str!("argocd_cve.rs"),
    evaluator: Evaluator::Object {
        applies: is_workload,
        evaluate,
    },
};

const ARGOCD: VulnerableImage = VulnerableImage {
    cve: "CVE-2022-24348",
    repositories: &["argocd"],
    vulnerable: |[major, minor, patch]| match (major, minor) {
        (0 | 1, _) => true,
        (2, 0) => true,
        (2, 1) => patch < 9,
        (2, 2) => patch < 4,
        _ => false,
    },
    fixed_in: "2.1.9, 2.2.4, 2.3.0",
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    flag_vulnerable_images(resource, &ARGOCD, out);
}
