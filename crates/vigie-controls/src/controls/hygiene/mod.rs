//! Hygiene: where objects live and how they are labelled.

pub(crate) mod workload_in_default_namespace;

/// The controls of this category (register new ones here).
pub(crate) static CONTROLS: [crate::control::Control; 1] = [workload_in_default_namespace::CONTROL];
