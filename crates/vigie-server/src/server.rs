//! Binding a listener, the accept loop with its connection limits, and graceful
//! shutdown. The tokio runtime lives here and only here: callers block in
//! [`Server::serve`].

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

use crate::config::{Limits, ServerConfig};
use crate::conn;
use crate::error::ServerError;
use crate::metrics::{Rejection, ServerMetrics};
use crate::routes::Routes;
use crate::shutdown::Shutdown;
use crate::tls_reload::{Reload, ReloadingTls};

/// Threads that run connections (handlers run on the worker pool, apart).
const IO_THREADS: usize = 2;
/// How long the accept loop waits after an accept error (out of file descriptors,
/// say) before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// A bound listener, ready to [`serve`](Server::serve).
pub struct Server {
    listener: std::net::TcpListener,
    address: SocketAddr,
    tls: Option<Arc<ReloadingTls>>,
    limits: Limits,
    metrics: Arc<ServerMetrics>,
}

/// What every connection of a running server shares.
pub(crate) struct Shared {
    pub(crate) limits: Limits,
    pub(crate) routes: Routes,
    pub(crate) metrics: Arc<ServerMetrics>,
    /// The body memory budget, in KiB.
    pub(crate) body_memory: Arc<Semaphore>,
    /// The worker pool's free places.
    pub(crate) workers: Arc<Semaphore>,
    /// Places for requests admitted to the pool, running or queued: the pool's
    /// size plus [`Limits::max_queued_handlers`].
    pub(crate) admitted: Arc<Semaphore>,
    pub(crate) shutdown: Shutdown,
    /// Set when the server stops accepting: connections finish their request in
    /// progress and close. Connections watch this, not the [`Shutdown`] (which may
    /// be a polled flag), so that an idle connection costs no wake-ups.
    pub(crate) closing: watch::Sender<bool>,
    address: SocketAddr,
}

impl Shared {
    /// Logs a line about this listener on stderr.
    pub(crate) fn log(&self, message: fmt::Arguments<'_>) {
        eprintln!("vigie: listener {}: {message}", self.address);
    }
}

fn check(limits: &Limits) -> Result<(), ServerError> {
    let zero = [
        (limits.max_connections, "max_connections is 0"),
        (
            limits.max_connections_per_peer,
            "max_connections_per_peer is 0",
        ),
        (
            limits.max_concurrent_handlers,
            "max_concurrent_handlers is 0",
        ),
        (limits.max_body_memory_bytes, "max_body_memory_bytes is 0"),
    ];
    if let Some((_, what)) = zero.iter().find(|(n, _)| *n == 0) {
        return Err(ServerError::Limit(what));
    }
    let deadlines = [
        (limits.header_timeout, "header_timeout is 0"),
        (limits.body_timeout, "body_timeout is 0"),
        (limits.idle_timeout, "idle_timeout is 0"),
        (limits.handler_timeout, "handler_timeout is 0"),
    ];
    if let Some((_, what)) = deadlines.iter().find(|(d, _)| d.is_zero()) {
        return Err(ServerError::Limit(what));
    }
    if limits.max_body_bytes > limits.max_body_memory_bytes {
        return Err(ServerError::Limit(
            "max_body_bytes is larger than max_body_memory_bytes",
        ));
    }
    Ok(())
}

impl Server {
    /// Loads the TLS files and binds the address: a bad file or address fails here,
    /// before anything is served.
    pub fn bind(config: ServerConfig) -> Result<Server, ServerError> {
        check(&config.limits)?;
        let metrics = Arc::new(ServerMetrics::default());
        let tls = match &config.tls {
            Some(t) => Some(Arc::new(
                ReloadingTls::load(t.clone(), metrics.clone()).map_err(ServerError::Tls)?,
            )),
            None => None,
        };
        let bind_error = |source| ServerError::Bind {
            address: config.listen.clone(),
            source,
        };
        let listener = std::net::TcpListener::bind(&config.listen).map_err(bind_error)?;
        listener.set_nonblocking(true).map_err(bind_error)?;
        let address = listener.local_addr().map_err(bind_error)?;
        Ok(Server {
            listener,
            address,
            tls,
            limits: config.limits,
            metrics,
        })
    }

    /// The address bound (with the port picked when the configuration said 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// Whether the listener speaks TLS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// The listener's counters, readable while and after it serves.
    pub fn metrics(&self) -> Arc<ServerMetrics> {
        self.metrics.clone()
    }

    /// Serves `routes` until `shutdown` is triggered, then stops accepting, gives
    /// requests in progress [`Limits::shutdown_grace`] to finish, and returns.
    pub fn serve(self, routes: Routes, shutdown: Shutdown) -> Result<(), ServerError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(IO_THREADS)
            .max_blocking_threads(self.limits.max_concurrent_handlers)
            .thread_name("vigie-http")
            .enable_all()
            .build()
            .map_err(ServerError::Runtime)?;
        let result = runtime.block_on(self.accept_loop(routes, shutdown));
        // Handlers still running past the grace period are not waited for.
        runtime.shutdown_timeout(Duration::from_millis(100));
        result
    }

    async fn accept_loop(self, routes: Routes, shutdown: Shutdown) -> Result<(), ServerError> {
        let address = self.address;
        let listener = tokio::net::TcpListener::from_std(self.listener).map_err(|source| {
            ServerError::Bind {
                address: address.to_string(),
                source,
            }
        })?;
        let limits = self.limits;
        let shared = Arc::new(Shared {
            body_memory: Arc::new(Semaphore::new(
                (limits.max_body_memory_bytes / 1024).clamp(1, Semaphore::MAX_PERMITS),
            )),
            workers: Arc::new(Semaphore::new(limits.max_concurrent_handlers)),
            admitted: Arc::new(Semaphore::new(
                limits
                    .max_concurrent_handlers
                    .saturating_add(limits.max_queued_handlers)
                    .min(Semaphore::MAX_PERMITS),
            )),
            limits,
            routes,
            metrics: self.metrics,
            shutdown: shutdown.clone(),
            closing: watch::Sender::new(false),
            address,
        });
        let reloader = match &self.tls {
            Some(tls) if !shared.limits.tls_reload_interval.is_zero() => {
                Some(tokio::spawn(follow_tls_files(
                    tls.clone(),
                    shared.clone(),
                    shared.limits.tls_reload_interval,
                )))
            }
            _ => None,
        };
        let admission = Arc::new(Admission::default());
        let mut connections = JoinSet::new();
        loop {
            let accepted = tokio::select! {
                () = shutdown.wait() => break,
                accepted = listener.accept() => accepted,
            };
            // Reap finished connections, so the set holds only open ones.
            while connections.try_join_next().is_some() {}
            let (tcp, peer) = match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    shared.log(format_args!("accept: {e}"));
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            };
            let slot = match admission.admit(&shared, peer.ip()) {
                Ok(slot) => slot,
                Err(reason) => {
                    shared.metrics.reject(reason);
                    let n = shared.metrics.rejected(reason);
                    if n.is_power_of_two() {
                        shared.log(format_args!(
                            "closed a connection from {peer}: {} reached ({n} so far)",
                            reason.as_str()
                        ));
                    }
                    continue;
                }
            };
            let shared = shared.clone();
            let acceptor = self.tls.as_ref().map(|tls| tls.acceptor());
            connections.spawn(async move {
                let _slot = slot;
                conn::serve(shared, acceptor, tcp, peer).await;
            });
        }
        drop(listener);
        if let Some(reloader) = reloader {
            reloader.abort();
        }
        shared.closing.send_replace(true);
        let finished = tokio::time::timeout(shared.limits.shutdown_grace, async {
            while connections.join_next().await.is_some() {}
        })
        .await;
        if finished.is_err() {
            shared.log(format_args!(
                "{} connections still open after the shutdown grace period, closed",
                connections.len()
            ));
            connections.abort_all();
        }
        Ok(())
    }
}

/// Looks at the TLS files every `interval` and loads them when they change.
async fn follow_tls_files(tls: Arc<ReloadingTls>, shared: Arc<Shared>, interval: Duration) {
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is immediate; the files were just loaded.
    ticks.tick().await;
    loop {
        ticks.tick().await;
        match tls.check() {
            Reload::Unchanged => {}
            Reload::Loaded => shared.log(format_args!(
                "TLS files changed: loaded, new connections use them"
            )),
            Reload::Refused(e) => shared.log(format_args!(
                "TLS files changed but are refused, the previous certificate keeps serving: {e}"
            )),
        }
    }
}

/// Connections open, in all and by peer address.
#[derive(Default)]
struct Admission {
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// A connection's place in the limits, given back when dropped.
struct Slot {
    admission: Arc<Admission>,
    shared: Arc<Shared>,
    peer: IpAddr,
}

impl Admission {
    fn admit(self: &Arc<Self>, shared: &Arc<Shared>, peer: IpAddr) -> Result<Slot, Rejection> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let (total, by_peer) = &mut *open;
        if *total >= shared.limits.max_connections {
            return Err(Rejection::MaxConnections);
        }
        let from_peer = by_peer.entry(peer).or_default();
        if *from_peer >= shared.limits.max_connections_per_peer {
            return Err(Rejection::MaxConnectionsPerPeer);
        }
        *from_peer += 1;
        *total += 1;
        shared.metrics.connection_opened();
        Ok(Slot {
            admission: self.clone(),
            shared: shared.clone(),
            peer,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self
            .admission
            .open
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let (total, by_peer) = &mut *open;
        *total -= 1;
        if let Some(n) = by_peer.get_mut(&self.peer) {
            *n -= 1;
            if *n == 0 {
                by_peer.remove(&self.peer);
            }
        }
        self.shared.metrics.connection_closed();
    }
}
