//! vigie's posture controls, one per file, grouped by what they look at.

mod common;
mod control_plane;
mod hygiene;
mod rbac;
mod workload;

#[allow(unused_imports)] // each control file takes what it needs
mod prelude {
    pub(super) use crate::config::Config;
    pub(super) use crate::control::{ClusterOutcome, Control, Evaluator, Inventory, Refs};
    pub(super) use crate::pod::{describe_container, key_pos, Pod, Subject, Violation};
    pub(super) use vigie_finding::Severity;
    pub(super) use vigie_resource::{pod_template, Node, Resource};
}

use crate::control::Control;

/// Every posture control, in ID order.
pub fn all() -> &'static [Control] {
    &ALL
}

static ALL: [Control; 4] = [
    workload::privileged_container::CONTROL,
    rbac::cluster_admin_binding::CONTROL,
    control_plane::api_server_anonymous_auth::CONTROL,
    hygiene::workload_in_default_namespace::CONTROL,
];

/// Looks a control up by ID (case-insensitive).
pub fn find(id: &str) -> Option<&'static Control> {
    all().iter().find(|c| c.id.eq_ignore_ascii_case(id))
}
