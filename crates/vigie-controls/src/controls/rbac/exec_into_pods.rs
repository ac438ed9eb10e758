//! ## What it does
//! Flags subjects that a binding lets run commands in running containers:
//! `pods/exec` or `pods/attach` (`create`, or `get`, which the API server
//! accepted for these streaming subresources until the websocket upgrade was
//! made to need `create`). Port-forwarding is VG-R028.
//!
//! ## Why is this bad
//! `exec` and `attach` run commands inside a container with its identity, its
//! mounted Secrets and its network position. Each bypasses the deployment
//! process and leaves only an API audit record of the session, not of what was
//! typed.
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
//! Kubescape C-0002; NSA/CISA "Authentication and authorization";
//! MITRE ATT&CK T1609 (Container Administration Command).

use super::super::prelude::*;
use super::model::{report_grants, rule_allows, RBAC_KINDS};

pub(crate) const CONTROL: Control = Control {
    id: "VG-R013",
    title: "Subject can exec or attach into pods",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0002"],
        cis: &[],
        nsa: &["Authentication and authorization"],
        mitre: &["T1609"],
    },
    remediation: "Remove pods/exec and pods/attach from the role; keep them to break-glass roles.",
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
                &["pods/exec", "pods/attach"],
                &["create", "get"],
            )
        },
        "exec or attach into pods",
    );
}
