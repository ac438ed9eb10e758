//! The resource types the stand-in serves, and the discovery documents that
//! describe them.

use serde_json::{json, Value};

/// One resource type, as discovery describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceType {
    /// `""` for the core group.
    pub group: String,
    /// The API version within the group: `v1`, `v1beta1`.
    pub version: String,
    /// The object kind: `Pod`, `Deployment`.
    pub kind: String,
    /// The plural name in URLs: `pods`, `deployments`.
    pub plural: String,
    /// Whether objects of the type live in a namespace (else cluster-wide).
    pub namespaced: bool,
    /// The abbreviations kubectl accepts for the type: `po`, `deploy`.
    pub short_names: Vec<String>,
}

impl ResourceType {
    /// `v1` or `apps/v1`.
    pub fn api_version(&self) -> String {
        vigie_resource::api_version(&self.group, &self.version)
    }

    /// The path of the group version: `/api/v1` or `/apis/apps/v1`.
    pub fn group_version_path(&self) -> String {
        if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        }
    }

    /// `pods` or `deployments.apps`, the way RBAC errors and `--forbid` name it.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

/// The kinds every cluster has (and a few common others), so that discovery
/// answers as a real API server's does even when no object of them is loaded.
/// Group, version, kind, plural, namespaced, short names.
type BuiltIn = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static [&'static str],
);

const BUILT_IN: &[BuiltIn] = &[
    ("", "v1", "Namespace", "namespaces", false, &["ns"]),
    ("", "v1", "Node", "nodes", false, &["no"]),
    ("", "v1", "Pod", "pods", true, &["po"]),
    ("", "v1", "Service", "services", true, &["svc"]),
    ("", "v1", "ServiceAccount", "serviceaccounts", true, &["sa"]),
    ("", "v1", "ConfigMap", "configmaps", true, &["cm"]),
    ("", "v1", "Secret", "secrets", true, &[]),
    (
        "",
        "v1",
        "PersistentVolume",
        "persistentvolumes",
        false,
        &["pv"],
    ),
    (
        "",
        "v1",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        true,
        &["pvc"],
    ),
    (
        "",
        "v1",
        "ReplicationController",
        "replicationcontrollers",
        true,
        &["rc"],
    ),
    ("", "v1", "LimitRange", "limitranges", true, &["limits"]),
    (
        "",
        "v1",
        "ResourceQuota",
        "resourcequotas",
        true,
        &["quota"],
    ),
    ("", "v1", "Endpoints", "endpoints", true, &["ep"]),
    ("apps", "v1", "Deployment", "deployments", true, &["deploy"]),
    ("apps", "v1", "StatefulSet", "statefulsets", true, &["sts"]),
    ("apps", "v1", "DaemonSet", "daemonsets", true, &["ds"]),
    ("apps", "v1", "ReplicaSet", "replicasets", true, &["rs"]),
    ("batch", "v1", "Job", "jobs", true, &[]),
    ("batch", "v1", "CronJob", "cronjobs", true, &["cj"]),
    (
        "networking.k8s.io",
        "v1",
        "NetworkPolicy",
        "networkpolicies",
        true,
        &["netpol"],
    ),
    (
        "networking.k8s.io",
        "v1",
        "Ingress",
        "ingresses",
        true,
        &["ing"],
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "Role",
        "roles",
        true,
        &[],
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "RoleBinding",
        "rolebindings",
        true,
        &[],
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRole",
        "clusterroles",
        false,
        &[],
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        false,
        &[],
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        false,
        &[],
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        false,
        &[],
    ),
    (
        "policy",
        "v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        true,
        &["pdb"],
    ),
    (
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        true,
        &["hpa"],
    ),
];

/// The resource types served: the built-in ones, then one per other
/// (apiVersion, kind) of the loaded objects.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    /// Every type, built-in ones first, in the order discovery lists them.
    pub types: Vec<ResourceType>,
}

impl Catalog {
    /// The built-in types, plus those of `objects` it lacks (plural: the kind
    /// in lower case with `s`, namespaced when some object has a namespace).
    pub fn for_objects<'a>(objects: impl Iterator<Item = &'a Value>) -> Self {
        let mut types: Vec<ResourceType> = BUILT_IN
            .iter()
            .map(
                |&(group, version, kind, plural, namespaced, short)| ResourceType {
                    group: group.into(),
                    version: version.into(),
                    kind: kind.into(),
                    plural: plural.into(),
                    namespaced,
                    short_names: short.iter().map(|s| s.to_string()).collect(),
                },
            )
            .collect();
        for object in objects {
            let (Some(api_version), Some(kind)) = (
                object.get("apiVersion").and_then(Value::as_str),
                object.get("kind").and_then(Value::as_str),
            ) else {
                continue;
            };
            if types
                .iter()
                .any(|t| t.kind == kind && t.api_version() == api_version)
            {
                continue;
            }
            let (group, version) = match api_version.split_once('/') {
                Some((g, v)) => (g.to_string(), v.to_string()),
                None => (String::new(), api_version.to_string()),
            };
            types.push(ResourceType {
                group,
                version,
                kind: kind.into(),
                plural: format!("{}s", kind.to_lowercase()),
                namespaced: object.pointer("/metadata/namespace").is_some(),
                short_names: Vec::new(),
            });
        }
        Catalog { types }
    }

    /// The type served at `group`/`version`/`plural`.
    pub fn find(&self, group: &str, version: &str, plural: &str) -> Option<usize> {
        self.types
            .iter()
            .position(|t| t.group == group && t.version == version && t.plural == plural)
    }

    /// The type of an object.
    pub fn of_object(&self, api_version: &str, kind: &str) -> Option<usize> {
        self.types
            .iter()
            .position(|t| t.kind == kind && t.api_version() == api_version)
    }

    /// `/api`: the core group's versions.
    pub fn core_versions(&self) -> Value {
        json!({
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}]
        })
    }

    /// `/apis`: the named groups (legacy discovery: clients that ask for the
    /// aggregated form get this one and fall back, as with older API servers).
    pub fn groups(&self) -> Value {
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for t in self.types.iter().filter(|t| !t.group.is_empty()) {
            match groups.iter_mut().find(|(g, _)| *g == t.group) {
                Some((_, versions)) if !versions.contains(&t.version) => {
                    versions.push(t.version.clone())
                }
                Some(_) => {}
                None => groups.push((t.group.clone(), vec![t.version.clone()])),
            }
        }
        let groups: Vec<Value> = groups
            .into_iter()
            .map(|(group, versions)| {
                let versions: Vec<Value> = versions
                    .iter()
                    .map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v}))
                    .collect();
                json!({
                    "name": group,
                    "versions": versions,
                    "preferredVersion": versions[0],
                })
            })
            .collect();
        json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
    }

    /// `/api/v1` or `/apis/GROUP/VERSION`, or `None` when nothing is served there.
    pub fn resources(&self, group: &str, version: &str) -> Option<Value> {
        let resources: Vec<Value> = self
            .types
            .iter()
            .filter(|t| t.group == group && t.version == version)
            .map(|t| {
                let mut resource = json!({
                    "name": t.plural,
                    "singularName": t.kind.to_lowercase(),
                    "namespaced": t.namespaced,
                    "kind": t.kind,
                    "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
                });
                if !t.short_names.is_empty() {
                    resource["shortNames"] = json!(t.short_names);
                }
                resource
            })
            .collect();
        if resources.is_empty() {
            return None;
        }
        let group_version = vigie_resource::api_version(group, version);
        let mut list = json!({
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": group_version,
            "resources": resources,
        });
        if group.is_empty() {
            // Node proxy is a subresource a real server lists.
            list["resources"]
                .as_array_mut()
                .expect("an array")
                .push(json!({"name": "nodes/proxy", "singularName": "", "namespaced": false, "kind": "NodeProxyOptions", "verbs": ["get"]}));
        }
        Some(list)
    }
}
