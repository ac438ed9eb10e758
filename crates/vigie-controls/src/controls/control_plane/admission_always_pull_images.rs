//! ## What it does
//! Flags a kube-apiserver that does not enable the `AlwaysPullImages` admission
//! plugin.
//!
//! ## Why is this bad
//! Once a private image is on a node, any pod scheduled there can run it by
//! naming it with `imagePullPolicy: IfNotPresent` or `Never`, without holding the
//! pull secret. `AlwaysPullImages` makes every pod pull, so the registry checks
//! its credentials each time.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver
//! - --enable-admission-plugins=NodeRestriction   # flagged
//! ```
//! Use instead: `--enable-admission-plugins=NodeRestriction,AlwaysPullImages`
//! (the registry must then be reachable whenever pods start).
//!
//! ## References
//! Kubescape C-0123; CIS 1.2.11; NSA/CISA "Control plane hardening"; MITRE ATT&CK
//! T1610.

use super::super::prelude::*;
use super::flag_rule::admission_plugin_evaluator;

pub(crate) const CONTROL: Control = Control {
    id: "VG-C011",
    title: "API server does not force image pulls",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0123"],
        cis: &["1.2.11"],
        nsa: &["Control plane hardening"],
        mitre: &["T1610"],
    },
    remediation: "Add AlwaysPullImages to kube-apiserver --enable-admission-plugins.",
    doc: include_str!("admission_always_pull_images.rs"),
    evaluator: admission_plugin_evaluator!(
        enabled ["AlwaysPullImages"],
        "a pod can run a private image already cached on its node without the credentials to pull it"
    ),
};
