//! ## What it does
//! Flags Namespaces that hold no ServiceAccount of their own besides `default`.
//!
//! ## Why is this bad
//! With no dedicated account, every pod of the namespace runs as `default`: one
//! identity for all of them, so any permission one workload needs is shared by
//! all, and audit logs cannot tell them apart.
//!
//! ## Example
//! ```yaml
//! kind: Namespace
//! metadata: {name: shop}   # flagged: no ServiceAccount in shop but default
//! ```
//! Use instead: one ServiceAccount per application, named in its pod spec.
//!
//! ## References
//! Kubescape C-0189; CIS 5.1.5; NSA/CISA "Authentication and authorization";
//! MITRE ATT&CK T1078 (Valid Accounts).

use super::super::prelude::*;
use crate::controls::common::{judge_namespaces, namespace_lacks};

/// How VG-R023 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: &["Namespace", "ServiceAccount"],
    evaluate,
};

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    judge_namespaces(inventory, out, |namespace| {
        let has_own = inventory
            .in_namespace(&["ServiceAccount"], &namespace.name)
            .any(|(_, sa)| sa.name != "default");
        (!has_own).then(|| {
            let message = format!(
                "Namespace {} holds no ServiceAccount besides default",
                namespace.name
            );
            namespace_lacks(namespace, message)
        })
    });
}
