//! ## What it does
//! Flags containers whose `securityContext.procMount` is anything but
//! `Default` (the Pod Security Standards check PSS-B08, which accepts
//! `Unmasked` only in a pod with its own user namespace, `hostUsers: false`).
//!
//! ## Why is this bad
//! The default proc mount masks and makes read-only the parts of `/proc` that
//! reveal or control the node's kernel (`/proc/sys`, `/proc/kcore`...).
//! `Unmasked` hands them to the container, a step towards escaping it.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   procMount: Unmasked   # flagged
//! ```
//! Use instead: leave `procMount` unset or `Default`.
//!
//! ## References
//! Kubescape C-0211; CIS 5.7.3; NSA/CISA "Pod security"; MITRE ATT&CK T1611
//! (Escape to Host).

use super::super::prelude::*;
use crate::controls::common::pss_check_evaluator;

pub(crate) const CONTROL: Control = Control {
    id: "VG-W060",
    title: "Container unmasks /proc",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0211"],
        cis: &["5.7.3"],
        nsa: &["Pod security"],
        mitre: &["T1611"],
    },
    remediation: "Remove securityContext.procMount or set it to Default.",
    doc: include_str!("proc_mount.rs"),
    evaluator: pss_check_evaluator!("procMount"),
};
