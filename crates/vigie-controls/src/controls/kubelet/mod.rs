//! Kubelet: the `KubeletConfiguration` of a node.
//!
//! The same object comes from two places, and the controls cannot tell them
//! apart: a file (`vigie scan kubelet-config.yaml`), or a cluster, where
//! `vigie scan --cluster` reads each node's `/api/v1/nodes/NAME/proxy/configz`
//! and hands it over as a `KubeletConfiguration` named after the node.
//!
//! A field left out of a file takes the default of the `kubelet.config.k8s.io/v1beta1`
//! configuration file (which differs from the command line's for
//! `authentication.anonymous.enabled` and `readOnlyPort`); configz always
//! holds every field, with the value the kubelet runs with.

pub(crate) mod anonymous_auth;
pub(crate) mod authorization_always_allow;
pub(crate) mod client_ca_file;
pub(crate) mod client_certificate_rotation;
pub(crate) mod event_record_qps;
pub(crate) mod iptables_util_chains;
pub(crate) mod pod_pids_limit;
pub(crate) mod protect_kernel_defaults;
pub(crate) mod read_only_port;
pub(crate) mod serving_certificate_rotation;
pub(crate) mod setting;
pub(crate) mod streaming_idle_timeout;
pub(crate) mod tls_cipher_suites;

use crate::control::Control;

/// The controls of this category, in ID order (register new ones here).
pub(crate) static CONTROLS: [Control; 12] = [
    anonymous_auth::CONTROL,
    authorization_always_allow::CONTROL,
    client_ca_file::CONTROL,
    read_only_port::CONTROL,
    streaming_idle_timeout::CONTROL,
    protect_kernel_defaults::CONTROL,
    iptables_util_chains::CONTROL,
    event_record_qps::CONTROL,
    client_certificate_rotation::CONTROL,
    serving_certificate_rotation::CONTROL,
    tls_cipher_suites::CONTROL,
    pod_pids_limit::CONTROL,
];
