//! Control plane: flags of the API server, controller manager, scheduler and
//! etcd, read from their static pod manifests, and kube-proxy's configuration.
//!
//! Most controls here are a [`flag_rule::FlagRule`]: a statement of which flag
//! must hold which value, evaluated by one shared function.

pub(crate) mod admission_always_admit;
pub(crate) mod admission_always_pull_images;
pub(crate) mod admission_event_rate_limit;
pub(crate) mod admission_namespace_lifecycle;
pub(crate) mod admission_node_restriction;
pub(crate) mod admission_security_context_deny;
pub(crate) mod admission_service_account;
pub(crate) mod api_server_anonymous_auth;
pub(crate) mod api_server_audit_log_maxage;
pub(crate) mod api_server_audit_log_maxbackup;
pub(crate) mod api_server_audit_log_maxsize;
pub(crate) mod api_server_audit_log_path;
pub(crate) mod api_server_audit_policy;
pub(crate) mod api_server_authorization_always_allow;
pub(crate) mod api_server_authorization_node;
pub(crate) mod api_server_authorization_rbac;
pub(crate) mod api_server_deny_service_external_ips;
pub(crate) mod api_server_encryption_at_rest;
pub(crate) mod api_server_etcd_tls;
pub(crate) mod api_server_extend_token_expiration;
pub(crate) mod api_server_insecure_port;
pub(crate) mod api_server_kubelet_certificate_authority;
pub(crate) mod api_server_kubelet_client_cert;
pub(crate) mod api_server_request_timeout;
pub(crate) mod api_server_secure_port_disabled;
pub(crate) mod api_server_service_account_key_file;
pub(crate) mod api_server_service_account_lookup;
pub(crate) mod api_server_tls;
pub(crate) mod api_server_tls_cipher_suites;
pub(crate) mod api_server_token_auth_file;
pub(crate) mod args;
pub(crate) mod bind_address_not_localhost;
pub(crate) mod controller_manager_rotate_kubelet_server_certificate;
pub(crate) mod controller_manager_service_account_credentials;
pub(crate) mod controller_manager_terminated_pod_gc;
pub(crate) mod etcd_auto_tls;
pub(crate) mod etcd_client_cert_auth;
pub(crate) mod etcd_client_tls;
pub(crate) mod etcd_peer_client_cert_auth;
pub(crate) mod etcd_peer_tls;
pub(crate) mod etcd_unique_ca;
pub(crate) mod flag_rule;
pub(crate) mod kube_proxy_metrics_bind_address;
pub(crate) mod profiling_enabled;

use crate::control::Control;

/// The controls of this category, in ID order (register new ones here).
pub(crate) static CONTROLS: [Control; 42] = [
    api_server_anonymous_auth::CONTROL,
    api_server_token_auth_file::CONTROL,
    api_server_deny_service_external_ips::CONTROL,
    api_server_kubelet_client_cert::CONTROL,
    api_server_kubelet_certificate_authority::CONTROL,
    api_server_authorization_always_allow::CONTROL,
    api_server_authorization_node::CONTROL,
    api_server_authorization_rbac::CONTROL,
    admission_event_rate_limit::CONTROL,
    admission_always_admit::CONTROL,
    admission_always_pull_images::CONTROL,
    admission_security_context_deny::CONTROL,
    admission_service_account::CONTROL,
    admission_namespace_lifecycle::CONTROL,
    admission_node_restriction::CONTROL,
    profiling_enabled::CONTROL,
    api_server_secure_port_disabled::CONTROL,
    api_server_audit_log_path::CONTROL,
    api_server_audit_log_maxage::CONTROL,
    api_server_audit_log_maxbackup::CONTROL,
    api_server_audit_log_maxsize::CONTROL,
    api_server_request_timeout::CONTROL,
    api_server_service_account_lookup::CONTROL,
    api_server_service_account_key_file::CONTROL,
    api_server_etcd_tls::CONTROL,
    api_server_tls::CONTROL,
    api_server_encryption_at_rest::CONTROL,
    api_server_tls_cipher_suites::CONTROL,
    api_server_extend_token_expiration::CONTROL,
    api_server_audit_policy::CONTROL,
    api_server_insecure_port::CONTROL,
    controller_manager_rotate_kubelet_server_certificate::CONTROL,
    bind_address_not_localhost::CONTROL,
    controller_manager_terminated_pod_gc::CONTROL,
    controller_manager_service_account_credentials::CONTROL,
    etcd_client_tls::CONTROL,
    etcd_client_cert_auth::CONTROL,
    etcd_auto_tls::CONTROL,
    etcd_peer_tls::CONTROL,
    etcd_peer_client_cert_auth::CONTROL,
    kube_proxy_metrics_bind_address::CONTROL,
    etcd_unique_ca::CONTROL,
];
