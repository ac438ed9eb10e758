//! ## What it does
//! Flags Agent Sandbox `SandboxTemplate`s that do not scope their sandboxes'
//! egress: `networkPolicyManagement` other than `Managed` (or unset), no
//! `networkPolicy` (the project's secure default still allows the public
//! internet), a malformed policy, or an egress rule whose destinations are
//! not scoped (no `to`, an empty peer, an empty `podSelector` or
//! `namespaceSelector`, an empty `ipBlock` or one covering every address,
//! `0.0.0.0/0` or `::/0`, whatever its `except`).
//!
//! ## Why is this bad
//! Code running in an agent sandbox is untrusted: with open egress it can
//! send whatever the agent hands it to any host, or fetch and run a second
//! stage. A deny-by-default policy with named destinations bounds both.
//!
//! ## Example
//! ```yaml
//! kind: SandboxTemplate
//! spec:
//!   networkPolicy:
//!     egress:
//!     - to: [{ipBlock: {cidr: 0.0.0.0/0}}]   # flagged
//! ```
//! Use instead: `networkPolicy: {}` or `egress: []` to deny all, or `to`
//! peers naming the destinations (`ipBlock: {cidr: 10.0.0.0/24}`, labelled
//! pods or namespaces).
//!
//! ## References
//! Kubescape C-0301; NSA/CISA "Network separation and hardening"; MITRE
//! ATT&CK T1041 (Exfiltration Over C2 Channel).

use super::super::prelude::*;
use super::sandbox::is_sandbox_template;
use crate::controls::network::topology::label_selector_is_empty;

/// How VG-W066 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: is_sandbox_template,
    evaluate,
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    let name = &resource.name;
    let spec = resource.root.get("spec").unwrap_or(Node::null());
    let mut flag = |path: String, pos, message: String| {
        out.push(Violation::new(
            path,
            pos,
            format!("SandboxTemplate {name} {message}"),
        ));
    };
    if let Some(management) = spec.get("networkPolicyManagement") {
        if management.as_str() != Some("Managed") {
            flag(
                "spec.networkPolicyManagement".to_string(),
                key_pos(spec, "networkPolicyManagement"),
                format!(
                    "sets networkPolicyManagement {}: only Managed enforces a policy",
                    management.display_value()
                ),
            );
            return;
        }
    }
    let Some(policy) = spec.get("networkPolicy").filter(|p| !p.is_null()) else {
        flag(
            "spec.networkPolicy".to_string(),
            key_pos(spec, "networkPolicy"),
            "defines no networkPolicy: the default one allows egress to the public internet"
                .to_string(),
        );
        return;
    };
    if policy.as_map().is_none() {
        flag(
            "spec.networkPolicy".to_string(),
            policy.pos,
            "has a networkPolicy that is not a mapping".to_string(),
        );
        return;
    }
    let Some(egress) = policy.get("egress").filter(|e| !e.is_null()) else {
        return;
    };
    let Some(rules) = egress.as_seq() else {
        flag(
            "spec.networkPolicy.egress".to_string(),
            egress.pos,
            "has an egress that is not a list of rules".to_string(),
        );
        return;
    };
    for (i, rule) in rules.iter().enumerate() {
        let peers = list_of(rule, "to");
        if peers.is_empty() || peers.iter().any(|peer| !is_scoped(peer)) {
            flag(
                format!("spec.networkPolicy.egress[{i}]"),
                rule.pos,
                "has an egress rule whose destinations are not scoped: it allows any host"
                    .to_string(),
            );
            return;
        }
    }
}

/// Whether an egress peer names a bounded set of destinations.
fn is_scoped(peer: &Node) -> bool {
    if let Some(block) = peer.get("ipBlock") {
        return block
            .get("cidr")
            .and_then(Node::as_str)
            .is_some_and(|cidr| !matches!(cidr.trim(), "" | "0.0.0.0/0" | "::/0"));
    }
    let selector = |key| peer.get(key).filter(|s| !label_selector_is_empty(s));
    selector("podSelector").is_some() || selector("namespaceSelector").is_some()
}
