//! ## What it does
//! Flags containers of Agent Sandbox `SandboxTemplate`s without a memory
//! limit, or with a limit above the `sandboxMemoryLimitMax` setting (when set).
//!
//! ## Why is this bad
//! Sandboxes run generated code in numbers: one runaway or hostile sandbox
//! without a ceiling takes memory until the node starts killing its neighbours, and an agent that starts many of them
//! multiplies the damage.
//!
//! ## Example
//! ```yaml
//! containers:
//! - name: runtime
//!   resources: {}   # flagged: no memory limit
//! ```
//! Use instead: `resources.limits.memory: 512Mi` (within the ceiling).
//!
//! ## References
//! Kubescape C-0303; NSA/CISA "Pod security"; MITRE ATT&CK T1499 (Endpoint
//! Denial of Service).

use super::super::prelude::*;
use super::sandbox::{check_limit, is_sandbox_template};

pub(crate) const CONTROL: Control = Control {
    id: "VG-W064",
    title: "Agent sandbox without a memory ceiling",
    severity: Severity::Medium,
    refs: Refs {
        kubescape: &["C-0303"],
        cis: &[],
        nsa: &["Pod security"],
        mitre: &["T1499"],
    },
    remediation: "Set spec.podTemplate.spec.containers[].resources.limits.memory within the configured ceiling.",
    doc: include_str!("sandbox_memory_limit.rs"),
    evaluator: Evaluator::Object {
        applies: is_sandbox_template,
        evaluate,
    },
};

fn evaluate(resource: &Resource, config: &Config, out: &mut Vec<Violation>) {
    check_limit(resource, "memory", &config.sandbox_memory_limit_max, out);
}
