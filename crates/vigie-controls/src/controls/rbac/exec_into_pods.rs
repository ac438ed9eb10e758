//! ## What it does
//! Flags subjects that a binding lets reach into running pods: `pods/exec`,
//! `pods/attach` or `pods/portforward` (`create` or `get`, the verbs the API
//! server checks for these streaming subresources).
//!
//! ## Why is this bad
//! `exec` and `attach` run commands inside a container with its identity, its
//! mounted Secrets and its network position; `portforward` opens a tunnel to
//! its ports that no NetworkPolicy sees. Each bypasses the deployment process
//! and leaves only an API audit record of the session, not of what was typed.
//!
//! ## Example
//! ```yaml
//! rules:
//! - {apiGroups: [""], resources: [pods/exec], verbs: [create]}   # flagged when bound
//! ```
//! Use instead: logs, metrics and debug images through a reviewed process;
//! keep exec to break-glass roles.
//!
//! ## References
//! Kubescape C-0002, C-0063; NSA/CISA "Authentication and authorization";
//! MITRE ATT&CK T1609 (Container Administration Command).

use super::super::prelude::*;
use super::model::{report_grants, rule_allows, RBAC_KINDS};

pub(crate) const CONTROL: Control = Control {
    id: "VG-R013",
    title: "Subject can exec, attach or port-forward into pods",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0002", "C-0063"],
        cis: &[],
        nsa: &["Authentication and authorization"],
        mitre: &["T1609"],
    },
    remediation: "Remove pods/exec, pods/attach and pods/portforward from the role; keep them to break-glass roles.",
    doc: include_str!("exec_into_pods.rs"),
    evaluator: Evaluator::Cluster {
        needs: RBAC_KINDS,
        evaluate,
    },
};

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    report_grants(
        inventory,
        out,
        |_, _| true,
        |rule| {
            rule_allows(
                rule,
                &[""],
                &["pods/exec", "pods/attach", "pods/portforward"],
                &["create", "get"],
            )
        },
        "exec, attach or port-forward into pods",
    );
}
