//! ## What it does
//! Flags workloads with a `hostPath` volume: a directory or file of the node
//! mounted into the pod.
//!
//! ## Why is this bad
//! A hostPath volume exposes the node's filesystem: kubelet credentials, the
//! container runtime socket, other pods' data or `/` itself. It also ties the pod
//! to whatever happens to be on the node it lands on. Writable, it is a direct
//! path to taking over the node; read-only, it still leaks what it exposes.
//!
//! ## Example
//! ```yaml
//! volumes:
//! - name: logs
//!   hostPath: {path: /var/log}   # flagged
//! ```
//! Use instead: `emptyDir`, a PersistentVolumeClaim, a ConfigMap or a Secret;
//! node agents that need the host belong in a dedicated, reviewed namespace.
//!
//! ## References
//! Kubescape C-0048; CIS 5.2.12; NSA/CISA "Pod security"; MITRE ATT&CK T1611
//! (Escape to Host).

use super::super::prelude::*;
use crate::controls::common::pss_check_evaluator;

pub(crate) const CONTROL: Control = Control {
    id: "VG-W003",
    title: "hostPath volume",
    severity: Severity::High,
    refs: Refs {
        kubescape: &["C-0048"],
        cis: &["5.2.12"],
        nsa: &["Pod security"],
        mitre: &["T1611"],
    },
    remediation: "Replace the hostPath volume with emptyDir, a PersistentVolumeClaim, a ConfigMap or a Secret.",
    doc: include_str!("host_path_volume.rs"),
    evaluator: pss_check_evaluator!("hostPathVolumes"),
};
