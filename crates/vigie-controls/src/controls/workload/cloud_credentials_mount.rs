//! ## What it does
//! Flags workloads with a `hostPath` volume that exposes the cloud credentials
//! kept on nodes: the AWS CLI files (`/.aws/credentials`, `/.aws/config`), the
//! Azure files (`/etc/kubernetes/azure.json`, `/.azure/credentials`) and the
//! Google Cloud application default credentials, whether the volume is that file
//! or one of its parent directories (`/etc`, `/.aws`, `/`).
//!
//! ## Why is this bad
//! These files hold the node's (often the cluster's) cloud identity: with them a
//! container can act on the cloud account outside Kubernetes: read buckets,
//! create instances, or reach other clusters.
//!
//! ## Example
//! ```yaml
//! volumes:
//! - name: aws
//!   hostPath: {path: /.aws/}   # flagged
//! ```
//! Use instead: workload identity (IRSA / EKS Pod Identity, Azure Workload
//! Identity, GKE Workload Identity), which gives the pod its own scoped identity.
//!
//! ## References
//! Kubescape C-0020; NSA/CISA "Pod security"; MITRE ATT&CK T1552.001
//! (Credentials in Files), T1552.005 (Cloud Instance Metadata API).
//! Unlike Kubescape, vigie does not know which cloud the manifests are for, so it
//! checks the locations of all three providers.

use super::super::prelude::*;
use super::helpers::{host_path_volumes, volume_violation};
use crate::controls::common::pod_evaluator;

/// How VG-W006 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

/// Where the cloud providers' node images and CLIs keep credentials.
const CREDENTIAL_FILES: [&str; 10] = [
    "/.aws/credentials",
    "/.aws/config",
    "/root/.aws/credentials",
    "/root/.aws/config",
    "/etc/kubernetes/azure.json",
    "/.azure/credentials",
    "/root/.azure/credentials",
    "/.config/gcloud/application_default_credentials.json",
    "/root/.config/gcloud/application_default_credentials.json",
    "/gcloud/application_default_credentials.json",
];

/// The credential file `host_path` is, or contains.
fn exposed_file(host_path: &str) -> Option<&'static str> {
    let dir = host_path.trim_end_matches('/');
    CREDENTIAL_FILES.iter().copied().find(|file| {
        *file == dir
            || file
                .strip_prefix(dir)
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

fn evaluate(pod: &Pod<'_>, _: &Config, out: &mut Vec<Violation>) {
    for (volume, path) in host_path_volumes(pod) {
        if let Some(file) = exposed_file(path) {
            out.push(volume_violation(
                pod,
                &volume,
                format!(
                    "volume \"{}\" mounts host path {path}, which exposes {file}",
                    volume.name
                ),
            ));
        }
    }
}
