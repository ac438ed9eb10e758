//! ## What it does
//! Fails Windows pods and containers with `windowsOptions.hostProcess: true`.
//!
//! ## Why is this bad
//! A Windows HostProcess container runs directly on the node, with the node's
//! network and filesystem and as a node account: it is the Windows equivalent of a
//! privileged container.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   windowsOptions:
//!     hostProcess: true   # fails
//! ```

use super::prelude::*;

pub(crate) const CHECK: Check = Check {
    id: "PSS-B11",
    k8s_id: "windowsHostProcess",
    control_name: "HostProcess",
    title: "Windows HostProcess container",
    level: Level::Baseline,
    since: Version::v1(0),
    overrides: None,
    severity: Severity::Critical,
    remediation: "Remove windowsOptions.hostProcess or set it to false.",
    doc: include_str!("windows_host_process.rs"),
    evaluate,
};

fn evaluate(pod: &Pod<'_>, _: Version, out: &mut Vec<Violation>) {
    let mut check = |sc: &Node, path: String, who: String| {
        let Some(options) = sc.get("windowsOptions") else {
            return;
        };
        if options.get("hostProcess").is_some_and(Node::is_true) {
            out.push(Violation {
                subject: None,
                path,
                pos: key_pos(options, "hostProcess"),
                message: format!("{who} runs as a Windows HostProcess"),
            });
        }
    };
    if let Some(sc) = pod.security_context() {
        check(
            sc,
            pod.spec_path("securityContext.windowsOptions.hostProcess"),
            "the pod".into(),
        );
    }
    for container in pod.containers() {
        if let Some(sc) = container.security_context() {
            check(
                sc,
                pod.container_path(&container, "securityContext.windowsOptions.hostProcess"),
                describe_container(&container),
            );
        }
    }
}
