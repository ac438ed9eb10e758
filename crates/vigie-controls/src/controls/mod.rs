//! vigie's posture controls, one per file, grouped by what they look at.

/// The kinds that run pods, followed by `$kind`s: what a cluster-scope control
/// that relates workloads to other objects `needs`. The one list of workload kinds.
macro_rules! workloads_and {
    ($($kind:literal),* $(,)?) => {
        &[
            "Pod",
            "Deployment",
            "ReplicaSet",
            "StatefulSet",
            "DaemonSet",
            "Job",
            "CronJob",
            "ReplicationController",
            $($kind),*
        ]
    };
}

/// `[row::<0>(), row::<1>(), ...]`: the controls of a table, one per row. The
/// row is a const parameter so that each control gets an evaluator of its own
/// (controls hold plain `fn` pointers, which cannot capture their row).
macro_rules! rows {
    ($row:ident; $($index:literal)*) => {
        [$($row::<$index>()),*]
    };
}

mod catalogue;
pub(crate) mod common;
mod control_plane;
mod hygiene;
mod kubelet;
pub(crate) mod network;
pub(crate) mod rbac;
mod secrets;
mod workload;

#[allow(unused_imports)] // each control file takes what it needs
mod prelude {
    pub(super) use crate::config::Config;
    pub(super) use crate::control::{
        ClusterOutcome, Control, Described, Evaluator, Inventory, Refs,
    };
    pub(super) use crate::pod::{
        describe_container, key_pos, list_of, text_of, Pod, Subject, Violation,
    };
    pub(super) use vigie_finding::Severity;
    pub(super) use vigie_resource::{pod_template, Node, Resource};
}

use std::sync::LazyLock;

use crate::control::{push_section_body, section_link, Control};

/// Every posture control, in ID order: the catalogue (`controls/catalogue.rs`) of
/// those with a file of their own, and the rows of the family tables.
pub fn all() -> &'static [&'static Control] {
    static ALL: LazyLock<Vec<&'static Control>> = LazyLock::new(|| {
        let mut all: Vec<&'static Control> = [
            &catalogue::CONTROLS[..],
            &workload::PSP[..],
            &workload::RESOURCE_BOUNDS[..],
            &workload::PSS_ALIKE[..],
            &workload::IMAGE_CVE[..],
            &rbac::SUBJECT_CAN[..],
            &control_plane::FLAGS[..],
            &kubelet::SETTINGS[..],
        ]
        .into_iter()
        .flatten()
        .collect();
        all.sort_by_key(|c| c.id);
        all
    });
    &ALL
}

/// Looks a control up by ID (case-insensitive).
pub fn find(id: &str) -> Option<&'static Control> {
    all()
        .iter()
        .copied()
        .find(|c| c.id.eq_ignore_ascii_case(id))
}

/// The reference page for every posture control (docs/controls.md), generated
/// from the controls themselves so that it is never written twice.
pub fn reference_markdown() -> String {
    let mut out = String::from(
        "# Posture controls\n\n\
         <!-- Generated from crates/vigie-controls/src/controls/ (**/*.rs, and **/*.md for controls defined in a table) by \
         `VIGIE_BLESS=1 cargo test -p vigie-controls --test docs`. Do not edit. -->\n\n\
         vigie's own controls, with their cross-references to Kubescape, the CIS \
         Kubernetes Benchmark, the NSA/CISA Kubernetes Hardening Guidance and MITRE \
         ATT&CK. The Pod Security Standards checks are in [pss-checks.md](pss-checks.md).\n\n\
         | ID | Control | Severity | Kubescape | CIS | NSA/CISA | MITRE |\n\
         |----|---------|----------|-----------|-----|----------|-------|\n",
    );
    for c in all() {
        let r = &c.refs;
        out.push_str(&format!(
            "| {link} | {title} | {severity} | {ks} | {cis} | {nsa} | {mitre} |\n",
            link = section_link(c.id),
            title = c.title,
            severity = c.severity,
            ks = r.kubescape.join(", "),
            cis = r.cis.join(", "),
            nsa = r.nsa.join(", "),
            mitre = r.mitre.join(", "),
        ));
    }
    for c in all() {
        out.push_str(&format!(
            "\n## {}\n\n**{}**, severity {}.\n\n",
            c.id, c.title, c.severity
        ));
        push_section_body(&mut out, &c.explanation(), c.remediation);
    }
    out
}
