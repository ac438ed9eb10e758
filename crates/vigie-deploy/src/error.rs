//! Why certificates or manifests could not be made.

use std::io;
use std::path::PathBuf;

/// `vigie admission certs` could not write its files; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum CertsError {
    /// A file that would be written exists (and overwriting was not asked for).
    #[error("{}: already exists; pass --force to replace it", .0.display())]
    Exists(PathBuf),
    /// A name cannot go into a certificate or a Service.
    #[error("invalid {what} `{value}`: {reason}")]
    InvalidName {
        /// Which input: `service`, `namespace`, `DNS name`.
        what: &'static str,
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The validity is out of the accepted range.
    #[error("--days {0}: the validity must be between 1 and {max} days", max = crate::certs::MAX_DAYS)]
    Days(u32),
    /// The key or certificate could not be generated.
    #[error("cannot generate the certificates: {0}")]
    Generate(#[from] rcgen::Error),
    /// A file could not be written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
}

/// The manifests could not be made from the options and policies given.
#[derive(Debug, thiserror::Error)]
pub enum ManifestsError {
    /// A name cannot be a Kubernetes object name.
    #[error("invalid {what} `{value}`: {reason}")]
    InvalidName {
        /// Which input.
        what: &'static str,
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An option is out of its range.
    #[error("{0}")]
    Option(String),
    /// A file (a certificate, a policy) could not be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: io::Error,
    },
    /// The policies do not fit in one ConfigMap.
    #[error("the policy files hold {bytes} bytes, more than a ConfigMap holds ({max} bytes); split them over several installs or load them from the cluster")]
    PoliciesTooLarge {
        /// Bytes of the policy files.
        bytes: usize,
        /// The bound.
        max: usize,
    },
}
