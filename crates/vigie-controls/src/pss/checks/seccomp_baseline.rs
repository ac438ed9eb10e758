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

pub(crate) const CHECK: Check = Check {
    id: "PSS-B09",
    k8s_id: "seccompProfile_baseline",
    control_name: "Seccomp",
    title: "Seccomp disabled",
    level: Level::Baseline,
    since: Version::v1(0),
    overrides: None,
    severity: Severity::Medium,
    remediation: "Set securityContext.seccompProfile.type to RuntimeDefault (or Localhost) instead of Unconfined.",
    doc: include_str!("seccomp_baseline.rs"),
    evaluate,
};

const POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const CONTAINER_ANNOTATION_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

fn evaluate(pod: &Pod<'_>, version: Version, out: &mut Vec<Violation>) {
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
    let mut check = |sc: &Node, path: String, who: String| {
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
    };
    if let Some(sc) = pod.security_context() {
        check(
            sc,
            pod.spec_path("securityContext.seccompProfile.type"),
            "the pod".into(),
        );
    }
    for container in pod.containers() {
        if let Some(sc) = container.security_context() {
            check(
                sc,
                pod.container_path(&container, "securityContext.seccompProfile.type"),
                describe_container(&container),
            );
        }
    }
}
