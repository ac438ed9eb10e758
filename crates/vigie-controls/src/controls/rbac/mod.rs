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

/// The "subject can X" controls.
pub(crate) use subject_can::CONTROLS as SUBJECT_CAN;
