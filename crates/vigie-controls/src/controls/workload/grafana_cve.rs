//! ## What it does
//! Flags containers running Grafana 9.2.0 to 9.2.3, affected by CVE-2022-39328.
//!
//! ## Why is this bad
//! A race condition in Grafana's HTTP middleware lets an unauthenticated user
//! reach authenticated endpoints: dashboards, data source proxies and the
//! credentials they hold become readable from outside.
//!
//! ## Example
//! ```yaml
//! containers:
//! - name: grafana
//!   image: grafana/grafana:9.2.2   # flagged
//! ```
//! Use instead: Grafana 9.2.4 or later.
//!
//! ## References
//! Kubescape C-0090; MITRE ATT&CK T1190 (Exploit Public-Facing Application).

use super::super::prelude::*;
use super::image_cve::{flag_vulnerable_images, VulnerableImage};
use crate::controls::common::is_workload;

pub(crate) const CONTROL: Control = Control {
    id: "VG-W056",
    title: "Grafana exposed to CVE-2022-39328 (authentication bypass)",
    severity: Severity::Critical,
    refs: Refs {
        kubescape: &["C-0090"],
        cis: &[],
        nsa: &[],
        mitre: &["T1190"],
    },
    remediation: "Upgrade Grafana to 9.2.4 or later.",
    doc: include_str!("grafana_cve.rs"),
    evaluator: Evaluator::Object {
        applies: is_workload,
        evaluate,
    },
};

const GRAFANA: VulnerableImage = VulnerableImage {
    cve: "CVE-2022-39328",
    repositories: &["grafana", "grafana-enterprise"],
    vulnerable: |[major, minor, patch]| major == 9 && minor == 2 && patch < 4,
    fixed_in: "9.2.4",
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    flag_vulnerable_images(resource, &GRAFANA, out);
}
