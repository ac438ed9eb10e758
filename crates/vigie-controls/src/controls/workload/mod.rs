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

/// The controls of known-vulnerable images.
pub(crate) use image_cve::CONTROLS as IMAGE_CVE;
/// The PodSecurityPolicy controls.
pub(crate) use psp::CONTROLS as PSP;
/// The controls a Pod Security Standards check answers.
pub(crate) use pss_alike::CONTROLS as PSS_ALIKE;
/// The CPU and memory controls.
pub(crate) use resource_bounds::CONTROLS as RESOURCE_BOUNDS;
