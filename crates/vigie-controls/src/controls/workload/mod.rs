//! Workload hardening: how pods run.

pub(crate) mod privileged_container;

/// The controls of this category (register new ones here).
pub(crate) static CONTROLS: [crate::control::Control; 1] = [privileged_container::CONTROL];
