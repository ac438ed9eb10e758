//! ## What it does
//! Flags Agent Sandbox `SandboxTemplate`s whose pod template does not run in
//! a hardened RuntimeClass of the `sandboxRuntimeClasses` setting (gVisor,
//! Kata by default): `runtimeClassName` missing, empty or another class.
//!
//! ## Why is this bad
//! Agent sandboxes run code written by a model or a user: untrusted by
//! design. In the default runtime that code shares the node's kernel, and one
//! kernel exploit reaches every other pod on the node. A sandboxing runtime
//! puts a second kernel, or a VM, between them.
//!
//! ## Example
//! ```yaml
//! kind: SandboxTemplate
//! spec:
//!   podTemplate:
//!     spec:
//!       runtimeClassName: runc   # flagged
//! ```
//! Use instead: `runtimeClassName: gvisor` (or another hardened class).
//!
//! ## References
//! Kubescape C-0297; NSA/CISA "Pod security"; MITRE ATT&CK T1611 (Escape to
//! Host).

use super::super::prelude::*;
use super::helpers::pod_field;
use super::sandbox::is_sandbox_template;
use crate::controls::common::object_pod_evaluator;

/// How VG-W061 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = object_pod_evaluator!(is_sandbox_template, evaluate);

fn evaluate(resource: &Resource, pod: &Pod<'_>, config: &Config, out: &mut Vec<Violation>) {
    let class = pod
        .spec()
        .get("runtimeClassName")
        .and_then(Node::as_str)
        .filter(|c| !c.is_empty());
    let message = match class {
        Some(class) if config.sandbox_runtime_classes.iter().any(|c| c == class) => return,
        Some(class) => format!(
            "SandboxTemplate {} runs in runtime class {class}, not a hardened one ({})",
            resource.name,
            config.sandbox_runtime_classes.join(", ")
        ),
        None => format!(
            "SandboxTemplate {} sets no runtimeClassName: its sandboxes share the node's kernel",
            resource.name
        ),
    };
    out.push(pod_field(pod, "runtimeClassName", message));
}
