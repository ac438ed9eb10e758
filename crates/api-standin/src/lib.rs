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
//! - `watch=true`: the objects as `ADDED` events, one JSON object per line,
//!   then the end of the stream (a finite watch, enough to test a client's decoding).
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

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

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
    /// names them: `secrets`, `deployments.apps`.
    pub forbidden: Vec<String>,
    /// How many continue tokens to answer `410 Gone` before honouring them.
    pub expire_continue_tokens: usize,
    /// `gitVersion` of `/version`, `v1.31.2`.
    pub server_version: String,
    /// What `/api/v1/nodes/NAME/proxy/configz` answers for every node.
    pub configz: Value,
    /// Address to listen on; port 0 picks a free one.
    pub listen: SocketAddr,
}

impl StandinConfig {
    /// Serves `objects` on a free port of 127.0.0.1, behaving well.
    pub fn new(objects: Vec<Value>) -> Self {
        StandinConfig {
            objects,
            forbidden: Vec::new(),
            expire_continue_tokens: 0,
            server_version: "v1.31.2".into(),
            configz: serde_json::json!({"kubeletconfig": {
                "authentication": {"anonymous": {"enabled": false}, "webhook": {"enabled": true}},
                "authorization": {"mode": "Webhook"},
                "readOnlyPort": 0,
                "protectKernelDefaults": true
            }}),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }
}

/// What went wrong starting the stand-in or reading its objects.
#[derive(Debug, thiserror::Error)]
pub enum StandinError {
    /// The listening socket could not be opened.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: SocketAddr,
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
        let thread = std::thread::spawn(move || {
            runtime.block_on(serve::serve(listener, state, stopped));
        });
        Ok(Standin {
            address,
            counters,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// What was served so far.
    pub fn counters(&self) -> &Counters {
        &self.counters
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
