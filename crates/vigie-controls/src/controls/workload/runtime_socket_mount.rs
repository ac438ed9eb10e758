//! ## What it does
//! Flags workloads that mount the container runtime's socket or state directory
//! from the node: `/var/run/docker.sock`, `/var/run/docker`,
//! `/run/containerd/containerd.sock`, `/var/run/crio/crio.sock` (and their
//! `/run` and `/var/run` spellings).
//!
//! ## Why is this bad
//! Whoever talks to the runtime socket can start a privileged container with the
//! node's root filesystem mounted, read every other container's files and
//! environment, and stop them: it is root on the node.
//!
//! ## Example
//! ```yaml
//! volumes:
//! - name: docker
//!   hostPath: {path: /var/run/docker.sock}   # flagged
//! ```
//! Use instead: build images with a daemonless builder (BuildKit rootless,
//! Kaniko), and read container metadata through the Kubernetes API.
//!
//! ## References
//! Kubescape C-0074; CIS 5.2.12; NSA/CISA "Pod security"; MITRE ATT&CK T1611
//! (Escape to Host), T1610 (Deploy Container).

use super::super::prelude::*;
use super::helpers::{host_path_volumes, volume_violation};
use crate::controls::common::pod_evaluator;

/// How VG-W005 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

/// Runtime sockets and state directories, without the `/var` prefix that
/// `/var/run` (a symlink to `/run` on current distributions) may add.
const RUNTIME_PATHS: [&str; 4] = [
    "/run/docker.sock",
    "/run/docker",
    "/run/containerd/containerd.sock",
    "/run/crio/crio.sock",
];

fn evaluate(pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    for (volume, path) in host_path_volumes(pod) {
        let normalized = path.trim_end_matches('/');
        let normalized = normalized.strip_prefix("/var").unwrap_or(normalized);
        if RUNTIME_PATHS.contains(&normalized) {
            out.push(volume_violation(
                pod,
                &volume,
                format!(
                    "volume \"{}\" mounts the container runtime at {path}",
                    volume.name
                ),
            ));
        }
    }
}
