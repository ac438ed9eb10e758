//! Network: how workloads are exposed and isolated (Services, Ingresses,
//! NetworkPolicies), and the objects that must point at an existing workload or
//! encrypt what they carry (autoscalers, volumes).

pub(crate) mod autoscaler_without_target;
pub(crate) mod aws_load_balancer_tls;
pub(crate) mod azure_load_balancer_tls;
pub(crate) mod cilium;
pub(crate) mod dangling_gateway_backend;
pub(crate) mod dangling_ingress_backend;
pub(crate) mod dangling_network_policy;
pub(crate) mod exposed_workload;
pub(crate) mod external_ips;
pub(crate) mod external_service;
pub(crate) mod gateway_api;
pub(crate) mod ingress_without_tls;
pub(crate) mod namespace_without_default_deny;
pub(crate) mod namespace_without_network_policy;
pub(crate) mod pod_labels;
pub(crate) mod routed_workload;
#[cfg(test)]
mod selection_tests;
pub(crate) mod selector;
pub(crate) mod sensitive_interface_exposed;
pub(crate) mod service_without_workload;
pub(crate) mod ssh_exposed;
pub(crate) mod topology;
pub(crate) mod volume_without_encryption;
pub(crate) mod workload_without_network_policy;

/// The controls of this category (register new ones here).
pub(crate) static CONTROLS: [crate::control::Control; 18] = [
    exposed_workload::CONTROL,
    external_service::CONTROL,
    external_ips::CONTROL,
    ingress_without_tls::CONTROL,
    namespace_without_default_deny::CONTROL,
    workload_without_network_policy::CONTROL,
    dangling_ingress_backend::CONTROL,
    dangling_network_policy::CONTROL,
    azure_load_balancer_tls::CONTROL,
    aws_load_balancer_tls::CONTROL,
    sensitive_interface_exposed::CONTROL,
    ssh_exposed::CONTROL,
    service_without_workload::CONTROL,
    autoscaler_without_target::CONTROL,
    volume_without_encryption::CONTROL,
    namespace_without_network_policy::CONTROL,
    dangling_gateway_backend::CONTROL,
    routed_workload::CONTROL,
];
