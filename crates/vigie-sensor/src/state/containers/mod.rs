//! What is known of each container beyond its id: name, image, runtime, pod.
//!
//! Two sources fill it. A `.scap` capture carries container events (the JSON
//! libsinsp writes when it first sees a container), kept in a local table by
//! short id. The live sensor asks the container runtime (CRI, vigie-cluster's
//! `cri` module) through a [`ContainerCache`]: a lookup never waits for the
//! runtime, so the first events of a new container have no metadata (rules see
//! the fields as missing, printed `<NA>` as Falco does) until the answer is in.

mod cache;
mod image;
mod scap;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

pub use cache::{CacheConfig, CacheStats, ContainerCache, Requests};
pub use image::ImageName;

use super::container;

/// How many containers the table filled from a capture's container events holds
/// at most (a bound on what a capture can make the state allocate).
pub const MAX_CAPTURE_CONTAINERS: usize = 1 << 14;

/// The Kubernetes pod a container belongs to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodInfo {
    /// `k8s.pod.name`.
    pub name: String,
    /// `k8s.pod.uid`.
    pub uid: String,
    /// `k8s.ns.name`.
    pub namespace: String,
    /// `k8s.pod.label[...]`, `k8s.pod.labels`.
    pub labels: BTreeMap<String, String>,
}

/// One container's metadata.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerInfo {
    /// The id as the source gave it (full from the runtime, short in captures).
    pub id: String,
    /// `container.name`.
    pub name: String,
    /// `container.image`: the image as the container was created with it.
    pub image: ImageName,
    /// `container.type`: `containerd`, `cri-o`, `docker`, `cri`...
    pub runtime: String,
    /// `container.privileged`, when the runtime says.
    pub privileged: Option<bool>,
    /// The pod, for containers of Kubernetes pods.
    pub pod: Option<PodInfo>,
}

/// The container labels the kubelet sets, which name the pod of a container.
pub mod kubelet_labels {
    /// The pod's name.
    pub const POD_NAME: &str = "io.kubernetes.pod.name";
    /// The pod's namespace.
    pub const POD_NAMESPACE: &str = "io.kubernetes.pod.namespace";
    /// The pod's uid.
    pub const POD_UID: &str = "io.kubernetes.pod.uid";
    /// The container's name in the pod spec.
    pub const CONTAINER_NAME: &str = "io.kubernetes.container.name";
}

impl PodInfo {
    /// The pod named by a container's kubelet labels, when they name one.
    pub fn from_container_labels(labels: &BTreeMap<String, String>) -> Option<PodInfo> {
        let get = |k: &str| labels.get(k).cloned().unwrap_or_default();
        let name = get(kubelet_labels::POD_NAME);
        if name.is_empty() {
            return None;
        }
        Some(PodInfo {
            name,
            uid: get(kubelet_labels::POD_UID),
            namespace: get(kubelet_labels::POD_NAMESPACE),
            labels: BTreeMap::new(),
        })
    }

    /// `k8s.pod.labels`: `key:value` pairs sorted by key, joined by `, `.
    pub fn labels_line(&self) -> String {
        let pairs: Vec<String> = self
            .labels
            .iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect();
        pairs.join(", ")
    }
}

/// The containers the state knows: from the capture, then from the runtime.
#[derive(Debug, Default)]
pub struct Containers {
    /// From the capture's container events, by short id.
    captured: HashMap<String, Arc<ContainerInfo>>,
    /// The runtime's answers (live sensor).
    cache: Option<Arc<ContainerCache>>,
}

impl Containers {
    /// Looks containers up in the runtime's cache too (live sensor).
    pub fn set_cache(&mut self, cache: Arc<ContainerCache>) {
        self.cache = Some(cache);
    }

    /// Keeps what a capture's container event says; past
    /// [`MAX_CAPTURE_CONTAINERS`] new containers are not kept.
    pub fn insert_captured(&mut self, info: ContainerInfo) {
        let short: String = info.id.chars().take(12).collect();
        if self.captured.len() < MAX_CAPTURE_CONTAINERS || self.captured.contains_key(&short) {
            self.captured.insert(short, Arc::new(info));
        }
    }

    /// The container whose processes have these cgroups, when something is known
    /// of it. Asks the runtime (without waiting) when the cache does not know it.
    pub fn lookup<'a>(
        &self,
        short_id: &str,
        cgroups: impl IntoIterator<Item = &'a str>,
    ) -> Option<Arc<ContainerInfo>> {
        if short_id == container::HOST {
            return None;
        }
        if let Some(info) = self.captured.get(short_id) {
            return Some(info.clone());
        }
        let cache = self.cache.as_ref()?;
        cache.get(container::full_id(cgroups)?)
    }
}

#[cfg(test)]
mod tests;
