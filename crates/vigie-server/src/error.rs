//! Why a listener could not start.

use std::io;

/// A listener that could not be set up; nothing was served.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The address could not be bound (in use, not local, bad syntax).
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The configured `host:port`.
        address: String,
        /// What the operating system said.
        source: io::Error,
    },
    /// A certificate, key or CA file is missing, unreadable or does not fit.
    /// The message names the file.
    #[error("{0}")]
    Tls(io::Error),
    /// A limit that cannot work (zero connections, a zero deadline).
    #[error("invalid server limit: {0}")]
    Limit(&'static str),
    /// The threads serving the listener could not be started.
    #[error("cannot start the server threads: {0}")]
    Runtime(io::Error),
}
