//! Hygiene: where objects live and how they are labelled.

pub(crate) mod containerd_cve;
mod default_namespace;
pub(crate) mod fargate_not_used;
pub(crate) mod namespace_review;
pub(crate) mod node_os_image;
pub(crate) mod object_in_default_namespace;
pub(crate) mod outdated_kubernetes;
pub(crate) mod workload_in_default_namespace;
