//! ## What it does
//! Fails pods that mount a `hostPath` volume.
//!
//! ## Why is this bad
//! A hostPath volume exposes the node's filesystem to the container: the container
//! runtime socket, kubelet credentials, other pods' data, or `/` itself. Writing to
//! it is a direct path to taking over the node.
//!
//! ## Example
//! ```yaml
//! volumes:
//! - name: docker
//!   hostPath:
//!     path: /var/run/docker.sock   # fails
//! ```
//! Use instead: `emptyDir`, a `persistentVolumeClaim`, a `configMap` or a `secret`.

use super::prelude::*;

/// How PSS-B04 judges a pod; what it says about itself is its row of [`ALL`](super::ALL).
pub(super) fn evaluate(pod: &Pod<'_>, _: Version, out: &mut Vec<Violation>) {
    let Some(volumes) = pod.spec().get("volumes") else {
        return;
    };
    for (i, volume) in volumes.items().iter().enumerate() {
        if let Some(host_path) = volume.get("hostPath") {
            let path = text_of(host_path, "path");
            let name = text_of(volume, "name");
            out.push(Violation {
                subject: None,
                path: pod.spec_path(&format!("volumes[{i}].hostPath")),
                pos: key_pos(volume, "hostPath"),
                message: format!("volume \"{name}\" mounts host path {path}"),
            });
        }
    }
}
