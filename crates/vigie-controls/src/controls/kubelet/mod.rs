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

pub(crate) mod authorization_always_allow;
mod boolean_settings;
pub(crate) mod client_ca_file;
pub(crate) mod event_record_qps;
pub(crate) mod pod_pids_limit;
pub(crate) mod read_only_port;
pub(crate) mod serving_certificate_rotation;
pub(crate) mod setting;
pub(crate) mod streaming_idle_timeout;
pub(crate) mod tls_cipher_suites;

use crate::control::Control;

/// The controls of this category with a file of their own, in ID order
/// (register new ones here); those that require one boolean field are the rows
/// of [`boolean_settings`].
pub(crate) static CONTROLS: [Control; 8] = [
    authorization_always_allow::CONTROL,
    client_ca_file::CONTROL,
    read_only_port::CONTROL,
    streaming_idle_timeout::CONTROL,
    event_record_qps::CONTROL,
    serving_certificate_rotation::CONTROL,
    tls_cipher_suites::CONTROL,
    pod_pids_limit::CONTROL,
];

/// The controls that require one boolean field.
pub(crate) use boolean_settings::CONTROLS as BOOLEAN_SETTINGS;
