//! Container metadata from the node's container runtime, for the syscall sensor:
//! the CRI gRPC API (`runtime.v1.RuntimeService`) over the runtime's unix socket.
//!
//! [`Resolver::start`] connects to the runtimes and answers, on a thread of its
//! own, the ids the sensor's [`ContainerCache`] queues when it misses: for each,
//! `ContainerStatus` (name, image, privileged), `ListContainers` (its pod sandbox)
//! and `PodSandboxStatus` (pod name, uid, namespace, labels). The event path
//! never waits for these calls.

mod client;
pub mod proto;
pub mod standin;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use client::Runtime;
/// The sensor's cache this module fills, and its parts.
pub use vigie_sensor::state::containers::{CacheConfig, ContainerCache, Requests};

/// The sockets tried when none is given: containerd, CRI-O, k3s's containerd.
pub const DEFAULT_SOCKETS: &[&str] = &[
    "/run/containerd/containerd.sock",
    "/run/crio/crio.sock",
    "/run/k3s/containerd/containerd.sock",
];

/// Why the runtime could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum CriError {
    /// The socket cannot be connected to.
    #[error("CRI socket {socket}: cannot connect: {reason}")]
    Connect {
        /// The socket.
        socket: String,
        /// Why.
        reason: String,
    },
    /// A call failed.
    #[error("CRI socket {socket}: {call}: {code:?}: {message}")]
    Call {
        /// The socket.
        socket: String,
        /// The call's gRPC path.
        call: &'static str,
        /// The gRPC status code.
        code: tonic::Code,
        /// The runtime's message.
        message: String,
    },
    /// The async runtime of the resolver cannot start.
    #[error("CRI resolver: cannot start: {0}")]
    Start(#[source] std::io::Error),
    /// No runtime answered on any socket.
    #[error("no container runtime answered on {0}")]
    NoRuntime(String),
}

impl CriError {
    fn is_not_found(&self) -> bool {
        matches!(
            self,
            CriError::Call {
                code: tonic::Code::NotFound,
                ..
            }
        )
    }
}

/// How the resolver asks.
#[derive(Clone, Debug)]
pub struct ResolverOptions {
    /// The longest wait for one connection or call.
    pub timeout: Duration,
    /// Lookups in flight at most.
    pub concurrency: usize,
}

impl Default for ResolverOptions {
    fn default() -> Self {
        ResolverOptions {
            timeout: Duration::from_secs(2),
            concurrency: 8,
        }
    }
}

/// What the resolver did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LookupStats {
    /// Containers asked about.
    pub lookups: u64,
    /// Containers a runtime described.
    pub found: u64,
    /// Containers no runtime knows.
    pub not_found: u64,
    /// Lookups that failed (timeouts, errors).
    pub failed: u64,
    /// The sum of lookup times, in microseconds.
    pub total_us: u64,
    /// The longest lookup, in microseconds.
    pub max_us: u64,
}

impl LookupStats {
    /// The mean lookup time.
    pub fn mean(&self) -> Duration {
        Duration::from_micros(self.total_us.checked_div(self.lookups).unwrap_or(0))
    }
}

#[derive(Debug, Default)]
struct Counters {
    lookups: AtomicU64,
    found: AtomicU64,
    not_found: AtomicU64,
    failed: AtomicU64,
    total_us: AtomicU64,
    max_us: AtomicU64,
    last_error: Mutex<Option<String>>,
}

/// Answers a [`ContainerCache`]'s requests from the runtimes, on a thread of its
/// own. Dropping it stops that thread.
#[derive(Debug)]
pub struct Resolver {
    runtimes: Vec<(PathBuf, String)>,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// How often the request loop checks whether it should stop.
const POLL: Duration = Duration::from_millis(100);

impl Resolver {
    /// Connects to the runtimes on `sockets` and starts answering `requests` into
    /// `cache`. Sockets that do not answer are returned as warnings; it fails only
    /// when none answers.
    pub fn start(
        sockets: &[PathBuf],
        cache: &Arc<ContainerCache>,
        requests: Requests,
        options: ResolverOptions,
    ) -> Result<(Resolver, Vec<CriError>), CriError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("vigie-cri")
            .enable_all()
            .build()
            .map_err(CriError::Start)?;
        let mut warnings = Vec::new();
        let mut runtimes = Vec::new();
        for socket in sockets {
            match rt.block_on(Runtime::connect(socket, options.timeout)) {
                Ok(r) => runtimes.push(r),
                Err(e) => warnings.push(e),
            }
        }
        if runtimes.is_empty() {
            let tried: Vec<String> = sockets.iter().map(|s| s.display().to_string()).collect();
            return Err(CriError::NoRuntime(tried.join(", ")));
        }
        let names = runtimes
            .iter()
            .map(|r| (r.socket().to_path_buf(), r.version().to_string()))
            .collect();
        let counters = Arc::new(Counters::default());
        let stop = Arc::new(AtomicBool::new(false));
        let worker = Worker {
            runtimes: Arc::new(runtimes),
            cache: Arc::downgrade(cache),
            counters: counters.clone(),
            limit: Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1))),
            timeout: options.timeout,
        };
        let stopping = stop.clone();
        let thread = std::thread::Builder::new()
            .name("vigie-cri-requests".into())
            .spawn(move || {
                loop {
                    if stopping.load(Ordering::Relaxed) {
                        break;
                    }
                    match requests.next(POLL) {
                        Ok(id) => {
                            rt.spawn(worker.clone().lookup(id));
                        }
                        Err(false) => {}
                        Err(true) => break,
                    }
                }
                rt.shutdown_timeout(Duration::from_secs(1));
            })
            .map_err(CriError::Start)?;
        Ok((
            Resolver {
                runtimes: names,
                counters,
                stop,
                thread: Some(thread),
            },
            warnings,
        ))
    }

    /// The runtimes connected: socket, and the runtime's name and version.
    pub fn runtimes(&self) -> &[(PathBuf, String)] {
        &self.runtimes
    }

    /// The error of the last lookup that failed, if any did.
    pub fn last_error(&self) -> Option<String> {
        let last = self.counters.last_error.lock();
        last.unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The counters so far.
    pub fn stats(&self) -> LookupStats {
        let c = &self.counters;
        LookupStats {
            lookups: c.lookups.load(Ordering::Relaxed),
            found: c.found.load(Ordering::Relaxed),
            not_found: c.not_found.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
            total_us: c.total_us.load(Ordering::Relaxed),
            max_us: c.max_us.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Resolver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            // A panic of the request loop has been reported on stderr already.
            let _ = t.join();
        }
    }
}

/// The sockets to use: those given, or the default ones that exist.
pub fn sockets_or_default(given: &[PathBuf]) -> Vec<PathBuf> {
    if !given.is_empty() {
        return given.to_vec();
    }
    DEFAULT_SOCKETS
        .iter()
        .map(PathBuf::from)
        .filter(|p| Path::new(p).exists())
        .collect()
}

#[derive(Clone)]
struct Worker {
    runtimes: Arc<Vec<Runtime>>,
    cache: Weak<ContainerCache>,
    counters: Arc<Counters>,
    limit: Arc<tokio::sync::Semaphore>,
    timeout: Duration,
}

impl Worker {
    async fn lookup(self, id: String) {
        let Ok(_permit) = self.limit.acquire().await else {
            return;
        };
        let start = Instant::now();
        let mut answer = Ok(None);
        for runtime in self.runtimes.iter() {
            answer = match tokio::time::timeout(self.timeout, runtime.container(&id)).await {
                Ok(a) => a,
                Err(_) => Err(CriError::Call {
                    socket: runtime.socket().display().to_string(),
                    call: proto::path::CONTAINER_STATUS,
                    code: tonic::Code::DeadlineExceeded,
                    message: format!("no answer in {:?}", self.timeout),
                }),
            };
            if matches!(answer, Ok(Some(_))) {
                break;
            }
        }
        let took = start.elapsed().as_micros() as u64;
        let c = &self.counters;
        c.lookups.fetch_add(1, Ordering::Relaxed);
        c.total_us.fetch_add(took, Ordering::Relaxed);
        c.max_us.fetch_max(took, Ordering::Relaxed);
        let Some(cache) = self.cache.upgrade() else {
            return;
        };
        match answer {
            Ok(Some(info)) => {
                c.found.fetch_add(1, Ordering::Relaxed);
                cache.insert(&id, info);
            }
            Ok(None) => {
                c.not_found.fetch_add(1, Ordering::Relaxed);
                cache.fail(&id);
            }
            Err(e) => {
                c.failed.fetch_add(1, Ordering::Relaxed);
                *c.last_error.lock().unwrap_or_else(PoisonError::into_inner) = Some(e.to_string());
                cache.fail(&id);
            }
        }
    }
}
