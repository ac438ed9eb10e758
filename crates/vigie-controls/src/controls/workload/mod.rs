//! Workload hardening: how pods run, what they mount, which images they use.

pub(crate) mod helpers;

pub(crate) mod allowed_registries;
pub(crate) mod cloud_credentials_mount;
pub(crate) mod cron_job;
pub(crate) mod dashboard_service_account;
pub(crate) mod deprecated_k8s_registry;
pub(crate) mod deprecated_service_account_field;
pub(crate) mod duplicate_env;
pub(crate) mod fs_group;
pub(crate) mod fs_group_change_policy;
pub(crate) mod host_network;
pub(crate) mod host_pid_ipc;
pub(crate) mod host_port;
pub(crate) mod image_cve;
pub(crate) mod image_not_pinned;
pub(crate) mod ingress_nginx_eol;
pub(crate) mod ingress_nginx_snippets_cve;
pub(crate) mod insecure_capabilities;
pub(crate) mod k8s_common_labels;
pub(crate) mod latest_without_always_pull;
pub(crate) mod linux_hardening;
pub(crate) mod liveness_probe;
pub(crate) mod mismatching_selector;
pub(crate) mod mounted_config_map;
pub(crate) mod mounted_pvc;
pub(crate) mod naked_pod;
pub(crate) mod net_raw_capability;
pub(crate) mod privileged_container;
mod psp;
mod pss_alike;
pub(crate) mod readiness_probe;
pub(crate) mod recommended_labels;
pub(crate) mod recreate_strategy;
mod resource_bounds;
pub(crate) mod root_supplemental_group;
pub(crate) mod run_as_root;
pub(crate) mod runtime_socket_mount;
pub(crate) mod sandbox;
pub(crate) mod sandbox_egress;
pub(crate) mod sandbox_image_tag;
pub(crate) mod sandbox_registry;
pub(crate) mod sandbox_runtime_class;
pub(crate) mod sandbox_runtime_hardened;
pub(crate) mod seccomp_profile;
pub(crate) mod seccomp_runtime_default;
pub(crate) mod selinux_options;
pub(crate) mod subpath_cve;
pub(crate) mod sudo_entrypoint;
pub(crate) mod windows_gmsa;
pub(crate) mod windows_run_as_user;
pub(crate) mod writable_host_path;
pub(crate) mod writable_root_filesystem;

/// The controls of this category with a file of their own (register new ones
/// here), in ID order; the PodSecurityPolicy controls, the CPU/memory controls
/// (sandbox ceilings included), the controls a Pod Security check answers and
/// those of known-vulnerable images are the rows of [`psp`],
/// [`resource_bounds`], [`pss_alike`] and [`image_cve`].
pub(crate) static CONTROLS: [crate::control::Control; 46] = [
    privileged_container::CONTROL,
    host_pid_ipc::CONTROL,
    writable_host_path::CONTROL,
    runtime_socket_mount::CONTROL,
    cloud_credentials_mount::CONTROL,
    host_port::CONTROL,
    run_as_root::CONTROL,
    writable_root_filesystem::CONTROL,
    net_raw_capability::CONTROL,
    linux_hardening::CONTROL,
    seccomp_profile::CONTROL,
    seccomp_runtime_default::CONTROL,
    selinux_options::CONTROL,
    fs_group::CONTROL,
    root_supplemental_group::CONTROL,
    windows_gmsa::CONTROL,
    windows_run_as_user::CONTROL,
    liveness_probe::CONTROL,
    readiness_probe::CONTROL,
    allowed_registries::CONTROL,
    deprecated_k8s_registry::CONTROL,
    image_not_pinned::CONTROL,
    latest_without_always_pull::CONTROL,
    ingress_nginx_eol::CONTROL,
    ingress_nginx_snippets_cve::CONTROL,
    subpath_cve::CONTROL,
    duplicate_env::CONTROL,
    naked_pod::CONTROL,
    recreate_strategy::CONTROL,
    recommended_labels::CONTROL,
    k8s_common_labels::CONTROL,
    dashboard_service_account::CONTROL,
    mounted_pvc::CONTROL,
    sandbox_runtime_class::CONTROL,
    host_network::CONTROL,
    insecure_capabilities::CONTROL,
    sudo_entrypoint::CONTROL,
    fs_group_change_policy::CONTROL,
    mounted_config_map::CONTROL,
    deprecated_service_account_field::CONTROL,
    mismatching_selector::CONTROL,
    cron_job::CONTROL,
    sandbox_runtime_hardened::CONTROL,
    sandbox_registry::CONTROL,
    sandbox_image_tag::CONTROL,
    sandbox_egress::CONTROL,
];

/// The controls of known-vulnerable images.
pub(crate) use image_cve::CONTROLS as IMAGE_CVE;
/// The PodSecurityPolicy controls.
pub(crate) use psp::CONTROLS as PSP;
/// The controls a Pod Security Standards check answers.
pub(crate) use pss_alike::CONTROLS as PSS_ALIKE;
/// The CPU and memory controls.
pub(crate) use resource_bounds::CONTROLS as RESOURCE_BOUNDS;
