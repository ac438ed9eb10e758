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

use std::sync::LazyLock;

use crate::control::Control;

/// Every posture control, in ID order. Each category lists its own controls.
pub fn all() -> &'static [&'static Control] {
    static ALL: LazyLock<Vec<&'static Control>> = LazyLock::new(|| {
        let mut all: Vec<&'static Control> = [
            &workload::CONTROLS[..],
            &rbac::CONTROLS[..],
            &control_plane::CONTROLS[..],
            &hygiene::CONTROLS[..],
        ]
        .into_iter()
        .flatten()
        .collect();
        all.sort_by_key(|c| c.id);
        all
    });
    &ALL
}

/// Looks a control up by ID (case-insensitive).
pub fn find(id: &str) -> Option<&'static Control> {
    all()
        .iter()
        .copied()
        .find(|c| c.id.eq_ignore_ascii_case(id))
}
