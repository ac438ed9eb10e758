//! ## What it does
//! Fails pods and containers that set `runAsUser: 0`. Part of the restricted level
//! from Kubernetes v1.23.
//!
//! ## Why is this bad
//! UID 0 is root: `runAsNonRoot` cannot protect a container that names root
//! explicitly.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   runAsUser: 0   # fails
//! ```
//! Use instead: a non-zero UID such as `runAsUser: 10001`.

use super::prelude::*;

pub(crate) const CHECK: Check = Check {
    id: "PSS-R04",
    k8s_id: "runAsUser",
    control_name: "Running as Non-root user",
    title: "Runs as UID 0",
    level: Level::Restricted,
    since: Version::v1(23),
    overrides: None,
    severity: Severity::High,
    remediation: "Set runAsUser to a non-zero UID, or remove it and rely on runAsNonRoot: true.",
    doc: include_str!("run_as_user.rs"),
    evaluate,
};

fn evaluate(pod: &Pod<'_>, _: Version, out: &mut Vec<Violation>) {
    let mut check = |sc: &Node, path: String, who: String| {
        if sc.get("runAsUser").and_then(Node::as_i64) == Some(0) {
            out.push(Violation {
                subject: None,
                path,
                pos: key_pos(sc, "runAsUser"),
                message: format!("{who} runs as UID 0 (runAsUser: 0)"),
            });
        }
    };
    if let Some(sc) = pod.security_context() {
        check(
            sc,
            pod.spec_path("securityContext.runAsUser"),
            "the pod".into(),
        );
    }
    for container in pod.containers() {
        if let Some(sc) = container.security_context() {
            check(
                sc,
                pod.container_path(&container, "securityContext.runAsUser"),
                describe_container(&container),
            );
        }
    }
}
