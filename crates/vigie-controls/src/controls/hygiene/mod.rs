//! Hygiene: where objects live and how they are labelled.

mod default_namespace;
pub(crate) mod node_os_image;
pub(crate) mod object_in_default_namespace;
pub(crate) mod workload_in_default_namespace;

/// The controls of this category (register new ones here).
pub(crate) static CONTROLS: [crate::control::Control; 3] = [
    workload_in_default_namespace::CONTROL,
    object_in_default_namespace::CONTROL,
    node_os_image::CONTROL,
];
