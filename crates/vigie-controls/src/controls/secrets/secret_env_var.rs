//! ## What it does
//! Flags containers that receive Secret values as environment variables:
//! `env[].valueFrom.secretKeyRef`, or a whole Secret through
//! `envFrom[].secretRef`.
//!
//! ## Why is this bad
//! Environment variables leak: into crash reports and debug endpoints, to child
//! processes, into `kubectl describe`-style tooling and logs that dump the
//! environment. They are also fixed at start, so a rotated Secret needs a
//! restart. Files mounted from a Secret volume are updated in place and readable
//! only by the process that opens them.
//!
//! ## Example
//! ```yaml
//! env:
//! - name: API_TOKEN
//!   valueFrom:
//!     secretKeyRef: {name: api, key: token}   # flagged
//! ```
//! Use instead: a `secret` volume mounted read-only, and the application reading
//! the file.
//!
//! ## References
//! Kubescape C-0207; CIS 5.4.1; NSA/CISA "Pod security: secrets"; MITRE ATT&CK
//! T1552.007 (Container API).

use super::super::prelude::*;
use crate::controls::common::pod_evaluator;

/// How VG-S002 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

fn evaluate(pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    for container in pod.containers() {
        let who = describe_container(&container);
        let env = list_of(container.node, "env");
        for (i, variable) in env.iter().enumerate() {
            let Some(reference) = variable.get_path(&["valueFrom", "secretKeyRef"]) else {
                continue;
            };
            let name = text_of(variable, "name");
            let secret = text_of(reference, "name");
            out.push(Violation::new(
                pod.container_path(&container, &format!("env[{i}].valueFrom.secretKeyRef")),
                variable
                    .get("valueFrom")
                    .map_or(variable.pos, |v| key_pos(v, "secretKeyRef")),
                format!("{who} gets {name} from Secret {secret} as an environment variable"),
            ));
        }
        let env_from = list_of(container.node, "envFrom");
        for (i, source) in env_from.iter().enumerate() {
            let Some(reference) = source.get("secretRef") else {
                continue;
            };
            let secret = text_of(reference, "name");
            out.push(Violation::new(
                pod.container_path(&container, &format!("envFrom[{i}].secretRef")),
                key_pos(source, "secretRef"),
                format!("{who} loads every key of Secret {secret} as environment variables"),
            ));
        }
    }
}
