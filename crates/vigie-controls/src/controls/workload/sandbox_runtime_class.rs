//! ## What it does
//! Flags workloads that must run in a sandboxed container runtime but do not:
//! those in a namespace listed in the `sandboxRequiredNamespaces` setting, and
//! those whose pod template carries the label `vigie.dev/sandbox: required`, must
//! set `runtimeClassName` to one of the `sandboxRuntimeClasses` (gVisor, Kata by
//! default).
//!
//! ## Why is this bad
//! Untrusted or multi-tenant code shares the node's kernel with every other pod
//! unless a sandbox runtime puts a second kernel (gVisor) or a virtual machine
//! (Kata) in between; a kernel exploit from such a pod is then a node compromise.
//!
//! ## Example
//! ```yaml
//! kind: Deployment
//! spec:
//!   template:
//!     metadata:
//!       labels: {vigie.dev/sandbox: required}
//!     spec:
//!       runtimeClassName: runc   # flagged: not a sandbox
//! ```
//! Use instead: `runtimeClassName: gvisor` (a RuntimeClass whose handler is runsc).
//!
//! ## References
//! NSA/CISA "Pod security: use a hardened container engine / sandbox";
//! CIS 5.7 (general policies); MITRE ATT&CK T1611 (Escape to Host).

use super::super::prelude::*;
use crate::controls::common::{is_workload, object_pod_evaluator};

/// How VG-W046 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = object_pod_evaluator!(is_workload, evaluate);

const REQUIRED_LABEL: &str = "vigie.dev/sandbox";

fn evaluate(resource: &Resource, pod: &Pod<'_>, config: &Config, out: &mut Vec<Violation>) {
    let labelled = pod
        .template
        .metadata
        .and_then(|m| m.get_path(&["labels", REQUIRED_LABEL]))
        .and_then(Node::as_str)
        == Some("required");
    let in_sandboxed_namespace = resource
        .namespace
        .as_ref()
        .is_some_and(|ns| config.sandbox_required_namespaces.contains(ns));
    if !labelled && !in_sandboxed_namespace {
        return;
    }
    let spec = pod.spec();
    let runtime_class = spec.get("runtimeClassName").and_then(Node::as_str);
    if runtime_class.is_some_and(|rc| config.sandbox_runtime_classes.iter().any(|s| s == rc)) {
        return;
    }
    let why = if labelled {
        format!("its pod template is labelled {REQUIRED_LABEL}: required")
    } else {
        "its namespace requires a sandbox".to_string()
    };
    let (pos, got) = match runtime_class {
        Some(rc) => (
            key_pos(spec, "runtimeClassName"),
            format!("runtimeClassName {rc}"),
        ),
        None => (spec.pos, "no runtimeClassName".to_string()),
    };
    out.push(Violation::new(
        pod.spec_path("runtimeClassName"),
        pos,
        format!("{} {} has {got}, but {why}", resource.kind, resource.name),
    ));
}
