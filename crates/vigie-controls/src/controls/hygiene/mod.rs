//! Hygiene: where objects live and how they are labelled.

pub(crate) mod workload_in_default_namespace;
