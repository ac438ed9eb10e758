//! ## What it does
//! Flags workloads whose containers mount a Secret defined in the input (same
//! namespace) as a volume.
//!
//! ## Why is this bad
//! Nothing is wrong with mounting a Secret: it is the right way to hand one to a
//! workload. But each such workload is a way to the credential: a compromise, an
//! `exec` into it or a debug container reads it. This control lists them so that
//! their hardening and who may exec into them get reviewed.
//!
//! ## Example
//! ```yaml
//! volumes:
//! - name: tls
//!   secret: {secretName: web-tls}   # flagged when mounted and web-tls is in the input
//! ```
//! Use instead: nothing to change if the access is intended; keep such workloads
//! hardened, and the set of people who can exec into them small.
//!
//! ## References
//! Kubescape C-0255; CIS 5.4.1; NSA/CISA "Pod security: secrets"; MITRE ATT&CK
//! T1552.007 (Container API).

use super::super::prelude::*;
use crate::controls::workload::helpers::mounted_objects;

/// How VG-S004 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: workloads_and!["Secret"],
    evaluate,
};

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    mounted_objects(inventory, out, "Secret", ("secret", "secretName"));
}
