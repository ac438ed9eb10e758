//! ## What it does
//! Flags PersistentVolumes whose StorageClass (when the input holds it) does
//! not encrypt: no `encrypted: "true"` parameter (AWS EBS), and not an Azure
//! disk or GKE persistent-disk provisioner, which encrypt by default.
//!
//! ## Why is this bad
//! Unencrypted volumes keep databases, uploads and caches in clear on the cloud
//! provider's disks and in every snapshot taken of them; a leaked snapshot or a
//! mis-shared disk exposes the data directly.
//!
//! ## Example
//! ```yaml
//! kind: StorageClass
//! metadata: {name: gp3}
//! provisioner: ebs.csi.aws.com
//! parameters: {type: gp3}   # PersistentVolumes of this class are flagged
//! ```
//! Use instead: `parameters: {type: gp3, encrypted: "true"}` (with a `kmsKeyId`
//! of your own where required).
//!
//! ## References
//! Kubescape C-0264; NSA/CISA "Data protection"; MITRE ATT&CK T1530 (Data from
//! Cloud Storage).

use super::super::prelude::*;

/// How VG-N015 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: &["PersistentVolume", "StorageClass"],
    evaluate,
};

/// Provisioners that encrypt every volume at rest by default.
const ENCRYPTING_PROVISIONERS: &[&str] = &["azure", "csi.storage.gke.io"];

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    for (i, volume) in inventory.of_kind(&["PersistentVolume"]) {
        out.evaluated.push(i);
        let spec = volume.root.get("spec").unwrap_or(Node::null());
        let Some(class_name) = spec.get("storageClassName").and_then(Node::as_str) else {
            continue;
        };
        let Some((_, class)) = inventory.named("StorageClass", class_name).next() else {
            continue;
        };
        if encrypts(class) {
            continue;
        }
        out.violations.push((
            i,
            Violation::new(
                "spec.storageClassName",
                key_pos(spec, "storageClassName"),
                format!(
                    "PersistentVolume {} uses StorageClass {class_name}, which does not encrypt volumes",
                    volume.name
                ),
            ),
        ));
    }
}

fn encrypts(class: &Resource) -> bool {
    let encrypted = class
        .root
        .get_path(&["parameters", "encrypted"])
        .map(Node::display_value);
    let provisioner = class
        .root
        .get("provisioner")
        .and_then(Node::as_str)
        .unwrap_or("");
    encrypted.as_deref() == Some("true")
        || ENCRYPTING_PROVISIONERS
            .iter()
            .any(|p| provisioner.contains(p))
}
