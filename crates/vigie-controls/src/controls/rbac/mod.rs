//! Access control: what RBAC bindings let subjects do.

pub(crate) mod cluster_admin_binding;
pub(crate) mod model;
