//! ## What it does
//! Flags workloads that mount a ConfigMap of the input as a volume.
//!
//! ## Why is this bad
//! ConfigMaps often end up holding connection strings, feature switches and
//! occasionally credentials; every workload that mounts one can read all of
//! its keys. Listing the workloads with such access shows what an intruder in
//! each of them can read, and which ConfigMaps are worth moving to Secrets.
//!
//! ## Example
//! ```yaml
//! volumes:
//! - name: settings
//!   configMap: {name: app-settings}   # flagged when app-settings is in the input
//! ```
//! Use instead: mount only the keys the workload needs (`items`), keep
//! credentials in Secrets, and review which workloads need each ConfigMap.
//!
//! ## References
//! Kubescape C-0258; NSA/CISA "Pod security"; MITRE ATT&CK T1552.007
//! (Container API).

use super::super::prelude::*;
use super::helpers::mounted_objects;

/// How VG-W051 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: workloads_and!["ConfigMap"],
    evaluate,
};

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    mounted_objects(inventory, out, "ConfigMap", ("configMap", "name"));
}
