//! ## What it does
//! Flags workloads deployed to the `default` namespace, or with no namespace at
//! all (which lands them in `default`, or in whatever namespace the deploying
//! context points at).
//!
//! ## Why is this bad
//! Namespaces are where RBAC, NetworkPolicies, quotas and Pod Security levels
//! attach. Workloads in `default` share it with everything else nobody placed
//! deliberately, so none of those boundaries can be drawn around them.
//!
//! ## Example
//! ```yaml
//! metadata:
//!   name: web      # flagged: no namespace
//! ```
//! Use instead: a namespace per application or team, set in the manifest.
//!
//! ## References
//! Kubescape C-0061; CIS 5.7.4; NSA/CISA "Namespaces"; MITRE ATT&CK T1610.

use super::super::prelude::*;
use crate::controls::common::is_workload;

pub(crate) const CONTROL: Control = Control {
    id: "VG-H001",
    title: "Workload in the default namespace",
    severity: Severity::Low,
    refs: Refs {
        kubescape: &["C-0061"],
        cis: &["5.7.4"],
        nsa: &["Namespaces"],
        mitre: &[],
    },
    remediation: "Set metadata.namespace to a namespace of the application's own.",
    doc: include_str!("workload_in_default_namespace.rs"),
    evaluator: Evaluator::Object {
        applies: is_workload,
        evaluate,
    },
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    match resource.namespace.as_deref() {
        Some("default") => {
            let metadata = resource.root.get("metadata").unwrap_or(Node::null());
            out.push(Violation::new(
                "metadata.namespace",
                key_pos(metadata, "namespace"),
                format!(
                    "{} {} is in the default namespace",
                    resource.kind, resource.name
                ),
            ));
        }
        None => out.push(Violation::new(
            "metadata.namespace",
            resource
                .root
                .get("metadata")
                .map_or(resource.pos, |m| m.pos),
            format!(
                "{} {} sets no namespace: it lands in default",
                resource.kind, resource.name
            ),
        )),
        Some(_) => {}
    }
}
