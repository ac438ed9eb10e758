//! Access control: what RBAC bindings let subjects do.

pub(crate) mod cluster_admin_binding;
pub(crate) mod model;

/// The controls of this category (register new ones here).
pub(crate) static CONTROLS: [crate::control::Control; 1] = [cluster_admin_binding::CONTROL];
