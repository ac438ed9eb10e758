//! The objects that run vigie: namespace, identity and permissions, the
//! Deployment and what keeps it available, the Service.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment,
};
use k8s_openapi::api::core::v1::{
    Affinity, Capabilities, ConfigMap, ConfigMapVolumeSource, Container, ContainerPort,
    EmptyDirVolumeSource, EnvVar, HTTPGetAction, Namespace, PodAffinityTerm, PodAntiAffinity,
    PodSecurityContext, PodSpec, PodTemplateSpec, Probe, ResourceRequirements, SeccompProfile,
    Secret, SecretVolumeSource, SecurityContext, Service, ServiceAccount, ServicePort, ServiceSpec,
    Volume, VolumeMount, WeightedPodAffinityTerm,
};
use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyIngressRule, NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use k8s_openapi::ByteString;

use super::{labels, metadata, AdmissionOptions, NAME};

/// The port vigie listens on in its container (unprivileged); the Service maps
/// 443 to it.
const CONTAINER_PORT: i32 = 9443;
const POLICIES_DIR: &str = "/etc/vigie/policies";
const TLS_DIR: &str = "/etc/vigie/tls";
/// A user and group with no meaning on the node (the distroless `nonroot` ids).
const RUN_AS: i64 = 65532;

fn tls_secret_name() -> String {
    format!("{NAME}-tls")
}

fn policies_config_map_name() -> String {
    format!("{NAME}-policies")
}

pub(super) fn namespace(options: &AdmissionOptions) -> Namespace {
    let mut meta = metadata(&options.namespace, None, options);
    // vigie's own Pods meet the restricted level: enforce it on the namespace.
    meta.labels.get_or_insert_with(BTreeMap::new).extend([
        (
            "pod-security.kubernetes.io/enforce".to_string(),
            "restricted".to_string(),
        ),
        (
            "pod-security.kubernetes.io/enforce-version".to_string(),
            "latest".to_string(),
        ),
    ]);
    Namespace {
        metadata: meta,
        ..Default::default()
    }
}

pub(super) fn service_account(options: &AdmissionOptions) -> ServiceAccount {
    ServiceAccount {
        metadata: metadata(NAME, Some(&options.namespace), options),
        // The Pod mounts the token itself (see `deployment`); nothing else should.
        automount_service_account_token: Some(false),
        ..Default::default()
    }
}

/// The container runtime's default seccomp profile, as the restricted Pod
/// Security level asks.
pub(crate) fn runtime_default_seccomp() -> Option<SeccompProfile> {
    Some(SeccompProfile {
        type_: "RuntimeDefault".into(),
        localhost_profile: None,
    })
}

/// Owned copies of `items`, as the API types hold them.
pub(crate) fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// An RBAC rule: `verbs` on `resources` of the API `groups`.
pub(crate) fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
    PolicyRule {
        api_groups: Some(strings(groups)),
        resources: Some(strings(resources)),
        verbs: strings(verbs),
        ..Default::default()
    }
}

/// What the server does with the API, and nothing more: it reads namespace labels
/// (for `namespaceSelector`), ConfigMaps (for `configMap` context) and role
/// bindings (the roles of a request's user, for `roles`/`clusterRoles`), reads
/// Kyverno policies, and writes policy reports of either API.
pub(super) fn cluster_role(options: &AdmissionOptions) -> ClusterRole {
    const READ: &[&str] = &["get", "list", "watch"];
    // delete: the report writer removes its own reports of namespaces that no
    // longer have results (it never touches another writer's reports).
    const WRITE_REPORTS: &[&str] = &["get", "list", "create", "update", "patch", "delete"];
    ClusterRole {
        metadata: metadata(NAME, None, options),
        rules: Some(vec![
            rule(&[""], &["namespaces", "configmaps"], READ),
            rule(
                &["rbac.authorization.k8s.io"],
                &["rolebindings", "clusterrolebindings"],
                READ,
            ),
            rule(&["kyverno.io"], &["clusterpolicies", "policies"], READ),
            // The policy objects `--watch-cluster` follows
            // (vigie_admission::POLICY_KINDS).
            rule(
                &["policies.kyverno.io"],
                &["validatingpolicies", "namespacedvalidatingpolicies"],
                READ,
            ),
            rule(
                &["admissionregistration.k8s.io"],
                &[
                    "validatingadmissionpolicies",
                    "validatingadmissionpolicybindings",
                ],
                READ,
            ),
            rule(
                &["openreports.io"],
                &["reports", "clusterreports"],
                WRITE_REPORTS,
            ),
            rule(
                &["wgpolicyk8s.io"],
                &["policyreports", "clusterpolicyreports"],
                WRITE_REPORTS,
            ),
        ]),
        ..Default::default()
    }
}

pub(super) fn cluster_role_binding(options: &AdmissionOptions) -> ClusterRoleBinding {
    bind_to_service_account(
        metadata(NAME, None, options),
        NAME,
        NAME,
        &options.namespace,
    )
}

/// Binds the ClusterRole `role` to the service account `account` of `namespace`.
pub(crate) fn bind_to_service_account(
    metadata: ObjectMeta,
    role: &str,
    account: &str,
    namespace: &str,
) -> ClusterRoleBinding {
    ClusterRoleBinding {
        metadata,
        role_ref: RoleRef {
            api_group: Some("rbac.authorization.k8s.io".into()),
            kind: "ClusterRole".into(),
            name: role.into(),
        },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".into(),
            name: account.into(),
            namespace: Some(namespace.into()),
            ..Default::default()
        }]),
    }
}

pub(super) fn policies_config_map(
    options: &AdmissionOptions,
    files: &BTreeMap<String, String>,
) -> ConfigMap {
    ConfigMap {
        metadata: metadata(
            &policies_config_map_name(),
            Some(&options.namespace),
            options,
        ),
        data: Some(files.clone()),
        ..Default::default()
    }
}

pub(super) fn tls_secret(options: &AdmissionOptions) -> Option<Secret> {
    let certs = options.certs.as_ref()?;
    let bytes = |text: &str| ByteString(text.as_bytes().to_vec());
    Some(Secret {
        metadata: metadata(&tls_secret_name(), Some(&options.namespace), options),
        type_: Some("kubernetes.io/tls".into()),
        data: Some(BTreeMap::from([
            ("ca.crt".to_string(), bytes(&certs.ca_pem)),
            ("tls.crt".to_string(), bytes(&certs.cert_pem)),
            ("tls.key".to_string(), bytes(&certs.key_pem)),
        ])),
        ..Default::default()
    })
}

fn selector() -> LabelSelector {
    LabelSelector {
        match_labels: Some(labels()),
        ..Default::default()
    }
}

fn https_probe(path: &str, period: i32, failures: i32) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.into()),
            port: IntOrString::String("https".into()),
            scheme: Some("HTTPS".into()),
            ..Default::default()
        }),
        period_seconds: Some(period),
        failure_threshold: Some(failures),
        timeout_seconds: Some(2),
        ..Default::default()
    }
}

pub(crate) fn quantities(cpu: &str, memory: &str) -> BTreeMap<String, Quantity> {
    BTreeMap::from([
        ("cpu".to_string(), Quantity(cpu.into())),
        ("memory".to_string(), Quantity(memory.into())),
    ])
}

/// The container security context of vigie's own workloads: the `restricted`
/// Pod Security level, read-only root, non-root user, no capabilities.
pub(crate) fn restricted_container_context() -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        privileged: Some(false),
        read_only_root_filesystem: Some(true),
        run_as_non_root: Some(true),
        run_as_user: Some(RUN_AS),
        run_as_group: Some(RUN_AS),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".into()]),
            add: None,
        }),
        seccomp_profile: runtime_default_seccomp(),
        ..Default::default()
    }
}

fn container(options: &AdmissionOptions) -> Container {
    // vigie answers (by each policy's failure action) before the API server gives
    // up on it, so a slow request gets vigie's verdict, not the failurePolicy.
    let budget_ms = i64::from(options.timeout_seconds) * 800;
    let args = [
        "admission",
        "serve",
        "--policies",
        POLICIES_DIR,
        "--listen",
        "0.0.0.0:9443",
        "--tls-cert",
        &format!("{TLS_DIR}/tls.crt"),
        "--tls-key",
        &format!("{TLS_DIR}/tls.key"),
        "--timeout",
        &format!("{budget_ms}ms"),
        // Namespace labels and ConfigMaps from the cluster (list + watch with the
        // Pod's service account, which the ClusterRole lets read them).
        "--watch-cluster",
    ]
    .map(str::to_string);
    Container {
        name: "vigie".into(),
        image: Some(options.image.clone()),
        image_pull_policy: Some("IfNotPresent".into()),
        args: Some(args.to_vec()),
        // mimalloc reads this before the program runs: arenas committed as they
        // are used, not up front, keep the RSS at what is in use (22 MiB rather
        // than 50 under load, docs/admission.md).
        env: Some(vec![EnvVar {
            name: "MIMALLOC_ARENA_EAGER_COMMIT".into(),
            value: Some("0".into()),
            ..Default::default()
        }]),
        ports: Some(vec![ContainerPort {
            name: Some("https".into()),
            container_port: CONTAINER_PORT,
            protocol: Some("TCP".into()),
            ..Default::default()
        }]),
        // Readiness goes false first on shutdown, so the endpoints drop the Pod
        // before it stops answering.
        readiness_probe: Some(https_probe("/readyz", 5, 2)),
        liveness_probe: Some(https_probe("/healthz", 10, 3)),
        resources: Some(ResourceRequirements {
            requests: Some(quantities("100m", "64Mi")),
            limits: Some(quantities("1", "256Mi")),
            ..Default::default()
        }),
        security_context: Some(restricted_container_context()),
        volume_mounts: Some(vec![
            read_only_mount("policies", POLICIES_DIR),
            read_only_mount("tls", TLS_DIR),
            writable_mount("tmp", "/tmp"),
        ]),
        ..Default::default()
    }
}

/// A volume mounted read-only at `path`.
pub(crate) fn read_only_mount(name: &str, path: &str) -> VolumeMount {
    VolumeMount {
        read_only: Some(true),
        ..writable_mount(name, path)
    }
}

/// A volume mounted at `path` the container may write to.
pub(crate) fn writable_mount(name: &str, path: &str) -> VolumeMount {
    VolumeMount {
        name: name.into(),
        mount_path: path.into(),
        ..Default::default()
    }
}

fn volumes() -> Vec<Volume> {
    vec![
        Volume {
            name: "policies".into(),
            config_map: Some(ConfigMapVolumeSource {
                name: policies_config_map_name(),
                ..Default::default()
            }),
            ..Default::default()
        },
        Volume {
            name: "tls".into(),
            secret: Some(SecretVolumeSource {
                secret_name: Some(tls_secret_name()),
                // Read by the container's group (fsGroup), by nobody else.
                default_mode: Some(0o440),
                ..Default::default()
            }),
            ..Default::default()
        },
        Volume {
            name: "tmp".into(),
            empty_dir: Some(EmptyDirVolumeSource {
                size_limit: Some(Quantity("64Mi".into())),
                ..Default::default()
            }),
            ..Default::default()
        },
    ]
}

pub(super) fn deployment(options: &AdmissionOptions) -> Deployment {
    let pod_labels = labels();
    Deployment {
        metadata: metadata(NAME, Some(&options.namespace), options),
        spec: DeploymentSpec {
            replicas: Some(options.replicas),
            selector: selector(),
            // One replica at a time, a new one ready before an old one goes.
            strategy: Some(DeploymentStrategy {
                type_: Some("RollingUpdate".into()),
                rolling_update: Some(RollingUpdateDeployment {
                    max_surge: Some(IntOrString::Int(1)),
                    max_unavailable: Some(IntOrString::Int(0)),
                }),
            }),
            template: PodTemplateSpec {
                metadata: Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                    labels: Some(pod_labels.clone()),
                    ..Default::default()
                }),
                spec: Some(PodSpec {
                    service_account_name: Some(NAME.into()),
                    // Needed: the server watches namespaces, ConfigMaps and
                    // policies and writes policy reports through the API.
                    automount_service_account_token: Some(true),
                    // Replicas on different nodes: one node lost is not admission lost.
                    affinity: Some(Affinity {
                        pod_anti_affinity: Some(PodAntiAffinity {
                            preferred_during_scheduling_ignored_during_execution: Some(vec![
                                WeightedPodAffinityTerm {
                                    weight: 100,
                                    pod_affinity_term: PodAffinityTerm {
                                        label_selector: Some(selector()),
                                        topology_key: "kubernetes.io/hostname".into(),
                                        ..Default::default()
                                    },
                                },
                            ]),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    security_context: Some(PodSecurityContext {
                        run_as_non_root: Some(true),
                        run_as_user: Some(RUN_AS),
                        run_as_group: Some(RUN_AS),
                        fs_group: Some(RUN_AS),
                        seccomp_profile: runtime_default_seccomp(),
                        ..Default::default()
                    }),
                    containers: vec![container(options)],
                    volumes: Some(volumes()),
                    termination_grace_period_seconds: Some(30),
                    ..Default::default()
                }),
            },
            ..Default::default()
        },
        ..Default::default()
    }
}

pub(super) fn pod_disruption_budget(options: &AdmissionOptions) -> PodDisruptionBudget {
    PodDisruptionBudget {
        metadata: metadata(NAME, Some(&options.namespace), options),
        spec: Some(PodDisruptionBudgetSpec {
            // Drains take one replica at a time and never the last ones.
            max_unavailable: Some(IntOrString::Int(1)),
            selector: Some(selector()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub(super) fn service(options: &AdmissionOptions) -> Service {
    Service {
        metadata: metadata(NAME, Some(&options.namespace), options),
        spec: Some(ServiceSpec {
            selector: Some(labels()),
            ports: Some(vec![ServicePort {
                name: Some("https".into()),
                port: 443,
                target_port: Some(IntOrString::String("https".into())),
                protocol: Some("TCP".into()),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// No Pod of the namespace accepts traffic unless a policy allows it: the
/// namespace holds vigie only, and [`network_policy`] opens its port.
pub(super) fn default_deny(options: &AdmissionOptions) -> NetworkPolicy {
    NetworkPolicy {
        metadata: metadata("default-deny-ingress", Some(&options.namespace), options),
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector::default()),
            policy_types: Some(vec!["Ingress".into()]),
            ..Default::default()
        }),
    }
}

/// vigie's Pods accept the webhook's port. The API server's addresses differ
/// from cluster to cluster, so any source may reach that port; egress is left
/// open (the API server's address is not known either).
pub(super) fn network_policy(options: &AdmissionOptions) -> NetworkPolicy {
    open_port(
        metadata(NAME, Some(&options.namespace), options),
        selector(),
        CONTAINER_PORT,
    )
}

/// A NetworkPolicy that lets any source reach one TCP port of the Pods
/// `pod_selector` selects, beside a namespace that denies every other ingress
/// ([`default_deny`]): the webhook's port, and the metrics ports `vigie install`
/// opens to Prometheus.
pub(crate) fn open_port(
    metadata: ObjectMeta,
    pod_selector: LabelSelector,
    port: i32,
) -> NetworkPolicy {
    NetworkPolicy {
        metadata,
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(pod_selector),
            policy_types: Some(vec!["Ingress".into()]),
            ingress: Some(vec![NetworkPolicyIngressRule {
                ports: Some(vec![NetworkPolicyPort {
                    port: Some(IntOrString::Int(port)),
                    protocol: Some("TCP".into()),
                    ..Default::default()
                }]),
                from: None,
            }]),
            ..Default::default()
        }),
    }
}
