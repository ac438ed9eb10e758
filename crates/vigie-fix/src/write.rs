//! Writing a fixed file: all or nothing, with the file's permissions.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;

/// Why a fixed file could not be written.
#[derive(Debug, thiserror::Error)]
#[error("{file}: cannot write the fixed file: {source}")]
pub struct WriteError {
    /// The file, as named or found.
    pub file: String,
    /// What the operating system said.
    #[source]
    pub source: std::io::Error,
}

/// Replaces the file at `path` (through links) with `text`: written to a new file
/// beside it with the same permissions, then renamed over it, so that a reader
/// (or a crash) sees the old text or the new one, never half of each.
pub fn write_atomically(path: &Path, text: &str) -> Result<(), WriteError> {
    let error = |source| WriteError {
        file: path.display().to_string(),
        source,
    };
    let target = fs::canonicalize(path).map_err(error)?;
    let permissions = fs::metadata(&target).map_err(error)?.permissions();
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = target.with_file_name(format!(".{name}.vigie-fix.{}", std::process::id()));
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temporary)?;
        file.write_all(text.as_bytes())?;
        file.set_permissions(permissions)?;
        file.sync_all()?;
        fs::rename(&temporary, &target)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written.map_err(error)
}
