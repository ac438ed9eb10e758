//! A Kubernetes API server stand-in for tests and benchmarks.
//!
//! There is no API server on the machines vigie is built on; this one serves
//! objects read from files (or given as JSON) over the real protocol, so that
//! `vigie scan --cluster` and `kubectl` can both be pointed at it:
//!
//! - `/version`; discovery: `/api`, `/apis`, `/api/v1`, `/apis/GROUP/VERSION`
//!   (the legacy documents: a client asking for aggregated discovery gets them
//!   and falls back, as it does with an API server older than 1.26);
//! - lists, cluster-wide and per namespace, with `limit` and `continue` and the
//!   list's `resourceVersion`; a continue token answered `410 Gone` (as an
//!   expired one is) a chosen number of times; `403 Forbidden` on chosen types;
//! - `PartialObjectMetadataList` for `Accept: application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1`;
//! - single objects (`kubectl get --raw` paths), a node's `proxy/configz`;
//! - writes, for any type it serves: create (`POST`), update (`PUT`, `409
//!   Conflict` on a stale `resourceVersion`), server-side apply (`PATCH`
//!   `application/apply-patch+yaml` with `fieldManager` and `force`), JSON
//!   merge patch, delete; each makes a new `resourceVersion` and a watch event;
//! - `watch=true`: without `resourceVersion`, the objects as `ADDED` events;
//!   from a `resourceVersion`, the changes after it (`410 Gone` as an `ERROR`
//!   event when it is older than the changes kept, as after etcd's
//!   compaction); then each change as it is made, with `BOOKMARK` events when
//!   `allowWatchBookmarks` asks, until `timeoutSeconds`; watches cut off and
//!   held on demand, as by a network partition (`hold_watches`);
//! - `labelSelector` of equality requirements on lists and watches.
//!
//! Items of the built-in types' lists carry no `apiVersion` and `kind`, as a
//! real server's typed lists do.
//!
//! ```no_run
//! let objects = api_standin::load_objects(&["examples".to_string()]).unwrap();
//! let standin = api_standin::Standin::start(api_standin::StandinConfig::new(objects)).unwrap();
//! println!("{}", standin.url());
//! ```

mod catalog;
mod serve;
mod store;
mod write;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub use catalog::{Catalog, ResourceType};
use serde_json::Value;

/// What the stand-in serves and how it misbehaves.
#[derive(Clone, Debug)]
pub struct StandinConfig {
    /// The objects, with `apiVersion`, `kind` and `metadata`. Namespaced ones
    /// without a namespace are put in `default`; missing `uid` and
    /// `resourceVersion` are made up.
    pub objects: Vec<Value>,
    /// Resource types whose list and get are answered 403, named as RBAC
    /// names them: `secrets`, `deployments.apps`; `nodes/proxy` refuses
    /// every node's configz.
    pub forbidden: Vec<String>,
    /// How many continue tokens to answer `410 Gone` before honouring them.
    pub expire_continue_tokens: usize,
    /// `gitVersion` of `/version`, `v1.31.2`.
    pub server_version: String,
    /// What `/api/v1/nodes/NAME/proxy/configz` answers for every node not in
    /// `node_configz`.
    pub configz: Value,
    /// What configz answers for particular nodes, by node name.
    pub node_configz: std::collections::BTreeMap<String, Value>,
    /// Address to listen on; port 0 picks a free one.
    pub listen: SocketAddr,
    /// Types served besides the built-in ones and those of `objects`: the
    /// custom resources a test writes (see [`StandinConfig::report_types`]).
    pub extra_types: Vec<ResourceType>,
    /// How many changes a watch can resume from (older versions: `410 Gone`).
    pub watch_history: usize,
    /// How often a watch that allows bookmarks gets one.
    pub bookmark_every: Duration,
    /// How long a watch without `timeoutSeconds` stays open.
    pub watch_timeout: Duration,
}

impl StandinConfig {
    /// Serves `objects` on a free port of 127.0.0.1, behaving well.
    pub fn new(objects: Vec<Value>) -> Self {
        StandinConfig {
            objects,
            forbidden: Vec::new(),
            expire_continue_tokens: 0,
            server_version: "v1.31.2".into(),
            // What a kubeadm node's kubelet answers (the fields the kubelet
            // controls read, with kubeadm's values and the kubelet's defaults).
            configz: serde_json::json!({"kubeletconfig": {
                "authentication": {
                    "anonymous": {"enabled": false},
                    "webhook": {"enabled": true, "cacheTTL": "2m0s"},
                    "x509": {"clientCAFile": "/etc/kubernetes/pki/ca.crt"}
                },
                "authorization": {"mode": "Webhook"},
                "readOnlyPort": 0,
                "streamingConnectionIdleTimeout": "4h0m0s",
                "protectKernelDefaults": false,
                "makeIPTablesUtilChains": true,
                "eventRecordQPS": 50,
                "rotateCertificates": true,
                "serverTLSBootstrap": false,
                "podPidsLimit": -1,
                "cgroupDriver": "systemd"
            }}),
            node_configz: std::collections::BTreeMap::new(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            extra_types: Vec::new(),
            watch_history: 10_000,
            bookmark_every: Duration::from_secs(5),
            watch_timeout: Duration::from_secs(1800),
        }
    }

    /// The policy report types (`openreports.io/v1alpha1` `Report` and
    /// `ClusterReport`, `wgpolicyk8s.io/v1alpha2` `PolicyReport` and
    /// `ClusterPolicyReport`), as a cluster with their CRDs installed serves them.
    pub fn report_types() -> Vec<ResourceType> {
        resource_types(&[
            ("openreports.io", "v1alpha1", "Report", "reports", true),
            (
                "openreports.io",
                "v1alpha1",
                "ClusterReport",
                "clusterreports",
                false,
            ),
            (
                "wgpolicyk8s.io",
                "v1alpha2",
                "PolicyReport",
                "policyreports",
                true,
            ),
            (
                "wgpolicyk8s.io",
                "v1alpha2",
                "ClusterPolicyReport",
                "clusterpolicyreports",
                false,
            ),
        ])
    }

    /// Kyverno's policy types (`kyverno.io/v1` `ClusterPolicy` and `Policy`),
    /// as a cluster with Kyverno's CRDs installed serves them.
    pub fn kyverno_policy_types() -> Vec<ResourceType> {
        resource_types(&[
            (
                "kyverno.io",
                "v1",
                "ClusterPolicy",
                "clusterpolicies",
                false,
            ),
            ("kyverno.io", "v1", "Policy", "policies", true),
        ])
    }
}

/// Resource types from (group, version, kind, plural, namespaced).
fn resource_types(types: &[(&str, &str, &str, &str, bool)]) -> Vec<ResourceType> {
    types
        .iter()
        .map(|&(group, version, kind, plural, namespaced)| ResourceType {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            plural: plural.into(),
            namespaced,
            short_names: Vec::new(),
        })
        .collect()
}

/// What went wrong starting the stand-in or reading its objects.
#[derive(Debug, thiserror::Error)]
pub enum StandinError {
    /// The listening socket could not be opened.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// The address asked for.
        address: SocketAddr,
        /// Why the system refused it.
        source: std::io::Error,
    },
    /// The async runtime could not start.
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
    /// Some input could not be loaded (each reason on a line).
    #[error("cannot load the objects:\n{0}")]
    Load(String),
}

/// Requests the stand-in answered, by what they were: for tests to check
/// that a client paginated, restarted, and so on.
#[derive(Debug, Default)]
pub struct Counters {
    /// Every request.
    pub requests: AtomicUsize,
    /// List pages served (of objects or of metadata).
    pub pages: AtomicUsize,
    /// Pages served as `PartialObjectMetadataList`.
    pub metadata_pages: AtomicUsize,
    /// Continue tokens answered `410 Gone`.
    pub gone: AtomicUsize,
    /// Requests answered `403 Forbidden`.
    pub forbidden: AtomicUsize,
    /// Largest `limit` asked for.
    pub largest_limit: AtomicUsize,
}

impl Counters {
    /// The value of one counter.
    pub fn get(counter: &AtomicUsize) -> usize {
        counter.load(Ordering::Relaxed)
    }
}

/// A running stand-in. It stops when dropped.
pub struct Standin {
    address: SocketAddr,
    counters: Arc<Counters>,
    state: Arc<serve::State>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Standin {
    /// Starts serving on a thread of its own.
    pub fn start(config: StandinConfig) -> Result<Standin, StandinError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(StandinError::Runtime)?;
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(config.listen))
            .map_err(|source| StandinError::Listen {
                address: config.listen,
                source,
            })?;
        let address = listener
            .local_addr()
            .map_err(|source| StandinError::Listen {
                address: config.listen,
                source,
            })?;
        let counters = Arc::new(Counters::default());
        let state = Arc::new(serve::State::new(config, counters.clone()));
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let serving = state.clone();
        let thread = std::thread::spawn(move || {
            runtime.block_on(serve::serve(listener, serving, stopped));
        });
        Ok(Standin {
            address,
            counters,
            state,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Sends one request to the stand-in and reads its answer: see [`exchange`].
    pub fn exchange(
        &self,
        method: &str,
        path: &str,
        headers: &str,
        body: &str,
    ) -> std::io::Result<(u16, String)> {
        exchange(&self.address.to_string(), method, path, headers, body)
    }

    /// What was served so far.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Forgets the changes made so far, as etcd's compaction does: a watch
    /// resuming from a version before now gets `410 Gone` and must list again.
    pub fn compact(&self) {
        self.state
            .store
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .compact();
    }

    /// Cuts the watches off, as a network partition between the clients and
    /// the server does: every open watch stream ends, and watch requests wait,
    /// unanswered, until [`Standin::release_watches`]. Lists and writes go on.
    /// With [`Standin::compact`] meanwhile, a client resuming its watch gets
    /// `410 Gone` and must list again.
    pub fn hold_watches(&self) {
        self.state.partition.send_modify(|p| {
            p.held = true;
            p.cuts += 1;
        });
    }

    /// Ends [`Standin::hold_watches`]: the waiting watch requests are answered.
    pub fn release_watches(&self) {
        self.state.partition.send_modify(|p| p.held = false);
    }

    /// The current object `namespace/name` of a type (`reports.openreports.io`,
    /// `pods`), as a GET answers it.
    pub fn object(&self, resource: &str, namespace: Option<&str>, name: &str) -> Option<Value> {
        let store = self.state.store.read().unwrap_or_else(|e| e.into_inner());
        let t = store
            .catalog
            .types
            .iter()
            .position(|t| t.qualified() == resource)?;
        let i = store.position(t, namespace, name).ok()?;
        Some(store.by_type[t][i].value())
    }

    /// The names (`namespace/name`, or `name`) of the objects of a type.
    pub fn names(&self, resource: &str) -> Vec<String> {
        let store = self.state.store.read().unwrap_or_else(|e| e.into_inner());
        let Some(t) = store
            .catalog
            .types
            .iter()
            .position(|t| t.qualified() == resource)
        else {
            return Vec::new();
        };
        store.by_type[t]
            .iter()
            .map(|s| match &s.namespace {
                Some(ns) => format!("{ns}/{}", s.name),
                None => s.name.clone(),
            })
            .collect()
    }

    /// A kubeconfig with one context, `standin`, that reaches this server.
    pub fn kubeconfig(&self) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: standin\n  cluster:\n    server: {}\ncontexts:\n- name: standin\n  context:\n    cluster: standin\n    user: standin\ncurrent-context: standin\nusers:\n- name: standin\n  user:\n    token: standin-token\n",
            self.url()
        )
    }

    /// Serves until the process ends.
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Standin {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Reads the objects of files and directories (as `vigie scan` reads them) as
/// JSON values, in input order.
pub fn load_objects(paths: &[String]) -> Result<Vec<Value>, StandinError> {
    let loaded = vigie_resource::load(paths, &vigie_resource::LoadOptions::default());
    let errors: Vec<String> = loaded
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.to_string())
        .collect();
    if !errors.is_empty() {
        return Err(StandinError::Load(errors.join("\n")));
    }
    loaded
        .resources
        .iter()
        .map(|r| {
            serde_json::from_str(&r.root.to_json())
                .map_err(|e| StandinError::Load(format!("{} {}: {e}", r.origin.file.path, r.name)))
        })
        .collect()
}

/// Sends one HTTP/1.1 request to `address` (`host:port`) on a connection of
/// its own and reads the answer to its end: the status and the body. A plain
/// client for tests, so that every byte sent is the test's choice: `headers`
/// are extra header lines, each ending in `\r\n` (`Content-Type: ...\r\n`).
pub fn exchange(
    address: &str,
    method: &str,
    path: &str,
    headers: &str,
    body: &str,
) -> std::io::Result<(u16, String)> {
    use std::io::{Error, ErrorKind, Read, Write};
    let mut stream = std::net::TcpStream::connect(address)?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let malformed = || {
        Error::new(
            ErrorKind::InvalidData,
            format!("not an HTTP answer: {response:?}"),
        )
    };
    let status = response
        .get(9..12)
        .and_then(|code| code.parse().ok())
        .ok_or_else(malformed)?;
    let start = response.find("\r\n\r\n").ok_or_else(malformed)? + 4;
    Ok((status, response[start..].to_string()))
}
