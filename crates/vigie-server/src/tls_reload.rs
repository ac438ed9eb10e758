//! A listener's TLS configuration that follows its files: when the certificate,
//! key or client CA change on disk (cert-manager rotating a Secret, the kubelet
//! swapping the mounted files), new connections get the new ones. A new set that
//! does not load (a half-written file, a key that does not match its certificate)
//! is refused with a log line and the previous configuration keeps serving.
//!
//! The whole rustls configuration is swapped, not only the certificate: one
//! mechanism covers the client CA of mutual TLS too, and a connection always sees
//! a certificate, key and CA that were loaded together.

use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use tokio_rustls::TlsAcceptor;

use crate::metrics::ServerMetrics;
use crate::tls::ServerTlsConfig;

/// What tells that a file changed without reading it: a rotation writes a new
/// file (new inode, often through a symlink swap), or rewrites it in place (new
/// modification time or size).
#[derive(Clone, Debug, PartialEq, Eq)]
struct FileStamp {
    device: u64,
    inode: u64,
    size: u64,
    modified: Option<SystemTime>,
}

fn stamp(path: &Path) -> Option<FileStamp> {
    // `metadata` follows symlinks: a Secret volume's files are symlinks into a
    // directory the kubelet replaces whole.
    let meta = std::fs::metadata(path).ok()?;
    Some(FileStamp {
        device: meta.dev(),
        inode: meta.ino(),
        size: meta.len(),
        modified: meta.modified().ok(),
    })
}

/// The current TLS configuration of a listener, and how to notice new files.
pub(crate) struct ReloadingTls {
    files: ServerTlsConfig,
    current: RwLock<Arc<rustls::ServerConfig>>,
    /// The stamps of the files as last looked at (whether they loaded or not), so
    /// that a refused set is not retried, nor logged again, until it changes.
    stamps: Mutex<Vec<Option<FileStamp>>>,
    metrics: Arc<ServerMetrics>,
}

/// What a [`ReloadingTls::check`] did.
#[derive(Debug)]
pub(crate) enum Reload {
    /// The files did not change.
    Unchanged,
    /// New files were loaded and serve new connections.
    Loaded,
    /// New files were refused; the previous configuration keeps serving.
    Refused(io::Error),
}

impl ReloadingTls {
    /// Loads the files once; failing here fails the listener's start.
    pub(crate) fn load(files: ServerTlsConfig, metrics: Arc<ServerMetrics>) -> io::Result<Self> {
        let stamps = files.paths().map(stamp).collect();
        let config = files.load()?;
        metrics.tls_loaded(not_after(&files));
        Ok(ReloadingTls {
            files,
            current: RwLock::new(config),
            stamps: Mutex::new(stamps),
            metrics,
        })
    }

    /// An acceptor with the configuration current now.
    pub(crate) fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(
            self.current
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        )
    }

    /// Looks at the files' metadata and, when one changed, loads them all again.
    pub(crate) fn check(&self) -> Reload {
        let now: Vec<Option<FileStamp>> = self.files.paths().map(stamp).collect();
        {
            let mut stamps = self.stamps.lock().unwrap_or_else(|e| e.into_inner());
            if *stamps == now {
                return Reload::Unchanged;
            }
            *stamps = now;
        }
        match self.files.load() {
            Ok(config) => {
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = config;
                self.metrics.tls_reloaded(not_after(&self.files));
                Reload::Loaded
            }
            Err(e) => {
                self.metrics.tls_reload_failed();
                Reload::Refused(e)
            }
        }
    }
}

/// The leaf certificate's notAfter, in seconds since the Unix epoch; `None` when
/// it cannot be read (the load that just succeeded read the same file, so only a
/// file replaced in between gets here).
fn not_after(files: &ServerTlsConfig) -> Option<i64> {
    let certs = crate::tls::load_certs(&files.cert_file).ok()?;
    let (_, leaf) = x509_parser::parse_x509_certificate(certs.first()?.as_ref()).ok()?;
    Some(leaf.validity().not_after.timestamp())
}
