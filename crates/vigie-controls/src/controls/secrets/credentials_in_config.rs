//! ## What it does
//! Flags credentials written in plain configuration: literal environment
//! variable values of workloads (`env[].value`) and ConfigMap entries whose key
//! names a secret (`sensitiveKeyNames`: `password`, `token`, `secret`...) or
//! whose value looks like one (`sensitiveValues`: AWS access keys, private keys,
//! bearer tokens...). Empty values and file paths are not credentials; the
//! `sensitiveKeyNamesAllowed` and `sensitiveValuesAllowed` lists silence known
//! false positives.
//!
//! ## Why is this bad
//! Pod specs and ConfigMaps are readable by far more people and tools than
//! Secrets (`get pods`, CI logs, Git history, `kubectl describe`), are not
//! encrypted at rest, and are copied wherever the manifests go.
//!
//! ## Example
//! ```yaml
//! env:
//! - name: DB_PASSWORD
//!   value: hunter2   # flagged
//! ```
//! Use instead: a Secret, mounted as a file (or, at worst,
//! `valueFrom.secretKeyRef`), fed from an external secret store.
//!
//! ## References
//! Kubescape C-0012; CIS 5.4.1; NSA/CISA "Kubernetes Pod security: secrets";
//! MITRE ATT&CK T1552.001 (Credentials in Files), T1552.007 (Container API).

use super::super::prelude::*;
use super::sensitive::credential;
use crate::controls::common::{is_workload, workload_pod};

/// How VG-S001 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: |r| r.kind == "ConfigMap" || is_workload(r),
    evaluate,
};

fn evaluate(resource: &Resource, config: &Config, out: &mut Vec<Violation>) {
    if resource.kind == "ConfigMap" {
        let data = resource
            .root
            .get("data")
            .and_then(Node::as_map)
            .unwrap_or(&[]);
        for entry in data {
            let Some(value) = entry.value.as_str() else {
                continue;
            };
            if let Some(reason) = credential(&entry.key, value, config) {
                out.push(Violation::new(
                    format!("data[{}]", entry.key),
                    entry.key_pos,
                    format!(
                        "ConfigMap {} holds a credential in {}: {reason}",
                        resource.name, entry.key
                    ),
                ));
            }
        }
        return;
    }
    let Some(pod) = workload_pod(resource) else {
        return;
    };
    for container in pod.containers() {
        let env = list_of(container.node, "env");
        for (i, variable) in env.iter().enumerate() {
            let (Some(name), Some(value)) = (
                variable.get("name").and_then(Node::as_str),
                variable.get("value").and_then(Node::as_str),
            ) else {
                continue;
            };
            if let Some(reason) = credential(name, value, config) {
                out.push(Violation::new(
                    pod.container_path(&container, &format!("env[{i}].value")),
                    key_pos(variable, "value"),
                    format!(
                        "{} sets {name} to a literal credential: {reason}",
                        describe_container(&container)
                    ),
                ));
            }
        }
    }
}
