//! Which resource types the cluster serves, from the discovery documents.

use std::time::Duration;

use serde_json::Value;

use crate::connect::within;
use crate::ClusterError;

/// A resource type that can be listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiType {
    /// `""` for the core group.
    pub group: String,
    /// The version within the group: `v1`.
    pub version: String,
    /// The object kind: `Deployment`.
    pub kind: String,
    /// The plural name in URLs.
    pub plural: String,
    /// Whether the objects live in namespaces (else they are cluster-wide).
    pub namespaced: bool,
}

impl ApiType {
    /// `v1` or `apps/v1`.
    pub fn api_version(&self) -> String {
        vigie_resource::api_version(&self.group, &self.version)
    }

    /// The type as RBAC names it: `secrets`, `deployments.apps`.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// The list path, cluster-wide or in one namespace.
    pub fn list_path(&self, namespace: Option<&str>) -> String {
        let base = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        match namespace {
            Some(ns) if self.namespaced => format!("{base}/namespaces/{ns}/{}", self.plural),
            _ => format!("{base}/{}", self.plural),
        }
    }

    /// Secrets are read as metadata only: their values never reach vigie.
    pub fn metadata_only(&self) -> bool {
        self.group.is_empty() && self.plural == "secrets"
    }
}

/// Types that can be listed but that no posture check reads and that churn
/// by the thousand: events (two groups) and their kin.
const NOT_READ: &[&str] = &[
    "events",
    "events.events.k8s.io",
    "leases.coordination.k8s.io",
    "endpoints",
    "endpointslices.discovery.k8s.io",
    "componentstatuses",
];

/// The listable types of the core group and of every named group's
/// preferred version, in discovery order.
pub(crate) async fn discover(
    client: &kube::Client,
    timeout: Duration,
) -> Result<Vec<ApiType>, ClusterError> {
    let mut types = Vec::new();
    let core = get(client, timeout, "/api/v1").await?;
    add_types(&core, "", "v1", &mut types);
    let groups = get(client, timeout, "/apis").await?;
    for group in groups["groups"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        let (Some(name), Some(version)) = (
            group["name"].as_str(),
            group["preferredVersion"]["version"].as_str(),
        ) else {
            continue;
        };
        let path = format!("/apis/{name}/{version}");
        match get(client, timeout, &path).await {
            Ok(list) => add_types(&list, name, version, &mut types),
            // An aggregated API that is down (metrics-server...) must not
            // stop the scan: its types are not listed.
            Err(_) => continue,
        }
    }
    Ok(types)
}

async fn get(client: &kube::Client, timeout: Duration, path: &str) -> Result<Value, ClusterError> {
    let request = http::Request::get(path)
        .header(http::header::ACCEPT, "application/json")
        .body(Vec::new())
        .map_err(|e| ClusterError::Request {
            path: path.into(),
            reason: e.to_string(),
        })?;
    within(timeout, path, client.request::<Value>(request)).await
}

fn add_types(list: &Value, group: &str, version: &str, types: &mut Vec<ApiType>) {
    for resource in list["resources"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        let (Some(plural), Some(kind)) = (resource["name"].as_str(), resource["kind"].as_str())
        else {
            continue;
        };
        let listable = resource["verbs"]
            .as_array()
            .is_some_and(|verbs| verbs.iter().any(|v| v == "list"));
        // `pods/log` and the like are subresources, not types.
        if plural.contains('/') || !listable {
            continue;
        }
        let api_type = ApiType {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            plural: plural.into(),
            namespaced: resource["namespaced"].as_bool().unwrap_or(false),
        };
        if !NOT_READ.contains(&api_type.qualified().as_str()) {
            types.push(api_type);
        }
    }
}
