//! ## What it does
//! Flags a kube-apiserver whose `--enable-admission-plugins` names none of
//! `SecurityContextDeny`, `PodSecurityPolicy` or `PodSecurity`.
//!
//! ## Why is this bad
//! Without an admission plugin that vets security contexts, anyone who can
//! create a pod can ask for privileged mode, host namespaces or root, and from
//! there reach the node.
//!
//! ## Example
//! ```yaml
//! command:
//! - kube-apiserver
//! - --enable-admission-plugins=NodeRestriction   # flagged
//! ```
//! Use instead: `--enable-admission-plugins=NodeRestriction,PodSecurity` and
//! Pod Security Standards labels on namespaces (`PodSecurityPolicy` and
//! `SecurityContextDeny` are gone from recent Kubernetes versions).
//!
//! ## References
//! Kubescape C-0124; NSA/CISA "Kubernetes Pod security"; MITRE ATT&CK T1611.

use super::super::prelude::*;
use super::flag_rule::admission_plugin_evaluator;

pub(crate) const CONTROL: Control = Control {
    id: "VG-C012",
    title: "API server restricts no pod security contexts",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0124"],
        cis: &[],
        nsa: &["Kubernetes Pod security"],
        mitre: &["T1611"],
    },
    remediation: "Enable a pod security admission plugin in kube-apiserver --enable-admission-plugins: PodSecurity (1.23 and later), or PodSecurityPolicy / SecurityContextDeny on older clusters.",
    doc: include_str!("admission_security_context_deny.rs"),
    evaluator: admission_plugin_evaluator!(
        enabled ["SecurityContextDeny", "PodSecurityPolicy", "PodSecurity"],
        "no admission plugin is named to stop pods from requesting privileged security contexts"
    ),
};
