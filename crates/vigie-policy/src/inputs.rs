//! The files `vigie policy` reads, each with a size cap.
//!
//! Every file is read as a stream that stops one byte past the cap, so `/dev/zero`
//! or a runaway pipe costs at most the cap in memory. Walking a directory takes
//! regular files only: a FIFO, socket or device found there is skipped with a note
//! (reading a FIFO nobody writes to would block forever); such a file is read only
//! when it is named directly.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use vigie_resource::{Node, Origin, Resource, SourceFile};

/// The default cap on one file (or standard input): 256 MiB, far above any real
/// policy, suite or manifest file, far below what would exhaust a machine.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Why a file could not be read.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// The file is larger than the cap.
    #[error("{file}: larger than the {limit}-byte limit (--max-file-bytes); not read")]
    TooLarge {
        /// The file, as the user named it.
        file: String,
        /// The cap in bytes.
        limit: u64,
    },
    /// The operating system refused or failed the read.
    #[error("{file}: {reason}")]
    Io {
        /// The file, as the user named it.
        file: String,
        /// What went wrong, in words.
        reason: String,
    },
    /// The bytes are not UTF-8 text.
    #[error("{file}:{line}: not UTF-8 text (invalid byte 0x{byte:02x})")]
    NotUtf8 {
        /// The file, as the user named it.
        file: String,
        /// The line of the first invalid byte.
        line: u32,
        /// The first invalid byte.
        byte: u8,
    },
}

impl ReadError {
    /// The file, as the user named it.
    pub fn file(&self) -> &str {
        match self {
            ReadError::TooLarge { file, .. }
            | ReadError::Io { file, .. }
            | ReadError::NotUtf8 { file, .. } => file,
        }
    }

    /// The line the problem is on, when it is on one.
    pub fn line(&self) -> Option<u32> {
        match self {
            ReadError::NotUtf8 { line, .. } => Some(*line),
            _ => None,
        }
    }

    /// The reason alone, without the file.
    pub fn reason(&self) -> String {
        let text = self.to_string();
        let prefix = match self.line() {
            Some(line) => format!("{}:{line}: ", self.file()),
            None => format!("{}: ", self.file()),
        };
        text.strip_prefix(&prefix).unwrap_or(&text).to_string()
    }

    /// Whether the file does not exist (a suite naming a missing file is unrunnable,
    /// not unreadable).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io { reason, .. } if reason == NOT_FOUND)
    }
}

const NOT_FOUND: &str = "no such file or directory";

fn io_error(file: &str, e: &std::io::Error) -> ReadError {
    let reason = match e.kind() {
        std::io::ErrorKind::NotFound => NOT_FOUND.to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    };
    ReadError::Io {
        file: file.to_string(),
        reason,
    }
}

/// Reads at most `limit` bytes from `reader`; more is an error naming `name` and the cap.
pub fn read_capped(mut reader: impl Read, name: &str, limit: u64) -> Result<String, ReadError> {
    let mut bytes = Vec::new();
    reader
        .by_ref()
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(name, &e))?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            file: name.to_string(),
            limit,
        });
    }
    decode(bytes, name)
}

/// Reads a file named by the user (or `-` for standard input), streaming and
/// stopping at `limit` bytes.
pub fn read_file(path: &Path, limit: u64) -> Result<String, ReadError> {
    if path.as_os_str() == "-" {
        return read_capped(std::io::stdin().lock(), "<stdin>", limit);
    }
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| io_error(&name, &e))?;
    // A regular file's size is known up front: refuse it before reading a byte.
    if let Ok(meta) = file.metadata() {
        if meta.is_dir() {
            return Err(ReadError::Io {
                file: name,
                reason: "is a directory, expected a file".into(),
            });
        }
        if meta.is_file() && meta.len() > limit {
            return Err(ReadError::TooLarge { file: name, limit });
        }
    }
    read_capped(file, &name, limit)
}

fn decode(bytes: Vec<u8>, name: &str) -> Result<String, ReadError> {
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
            Err(ReadError::NotUtf8 {
                file: name.to_string(),
                line: bytes[..valid].iter().filter(|&&b| b == b'\n').count() as u32 + 1,
                byte: bytes[valid],
            })
        }
    }
}

/// What the paths a user named come to.
#[derive(Debug, Default)]
pub struct Gathered {
    /// Regular files within the cap, and kustomization directories (when rendering
    /// them), for the resource loader.
    pub paths: Vec<String>,
    /// Standard input and special files named directly, already read: (name, text).
    pub texts: Vec<(String, String)>,
    /// Files that could not be read or are over the cap.
    pub errors: Vec<ReadError>,
    /// Files skipped on purpose (FIFOs, sockets, devices inside a directory).
    pub notes: Vec<String>,
    /// The files named directly rather than found in a directory (as in `paths`
    /// or `texts`): a caller may expect something of each.
    pub named: Vec<String>,
}

/// Turns the paths a user named into what can safely be loaded: directories are
/// walked (hidden entries skipped, `.yaml`/`.yml`/`.json` files taken), regular files
/// over `limit` are refused, and whatever is not a regular file is read here with
/// the cap when named directly and skipped with a note inside a directory.
/// With `kustomize`, a directory holding a kustomization is kept whole for the
/// loader to render.
pub fn gather(inputs: &[String], limit: u64, kustomize: bool) -> Gathered {
    let mut out = Gathered::default();
    for input in inputs {
        if input == "-" {
            match read_file(Path::new("-"), limit) {
                Ok(text) => {
                    out.named.push("<stdin>".into());
                    out.texts.push(("<stdin>".into(), text));
                }
                Err(e) => out.errors.push(e),
            }
            continue;
        }
        match std::fs::metadata(input) {
            Err(e) => out.errors.push(io_error(input, &e)),
            Ok(meta) if meta.is_dir() => walk(Path::new(input), limit, kustomize, &mut out),
            Ok(meta) if meta.is_file() => {
                out.named.push(input.clone());
                take_regular(input, meta.len(), limit, &mut out);
            }
            Ok(_) => match read_file(Path::new(input), limit) {
                Ok(text) => {
                    out.named.push(input.clone());
                    out.texts.push((input.clone(), text));
                }
                Err(e) => out.errors.push(e),
            },
        }
    }
    out
}

fn take_regular(path: &str, len: u64, limit: u64, out: &mut Gathered) {
    if len > limit {
        out.errors.push(ReadError::TooLarge {
            file: path.to_string(),
            limit,
        });
    } else {
        out.paths.push(path.to_string());
    }
}

fn walk(dir: &Path, limit: u64, kustomize: bool, out: &mut Gathered) {
    let mut walker = walkdir::WalkDir::new(dir).sort_by_file_name().into_iter();
    while let Some(entry) = walker.next() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                let file = e
                    .path()
                    .map_or_else(|| dir.display().to_string(), |p| p.display().to_string());
                out.errors.push(match e.io_error() {
                    Some(io) => io_error(&file, io),
                    // A link cycle, which walkdir reports without an I/O error.
                    None => ReadError::Io {
                        reason: e.to_string(),
                        file,
                    },
                });
                continue;
            }
        };
        let hidden = entry.depth() > 0 && entry.file_name().to_string_lossy().starts_with('.');
        let path = entry.path();
        if entry.file_type().is_dir() {
            if hidden {
                walker.skip_current_dir();
            } else if kustomize && is_kustomization(path) {
                // The loader renders it with `kubectl kustomize`.
                out.paths.push(path.display().to_string());
                walker.skip_current_dir();
            }
            continue;
        }
        if hidden || !has_manifest_extension(path) {
            continue;
        }
        let name = path.display().to_string();
        if entry.file_type().is_file() {
            let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
            take_regular(&name, len, limit, out);
        } else if !entry.file_type().is_symlink() || !follows_to_file(path) {
            out.notes.push(format!(
                "{name}: skipped: not a regular file (FIFO, socket or device); name it directly to read it"
            ));
        } else {
            let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            take_regular(&name, len, limit, out);
        }
    }
}

fn follows_to_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

fn is_kustomization(dir: &Path) -> bool {
    ["kustomization.yaml", "kustomization.yml", "Kustomization"]
        .iter()
        .any(|f| dir.join(f).is_file())
}

fn has_manifest_extension(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// A loader diagnostic as `file:line:column: reason` (no position when it has none).
pub fn diagnostic_text(d: &vigie_resource::Diagnostic) -> String {
    match d.pos.filter(|p| p.line > 0) {
        Some(pos) => format!("{}:{pos}: {}", d.file, d.reason),
        None => format!("{}: {}", d.file, d.reason),
    }
}

/// Kubernetes objects in a text read here (standard input, a special file), with
/// `List`s unpacked as the loader does, and an error (line, reason) for each
/// document that is not one.
pub fn resources_of_text(name: &str, text: &str) -> (Vec<Resource>, Vec<(u32, String)>) {
    let file = Arc::new(SourceFile {
        path: name.to_string(),
        rendered_by: None,
    });
    let mut resources = Vec::new();
    let mut errors = Vec::new();
    for document in vigie_resource::parse_documents(text) {
        let document = match document {
            Ok(d) => d,
            Err(e) => {
                errors.push((
                    e.pos.line,
                    format!("document {}: invalid YAML: {}", e.index + 1, e.reason),
                ));
                continue;
            }
        };
        let origin = Origin {
            file: file.clone(),
            document: document.index,
            item: None,
        };
        let is_list = document
            .root
            .get("kind")
            .and_then(Node::as_str)
            .is_some_and(|k| k.ends_with("List"))
            && document.root.get("items").is_some();
        if !is_list {
            match Resource::from_node(document.root, origin) {
                Ok(r) => resources.push(r),
                Err((pos, reason)) => errors.push((
                    pos.line,
                    format!("document {}: {reason}", document.index + 1),
                )),
            }
            continue;
        }
        let items = document.root.get("items").map(Node::items).unwrap_or(&[]);
        for (i, item) in items.iter().enumerate() {
            let origin = Origin {
                item: Some(i as u32),
                ..origin.clone()
            };
            match Resource::from_node(item.clone(), origin) {
                Ok(r) => resources.push(r),
                Err((pos, reason)) => errors.push((
                    pos.line,
                    format!("document {}, item {}: {reason}", document.index + 1, i + 1),
                )),
            }
        }
    }
    (resources, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_stops_one_byte_past_the_cap() {
        let mut source = std::io::repeat(b'a');
        let mut counted = CountingReader {
            inner: &mut source,
            read: 0,
        };
        let err = read_capped(&mut counted, "zero", 1000).unwrap_err();
        assert_eq!(
            err,
            ReadError::TooLarge {
                file: "zero".into(),
                limit: 1000
            }
        );
        assert!(err.to_string().contains("1000-byte limit"), "{err}");
        assert_eq!(counted.read, 1001, "read no further than the cap");
    }

    #[test]
    fn within_the_cap_is_text_and_not_utf8_names_the_line() {
        assert_eq!(read_capped(&b"a: 1\n"[..], "f", 5).unwrap(), "a: 1\n");
        let err = read_capped(&b"a: 1\nb: \xff\n"[..], "f.yaml", 100).unwrap_err();
        assert_eq!(
            err.to_string(),
            "f.yaml:2: not UTF-8 text (invalid byte 0xff)"
        );
    }

    struct CountingReader<'a, R> {
        inner: &'a mut R,
        read: usize,
    }

    impl<R: Read> Read for CountingReader<'_, R> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.read += n;
            Ok(n)
        }
    }
}
