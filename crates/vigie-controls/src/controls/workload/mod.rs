//! Workload hardening: how pods run.

pub(crate) mod privileged_container;
