//! The cache of the container runtime's answers, shared by the event path (which
//! reads it) and the task asking the runtime (which fills it).
//!
//! The event path never waits: [`ContainerCache::get`] takes a short lock, and on
//! a miss queues the id for the runtime with a non-blocking send (a full queue
//! drops the request, asked again on a later event). Entries are bounded in
//! number and live for a TTL, after which the next lookup still returns the old
//! answer and asks the runtime again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::ContainerInfo;

/// Sizes and delays of a [`ContainerCache`].
#[derive(Clone, Debug)]
pub struct CacheConfig {
    /// Containers kept at most; past it the entry due soonest is dropped.
    pub capacity: usize,
    /// How long an answer is used before the runtime is asked again.
    pub ttl: Duration,
    /// How long after an unanswered or failed request the runtime is asked again.
    pub retry: Duration,
    /// Requests waiting for the runtime at most.
    pub queue: usize,
}

impl Default for CacheConfig {
    fn default() -> Self {
        // A node runs at most a few hundred containers (kubelet's default is 110
        // pods); container metadata changes only when the container is replaced,
        // which brings a new id.
        CacheConfig {
            capacity: 4096,
            ttl: Duration::from_secs(600),
            retry: Duration::from_secs(5),
            queue: 1024,
        }
    }
}

/// What the cache counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups answered.
    pub hits: u64,
    /// Lookups not answered (the container's first events, or a runtime that does
    /// not know it).
    pub misses: u64,
    /// Requests to the runtime that failed.
    pub failures: u64,
    /// Requests dropped because the queue was full.
    pub dropped_requests: u64,
    /// Entries dropped to stay within capacity.
    pub evictions: u64,
}

#[derive(Debug)]
struct Slot {
    info: Option<Arc<ContainerInfo>>,
    /// When to ask the runtime again.
    ask_after: Instant,
}

/// Container metadata by full container id. See the module documentation.
#[derive(Debug)]
pub struct ContainerCache {
    config: CacheConfig,
    slots: Mutex<HashMap<String, Slot>>,
    requests: SyncSender<String>,
    hits: AtomicU64,
    misses: AtomicU64,
    failures: AtomicU64,
    dropped_requests: AtomicU64,
    evictions: AtomicU64,
}

/// The ids the runtime should be asked about, in the order they were missed.
#[derive(Debug)]
pub struct Requests(Receiver<String>);

impl Requests {
    /// The next id, waiting at most `timeout`; `Err(true)` once the cache is gone
    /// (no id will come), `Err(false)` on timeout.
    pub fn next(&self, timeout: Duration) -> Result<String, bool> {
        self.0.recv_timeout(timeout).map_err(|e| match e {
            RecvTimeoutError::Timeout => false,
            RecvTimeoutError::Disconnected => true,
        })
    }
}

impl ContainerCache {
    /// An empty cache and the queue of its requests. Whoever fills the cache should
    /// hold it by [`std::sync::Weak`], so that dropping the last strong reference
    /// ends the queue.
    pub fn new(config: CacheConfig) -> (Arc<ContainerCache>, Requests) {
        let (tx, rx) = mpsc::sync_channel(config.queue.max(1));
        let cache = ContainerCache {
            config,
            slots: Mutex::new(HashMap::new()),
            requests: tx,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            dropped_requests: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
        };
        (Arc::new(cache), Requests(rx))
    }

    fn slots(&self) -> MutexGuard<'_, HashMap<String, Slot>> {
        // A panic while holding the lock leaves a map that is still consistent
        // (every update is a single insert or remove).
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The metadata of container `full_id`, when the runtime gave it. Never waits
    /// for the runtime: a miss, or an answer older than the TTL, queues a request.
    pub fn get(&self, full_id: &str) -> Option<Arc<ContainerInfo>> {
        let now = Instant::now();
        let mut slots = self.slots();
        let (info, ask) = match slots.get(full_id) {
            Some(slot) => (slot.info.clone(), now >= slot.ask_after),
            None => (None, true),
        };
        if ask {
            match self.requests.try_send(full_id.to_string()) {
                Ok(()) => {
                    let ask_after = now + self.config.retry;
                    match slots.get_mut(full_id) {
                        Some(slot) => slot.ask_after = ask_after,
                        None => {
                            self.make_room(&mut slots);
                            slots.insert(
                                full_id.to_string(),
                                Slot {
                                    info: None,
                                    ask_after,
                                },
                            );
                        }
                    }
                }
                Err(_) => {
                    self.dropped_requests.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        drop(slots);
        let counter = if info.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        info
    }

    /// Stores the runtime's answer for `full_id`.
    pub fn insert(&self, full_id: &str, info: ContainerInfo) {
        let now = Instant::now();
        let mut slots = self.slots();
        if !slots.contains_key(full_id) {
            self.make_room(&mut slots);
        }
        slots.insert(
            full_id.to_string(),
            Slot {
                info: Some(Arc::new(info)),
                ask_after: now + self.config.ttl,
            },
        );
    }

    /// Notes that the runtime could not answer for `full_id`: asked again after
    /// the retry delay; an earlier answer is kept.
    pub fn fail(&self, full_id: &str) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        let ask_after = Instant::now() + self.config.retry;
        if let Some(slot) = self.slots().get_mut(full_id) {
            slot.ask_after = ask_after;
        }
    }

    /// Drops the entry due soonest when the cache is full. O(n), only when full.
    fn make_room(&self, slots: &mut HashMap<String, Slot>) {
        if slots.len() < self.config.capacity.max(1) {
            return;
        }
        let victim = slots
            .iter()
            .min_by_key(|(_, s)| s.ask_after)
            .map(|(k, _)| k.clone());
        if let Some(k) = victim {
            slots.remove(&k);
            self.evictions.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// How many containers are held.
    pub fn len(&self) -> usize {
        self.slots().len()
    }

    /// Whether no container is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The counters so far.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            dropped_requests: self.dropped_requests.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
        }
    }
}
