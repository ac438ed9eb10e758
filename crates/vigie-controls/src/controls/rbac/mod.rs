//! Access control: what RBAC bindings let subjects do, service accounts and
//! their tokens, and the admission policies namespaces enforce.

pub(crate) mod anonymous_binding;
pub(crate) mod authenticated_group_sensitive;
pub(crate) mod bound_token_mounted;
pub(crate) mod cluster_admin_binding;
pub(crate) mod cluster_wide_admin;
pub(crate) mod dashboard_binding;
pub(crate) mod default_account_automount;
pub(crate) mod default_account_bound;
pub(crate) mod missing_service_account;
pub(crate) mod model;
pub(crate) mod modify_coredns;
pub(crate) mod mutating_webhooks;
pub(crate) mod namespace_without_service_account;
pub(crate) mod pod_security_admission;
pub(crate) mod pod_security_below_baseline;
pub(crate) mod pod_security_below_restricted;
pub(crate) mod pod_security_not_enforced;
pub(crate) mod service_account_permissions;
pub(crate) mod service_accounts;
mod subject_can;
pub(crate) mod validating_webhooks;
pub(crate) mod workload_admin_role;
pub(crate) mod workload_grants;
pub(crate) mod workload_takeover_role;
pub(crate) mod workload_token_automount;

/// The controls of this category with a file of their own (register new ones
/// here); the "subject can X" controls are the rows of [`subject_can`].
pub(crate) static CONTROLS: [crate::control::Control; 20] = [
    cluster_admin_binding::CONTROL,
    modify_coredns::CONTROL,
    cluster_wide_admin::CONTROL,
    anonymous_binding::CONTROL,
    authenticated_group_sensitive::CONTROL,
    service_account_permissions::CONTROL,
    default_account_bound::CONTROL,
    default_account_automount::CONTROL,
    workload_token_automount::CONTROL,
    bound_token_mounted::CONTROL,
    missing_service_account::CONTROL,
    namespace_without_service_account::CONTROL,
    validating_webhooks::CONTROL,
    pod_security_not_enforced::CONTROL,
    pod_security_below_baseline::CONTROL,
    pod_security_below_restricted::CONTROL,
    dashboard_binding::CONTROL,
    mutating_webhooks::CONTROL,
    workload_admin_role::CONTROL,
    workload_takeover_role::CONTROL,
];

/// The "subject can X" controls.
pub(crate) use subject_can::CONTROLS as SUBJECT_CAN;
