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

pub(crate) mod serving_certificate_rotation;
pub(crate) mod setting;
mod settings;
pub(crate) mod tls_cipher_suites;

/// The controls that judge one field.
pub(crate) use settings::CONTROLS as SETTINGS;
