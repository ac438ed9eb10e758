//! Asking a running server to stop, from any thread.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

/// How often a [`Shutdown`] made from a flag looks at it. Applications that share one
/// stop flag between many threads (vigie-detect's sources) use such a flag.
const FLAG_POLL: Duration = Duration::from_millis(50);

/// A stop switch for [`Server::serve`](crate::Server::serve): when triggered, the server
/// stops accepting, lets requests in progress finish within
/// [`Limits::shutdown_grace`](crate::Limits::shutdown_grace), and returns.
#[derive(Clone, Debug)]
pub struct Shutdown {
    sender: Arc<watch::Sender<bool>>,
    flag: Option<Arc<AtomicBool>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    /// A switch triggered by [`Shutdown::trigger`].
    pub fn new() -> Self {
        Self {
            sender: Arc::new(watch::Sender::new(false)),
            flag: None,
        }
    }

    /// A switch also triggered when `flag` becomes true.
    pub fn on_flag(flag: Arc<AtomicBool>) -> Self {
        Self {
            flag: Some(flag),
            ..Self::new()
        }
    }

    /// Asks the server to stop.
    pub fn trigger(&self) {
        self.sender.send_replace(true);
    }

    /// Whether a stop was asked for.
    pub fn is_triggered(&self) -> bool {
        *self.sender.borrow()
            || self
                .flag
                .as_ref()
                .is_some_and(|f| f.load(Ordering::Relaxed))
    }

    /// Resolves once a stop is asked for.
    pub(crate) async fn wait(&self) {
        let mut receiver = self.sender.subscribe();
        loop {
            if self.is_triggered() {
                return;
            }
            if self.flag.is_some() {
                tokio::select! {
                    _ = receiver.changed() => {}
                    () = tokio::time::sleep(FLAG_POLL) => {}
                }
            } else if receiver.changed().await.is_err() {
                return;
            }
        }
    }
}
