//! The objects, serialized once, indexed by type.

use serde_json::{json, Value};

use crate::catalog::Catalog;

/// One object as served.
pub(crate) struct Stored {
    pub(crate) namespace: Option<String>,
    pub(crate) name: String,
    /// The whole object, as a list item (without `apiVersion`/`kind` for the
    /// built-in types, as typed lists carry them).
    pub(crate) item: Box<[u8]>,
    /// The whole object with `apiVersion` and `kind`, as a GET or a watch event.
    pub(crate) object: Box<[u8]>,
    /// Its `PartialObjectMetadata`.
    pub(crate) metadata: Box<[u8]>,
}

/// Every object, by type (index in the catalog), in load order.
pub(crate) struct Store {
    pub(crate) catalog: Catalog,
    pub(crate) by_type: Vec<Vec<Stored>>,
    /// The resourceVersion of the newest object: the lists' own.
    pub(crate) resource_version: u64,
}

/// Types whose typed lists leave `apiVersion`/`kind` out of the items: those
/// compiled into the API server, unlike custom resources.
const BUILT_IN_GROUPS: &[&str] = &[
    "",
    "apps",
    "batch",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "admissionregistration.k8s.io",
    "policy",
    "autoscaling",
    "storage.k8s.io",
];

impl Store {
    pub(crate) fn new(objects: Vec<Value>) -> Self {
        let catalog = Catalog::for_objects(objects.iter());
        let mut by_type: Vec<Vec<Stored>> = catalog.types.iter().map(|_| Vec::new()).collect();
        let mut resource_version = 1000u64;
        for (index, mut object) in objects.into_iter().enumerate() {
            let api_version = object["apiVersion"].as_str().unwrap_or("").to_string();
            let kind = object["kind"].as_str().unwrap_or("").to_string();
            let Some(t) = catalog.of_object(&api_version, &kind) else {
                continue;
            };
            let resource_type = &catalog.types[t];
            if !object.get("metadata").is_some_and(Value::is_object) {
                object["metadata"] = json!({});
            }
            let metadata = &mut object["metadata"];
            if resource_type.namespaced && metadata.get("namespace").is_none() {
                metadata["namespace"] = json!("default");
            }
            if !resource_type.namespaced {
                if let Some(map) = metadata.as_object_mut() {
                    map.remove("namespace");
                }
            }
            if metadata.get("uid").is_none() {
                metadata["uid"] =
                    json!(format!("00000000-0000-4000-8000-{:012x}", index as u64 + 1));
            }
            if metadata.get("resourceVersion").is_none() {
                resource_version += 1;
                metadata["resourceVersion"] = json!(resource_version.to_string());
            }
            let namespace = metadata["namespace"].as_str().map(str::to_string);
            let name = metadata["name"].as_str().unwrap_or("").to_string();
            let partial = json!({
                "apiVersion": "meta.k8s.io/v1",
                "kind": "PartialObjectMetadata",
                "metadata": metadata,
            });
            let whole = serde_json::to_vec(&object).expect("JSON values serialize");
            if BUILT_IN_GROUPS.contains(&resource_type.group.as_str()) {
                if let Some(map) = object.as_object_mut() {
                    map.remove("apiVersion");
                    map.remove("kind");
                }
            }
            by_type[t].push(Stored {
                namespace,
                name,
                item: serde_json::to_vec(&object)
                    .expect("JSON values serialize")
                    .into(),
                object: whole.into(),
                metadata: serde_json::to_vec(&partial)
                    .expect("JSON values serialize")
                    .into(),
            });
        }
        // The order of etcd's keys, which a real server's lists follow.
        for stored in &mut by_type {
            stored.sort_by(|a, b| {
                (a.namespace.as_deref().unwrap_or(""), &a.name)
                    .cmp(&(b.namespace.as_deref().unwrap_or(""), &b.name))
            });
        }
        Store {
            catalog,
            by_type,
            resource_version,
        }
    }
}
