//! Access control: what RBAC bindings let subjects do, service accounts and
//! their tokens, and the admission policies namespaces enforce.

pub(crate) mod anonymous_binding;
pub(crate) mod approve_csr;
pub(crate) mod authenticated_group_sensitive;
pub(crate) mod bind_escalate;
pub(crate) mod bound_token_mounted;
pub(crate) mod cluster_admin_binding;
pub(crate) mod cluster_wide_admin;
pub(crate) mod create_persistent_volumes;
pub(crate) mod create_pods;
pub(crate) mod create_service_account_tokens;
pub(crate) mod dashboard_binding;
pub(crate) mod default_account_automount;
pub(crate) mod default_account_bound;
pub(crate) mod delete_events;
pub(crate) mod delete_rights;
pub(crate) mod exec_into_pods;
pub(crate) mod impersonate;
pub(crate) mod missing_service_account;
pub(crate) mod model;
pub(crate) mod modify_admission_webhooks;
pub(crate) mod modify_coredns;
pub(crate) mod mutating_webhooks;
pub(crate) mod namespace_without_service_account;
pub(crate) mod node_proxy;
pub(crate) mod pod_security_admission;
pub(crate) mod pod_security_below_baseline;
pub(crate) mod pod_security_below_restricted;
pub(crate) mod pod_security_not_enforced;
pub(crate) mod port_forward;
pub(crate) mod read_secrets;
pub(crate) mod service_account_permissions;
pub(crate) mod service_accounts;
pub(crate) mod validating_webhooks;
pub(crate) mod workload_admin_role;
pub(crate) mod workload_grants;
pub(crate) mod workload_takeover_role;
pub(crate) mod workload_token_automount;

/// The controls of this category (register new ones here).
pub(crate) static CONTROLS: [crate::control::Control; 33] = [
    cluster_admin_binding::CONTROL,
    read_secrets::CONTROL,
    node_proxy::CONTROL,
    approve_csr::CONTROL,
    bind_escalate::CONTROL,
    create_persistent_volumes::CONTROL,
    create_service_account_tokens::CONTROL,
    delete_events::CONTROL,
    impersonate::CONTROL,
    modify_admission_webhooks::CONTROL,
    modify_coredns::CONTROL,
    create_pods::CONTROL,
    exec_into_pods::CONTROL,
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
    port_forward::CONTROL,
    delete_rights::CONTROL,
    dashboard_binding::CONTROL,
    mutating_webhooks::CONTROL,
    workload_admin_role::CONTROL,
    workload_takeover_role::CONTROL,
];
