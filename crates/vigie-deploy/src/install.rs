//! `vigie install`: the objects that run vigie's components in a cluster.
//!
//! - **scanner**: a Deployment running `vigie scan --cluster --watch`, with a
//!   ClusterRole that lists and watches everything (nothing else) and writes
//!   policy reports, and a Service for its metrics;
//! - **admission**: what [`crate::manifests::admission_manifests`] builds;
//! - **sensor**: a DaemonSet on every node (tolerations for every taint), host
//!   PID, the capabilities eBPF needs (`BPF`, `PERFMON`, `SYS_RESOURCE`) and no
//!   more, `/sys/kernel/btf` and the BPF filesystem mounted from the host. Those
//!   privileges break the restricted Pod Security level; each control they break
//!   is declared on the DaemonSet with vigie's exception annotations
//!   ([`SENSOR_EXCEPTIONS`]) and the reason, so `vigie scan --level restricted`
//!   of the install counts them as accepted, and the namespace enforces
//!   `privileged` only when the sensor is installed;
//! - ServiceMonitors (`monitoring.coreos.com/v1`) for the Prometheus Operator
//!   when asked. That CRD has no `k8s-openapi` type: it is built as JSON.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{DaemonSet, DaemonSetSpec, Deployment, DeploymentSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, Container, ContainerPort, EmptyDirVolumeSource, HTTPGetAction,
    HostPathVolumeSource, Namespace, PodSecurityContext, PodSpec, PodTemplateSpec, Probe,
    ResourceRequirements, SecurityContext, Service, ServiceAccount, ServicePort, ServiceSpec,
    Toleration, Volume,
};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::{json, Value};
use vigie_controls::exceptions::{REASON_ANNOTATION, SKIP_ANNOTATION};
use vigie_policy::Policy;

use crate::error::ManifestsError;
use crate::manifests::{
    admission_manifests, bind_to_service_account, open_port, quantities, read_only_mount,
    restricted_container_context, rule, runtime_default_seccomp, strings, writable_mount,
    AdmissionOptions, FailurePolicy, Manifests,
};
use crate::names::label_problem;

/// A component `vigie install` can install.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Component {
    /// The continuous scan.
    Scanner,
    /// The admission webhook.
    Admission,
    /// The runtime sensor.
    Sensor,
}

impl Component {
    /// Every component.
    pub const ALL: [Component; 3] = [Component::Scanner, Component::Admission, Component::Sensor];

    /// Its name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Component::Scanner => "scanner",
            Component::Admission => "admission",
            Component::Sensor => "sensor",
        }
    }
}

vigie_finding::impl_names! {
    Component named by as_str, Exact;
    "component", expected "scanner, admission or sensor"
}

/// What to install.
#[derive(Clone, Debug)]
pub struct InstallOptions {
    /// The components, each once.
    pub components: Vec<Component>,
    /// The namespace everything runs in (created by the manifests).
    pub namespace: String,
    /// vigie's image: `REPOSITORY@sha256:DIGEST` (or a tag).
    pub image: String,
    /// The sensor's image (`scripts/image` builds it: the glibc build of vigie, the
    /// static one cannot load eBPF programs), same form.
    pub sensor_image: String,
    /// ServiceMonitor objects for the Prometheus Operator.
    pub service_monitors: bool,
    /// Grants the scanner `get` on `nodes/proxy` (ClusterRole and binding
    /// [`SCANNER_KUBELET_CONFIG`], apart from the scanner's role), so that it
    /// reads each node's kubelet configuration (`/configz`) for the kubelet
    /// controls. Off by default: RBAC cannot narrow `nodes/proxy` to
    /// `/configz`, and whoever holds it reaches the whole kubelet API of every
    /// node (see [`KUBELET_CONFIG_RISK`]).
    pub scanner_kubelet_config: bool,
}

/// The scanner's objects' name.
pub const SCANNER: &str = "vigie-scanner";
/// The sensor's objects' name.
pub const SENSOR: &str = "vigie-sensor";
/// The name of the opt-in ClusterRole (and its binding) that lets the scanner
/// read the nodes' kubelet configurations.
pub const SCANNER_KUBELET_CONFIG: &str = "vigie-scanner-kubelet-config";
/// Why the opt-in role exists and what granting it risks: written on the role
/// and its binding (annotation [`DESCRIPTION_ANNOTATION`]) so that whoever
/// reviews the cluster's RBAC reads it there.
pub const KUBELET_CONFIG_RISK: &str =
    "Lets vigie's scanner read each node's kubelet configuration \
(GET /api/v1/nodes/NAME/proxy/configz) for the kubelet controls VG-K001..VG-K012 (CIS 4.2.x). \
Risk: RBAC cannot narrow nodes/proxy to /configz; get on nodes/proxy reaches the whole kubelet API \
of every node through the API server (pod logs, metrics, and, through websocket upgrades, exec \
into any container): a stolen scanner token then means control of every node's Pods. \
Installed only with `vigie install --scanner-kubelet-config`.";
/// The annotation that carries a description of an object for people.
pub const DESCRIPTION_ANNOTATION: &str = "kubernetes.io/description";

/// The sensor image `scripts/image` tags for this version.
pub fn default_sensor_image() -> String {
    format!("vigie-sensor:{}", env!("CARGO_PKG_VERSION"))
}

/// The host directories of the container runtimes' CRI sockets, mounted read-only
/// at the same paths so that the sensor finds the socket of the node's runtime
/// (`vigie detect syscalls` tries /run/containerd/containerd.sock and
/// /run/crio/crio.sock).
const RUNTIME_SOCKET_DIRS: &[(&str, &str)] =
    &[("containerd", "/run/containerd"), ("crio", "/run/crio")];
/// The port of the scanner's metrics.
const SCANNER_METRICS_PORT: i32 = 9090;
/// The port of the sensor's metrics.
const SENSOR_METRICS_PORT: i32 = 9091;
/// The restricted-level controls the sensor's privileges break, and why each is
/// needed: written on the DaemonSet as vigie's exception annotations.
pub const SENSOR_EXCEPTIONS: &[(&str, &str)] = &[
    ("PSS-B01", "hostPID: the sensor attributes kernel events to the processes of every Pod of the node"),
    ("PSS-R01", "hostPath /sys/kernel/btf (read-only) and /sys/fs/bpf: the kernel's types for CO-RE eBPF, and pinned maps; /run/containerd and /run/crio (read-only): the container runtime's CRI socket, for container and pod names"),
    ("PSS-R03", "runs as root: the kernel checks the eBPF capabilities of user 0"),
    ("PSS-R04", "runs as root: the kernel checks the eBPF capabilities of user 0"),
    ("PSS-R06", "adds CAP_BPF, CAP_PERFMON and CAP_SYS_RESOURCE (loading eBPF programs and maps), all else dropped"),
];

fn labels(component: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app".to_string(), component.to_string()),
        ("app.kubernetes.io/name".to_string(), component.to_string()),
        ("app.kubernetes.io/part-of".to_string(), "vigie".to_string()),
    ])
}

fn meta(name: &str, namespace: Option<&str>, component: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: namespace.map(str::to_string),
        labels: Some(labels(component)),
        ..Default::default()
    }
}

/// What a container serving metrics has: its `metrics` port, probed there for
/// readiness and liveness, and its CPU and memory `requests` and `limits`.
fn served_metrics(port: i32, requests: (&str, &str), limits: (&str, &str)) -> Container {
    Container {
        ports: Some(vec![ContainerPort {
            name: Some("metrics".into()),
            container_port: port,
            ..Default::default()
        }]),
        readiness_probe: Some(http_probe("/readyz", "metrics")),
        liveness_probe: Some(http_probe("/healthz", "metrics")),
        resources: Some(ResourceRequirements {
            requests: Some(quantities(requests.0, requests.1)),
            limits: Some(quantities(limits.0, limits.1)),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The selector of the Pods of `component`.
fn selecting(component: &str) -> LabelSelector {
    LabelSelector {
        match_labels: Some(labels(component)),
        ..Default::default()
    }
}

/// The metadata of a Pod template of `component`: its labels.
fn labelled(component: &str) -> Option<ObjectMeta> {
    Some(ObjectMeta {
        labels: Some(labels(component)),
        ..Default::default()
    })
}

fn http_probe(path: &str, port: &str) -> Probe {
    Probe {
        http_get: Some(HTTPGetAction {
            path: Some(path.into()),
            port: IntOrString::String(port.into()),
            ..Default::default()
        }),
        period_seconds: Some(10),
        timeout_seconds: Some(2),
        ..Default::default()
    }
}

fn service_account(name: &str, options: &InstallOptions) -> ServiceAccount {
    ServiceAccount {
        metadata: meta(name, Some(&options.namespace), name),
        ..Default::default()
    }
}

/// Binds the ClusterRole `name` to the service account `name`.
fn binding(name: &str, options: &InstallOptions) -> ClusterRoleBinding {
    role_binding(name, name, name, options)
}

/// Binds the ClusterRole `role` (labelled as part of `component`) to the
/// service account `account`, under the name of the role.
fn role_binding(
    role: &str,
    account: &str,
    component: &str,
    options: &InstallOptions,
) -> ClusterRoleBinding {
    bind_to_service_account(
        meta(role, None, component),
        role,
        account,
        &options.namespace,
    )
}

/// The opt-in role: `get` on `nodes/proxy` and nothing else, apart from the
/// scanner's role so that it can be reviewed, granted and revoked on its own.
fn kubelet_config_role() -> ClusterRole {
    ClusterRole {
        metadata: described(meta(SCANNER_KUBELET_CONFIG, None, SCANNER)),
        rules: Some(vec![rule(&[""], &["nodes/proxy"], &["get"])]),
        ..Default::default()
    }
}

/// `metadata` with [`KUBELET_CONFIG_RISK`] as its description.
fn described(metadata: ObjectMeta) -> ObjectMeta {
    ObjectMeta {
        annotations: Some(BTreeMap::from([(
            DESCRIPTION_ANNOTATION.to_string(),
            KUBELET_CONFIG_RISK.to_string(),
        )])),
        ..metadata
    }
}

/// Lists and watches everything (the continuous scan reads nothing else), and
/// writes policy reports of either API.
fn scanner_role() -> ClusterRole {
    const REPORTS: &[&str] = &[
        "get", "list", "watch", "create", "update", "patch", "delete",
    ];
    ClusterRole {
        metadata: meta(SCANNER, None, SCANNER),
        rules: Some(vec![
            rule(&["*"], &["*"], &["list", "watch"]),
            PolicyRule {
                non_resource_urls: Some(strings(&[
                    "/version", "/api", "/api/*", "/apis", "/apis/*",
                ])),
                verbs: strings(&["get"]),
                ..Default::default()
            },
            rule(&["openreports.io"], &["reports", "clusterreports"], REPORTS),
            rule(
                &["wgpolicyk8s.io"],
                &["policyreports", "clusterpolicyreports"],
                REPORTS,
            ),
        ]),
        ..Default::default()
    }
}

fn scanner_deployment(options: &InstallOptions) -> Deployment {
    let container = Container {
        name: "scanner".into(),
        image: Some(options.image.clone()),
        args: Some(strings(&[
            "scan",
            "--cluster",
            "--watch",
            "--interval",
            "1h",
            "--metrics-listen",
            "0.0.0.0:9090",
            "-f",
            "all",
        ])),
        security_context: Some(restricted_container_context()),
        volume_mounts: Some(vec![writable_mount("tmp", "/tmp")]),
        ..served_metrics(SCANNER_METRICS_PORT, ("100m", "256Mi"), ("2", "2Gi"))
    };
    Deployment {
        metadata: meta(SCANNER, Some(&options.namespace), SCANNER),
        spec: DeploymentSpec {
            // One scanner: two would write the same reports.
            replicas: Some(1),
            selector: selecting(SCANNER),
            template: PodTemplateSpec {
                metadata: labelled(SCANNER),
                spec: Some(PodSpec {
                    service_account_name: Some(SCANNER.into()),
                    containers: vec![container],
                    security_context: Some(PodSecurityContext {
                        run_as_non_root: Some(true),
                        seccomp_profile: runtime_default_seccomp(),
                        ..Default::default()
                    }),
                    volumes: Some(vec![Volume {
                        name: "tmp".into(),
                        empty_dir: Some(EmptyDirVolumeSource {
                            size_limit: Some(Quantity("64Mi".into())),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }]),
                    ..Default::default()
                }),
            },
            ..Default::default()
        },
        ..Default::default()
    }
}

fn metrics_service(name: &str, port: i32, options: &InstallOptions) -> Service {
    Service {
        metadata: meta(name, Some(&options.namespace), name),
        spec: Some(ServiceSpec {
            selector: Some(labels(name)),
            ports: Some(vec![ServicePort {
                name: Some("metrics".into()),
                port,
                target_port: Some(IntOrString::String("metrics".into())),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Lets Prometheus reach a component's metrics port: the admission component
/// denies every other ingress in the namespace.
fn metrics_network_policy(name: &str, port: i32, options: &InstallOptions) -> NetworkPolicy {
    open_port(
        meta(&format!("{name}-metrics"), Some(&options.namespace), name),
        selecting(name),
        port,
    )
}

fn host_path(name: &str, path: &str) -> Volume {
    Volume {
        name: name.into(),
        host_path: Some(HostPathVolumeSource {
            path: path.into(),
            type_: Some("Directory".into()),
        }),
        ..Default::default()
    }
}

fn sensor_daemon_set(options: &InstallOptions) -> DaemonSet {
    let mut annotations = BTreeMap::new();
    let ids: Vec<&str> = SENSOR_EXCEPTIONS.iter().map(|(id, _)| *id).collect();
    annotations.insert(SKIP_ANNOTATION.to_string(), ids.join(", "));
    let mut reasons: Vec<&str> = Vec::new();
    for (_, reason) in SENSOR_EXCEPTIONS {
        if !reasons.contains(reason) {
            reasons.push(reason);
        }
    }
    annotations.insert(REASON_ANNOTATION.to_string(), reasons.join("; "));
    let mut mounts = vec![
        read_only_mount("btf", "/sys/kernel/btf"),
        writable_mount("bpffs", "/sys/fs/bpf"),
    ];
    let mut volumes = vec![
        host_path("btf", "/sys/kernel/btf"),
        host_path("bpffs", "/sys/fs/bpf"),
    ];
    for (name, dir) in RUNTIME_SOCKET_DIRS {
        mounts.push(read_only_mount(name, dir));
        // A node runs one of the runtimes: the other's directory is made empty
        // rather than failing the Pod.
        let mut volume = host_path(name, dir);
        if let Some(h) = volume.host_path.as_mut() {
            h.type_ = Some("DirectoryOrCreate".into());
        }
        volumes.push(volume);
    }
    let container = Container {
        name: "sensor".into(),
        image: Some(options.sensor_image.clone()),
        args: Some(strings(&[
            "detect",
            "syscalls",
            "-o",
            "json",
            "--metrics-listen",
            "0.0.0.0:9091",
        ])),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            privileged: Some(false),
            read_only_root_filesystem: Some(true),
            run_as_non_root: Some(false),
            run_as_user: Some(0),
            capabilities: Some(Capabilities {
                drop: Some(vec!["ALL".into()]),
                add: Some(strings(&["BPF", "PERFMON", "SYS_RESOURCE"])),
            }),
            seccomp_profile: runtime_default_seccomp(),
            ..Default::default()
        }),
        volume_mounts: Some(mounts),
        ..served_metrics(SENSOR_METRICS_PORT, ("100m", "128Mi"), ("1", "512Mi"))
    };
    DaemonSet {
        metadata: ObjectMeta {
            annotations: Some(annotations),
            ..meta(SENSOR, Some(&options.namespace), SENSOR)
        },
        spec: DaemonSetSpec {
            selector: selecting(SENSOR),
            template: PodTemplateSpec {
                metadata: labelled(SENSOR),
                spec: Some(PodSpec {
                    service_account_name: Some(SENSOR.into()),
                    automount_service_account_token: Some(false),
                    host_pid: Some(true),
                    containers: vec![container],
                    // Every node, whatever its taints: an unwatched node is a blind spot.
                    tolerations: Some(vec![Toleration {
                        operator: Some("Exists".into()),
                        ..Default::default()
                    }]),
                    priority_class_name: Some("system-node-critical".into()),
                    security_context: Some(PodSecurityContext {
                        seccomp_profile: runtime_default_seccomp(),
                        ..Default::default()
                    }),
                    volumes: Some(volumes),
                    ..Default::default()
                }),
            },
            ..Default::default()
        },
        ..Default::default()
    }
}

fn service_monitor(name: &str, options: &InstallOptions) -> Value {
    json!({
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": name, "namespace": options.namespace, "labels": labels(name)},
        "spec": {
            "selector": {"matchLabels": labels(name)},
            "endpoints": [{"port": "metrics", "interval": "60s"}],
        },
    })
}

/// The admission component's inputs, when it is installed.
pub struct AdmissionInputs<'a> {
    /// The policies the webhook serves.
    pub policies: &'a [Policy],
    /// Their files (from [`crate::manifests::policy_files`]).
    pub files: &'a BTreeMap<String, String>,
    /// Its certificates (see [`AdmissionOptions::certs`]).
    pub certs: Option<crate::certs::CertBundle>,
}

/// Every object of the install, in apply order.
pub fn install_manifests(
    options: &InstallOptions,
    admission: Option<AdmissionInputs<'_>>,
) -> Result<Manifests, ManifestsError> {
    if let Some(reason) = label_problem(&options.namespace) {
        return Err(ManifestsError::InvalidName {
            what: "namespace",
            value: options.namespace.clone(),
            reason,
        });
    }
    for (flag, image) in [
        ("--image", &options.image),
        ("--sensor-image", &options.sensor_image),
    ] {
        if image.is_empty() || image.contains(char::is_whitespace) {
            return Err(ManifestsError::Option(format!(
                "{flag} `{image}`: not an image reference"
            )));
        }
    }
    if options.components.is_empty() {
        return Err(ManifestsError::Option("--components: none given".into()));
    }
    let has = |c: Component| options.components.contains(&c);
    if options.scanner_kubelet_config && !has(Component::Scanner) {
        return Err(ManifestsError::Option(
            "--scanner-kubelet-config grants the scanner a role: it needs the scanner component"
                .into(),
        ));
    }
    let mut out = Manifests::default();
    let push = |out: &mut Manifests, value: Result<Value, serde_json::Error>| {
        out.objects
            .push(value.expect("k8s-openapi objects serialize"));
    };
    // The Pod Security level the namespace enforces: restricted, unless the
    // sensor (whose privileges are declared exceptions) runs there.
    let level = if has(Component::Sensor) {
        "privileged"
    } else {
        "restricted"
    };
    let mut namespace_labels = labels("vigie");
    namespace_labels.insert("pod-security.kubernetes.io/enforce".into(), level.into());
    namespace_labels.insert(
        "pod-security.kubernetes.io/enforce-version".into(),
        "latest".into(),
    );
    namespace_labels.insert(
        "pod-security.kubernetes.io/warn".into(),
        "restricted".into(),
    );
    let namespace = Namespace {
        metadata: ObjectMeta {
            name: Some(options.namespace.clone()),
            labels: Some(namespace_labels),
            ..Default::default()
        },
        ..Default::default()
    };
    push(&mut out, serde_json::to_value(namespace));
    if has(Component::Scanner) {
        push(
            &mut out,
            serde_json::to_value(service_account(SCANNER, options)),
        );
        push(&mut out, serde_json::to_value(scanner_role()));
        push(&mut out, serde_json::to_value(binding(SCANNER, options)));
        if options.scanner_kubelet_config {
            push(&mut out, serde_json::to_value(kubelet_config_role()));
            let mut binding = role_binding(SCANNER_KUBELET_CONFIG, SCANNER, SCANNER, options);
            binding.metadata = described(binding.metadata);
            push(&mut out, serde_json::to_value(binding));
        }
        push(&mut out, serde_json::to_value(scanner_deployment(options)));
        push(
            &mut out,
            serde_json::to_value(metrics_service(SCANNER, SCANNER_METRICS_PORT, options)),
        );
        push(
            &mut out,
            serde_json::to_value(metrics_network_policy(
                SCANNER,
                SCANNER_METRICS_PORT,
                options,
            )),
        );
    }
    if has(Component::Sensor) {
        push(
            &mut out,
            serde_json::to_value(service_account(SENSOR, options)),
        );
        push(&mut out, serde_json::to_value(sensor_daemon_set(options)));
        push(
            &mut out,
            serde_json::to_value(metrics_service(SENSOR, SENSOR_METRICS_PORT, options)),
        );
        push(
            &mut out,
            serde_json::to_value(metrics_network_policy(SENSOR, SENSOR_METRICS_PORT, options)),
        );
    }
    if has(Component::Admission) {
        let Some(inputs) = admission else {
            return Err(ManifestsError::Option(
                "the admission component needs --policies DIR".into(),
            ));
        };
        let admission_options = AdmissionOptions {
            namespace: options.namespace.clone(),
            replicas: 3,
            failure_policy: FailurePolicy::Fail,
            timeout_seconds: 10,
            image: options.image.clone(),
            certs: inputs.certs,
        };
        let built = admission_manifests(&admission_options, inputs.policies, inputs.files)?;
        // Its Namespace is the install's, made above.
        out.objects.extend(
            built
                .objects
                .into_iter()
                .filter(|o| o["kind"] != "Namespace"),
        );
        out.notes.extend(built.notes);
    }
    if options.service_monitors {
        if has(Component::Scanner) {
            out.objects.push(service_monitor(SCANNER, options));
        }
        if has(Component::Sensor) {
            out.objects.push(service_monitor(SENSOR, options));
        }
        out.notes.push(
            "ServiceMonitors need the Prometheus Operator's CRDs (monitoring.coreos.com/v1)".into(),
        );
    }
    Ok(out)
}
