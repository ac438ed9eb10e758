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

pub(crate) const CONTROL: Control = Control {
    id: "VG-R023",
    title: "Namespace without a dedicated service account",
    severity: Severity::Low,
    refs: Refs {
        kubescape: &["C-0189"],
        cis: &["5.1.5"],
        nsa: &["Authentication and authorization"],
        mitre: &["T1078"],
    },
    remediation:
        "Create a ServiceAccount per application in the namespace and name it in the pod specs.",
    doc: include_str!("namespace_without_service_account.rs"),
    evaluator: Evaluator::Cluster {
        needs: &["Namespace", "ServiceAccount"],
        evaluate,
    },
};

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    for (i, namespace) in inventory.of_kind(&["Namespace"]) {
        out.evaluated.push(i);
        let has_own = inventory
            .in_namespace(&["ServiceAccount"], &namespace.name)
            .any(|(_, sa)| sa.name != "default");
        if !has_own {
            let metadata = namespace.root.get("metadata").unwrap_or(Node::null());
            out.violations.push((
                i,
                Violation::new(
                    "metadata.name",
                    key_pos(metadata, "name"),
                    format!(
                        "Namespace {} holds no ServiceAccount besides default",
                        namespace.name
                    ),
                ),
            ));
        }
    }
}
