//! The Pod Security Standards checks, one per file.

mod app_armor;
mod capabilities_baseline;
mod capabilities_restricted;
mod host_namespaces;
mod host_path_volumes;
mod host_ports;
mod host_probes_lifecycle;
mod privilege_escalation;
mod privileged;
mod proc_mount;
mod proc_mount_restricted;
mod run_as_non_root;
mod run_as_user;
mod se_linux;
mod seccomp_baseline;
mod seccomp_restricted;
mod sysctls;
mod volume_types;
mod windows_host_process;

mod prelude {
    pub(super) use crate::pod::{describe_container, key_pos, Pod, Violation};
    pub(super) use crate::pss::check::Check;
    pub(super) use crate::pss::version::{Level, Version};
    pub(super) use vigie_finding::Severity;
    pub(super) use vigie_resource::{Entry, Node};
}

use crate::pss::check::Check;

/// Every check, baseline first, in ID order.
pub(crate) static ALL: [Check; 19] = [
    host_namespaces::CHECK,
    privileged::CHECK,
    capabilities_baseline::CHECK,
    host_path_volumes::CHECK,
    host_ports::CHECK,
    app_armor::CHECK,
    se_linux::CHECK,
    proc_mount::CHECK,
    seccomp_baseline::CHECK,
    sysctls::CHECK,
    windows_host_process::CHECK,
    host_probes_lifecycle::CHECK,
    volume_types::CHECK,
    privilege_escalation::CHECK,
    run_as_non_root::CHECK,
    run_as_user::CHECK,
    seccomp_restricted::CHECK,
    capabilities_restricted::CHECK,
    proc_mount_restricted::CHECK,
];
