//! What the paths a user names stand for, and reading each source's text within
//! the limits.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::{Limits, LoadOptions};
use crate::diagnostic::Diagnostic;
use crate::kustomize;
use crate::node::Pos;
use crate::resource::SourceFile;

/// Something to read objects from.
pub(super) enum Source {
    File(PathBuf),
    Stdin,
    Kustomization(PathBuf),
}

/// Adds the sources `input` names: itself, standard input for `-`, or for a
/// directory the manifests and kustomizations under it.
pub(super) fn collect_sources(
    input: &str,
    options: &LoadOptions,
    sources: &mut Vec<Source>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if input == "-" {
        sources.push(Source::Stdin);
        return;
    }
    let path = PathBuf::from(input);
    let metadata = match std::fs::metadata(&path) {
        Ok(m) => m,
        Err(e) => {
            diagnostics.push(Diagnostic::error(input, None, io_reason(&e)));
            return;
        }
    };
    if !metadata.is_dir() {
        // Named on the command line: read whatever it is (a FIFO, a device), as
        // asked, within the limits.
        if let Some(note) = kustomization_note(&path) {
            diagnostics.push(note);
        } else {
            sources.push(Source::File(path));
        }
        return;
    }
    let mut walk = walkdir::WalkDir::new(&path).sort_by_file_name().into_iter();
    while let Some(entry) = walk.next() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                let file = e
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| input.to_string());
                let reason = e.io_error().map(io_reason).unwrap_or_else(|| e.to_string());
                diagnostics.push(Diagnostic::error(file, None, reason));
                continue;
            }
        };
        let is_hidden = entry.depth() > 0 && entry.file_name().to_string_lossy().starts_with('.');
        if entry.file_type().is_dir() {
            if is_hidden {
                walk.skip_current_dir();
            } else if !options.no_kustomize && kustomize::is_kustomization(entry.path()) {
                sources.push(Source::Kustomization(entry.into_path()));
                walk.skip_current_dir();
            }
            continue;
        }
        if is_hidden || !has_manifest_extension(entry.path()) {
            continue;
        }
        if let Some(note) = kustomization_note(entry.path()) {
            diagnostics.push(note);
            continue;
        }
        // Links are followed to what they point at; only regular files are read
        // when walking a directory: reading a FIFO would wait for a writer forever,
        // and a device may never end.
        let regular = entry.file_type().is_file()
            || std::fs::metadata(entry.path()).is_ok_and(|m| m.is_file());
        if regular {
            sources.push(Source::File(entry.into_path()));
        } else if !std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir()) {
            diagnostics.push(Diagnostic::warning(
                entry.path().display().to_string(),
                None,
                "not a regular file (a FIFO, socket or device): skipped; \
                 name it on the command line to read it",
            ));
        }
    }
}

fn has_manifest_extension(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// A note for a kustomization file met as a file (under `--no-kustomize`, or named
/// directly): it tells kustomize what to build and is not an object to scan.
fn kustomization_note(path: &Path) -> Option<Diagnostic> {
    let name = path.file_name()?.to_str()?;
    kustomize::KUSTOMIZATION_FILES.contains(&name).then(|| {
        Diagnostic::warning(
            path.display().to_string(),
            None,
            "a kustomization, not a Kubernetes object: skipped (its resources are \
             scanned as files; scan its directory without --no-kustomize to render it)",
        )
    })
}

pub(super) fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Reads the text of a source: a file, stdin, or a kustomize rendering, refusing
/// more than `limits.max_file_bytes`.
pub(super) fn read_source(
    source: &Source,
    kubectl: Option<&Path>,
    limits: &Limits,
) -> Result<(SourceFile, String), Diagnostic> {
    let plain = |path: String| SourceFile {
        path,
        rendered_by: None,
    };
    match source {
        Source::File(path) => {
            let name = path.display().to_string();
            let error = |reason| Diagnostic::error(name.clone(), None, reason);
            let file = std::fs::File::open(path).map_err(|e| error(io_reason(&e)))?;
            // A regular file says its size: refused before anything is read.
            if file
                .metadata()
                .is_ok_and(|m| m.is_file() && m.len() > limits.max_file_bytes)
            {
                return Err(error(too_large(limits)));
            }
            let bytes = read_limited(file, limits).map_err(error)?;
            let text = decode_utf8(bytes)
                .map_err(|(pos, reason)| Diagnostic::error(name.clone(), Some(pos), reason))?;
            Ok((plain(name), text))
        }
        Source::Stdin => {
            let name = "<stdin>".to_string();
            let bytes = read_limited(std::io::stdin().lock(), limits)
                .map_err(|reason| Diagnostic::error(name.clone(), None, reason))?;
            let text = decode_utf8(bytes)
                .map_err(|(pos, reason)| Diagnostic::error(name.clone(), Some(pos), reason))?;
            Ok((plain(name), text))
        }
        Source::Kustomization(dir) => {
            let name = dir.display().to_string();
            let text = kustomize::render(kubectl, dir)
                .and_then(|text| {
                    if text.len() as u64 > limits.max_file_bytes {
                        Err(format!("its rendering is {}", too_large(limits)))
                    } else {
                        Ok(text)
                    }
                })
                .map_err(|reason| Diagnostic::error(name.clone(), None, reason))?;
            Ok((
                SourceFile {
                    path: name,
                    rendered_by: Some("kubectl kustomize".into()),
                },
                text,
            ))
        }
    }
}

/// Reads to the end, or stops one byte past the limit and says so: `/dev/zero` or an
/// endless pipe costs the limit, not all the memory there is.
fn read_limited(reader: impl Read, limits: &Limits) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    reader
        .take(limits.max_file_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| io_reason(&e))?;
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(too_large(limits));
    }
    Ok(bytes)
}

fn too_large(limits: &Limits) -> String {
    format!(
        "larger than {} bytes, the limit on one file or stdin; raise it with \
         --max-file-bytes if this input is expected",
        limits.max_file_bytes
    )
}

/// Decodes UTF-8 (dropping a byte-order mark), or names the line and column of the
/// first byte that is not UTF-8.
pub(super) fn decode_utf8(bytes: Vec<u8>) -> Result<String, (Pos, String)> {
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            if text.starts_with('\u{feff}') {
                text.drain(..3);
            }
            Ok(text)
        }
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            let before = &bytes[..valid];
            let line = before.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
            let line_start = before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1);
            // `before` is valid UTF-8, so the column can count characters.
            let column = std::str::from_utf8(&before[line_start..])
                .map(|s| s.chars().count())
                .unwrap_or(0) as u32
                + 1;
            Err((
                Pos::new(line, column),
                format!(
                    "not UTF-8 text (invalid byte 0x{:02x}); Kubernetes manifests must be UTF-8",
                    bytes[valid]
                ),
            ))
        }
    }
}
