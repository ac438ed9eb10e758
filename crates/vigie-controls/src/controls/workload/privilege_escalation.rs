//! ## What it does
//! Flags containers that do not set `securityContext.allowPrivilegeEscalation`
//! to `false`.
//!
//! ## Why is this bad
//! Unless it is turned off, a process in the container can gain privileges its
//! parent did not have, through setuid binaries or file capabilities (the kernel's
//! `no_new_privs` flag is not set). It is the building block of most local
//! privilege escalations inside a container.
//!
//! ## Example
//! ```yaml
//! containers:
//! - name: app
//!   securityContext: {}   # flagged: allowPrivilegeEscalation not set to false
//! ```
//! Use instead: `allowPrivilegeEscalation: false` on every container.
//!
//! ## References
//! Kubescape C-0016, C-0211; CIS 5.2.6; NSA/CISA "Pod security"; MITRE ATT&CK
//! T1548.001 (Setuid and Setgid).

use super::super::prelude::*;
use crate::controls::common::pss_check_evaluator;

pub(crate) const CONTROL: Control = Control {
    id: "VG-W008",
    title: "Privilege escalation allowed",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0016", "C-0211"],
        cis: &["5.2.6"],
        nsa: &["Pod security"],
        mitre: &["T1548.001"],
    },
    remediation: "Set securityContext.allowPrivilegeEscalation: false on every container.",
    doc: include_str!("privilege_escalation.rs"),
    evaluator: pss_check_evaluator!("allowPrivilegeEscalation"),
};
