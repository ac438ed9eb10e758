//! ## What it does
//! Fails pods with a volume of a type other than `configMap`, `csi`, `downwardAPI`,
//! `emptyDir`, `ephemeral`, `persistentVolumeClaim`, `projected` and `secret`.
//! At the restricted level this replaces the baseline hostPath check (PSS-B04),
//! since hostPath is one of the refused types.
//!
//! ## Why is this bad
//! The other volume types reach storage directly from the node (NFS, iSCSI, cloud
//! disks, git repositories cloned by the kubelet, host paths) and bypass the
//! access control that PersistentVolumeClaims give.
//!
//! ## Example
//! ```yaml
//! volumes:
//! - name: data
//!   nfs:   # fails
//!     server: nfs.example.com
//!     path: /exports
//! ```
//! Use instead: a `persistentVolumeClaim` bound to an NFS PersistentVolume.

use super::prelude::*;

const ALLOWED: [&str; 8] = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// How PSS-R01 judges a pod; what it says about itself is its row of [`ALL`](super::ALL).
pub(super) fn evaluate(pod: &Pod<'_>, _: Version, out: &mut Vec<Violation>) {
    let Some(volumes) = pod.spec().get("volumes") else {
        return;
    };
    for (i, volume) in volumes.items().iter().enumerate() {
        let sources: Vec<&Entry> = volume
            .as_map()
            .unwrap_or(&[])
            .iter()
            .filter(|e| e.key != "name" && !e.value.is_null())
            .collect();
        // A volume with no source at all is defaulted to emptyDir by the API server.
        if sources.is_empty() || sources.iter().any(|e| ALLOWED.contains(&e.key.as_str())) {
            continue;
        }
        let name = text_of(volume, "name");
        let source = sources[0];
        out.push(Violation {
            subject: None,
            path: pod.spec_path(&format!("volumes[{i}].{}", source.key)),
            pos: source.key_pos,
            message: format!("volume \"{name}\" is of type {}", source.key),
        });
    }
}
