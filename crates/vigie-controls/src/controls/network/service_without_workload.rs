//! ## What it does
//! Flags Services whose selector matches no workload of their namespace in the
//! input. Services without a selector (endpoints managed by hand) and
//! `ExternalName` Services are left alone.
//!
//! ## Why is this bad
//! A Service that selects nothing has no endpoints: callers get connection
//! errors. It often outlives a renamed label, and any pod later created with
//! the matching labels, by anyone who may create pods there, starts receiving
//! the Service's traffic.
//!
//! ## Example
//! ```yaml
//! kind: Service
//! spec:
//!   selector: {app: web-v1}   # flagged: the pods now say app=web
//! ```
//! Use instead: selectors kept in sync with the workload's pod labels; delete
//! Services of retired applications.
//!
//! ## References
//! Kubescape C-0293; NSA/CISA "Network separation and hardening"; MITRE ATT&CK
//! T1557 (Adversary-in-the-Middle).

use super::super::prelude::*;
use super::topology::{service_selects_any, service_type};
use crate::controls::rbac::service_accounts::namespace_of;

/// How VG-N013 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: workloads_and!["Service"],
    evaluate,
};

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    for (i, service) in inventory.of_kind(&["Service"]) {
        out.evaluated.push(i);
        let spec = service.root.get("spec").unwrap_or(Node::null());
        let Some(selector) = spec
            .get("selector")
            .filter(|s| s.as_map().is_some_and(|m| !m.is_empty()))
        else {
            continue;
        };
        if service_type(service) == "ExternalName" {
            continue;
        }
        let namespace = namespace_of(service);
        if service_selects_any(*inventory, service) {
            continue;
        }
        out.violations.push((
            i,
            Violation::new(
                "spec.selector",
                key_pos(spec, "selector"),
                format!(
                    "Service {} selects {} and no workload of namespace {namespace} matches",
                    service.name,
                    selector.to_json()
                ),
            ),
        ));
    }
}
