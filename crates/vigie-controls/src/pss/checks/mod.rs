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
    pub(super) use super::{linux_only_passes, unset_in_container};
    pub(super) use crate::pod::{describe_container, key_pos, text_of, Pod, Violation};
    pub(super) use crate::pss::version::Version;
    pub(super) use vigie_resource::{Entry, Node};
}

use crate::pod::{describe_container, Pod, Violation};
use crate::pss::check::Check;
use crate::pss::version::{Level, Version};
use vigie_finding::Severity;
use vigie_resource::ContainerRef;

/// Whether a check of Linux-only fields lets `pod` pass whole: from v1.25 the
/// restricted level exempts Windows pods from them.
fn linux_only_passes(pod: &Pod<'_>, version: Version) -> bool {
    version >= Version::v1(25) && pod.is_windows()
}

/// A violation on `key` of a container's security context, which the container
/// leaves unset with nothing from the pod to make up for it: pointed at its
/// `securityContext`, or at the container when it has none; `words` follow the
/// container's name.
fn unset_in_container(
    pod: &Pod<'_>,
    container: &ContainerRef<'_>,
    key: &str,
    words: &str,
) -> Violation {
    Violation::new(
        pod.container_path(container, &format!("securityContext.{key}")),
        container
            .security_context()
            .map_or(container.node.pos, |sc| sc.pos),
        format!("{} {words}", describe_container(container)),
    )
}

/// Every check, baseline first, in ID order: what each says about itself
/// (IDs, title, level, the version it came in, fix), where its documentation
/// is (the `//!` comment of its file) and how it judges a pod (the file's
/// `evaluate`). One table rather than a `Check` literal at the top of each file:
/// the descriptive fields are data of the same shape for every check, and
/// compare best side by side; the file keeps the check's documentation and logic.
pub(crate) static ALL: [Check; 19] = [
    Check {
        id: "PSS-B01",
        k8s_id: "hostNamespaces",
        control_name: "Host Namespaces",
        title: "Host namespaces shared",
        level: Level::Baseline,
        since: Version::v1(0),
        overrides: None,
        severity: Severity::High,
        remediation: "Remove hostNetwork, hostPID and hostIPC from the pod spec, or set them to false.",
        doc: include_str!("host_namespaces.rs"),
        evaluate: host_namespaces::evaluate,
    },
    Check {
        id: "PSS-B02",
        k8s_id: "privileged",
        control_name: "Privileged Containers",
        title: "Privileged container",
        level: Level::Baseline,
        since: Version::v1(0),
        overrides: None,
        severity: Severity::Critical,
        remediation: "Remove securityContext.privileged or set it to false.",
        doc: include_str!("privileged.rs"),
        evaluate: privileged::evaluate,
    },
    Check {
        id: "PSS-B03",
        k8s_id: "capabilities_baseline",
        control_name: "Capabilities",
        title: "Capability added beyond the default set",
        level: Level::Baseline,
        since: Version::v1(0),
        overrides: None,
        severity: Severity::High,
        remediation: "Remove the capability from securityContext.capabilities.add; only the runtime's default capabilities may be added.",
        doc: include_str!("capabilities_baseline.rs"),
        evaluate: capabilities_baseline::evaluate,
    },
    Check {
        id: "PSS-B04",
        k8s_id: "hostPathVolumes",
        control_name: "HostPath Volumes",
        title: "hostPath volume",
        level: Level::Baseline,
        since: Version::v1(0),
        overrides: None,
        severity: Severity::High,
        remediation: "Replace the hostPath volume with emptyDir, a PersistentVolumeClaim, a ConfigMap or a Secret.",
        doc: include_str!("host_path_volumes.rs"),
        evaluate: host_path_volumes::evaluate,
    },
    Check {
        id: "PSS-B05",
        k8s_id: "hostPorts",
        control_name: "Host Ports",
        title: "Host port",
        level: Level::Baseline,
        since: Version::v1(0),
        overrides: None,
        severity: Severity::Medium,
        remediation: "Remove hostPort (or set it to 0) and expose the pod through a Service.",
        doc: include_str!("host_ports.rs"),
        evaluate: host_ports::evaluate,
    },
    Check {
        id: "PSS-B06",
        k8s_id: "appArmorProfile",
        control_name: "AppArmor",
        title: "AppArmor disabled or overridden",
        level: Level::Baseline,
        since: Version::v1(0),
        overrides: None,
        severity: Severity::Medium,
        remediation:
            "Use the RuntimeDefault AppArmor profile (or a Localhost profile), or leave it unset.",
        doc: include_str!("app_armor.rs"),
        evaluate: app_armor::evaluate,
    },
    Check {
        id: "PSS-B07",
        k8s_id: "seLinuxOptions",
        control_name: "SELinux",
        title: "Custom SELinux user, role or type",
        level: Level::Baseline,
        since: Version::v1(0),
        overrides: None,
        severity: Severity::Medium,
        remediation: "Remove seLinuxOptions.user and seLinuxOptions.role, and use a container SELinux type (container_t, container_init_t, container_kvm_t) or none.",
        doc: include_str!("se_linux.rs"),
        evaluate: se_linux::evaluate,
    },
    Check {
        id: "PSS-B08",
        k8s_id: "procMount",
        control_name: "/proc Mount Type",
        title: "Unmasked /proc mount",
        level: Level::Baseline,
        since: Version::v1(0),
        overrides: None,
        severity: Severity::Medium,
        remediation: "Remove securityContext.procMount or set it to Default (or run the pod with hostUsers: false).",
        doc: include_str!("proc_mount.rs"),
        evaluate: proc_mount::evaluate,
    },
    Check {
        id: "PSS-B09",
        k8s_id: "seccompProfile_baseline",
        control_name: "Seccomp",
        title: "Seccomp disabled",
        level: Level::Baseline,
        since: Version::v1(0),
        overrides: None,
        severity: Severity::Medium,
        remediation: "Set securityContext.seccompProfile.type to RuntimeDefault (or Localhost) instead of Unconfined.",
        doc: include_str!("seccomp_baseline.rs"),
        evaluate: seccomp_baseline::evaluate,
    },
    Check {
        id: "PSS-B10",
        k8s_id: "sysctls",
        control_name: "Sysctls",
        title: "Unsafe sysctl",
        level: Level::Baseline,
        since: Version::v1(0),
        overrides: None,
        severity: Severity::Medium,
        remediation: "Remove the sysctl from securityContext.sysctls, or set it on the node instead.",
        doc: include_str!("sysctls.rs"),
        evaluate: sysctls::evaluate,
    },
    Check {
        id: "PSS-B11",
        k8s_id: "windowsHostProcess",
        control_name: "HostProcess",
        title: "Windows HostProcess container",
        level: Level::Baseline,
        since: Version::v1(0),
        overrides: None,
        severity: Severity::Critical,
        remediation: "Remove windowsOptions.hostProcess or set it to false.",
        doc: include_str!("windows_host_process.rs"),
        evaluate: windows_host_process::evaluate,
    },
    Check {
        id: "PSS-B12",
        k8s_id: "hostProbesAndHostLifecycle",
        control_name: "Host Probes / Lifecycle Hooks",
        title: "Probe or lifecycle hook targets another host",
        level: Level::Baseline,
        since: Version::v1(34),
        overrides: None,
        severity: Severity::Medium,
        remediation: "Remove the host field from httpGet and tcpSocket probes and lifecycle hooks.",
        doc: include_str!("host_probes_lifecycle.rs"),
        evaluate: host_probes_lifecycle::evaluate,
    },
    Check {
        id: "PSS-R01",
        k8s_id: "restrictedVolumes",
        control_name: "Volume Types",
        title: "Volume type not allowed",
        level: Level::Restricted,
        since: Version::v1(0),
        overrides: Some("hostPathVolumes"),
        severity: Severity::Medium,
        remediation: "Use only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected or secret volumes; reach other storage through a PersistentVolumeClaim.",
        doc: include_str!("volume_types.rs"),
        evaluate: volume_types::evaluate,
    },
    Check {
        id: "PSS-R02",
        k8s_id: "allowPrivilegeEscalation",
        control_name: "Privilege Escalation",
        title: "Privilege escalation allowed",
        level: Level::Restricted,
        since: Version::v1(8),
        overrides: None,
        severity: Severity::Medium,
        remediation: "Set securityContext.allowPrivilegeEscalation: false on every container.",
        doc: include_str!("privilege_escalation.rs"),
        evaluate: privilege_escalation::evaluate,
    },
    Check {
        id: "PSS-R03",
        k8s_id: "runAsNonRoot",
        control_name: "Running as Non-root",
        title: "Containers may run as root",
        level: Level::Restricted,
        since: Version::v1(0),
        overrides: None,
        severity: Severity::Medium,
        remediation: "Set securityContext.runAsNonRoot: true on the pod (and do not set it to false on a container).",
        doc: include_str!("run_as_non_root.rs"),
        evaluate: run_as_non_root::evaluate,
    },
    Check {
        id: "PSS-R04",
        k8s_id: "runAsUser",
        control_name: "Running as Non-root user",
        title: "Runs as UID 0",
        level: Level::Restricted,
        since: Version::v1(23),
        overrides: None,
        severity: Severity::High,
        remediation: "Set runAsUser to a non-zero UID, or remove it and rely on runAsNonRoot: true.",
        doc: include_str!("run_as_user.rs"),
        evaluate: run_as_user::evaluate,
    },
    Check {
        id: "PSS-R05",
        k8s_id: "seccompProfile_restricted",
        control_name: "Seccomp",
        title: "Seccomp profile not set",
        level: Level::Restricted,
        since: Version::v1(19),
        overrides: Some("seccompProfile_baseline"),
        severity: Severity::Medium,
        remediation: "Set securityContext.seccompProfile.type: RuntimeDefault on the pod (or Localhost with a profile).",
        doc: include_str!("seccomp_restricted.rs"),
        evaluate: seccomp_restricted::evaluate,
    },
    Check {
        id: "PSS-R06",
        k8s_id: "capabilities_restricted",
        control_name: "Capabilities",
        title: "Capabilities not dropped",
        level: Level::Restricted,
        since: Version::v1(22),
        overrides: Some("capabilities_baseline"),
        severity: Severity::Medium,
        remediation: "Set securityContext.capabilities.drop: [\"ALL\"] and add back only NET_BIND_SERVICE if the process binds a low port.",
        doc: include_str!("capabilities_restricted.rs"),
        evaluate: capabilities_restricted::evaluate,
    },
    Check {
        id: "PSS-R07",
        k8s_id: "procMount_restricted",
        control_name: "/proc Mount Type",
        title: "Unmasked /proc mount (restricted)",
        level: Level::Restricted,
        since: Version::v1(35),
        overrides: Some("procMount"),
        severity: Severity::Medium,
        remediation: "Remove securityContext.procMount or set it to Default.",
        doc: include_str!("proc_mount_restricted.rs"),
        evaluate: proc_mount_restricted::evaluate,
    },
];
