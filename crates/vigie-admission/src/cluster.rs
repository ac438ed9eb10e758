//! What the webhook knows of the cluster besides the request: namespace labels
//! (for `namespaceSelector`), ConfigMaps (for `configMap` context entries) and
//! role bindings (the roles and cluster roles of the request's user, for
//! `roles`/`clusterRoles` in `match` and `exclude`), read from files given on the command line, or followed from the cluster (a
//! list, then a watch) and swapped in whole: a request reads the last copy and
//! never waits for the API server.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arc_swap::ArcSwap;

use serde_json::Value as Json;
use vigie_policy::{json_to_resource, labels_of, Target};
use vigie_rbac::{Rbac, RoleBindingIndex};
use vigie_resource::{load, LoadOptions, Resource};

/// Namespace labels, ConfigMaps and role bindings.
#[derive(Debug, Default)]
pub struct ClusterData {
    /// Namespace name -> labels.
    pub namespace_labels: HashMap<String, BTreeMap<String, String>>,
    /// ConfigMap objects.
    pub config_maps: Vec<Json>,
    /// RoleBindings and ClusterRoleBindings, by subject: the API server sends a
    /// request's username and groups, Kyverno's `roles` and `clusterRoles` come
    /// from these.
    pub role_bindings: RoleBindingIndex,
}

/// The cluster data requests read: fixed (files), or replaced whole as the
/// cluster changes.
#[derive(Debug)]
pub struct ClusterView {
    data: ArcSwap<ClusterData>,
}

impl ClusterView {
    /// Data that does not change (from files, or none).
    pub fn fixed(data: ClusterData) -> Self {
        Self {
            data: ArcSwap::from_pointee(data),
        }
    }

    /// The copy in use now.
    pub fn current(&self) -> Arc<ClusterData> {
        self.data.load_full()
    }

    /// Puts a new copy in use; requests already running keep the one they read.
    pub fn replace(&self, data: ClusterData) {
        self.data.store(Arc::new(data));
    }
}

/// Files of namespaces or ConfigMaps that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{}", problems.join("\n"))]
pub struct ClusterDataError {
    /// Each problem, naming its file (and line when known).
    pub problems: Vec<String>,
}

/// Every object of these files (Lists expanded), with the problems met.
fn resources(paths: &[String], max_file_bytes: u64) -> (Vec<Resource>, Vec<String>) {
    let loaded = load(paths, &LoadOptions::plain_files(max_file_bytes));
    let problems = loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.located().to_string())
        .collect();
    (loaded.resources, problems)
}

/// Every object of these files (Lists expanded), as JSON, with the problems met.
fn objects(paths: &[String], max_file_bytes: u64) -> (Vec<Json>, Vec<String>) {
    let (resources, problems) = resources(paths, max_file_bytes);
    let objects = resources
        .into_iter()
        .map(|r| Target::from_resource(r).object)
        .collect();
    (objects, problems)
}

fn is_binding(kind: &str) -> bool {
    kind == "RoleBinding" || kind == "ClusterRoleBinding"
}

impl ClusterData {
    /// The data of Namespace and ConfigMap objects as the API server returns
    /// them (JSON), as followed from a cluster.
    pub fn from_objects(namespaces: &[Json], config_maps: Vec<Json>) -> ClusterData {
        let mut data = ClusterData::default();
        for ns in namespaces {
            if let Some(name) = ns.pointer("/metadata/name").and_then(Json::as_str) {
                data.namespace_labels
                    .insert(name.to_string(), labels_of(ns));
            }
        }
        data.config_maps = config_maps
            .into_iter()
            .map(|mut cm| {
                // Objects of a typed list carry no apiVersion/kind of their own.
                if let Some(o) = cm.as_object_mut() {
                    o.entry("apiVersion").or_insert_with(|| Json::from("v1"));
                    o.entry("kind").or_insert_with(|| Json::from("ConfigMap"));
                }
                cm
            })
            .collect();
        data
    }

    /// Reads Namespace objects (or Lists of them, as `kubectl get ns -o yaml` prints)
    /// from `namespaces`, and ConfigMaps from `context`. Objects of other kinds are
    /// an error: a file given in the wrong place would otherwise be ignored.
    pub fn from_files(
        namespaces: &[String],
        context: &[String],
        max_file_bytes: u64,
    ) -> Result<ClusterData, ClusterDataError> {
        let mut data = ClusterData::default();
        let (ns_objects, mut problems) = objects(namespaces, max_file_bytes);
        for o in ns_objects {
            let kind = o.get("kind").and_then(Json::as_str).unwrap_or_default();
            let name = o
                .pointer("/metadata/name")
                .and_then(Json::as_str)
                .unwrap_or_default();
            if kind != "Namespace" {
                problems.push(format!("--namespaces: {kind} {name} is not a Namespace"));
                continue;
            }
            data.namespace_labels
                .insert(name.to_string(), labels_of(&o));
        }
        let (cm_objects, more) = objects(context, max_file_bytes);
        problems.extend(more);
        for o in cm_objects {
            let kind = o.get("kind").and_then(Json::as_str).unwrap_or_default();
            if kind != "ConfigMap" {
                let name = o
                    .pointer("/metadata/name")
                    .and_then(Json::as_str)
                    .unwrap_or_default();
                problems.push(format!("--context: {kind} {name} is not a ConfigMap"));
                continue;
            }
            data.config_maps.push(o);
        }
        if problems.is_empty() {
            Ok(data)
        } else {
            Err(ClusterDataError { problems })
        }
    }
    /// Reads RoleBindings and ClusterRoleBindings (or Lists of them, as
    /// `kubectl get rolebindings,clusterrolebindings -A -o yaml` prints) from
    /// `paths`, in place of those held. Objects of other kinds are an error.
    pub fn read_role_bindings(
        &mut self,
        paths: &[String],
        max_file_bytes: u64,
    ) -> Result<(), ClusterDataError> {
        let (loaded, mut problems) = resources(paths, max_file_bytes);
        let mut bindings = Vec::new();
        for resource in loaded {
            if is_binding(&resource.kind) {
                bindings.push(resource);
            } else {
                problems.push(format!(
                    "--rbac: {} {} is not a RoleBinding or ClusterRoleBinding",
                    resource.kind, resource.name
                ));
            }
        }
        if !problems.is_empty() {
            return Err(ClusterDataError { problems });
        }
        self.role_bindings = RoleBindingIndex::new(&Rbac::from_resources(&bindings).bindings);
        Ok(())
    }

    /// Puts in place the RoleBindings and ClusterRoleBindings given as the API
    /// server returns them (JSON), as followed from a cluster (objects of a typed
    /// list carry no apiVersion or kind: they are set here).
    pub fn set_role_bindings(&mut self, role_bindings: &[Json], cluster_role_bindings: &[Json]) {
        let resources: Vec<Resource> = role_bindings
            .iter()
            .map(|o| (o, "RoleBinding"))
            .chain(
                cluster_role_bindings
                    .iter()
                    .map(|o| (o, "ClusterRoleBinding")),
            )
            .filter_map(|(object, kind)| {
                let mut object = object.clone();
                if let Some(o) = object.as_object_mut() {
                    o.entry("apiVersion")
                        .or_insert_with(|| Json::from("rbac.authorization.k8s.io/v1"));
                    o.entry("kind").or_insert_with(|| Json::from(kind));
                }
                json_to_resource(&object, "<cluster>")
            })
            .collect();
        self.role_bindings = RoleBindingIndex::new(&Rbac::from_resources(&resources).bindings);
    }
}
