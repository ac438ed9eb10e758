//! The objects, serialized once per version, indexed by type, and the events
//! their changes make.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::{json, Value};

use crate::catalog::{Catalog, ResourceType};

/// One object as served.
pub(crate) struct Stored {
    pub(crate) namespace: Option<String>,
    pub(crate) name: String,
    /// Its labels, for `labelSelector`.
    pub(crate) labels: Vec<(String, String)>,
    /// The whole object, as a list item (without `apiVersion`/`kind` for the
    /// built-in types, as typed lists carry them).
    pub(crate) item: Box<[u8]>,
    /// The whole object with `apiVersion` and `kind`, as a GET or a watch event.
    pub(crate) object: Bytes,
    /// Its `PartialObjectMetadata`.
    pub(crate) metadata: Box<[u8]>,
}

impl Stored {
    /// The object as a JSON value (for a write to start from).
    pub(crate) fn value(&self) -> Value {
        serde_json::from_slice(&self.object).expect("stored objects are JSON")
    }
}

/// One change, as a watch stream line.
pub(crate) struct Event {
    /// The resourceVersion the change made.
    pub(crate) version: u64,
    /// The type (index in the catalog).
    pub(crate) type_index: usize,
    pub(crate) namespace: Option<String>,
    pub(crate) labels: Vec<(String, String)>,
    /// `{"type":"MODIFIED","object":{...}}\n`.
    pub(crate) line: Bytes,
}

/// Every object, by type (index in the catalog), in etcd's key order, and the
/// recent changes.
pub(crate) struct Store {
    pub(crate) catalog: Catalog,
    pub(crate) by_type: Vec<Vec<Stored>>,
    /// The newest resourceVersion: the lists' own.
    pub(crate) resource_version: u64,
    /// The changes a watch can start after, oldest first.
    pub(crate) history: VecDeque<Arc<Event>>,
    /// The newest version no longer in `history`: a watch from an older one
    /// is answered `410 Gone`, as after etcd's compaction.
    pub(crate) compacted: u64,
    history_limit: usize,
    /// Live watches.
    pub(crate) events: tokio::sync::broadcast::Sender<Arc<Event>>,
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

/// Puts an object in the form it is stored and served in: the namespace of its
/// scope, a uid, a resourceVersion.
fn normalize(resource_type: &ResourceType, object: &mut Value, uid: impl FnOnce() -> String) {
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
        metadata["uid"] = json!(uid());
    }
}

fn stored(resource_type: &ResourceType, mut object: Value) -> Stored {
    let metadata = &object["metadata"];
    let namespace = metadata["namespace"].as_str().map(str::to_string);
    let name = metadata["name"].as_str().unwrap_or("").to_string();
    let labels = metadata["labels"]
        .as_object()
        .map(|labels| {
            labels
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default();
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
    Stored {
        namespace,
        name,
        labels,
        item: serde_json::to_vec(&object)
            .expect("JSON values serialize")
            .into(),
        object: whole.into(),
        metadata: serde_json::to_vec(&partial)
            .expect("JSON values serialize")
            .into(),
    }
}

/// The sort key of etcd: namespace, then name.
fn key_of(stored: &Stored) -> (&str, &str) {
    (stored.namespace.as_deref().unwrap_or(""), &stored.name)
}

impl Store {
    pub(crate) fn new(
        objects: Vec<Value>,
        extra_types: &[ResourceType],
        history_limit: usize,
    ) -> Self {
        let mut catalog = Catalog::for_objects(objects.iter());
        for extra in extra_types {
            if catalog
                .find(&extra.group, &extra.version, &extra.plural)
                .is_none()
            {
                catalog.types.push(extra.clone());
            }
        }
        let mut by_type: Vec<Vec<Stored>> = catalog.types.iter().map(|_| Vec::new()).collect();
        let mut resource_version = 1000u64;
        for (index, mut object) in objects.into_iter().enumerate() {
            let api_version = object["apiVersion"].as_str().unwrap_or("").to_string();
            let kind = object["kind"].as_str().unwrap_or("").to_string();
            let Some(t) = catalog.of_object(&api_version, &kind) else {
                continue;
            };
            let resource_type = &catalog.types[t];
            normalize(resource_type, &mut object, || {
                format!("00000000-0000-4000-8000-{:012x}", index as u64 + 1)
            });
            if object["metadata"].get("resourceVersion").is_none() {
                resource_version += 1;
                object["metadata"]["resourceVersion"] = json!(resource_version.to_string());
            }
            by_type[t].push(stored(resource_type, object));
        }
        // The order of etcd's keys, which a real server's lists follow.
        for stored in &mut by_type {
            stored.sort_by(|a, b| key_of(a).cmp(&key_of(b)));
        }
        Store {
            catalog,
            by_type,
            resource_version,
            history: VecDeque::new(),
            compacted: resource_version,
            history_limit: history_limit.max(1),
            events: tokio::sync::broadcast::channel(1024).0,
        }
    }

    /// Where the object `namespace/name` of type `t` is, or would be inserted.
    pub(crate) fn position(
        &self,
        t: usize,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<usize, usize> {
        self.by_type[t].binary_search_by(|s| key_of(s).cmp(&(namespace.unwrap_or(""), name)))
    }

    /// Stores a new version of an object (the whole object, metadata already
    /// set but for the resourceVersion, which is given here), records the
    /// event and returns the object as stored.
    pub(crate) fn put(&mut self, t: usize, mut object: Value, event_type: &str) -> Value {
        self.resource_version += 1;
        let version = self.resource_version;
        object["metadata"]["resourceVersion"] = json!(version.to_string());
        let resource_type = self.catalog.types[t].clone();
        let counter = version;
        normalize(&resource_type, &mut object, || {
            format!("00000000-0000-4000-9000-{counter:012x}")
        });
        let new = stored(&resource_type, object.clone());
        let event = self.event(t, &new, event_type, version);
        match self.position(t, new.namespace.as_deref(), &new.name) {
            Ok(i) => self.by_type[t][i] = new,
            Err(i) => self.by_type[t].insert(i, new),
        }
        self.record(event);
        object
    }

    /// Removes an object, records the event and returns it as it was, with
    /// the resourceVersion of its deletion.
    pub(crate) fn remove(&mut self, t: usize, index: usize) -> Value {
        self.resource_version += 1;
        let version = self.resource_version;
        let old = self.by_type[t].remove(index);
        let mut object = old.value();
        object["metadata"]["resourceVersion"] = json!(version.to_string());
        let resource_type = self.catalog.types[t].clone();
        let gone = stored(&resource_type, object.clone());
        let event = self.event(t, &gone, "DELETED", version);
        self.record(event);
        object
    }

    fn event(&self, t: usize, stored: &Stored, event_type: &str, version: u64) -> Arc<Event> {
        let mut line = Vec::with_capacity(stored.object.len() + 32);
        line.extend_from_slice(b"{\"type\":\"");
        line.extend_from_slice(event_type.as_bytes());
        line.extend_from_slice(b"\",\"object\":");
        line.extend_from_slice(&stored.object);
        line.extend_from_slice(b"}\n");
        Arc::new(Event {
            version,
            type_index: t,
            namespace: stored.namespace.clone(),
            labels: stored.labels.clone(),
            line: line.into(),
        })
    }

    fn record(&mut self, event: Arc<Event>) {
        // No receiver is not an error: nobody watches.
        let _ = self.events.send(event.clone());
        self.history.push_back(event);
        while self.history.len() > self.history_limit {
            if let Some(old) = self.history.pop_front() {
                self.compacted = old.version;
            }
        }
    }

    /// Forgets every change so far: a watch from an earlier version gets `410 Gone`.
    pub(crate) fn compact(&mut self) {
        self.history.clear();
        self.compacted = self.resource_version;
    }
}
