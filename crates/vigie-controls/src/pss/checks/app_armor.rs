//! ## What it does
//! Fails pods that turn AppArmor off or choose a profile other than the runtime's
//! default or one loaded on the node: the annotation
//! `container.apparmor.security.beta.kubernetes.io/<container>` must be
//! `runtime/default` or `localhost/<profile>`, and the `appArmorProfile.type` fields
//! of the pod and of each container must be `RuntimeDefault` or `Localhost`.
//!
//! ## Why is this bad
//! AppArmor confines what a process may touch even when it runs as root; an
//! `unconfined` profile removes that layer for the whole container.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   appArmorProfile:
//!     type: Unconfined   # fails
//! ```
//! Use instead: `type: RuntimeDefault`, or leave it unset.

use super::prelude::*;

const ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

/// How PSS-B06 judges a pod; what it says about itself is its row of [`ALL`](super::ALL).
pub(super) fn evaluate(pod: &Pod<'_>, _: Version, out: &mut Vec<Violation>) {
    if let Some(annotations) = pod.template.annotations() {
        for entry in annotations.as_map().unwrap_or(&[]) {
            if !entry.key.starts_with(ANNOTATION_PREFIX) {
                continue;
            }
            let value = entry.value.as_str().unwrap_or("");
            if value != "runtime/default" && !value.starts_with("localhost/") {
                out.push(Violation {
                    subject: None,
                    path: pod.annotation_path(&entry.key),
                    pos: entry.key_pos,
                    message: format!(
                        "annotation {} sets AppArmor profile {}",
                        entry.key,
                        entry.value.display_value()
                    ),
                });
            }
        }
    }
    pod.each_security_context("appArmorProfile.type", |sc, path, who| {
        check_field(sc, path, &who, out);
    });
}

fn check_field(security_context: &Node, path: String, who: &str, out: &mut Vec<Violation>) {
    let Some(profile) = security_context.get("appArmorProfile") else {
        return;
    };
    let Some(kind) = profile.get("type") else {
        return;
    };
    if !matches!(kind.as_str(), Some("RuntimeDefault" | "Localhost")) {
        out.push(Violation {
            subject: None,
            path,
            pos: key_pos(profile, "type"),
            message: format!("{who} sets AppArmor profile type {}", kind.display_value()),
        });
    }
}
