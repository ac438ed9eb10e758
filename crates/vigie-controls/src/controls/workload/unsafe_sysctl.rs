//! ## What it does
//! Flags pods that set a sysctl outside the set Kubernetes considers safe (the
//! namespaced, node-harmless ones such as `net.ipv4.tcp_syncookies` or
//! `kernel.shm_rmid_forced`).
//!
//! ## Why is this bad
//! Other sysctls are either not isolated per pod, so the pod changes them for
//! the whole node, or can exhaust or destabilise the node for every workload on
//! it.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   sysctls:
//!   - {name: net.core.somaxconn, value: "1024"}   # flagged
//! ```
//! Use instead: safe sysctls only; tune the node itself for the others.
//!
//! ## References
//! Kubescape C-0211; CIS 5.7.3; NSA/CISA "Pod security"; MITRE ATT&CK T1499
//! (Endpoint Denial of Service).

use super::super::prelude::*;
use crate::controls::common::pss_check_evaluator;

pub(crate) const CONTROL: Control = Control {
    id: "VG-W018",
    title: "Unsafe sysctl",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0211"],
        cis: &["5.7.3"],
        nsa: &["Pod security"],
        mitre: &["T1499"],
    },
    remediation: "Remove the sysctl from spec.securityContext.sysctls, or set it on the node.",
    doc: include_str!("unsafe_sysctl.rs"),
    evaluator: pss_check_evaluator!("sysctls"),
};
