//! ## What it does
//! Flags workloads whose containers mount a PersistentVolumeClaim defined in the
//! input (same namespace).
//!
//! ## Why is this bad
//! Persistent volumes hold the data that outlives pods: databases, uploads,
//! backups. A compromised workload that mounts one can read, encrypt or destroy
//! it. Such workloads deserve a closer look at their hardening and at who can
//! change them; this control lists them.
//!
//! ## Example
//! ```yaml
//! volumes:
//! - name: data
//!   persistentVolumeClaim: {claimName: orders-db}   # flagged when mounted
//! ```
//! Use instead: nothing to change if the access is intended; review the
//! workload's hardening and mount read-only where it only reads.
//!
//! ## References
//! Kubescape C-0257; NSA/CISA "Pod security"; MITRE ATT&CK T1485 (Data
//! Destruction), T1530 (Data from Cloud Storage).

use super::super::prelude::*;
use super::helpers::mounted_objects;

pub(crate) const CONTROL: Control = Control {
    id: "VG-W039",
    title: "Workload with access to a PersistentVolumeClaim",
    severity: Severity::Low,
    refs: Refs {
        kubescape: &["C-0257"],
        cis: &[],
        nsa: &["Pod security"],
        mitre: &["T1485", "T1530"],
    },
    remediation:
        "Review that the workload needs the volume; mount it readOnly where it only reads.",
    doc: include_str!("mounted_pvc.rs"),
    evaluator: Evaluator::Cluster {
        needs: workloads_and!["PersistentVolumeClaim"],
        evaluate,
    },
};

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    mounted_objects(
        inventory,
        out,
        "PersistentVolumeClaim",
        ("persistentVolumeClaim", "claimName"),
    );
}
