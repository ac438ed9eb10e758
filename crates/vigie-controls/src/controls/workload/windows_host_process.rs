//! ## What it does
//! Flags Windows pods and containers with `windowsOptions.hostProcess: true`.
//!
//! ## Why is this bad
//! A HostProcess container runs directly on the Windows node, with the node's
//! network and filesystem and as a node account: it is the Windows counterpart
//! of a privileged container.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   windowsOptions: {hostProcess: true}   # flagged
//! ```
//! Use instead: a regular Windows container; keep HostProcess for reviewed node
//! agents in their own namespace.
//!
//! ## References
//! Kubescape C-0211; CIS 5.2.11; NSA/CISA "Pod security"; MITRE ATT&CK T1611
//! (Escape to Host).

use super::super::prelude::*;
use crate::controls::common::pss_check_evaluator;

pub(crate) const CONTROL: Control = Control {
    id: "VG-W019",
    title: "Windows HostProcess container",
    severity: Severity::Critical,
    refs: Refs {
        kubescape: &["C-0211"],
        cis: &["5.2.11"],
        nsa: &["Pod security"],
        mitre: &["T1611"],
    },
    remediation: "Remove windowsOptions.hostProcess or set it to false.",
    doc: include_str!("windows_host_process.rs"),
    evaluator: pss_check_evaluator!("windowsHostProcess"),
};
