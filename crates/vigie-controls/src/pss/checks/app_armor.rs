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

pub(crate) const CHECK: Check = Check {
    id: "PSS-B06",
    k8s_id: "appArmorProfile",
    control_name: "AppArmor",
    title: "AppArmor disabled or overridden",
    level: Level::Baseline,
    since: Version::v1(0),
    overrides: None,
    severity: Severity::Medium,
    remediation:
        "Use the RuntimeDefault AppArmor profile (or a Localhost profile), or leave it unset.",
    doc: include_str!("app_armor.rs"),
    evaluate,
};

const ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

fn evaluate(pod: &Pod<'_>, _: Version, out: &mut Vec<Violation>) {
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
    if let Some(sc) = pod.security_context() {
        check_field(
            sc,
            pod.spec_path("securityContext.appArmorProfile.type"),
            "the pod",
            out,
        );
    }
    for container in pod.containers() {
        if let Some(sc) = container.security_context() {
            let path = pod.container_path(&container, "securityContext.appArmorProfile.type");
            check_field(sc, path, &describe_container(&container), out);
        }
    }
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
