//! Reading a live Kubernetes cluster for vigie's scan.
//!
//! [`Cluster::connect`] finds the cluster the way kubectl does (`--kubeconfig`,
//! then `KUBECONFIG`, then `~/.kube/config`; a Pod's service account when there is
//! no kubeconfig), reads the server version and discovers the resource types.
//! [`Cluster::read`] then lists every type that can be listed, a page at a time
//! (`limit` + `continue`; a list whose continue token expired, `410 Gone`, is
//! started again and the objects already read are not handed over twice),
//! several lists at once, and hands the objects over as
//! [`vigie_resource::Resource`]s while it reads: the scan takes them from the
//! returned [`ObjectStream`] and memory holds a few pages, whatever the size of
//! the cluster. Secrets are listed as `PartialObjectMetadata`: their values
//! never reach this process. A type the user may not list (`403`) is a
//! [`Warning`], not a failure.
//!
//! [`reports::ReportWriter`] writes policy reports (`openreports.io` or
//! `wgpolicyk8s.io`) to the cluster with server-side apply.
//!
//! [`cri`] asks the node's container runtime (CRI) about containers, for the
//! syscall sensor's container and pod fields.
//!
//! The async runtime (tokio, kube-rs, tonic) stays in this crate: callers are sync.
//!
//! Reading needs a cluster, so this example is only compiled:
//!
//! ```no_run
//! use std::sync::Arc;
//! use vigie_cluster::{Cluster, ClusterOptions, ReadProgress};
//!
//! let cluster = Cluster::connect(&ClusterOptions::default())?;
//! println!("Kubernetes {}", cluster.version().git_version);
//! let mut stream = cluster.read(Arc::new(ReadProgress::default()));
//! let pods = stream.by_ref().filter(|r| r.kind == "Pod").count();
//! let summary = stream.finish();
//! println!("{pods} pods, {} types not readable", summary.warnings.len());
//! # Ok::<(), vigie_cluster::ClusterError>(())
//! ```

mod connect;
mod convert;
pub mod cri;
mod discovery;
mod follow;
mod inventory;
mod kubelet;
mod read;
mod report_merge;
pub mod reports;
mod snapshot;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use std::time::Duration;

pub use connect::{Cluster, ServerVersion};
pub use discovery::ApiType;
pub use follow::{FollowEvent, FollowHandle, Followed, FOLLOW_TICK};
pub use inventory::{Inventory, InventoryResources, InventoryStats};
pub use read::ObjectStream;
pub use snapshot::write_snapshot;

/// Which cluster to read, what of it, and within which limits.
#[derive(Clone, Debug)]
pub struct ClusterOptions {
    /// A kubeconfig file; `None`: `KUBECONFIG`, `~/.kube/config`, then the
    /// in-cluster service account.
    pub kubeconfig: Option<PathBuf>,
    /// A context of the kubeconfig; `None`: its current context.
    pub context: Option<String>,
    /// Namespaces to read (namespaced types only); empty: all.
    pub namespaces: Vec<String>,
    /// Namespaces whose objects are left out (and the Namespace objects themselves).
    pub exclude_namespaces: Vec<String>,
    /// Objects asked for per list request (`limit`).
    pub page_size: u32,
    /// The most objects read in all: past it, reading stops with an error.
    pub max_objects: usize,
    /// The most bytes (of their JSON) the objects a follower keeps may take in
    /// all: a count alone does not bound memory when objects such as ConfigMaps
    /// hold up to 1 MiB each. Objects past it are left out and reported.
    pub max_followed_bytes: usize,
    /// Time one request (connection, answer and body) may take.
    pub request_timeout: Duration,
    /// Lists read at once (and kubelet configurations, after the lists).
    pub concurrent_lists: usize,
    /// Whether [`Cluster::read`] reads each node's kubelet configuration
    /// (`nodes/NAME/proxy/configz`) after the lists: a posture scan wants
    /// them, a reader of RBAC alone does not.
    pub kubelet_configs: bool,
}

impl ClusterOptions {
    /// 500 objects per page, as kubectl asks.
    pub const DEFAULT_PAGE_SIZE: u32 = 500;
    /// 2 million objects: well over the largest clusters' (150,000 Pods at the
    /// documented scale limit, with their Services, ConfigMaps, RBAC...).
    pub const DEFAULT_MAX_OBJECTS: usize = 2_000_000;
    /// 256 MiB of followed objects.
    pub const DEFAULT_MAX_FOLLOWED_BYTES: usize = 256 << 20;
    /// 60 seconds per request, as kubectl's default for a page.
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
    /// Four lists at once: enough to overlap the server's latency, few enough
    /// not to load an API server.
    pub const DEFAULT_CONCURRENT_LISTS: usize = 4;

    /// Whether the namespace selection keeps `resource`: cluster-scoped objects
    /// always, a Namespace object as the objects it holds.
    pub(crate) fn keeps(&self, resource: &vigie_resource::Resource) -> bool {
        let namespace = if resource.kind == "Namespace" && resource.api_version == "v1" {
            Some(resource.name.as_str())
        } else {
            resource.namespace.as_deref()
        };
        match namespace {
            None => true,
            Some(ns) => {
                !self.exclude_namespaces.iter().any(|e| e == ns)
                    && (self.namespaces.is_empty() || self.namespaces.iter().any(|n| n == ns))
            }
        }
    }
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            kubeconfig: None,
            context: None,
            namespaces: Vec::new(),
            exclude_namespaces: Vec::new(),
            page_size: Self::DEFAULT_PAGE_SIZE,
            max_objects: Self::DEFAULT_MAX_OBJECTS,
            max_followed_bytes: Self::DEFAULT_MAX_FOLLOWED_BYTES,
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
            concurrent_lists: Self::DEFAULT_CONCURRENT_LISTS,
            kubelet_configs: true,
        }
    }
}

/// Why the cluster could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// No kubeconfig and no in-cluster service account, or a broken kubeconfig.
    #[error("no usable cluster configuration: {0}")]
    Config(String),
    /// The client could not be built from the configuration.
    #[error("cannot build the cluster client: {0}")]
    Client(String),
    /// A request every scan needs (version, discovery) failed.
    #[error("{path}: {reason}")]
    Request {
        /// The URL path asked for: `/version`, `/apis`.
        path: String,
        /// What the client or the server said.
        reason: String,
    },
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

/// A resource type that could not be read, the scan going on without it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// The type, as RBAC names it: `secrets`, `deployments.apps`.
    pub resource: String,
    /// The type's `apiVersion`: `apps/v1`.
    pub api_version: String,
    /// The type's kind: `Deployment`.
    pub kind: String,
    /// What the server said.
    pub reason: String,
}

/// What reading the cluster did, once the stream is finished.
#[derive(Debug, Default)]
pub struct ReadSummary {
    /// Types the user may not list (403): the scan lacks them. A node's
    /// kubelet configuration refused (403 on `nodes/proxy`) is one, once.
    pub warnings: Vec<Warning>,
    /// Problems that left part of the cluster unread (a list that failed for
    /// another reason, an object that is not valid, a limit reached).
    pub errors: Vec<String>,
    /// List requests answered.
    pub pages: usize,
    /// Lists started again after their continue token expired.
    pub restarts: usize,
    /// Objects handed over.
    pub objects: usize,
    /// Kubelet configurations read (one per node that answered).
    pub kubelet_configs: usize,
}

/// Counters a caller can show while the cluster is read.
#[derive(Debug, Default)]
pub struct ReadProgress {
    /// Lists to read (types × namespaces).
    pub lists_total: AtomicUsize,
    /// Lists done.
    pub lists_done: AtomicUsize,
    /// Objects handed over so far.
    pub objects: AtomicUsize,
}

impl ReadProgress {
    /// (lists done, lists in all, objects).
    pub fn snapshot(&self) -> (usize, usize, usize) {
        (
            self.lists_done.load(Ordering::Relaxed),
            self.lists_total.load(Ordering::Relaxed),
            self.objects.load(Ordering::Relaxed),
        )
    }
}

/// The source name of a cluster's objects in messages and reports: `cluster:CONTEXT`.
pub fn source_name(context: &str) -> String {
    format!("cluster:{context}")
}
