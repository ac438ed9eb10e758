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

/// How VG-W039 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: workloads_and!["PersistentVolumeClaim"],
    evaluate,
};

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    mounted_objects(
        inventory,
        out,
        "PersistentVolumeClaim",
        ("persistentVolumeClaim", "claimName"),
    );
}
