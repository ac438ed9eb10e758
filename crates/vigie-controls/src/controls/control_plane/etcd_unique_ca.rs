//! ## What it does
//! Flags etcd and the API server when etcd trusts the same certificate
//! authority for its clients (`--trusted-ca-file`) as the API server does for
//! its own clients (`--client-ca-file`).
//!
//! ## Why is this bad
//! etcd holds every Secret of the cluster and trusts any client certificate
//! signed by its CA. When that CA also signs the cluster's user and node
//! certificates, any of them (a kubelet's, a user's) can talk to etcd
//! directly, bypassing the API server's authentication, RBAC and audit.
//!
//! ## Example
//! ```yaml
//! # etcd
//! - --trusted-ca-file=/etc/kubernetes/pki/ca.crt        # flagged
//! # kube-apiserver
//! - --client-ca-file=/etc/kubernetes/pki/ca.crt
//! ```
//! Use instead: a dedicated CA for etcd (kubeadm's `pki/etcd/ca.crt`).
//!
//! ## References
//! Kubescape C-0159; CIS 2.7; NSA/CISA "Control plane hardening"; MITRE
//! ATT&CK T1552 (Unsecured Credentials).

use super::super::prelude::*;
use super::args::{component_args, Flag};
use super::flag_rule::{ETCD, KUBE_APISERVER};

/// How VG-C042 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Cluster {
    needs: &["Pod"],
    evaluate,
};

/// The value of `flag` for each static pod of `component`, by inventory index.
fn flag_values<'a>(
    inventory: &Inventory<'a>,
    component: &str,
    flag: &str,
) -> Vec<(usize, Flag<'a>)> {
    inventory
        .of_kind(&["Pod"])
        .filter_map(|(i, pod)| {
            let args = component_args(pod, component)?;
            let flag = args.get(flag)?.clone();
            flag.value.is_some().then_some((i, flag))
        })
        .collect()
}

fn evaluate(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    let etcd = flag_values(inventory, ETCD, "trusted-ca-file");
    let api_servers = flag_values(inventory, KUBE_APISERVER, "client-ca-file");
    for (i, pod) in inventory.of_kind(&["Pod"]) {
        if component_args(pod, ETCD).is_some() || component_args(pod, KUBE_APISERVER).is_some() {
            out.evaluated.push(i);
        }
    }
    let mut flagged = std::collections::HashSet::new();
    for (etcd_index, etcd_flag) in &etcd {
        for (api_index, api_flag) in &api_servers {
            if etcd_flag.value != api_flag.value {
                continue;
            }
            let file = etcd_flag.value.unwrap_or_default();
            for (index, flag, role) in [
                (etcd_index, etcd_flag, "etcd trusts"),
                (api_index, api_flag, "the API server trusts"),
            ] {
                if flagged.insert(*index) {
                    out.violations.push((
                        *index,
                        Violation::new(
                            flag.path.clone(),
                            flag.pos,
                            format!(
                                "{role} client certificates signed by {file}, the CA both etcd and the API server use for their clients: any cluster certificate can reach etcd directly"
                            ),
                        ),
                    ));
                }
            }
        }
    }
}
