//! ## What it does
//! Fails pods in which a container would run without a seccomp profile: the pod's
//! `seccompProfile.type` must be `RuntimeDefault` or `Localhost`, or every container
//! must set one of those itself; no container may set another type. Part of the
//! restricted level from Kubernetes v1.19, where it replaces the baseline seccomp
//! check (PSS-B09); from v1.25 Windows pods are exempt.
//!
//! ## Why is this bad
//! Without a profile, containers run unconfined by default on most runtimes: every
//! system call is available.
//!
//! ## Example
//! ```yaml
//! spec:
//!   containers:
//!   - name: app   # fails: no seccompProfile on the pod or the container
//! ```
//! Use instead: `securityContext: {seccompProfile: {type: RuntimeDefault}}` on the pod.

use super::prelude::*;

fn is_allowed(kind: Option<&str>) -> bool {
    matches!(kind, Some("RuntimeDefault" | "Localhost"))
}

/// How PSS-R05 judges a pod; what it says about itself is its row of [`ALL`](super::ALL).
pub(super) fn evaluate(pod: &Pod<'_>, version: Version, out: &mut Vec<Violation>) {
    if linux_only_passes(pod, version) {
        return;
    }
    let pod_profile = pod
        .security_context()
        .and_then(|sc| sc.get("seccompProfile"));
    let pod_type = pod_profile.and_then(|p| p.get("type"));
    let pod_is_confined = pod_type.is_some_and(|t| is_allowed(t.as_str()));
    if let (Some(profile), false) = (pod_profile, pod_is_confined) {
        out.push(Violation {
            subject: None,
            path: pod.spec_path("securityContext.seccompProfile.type"),
            pos: key_pos(profile, "type"),
            message: format!(
                "the pod sets seccompProfile type {}",
                pod_type.map_or_else(|| "(none)".to_string(), Node::display_value)
            ),
        });
    }
    let unset = "has no seccomp profile: neither it nor the pod sets RuntimeDefault or Localhost";
    for container in pod.containers() {
        let sc = container.security_context();
        match sc.and_then(|sc| sc.get("seccompProfile")) {
            Some(profile) => {
                let kind = profile.get("type");
                if !is_allowed(kind.and_then(Node::as_str)) {
                    out.push(Violation {
                        subject: None,
                        path: pod.container_path(&container, "securityContext.seccompProfile.type"),
                        pos: key_pos(profile, "type"),
                        message: format!(
                            "{} sets seccompProfile type {}",
                            describe_container(&container),
                            kind.map_or_else(|| "(none)".to_string(), Node::display_value)
                        ),
                    });
                }
            }
            None if pod_is_confined => {}
            None => out.push(unset_in_container(pod, &container, "seccompProfile", unset)),
        }
    }
}
