//! ## What it does
//! Fails pods that explicitly turn seccomp off. Up to Kubernetes v1.18 this means
//! the annotations `seccomp.security.alpha.kubernetes.io/pod` or
//! `container.seccomp.security.alpha.kubernetes.io/<container>` set to
//! `unconfined`; from v1.19 it means a `seccompProfile.type` of `Unconfined` on the
//! pod or on any container.
//!
//! ## Why is this bad
//! Seccomp filters the system calls a container may make; without it, the whole
//! kernel attack surface is reachable, including calls most escapes rely on.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   seccompProfile:
//!     type: Unconfined   # fails
//! ```
//! Use instead: `type: RuntimeDefault`.

use super::prelude::*;

const POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const CONTAINER_ANNOTATION_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

/// How PSS-B09 judges a pod; what it says about itself is its row of [`ALL`](super::ALL).
pub(super) fn evaluate(pod: &Pod<'_>, version: Version, out: &mut Vec<Violation>) {
    if version < Version::v1(19) {
        annotations(pod, out);
    } else {
        fields(pod, out);
    }
}

fn annotations(pod: &Pod<'_>, out: &mut Vec<Violation>) {
    let Some(annotations) = pod.template.annotations() else {
        return;
    };
    for entry in annotations.as_map().unwrap_or(&[]) {
        let is_seccomp =
            entry.key == POD_ANNOTATION || entry.key.starts_with(CONTAINER_ANNOTATION_PREFIX);
        if is_seccomp && entry.value.as_str() == Some("unconfined") {
            out.push(Violation {
                subject: None,
                path: pod.annotation_path(&entry.key),
                pos: entry.key_pos,
                message: format!("annotation {} turns seccomp off (unconfined)", entry.key),
            });
        }
    }
}

fn fields(pod: &Pod<'_>, out: &mut Vec<Violation>) {
    pod.each_security_context("seccompProfile.type", |sc, path, who| {
        let Some(profile) = sc.get("seccompProfile") else {
            return;
        };
        if profile.get("type").and_then(Node::as_str) == Some("Unconfined") {
            out.push(Violation {
                subject: None,
                path,
                pos: key_pos(profile, "type"),
                message: format!("{who} sets seccompProfile type Unconfined"),
            });
        }
    });
}
