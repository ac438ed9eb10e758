//! ## What it does
//! Flags Secret objects whose manifest carries the secret itself: a non-empty
//! `data` or `stringData`. Service account token Secrets are skipped, since the
//! control plane fills them in.
//!
//! ## Why is this bad
//! A manifest is meant to be committed, reviewed, templated and copied; a secret
//! in it ends up in Git history, CI logs and every clone, in base64 that anyone
//! can decode. Rotation then means finding every copy.
//!
//! ## Example
//! ```yaml
//! kind: Secret
//! metadata: {name: db}
//! data:
//!   password: aHVudGVyMg==   # flagged
//! ```
//! Use instead: keep secrets out of manifests: an ExternalSecret or
//! SecretProviderClass that syncs them from a secret store, or a SealedSecret
//! encrypted for the cluster.
//!
//! ## References
//! CIS 5.4.2; NSA/CISA "Pod security: secrets"; MITRE ATT&CK T1552.001
//! (Credentials in Files).

use super::super::prelude::*;

/// How VG-S005 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: |r| r.kind == "Secret",
    evaluate,
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    let kind = resource.root.get("type").and_then(Node::as_str);
    if kind == Some("kubernetes.io/service-account-token") {
        return;
    }
    for field in ["data", "stringData"] {
        let keys: Vec<&str> = resource
            .root
            .get(field)
            .and_then(Node::as_map)
            .unwrap_or(&[])
            .iter()
            .map(|e| e.key.as_str())
            .collect();
        if keys.is_empty() {
            continue;
        }
        out.push(Violation::new(
            field,
            key_pos(&resource.root, field),
            format!(
                "Secret {} carries its values in the manifest ({field}: {})",
                resource.name,
                keys.join(", ")
            ),
        ));
    }
}
