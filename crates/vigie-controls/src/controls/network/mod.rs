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
