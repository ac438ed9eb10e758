//! ## What it does
//! Flags containers running Kyverno 1.8.3 or 1.8.4, affected by CVE-2022-47633.
//!
//! ## Why is this bad
//! These releases verify an image's signature but let the container runtime
//! pull a different image than the one verified: a malicious registry or proxy
//! can serve an unsigned image to pods that policy says must be signed.
//!
//! ## Example
//! ```yaml
//! containers:
//! - name: kyverno
//!   image: ghcr.io/kyverno/kyverno:v1.8.4   # flagged
//! ```
//! Use instead: Kyverno 1.8.5 or later.
//!
//! ## References
//! Kubescape C-0091; MITRE ATT&CK T1525 (Implant Internal Image).

use super::super::prelude::*;
use super::image_cve::{flag_vulnerable_images, VulnerableImage};
use crate::controls::common::is_workload;

pub(crate) const CONTROL: Control = Control {
    id: "VG-W057",
    title: "Kyverno exposed to CVE-2022-47633 (signature bypass)",
    severity: Severity::High,
    refs: Refs {
        kubescape: &["C-0091"],
        cis: &[],
        nsa: &[],
        mitre: &["T1525"],
    },
    remediation: "Upgrade Kyverno to 1.8.5 or later.",
    doc: include_str!("kyverno_cve.rs"),
    evaluator: Evaluator::Object {
        applies: is_workload,
        evaluate,
    },
};

const KYVERNO: VulnerableImage = VulnerableImage {
    cve: "CVE-2022-47633",
    repositories: &["kyverno"],
    vulnerable: |[major, minor, patch]| major == 1 && minor == 8 && (3..=4).contains(&patch),
    fixed_in: "1.8.5",
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    flag_vulnerable_images(resource, &KYVERNO, out);
}
