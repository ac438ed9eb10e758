//! ## What it does
//! Flags containers that define the same environment variable name more than
//! once in `env`; every occurrence is reported.
//!
//! ## Why is this bad
//! Only the last definition takes effect, silently. The earlier one is what a
//! reviewer reads, and a merge or patch that reorders the list changes the
//! container's configuration without anyone changing a value.
//!
//! ## Example
//! ```yaml
//! env:
//! - {name: LOG_LEVEL, value: info}
//! - {name: LOG_LEVEL, value: debug}   # flagged (both entries)
//! ```
//! Use instead: one entry per name.
//!
//! ## References
//! Kubescape C-0295; NSA/CISA "Upgrading and application security practices";
//! MITRE ATT&CK T1562 (Impair Defenses).

use super::super::prelude::*;
use crate::controls::common::pod_evaluator;

/// How VG-W033 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

fn evaluate(pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    for container in pod.containers() {
        let env = list_of(container.node, "env");
        let names: Vec<Option<&str>> = env
            .iter()
            .map(|e| e.get("name").and_then(Node::as_str))
            .collect();
        for (i, (entry, name)) in env.iter().zip(&names).enumerate() {
            let Some(name) = name else { continue };
            let count = names.iter().filter(|n| **n == Some(name)).count();
            if count > 1 {
                out.push(Violation::new(
                    pod.container_path(&container, &format!("env[{i}].name")),
                    key_pos(entry, "name"),
                    format!(
                        "{} defines {name} {count} times; only the last one applies",
                        describe_container(&container)
                    ),
                ));
            }
        }
    }
}
