//! Hygiene: where objects live and how they are labelled.

pub(crate) mod containerd_cve;
mod default_namespace;
pub(crate) mod fargate_not_used;
pub(crate) mod namespace_review;
pub(crate) mod node_os_image;
pub(crate) mod object_in_default_namespace;
pub(crate) mod outdated_kubernetes;
pub(crate) mod workload_in_default_namespace;

/// The controls of this category (register new ones here).
pub(crate) static CONTROLS: [crate::control::Control; 7] = [
    workload_in_default_namespace::CONTROL,
    object_in_default_namespace::CONTROL,
    node_os_image::CONTROL,
    namespace_review::CONTROL,
    outdated_kubernetes::CONTROL,
    containerd_cve::CONTROL,
    fargate_not_used::CONTROL,
];
