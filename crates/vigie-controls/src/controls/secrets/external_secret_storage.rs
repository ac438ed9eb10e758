//! ## What it does
//! Flags workloads that get no secret from an external secret store: no volume
//! of the Secrets Store CSI driver (`csi.driver: secrets-store.csi.k8s.io`, or
//! any CSI volume naming a `secretProviderClass`).
//!
//! ## Why is this bad
//! Kubernetes Secrets are base64, readable by anyone who can read Secrets in the
//! namespace (or create pods there), and encrypted at rest only if the cluster
//! is configured for it. An external store (Vault, a cloud secret manager) keeps
//! the source of truth outside the cluster, with its own access control, audit
//! and rotation.
//!
//! ## Example
//! ```yaml
//! volumes:
//! - name: creds
//!   secret: {secretName: db}   # flagged: no external store
//! ```
//! Use instead:
//! ```yaml
//! volumes:
//! - name: creds
//!   csi:
//!     driver: secrets-store.csi.k8s.io
//!     readOnly: true
//!     volumeAttributes: {secretProviderClass: db}
//! ```
//!
//! ## References
//! Kubescape C-0234; CIS 5.4.2; NSA/CISA "Pod security: secrets"; MITRE ATT&CK
//! T1552 (Unsecured Credentials).

use super::super::prelude::*;
use crate::controls::common::{is_workload, object_pod_evaluator};

/// How VG-S003 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = object_pod_evaluator!(is_workload, evaluate);

const SECRETS_STORE_DRIVER: &str = "secrets-store.csi.k8s.io";

fn evaluate(resource: &Resource, pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    let volumes = list_of(pod.spec(), "volumes");
    let external = volumes.iter().any(|v| {
        v.get("csi").is_some_and(|csi| {
            csi.get("driver").and_then(Node::as_str) == Some(SECRETS_STORE_DRIVER)
                || csi
                    .get_path(&["volumeAttributes", "secretProviderClass"])
                    .is_some()
        })
    });
    if !external {
        out.push(Violation::new(
            pod.spec_path("volumes"),
            key_pos(pod.spec(), "volumes"),
            format!(
                "{} {} mounts no volume from an external secret store",
                resource.kind, resource.name
            ),
        ));
    }
}
