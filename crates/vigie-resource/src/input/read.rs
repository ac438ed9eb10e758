//! Reading one file or standard input within a byte cap, as UTF-8 text.
//!
//! Everything is read as a stream that stops one byte past the cap, so `/dev/zero`
//! or an endless pipe costs the cap in memory, not all the memory there is.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::diagnostic::Diagnostic;
use crate::node::Pos;

/// Why a file (or standard input) could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// Nothing is at that path.
    #[error("{file}: no such file or directory")]
    NotFound {
        /// The file, as the user named it.
        file: String,
    },
    /// The input holds more bytes than the cap.
    #[error("{file}: {}", too_large_reason(*limit))]
    TooLarge {
        /// The file, as the user named it (`<stdin>` for standard input).
        file: String,
        /// The cap in bytes.
        limit: u64,
    },
    /// The bytes are not UTF-8 text.
    #[error("{file}:{pos}: {}", not_utf8_reason(*byte))]
    NotUtf8 {
        /// The file, as the user named it.
        file: String,
        /// The line and column of the first invalid byte.
        pos: Pos,
        /// The first invalid byte.
        byte: u8,
    },
    /// The operating system refused or failed the read (or the walk: a link cycle).
    #[error("{file}: {reason}")]
    Io {
        /// The file, as the user named it.
        file: String,
        /// What went wrong, in words.
        reason: String,
    },
}

impl ReadError {
    /// The file, as the user named it.
    pub fn file(&self) -> &str {
        match self {
            ReadError::NotFound { file }
            | ReadError::TooLarge { file, .. }
            | ReadError::NotUtf8 { file, .. }
            | ReadError::Io { file, .. } => file,
        }
    }

    /// Where in the file the problem is, when it is at one place.
    pub fn pos(&self) -> Option<Pos> {
        match self {
            ReadError::NotUtf8 { pos, .. } => Some(*pos),
            _ => None,
        }
    }

    /// The reason alone, without the file and position.
    pub fn reason(&self) -> String {
        match self {
            ReadError::NotFound { .. } => NOT_FOUND.to_string(),
            ReadError::TooLarge { limit, .. } => too_large_reason(*limit),
            ReadError::NotUtf8 { byte, .. } => not_utf8_reason(*byte),
            ReadError::Io { reason, .. } => reason.clone(),
        }
    }

    /// Whether nothing is at the path (a test suite naming a missing file is
    /// unrunnable rather than unreadable).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::NotFound { .. })
    }

    /// The error as a loading diagnostic, with its position when it has one.
    pub fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic::error(self.file(), self.pos(), self.reason())
    }

    /// The error an I/O failure on `file` stands for, in words a user reads.
    pub(crate) fn from_io(file: impl Into<String>, e: &std::io::Error) -> Self {
        let file = file.into();
        match e.kind() {
            std::io::ErrorKind::NotFound => ReadError::NotFound { file },
            std::io::ErrorKind::PermissionDenied => ReadError::Io {
                file,
                reason: "permission denied".into(),
            },
            _ => ReadError::Io {
                file,
                reason: e.to_string(),
            },
        }
    }
}

const NOT_FOUND: &str = "no such file or directory";

/// The words of [`ReadError::TooLarge`], naming the cap and the flag that raises it.
pub(crate) fn too_large_reason(limit: u64) -> String {
    format!(
        "larger than {limit} bytes, the limit on one file or stdin; raise it with \
         --max-file-bytes if this input is expected"
    )
}

fn not_utf8_reason(byte: u8) -> String {
    format!("not UTF-8 text (invalid byte 0x{byte:02x}); Kubernetes manifests must be UTF-8")
}

/// Reads the text of a file the user named, or of standard input for `-`, refusing
/// more than `limit` bytes. A leading byte-order mark is dropped.
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    if path.as_os_str() == "-" {
        read_stdin(limit)
    } else {
        read_file(path, limit)
    }
}

/// Reads standard input (named `<stdin>` in errors) within `limit` bytes.
pub(crate) fn read_stdin(limit: u64) -> Result<String, ReadError> {
    read_capped(std::io::stdin().lock(), "<stdin>", limit)
}

/// Reads a file within `limit` bytes, whatever it is (a FIFO or device too: the
/// user named it).
pub(crate) fn read_file(path: &Path, limit: u64) -> Result<String, ReadError> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| ReadError::from_io(&name, &e))?;
    // An open file says what it is and, when regular, its size: refused before
    // anything is read. No extra system call: the descriptor is already open.
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

/// Reads to the end, or stops one byte past `limit` and says so.
fn read_capped(reader: impl Read, name: &str, limit: u64) -> Result<String, ReadError> {
    let mut bytes = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| ReadError::from_io(name, &e))?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            file: name.to_string(),
            limit,
        });
    }
    decode_utf8(bytes, name)
}

/// Decodes UTF-8 (dropping a byte-order mark), or names the line and column of the
/// first byte that is not UTF-8.
fn decode_utf8(bytes: Vec<u8>, name: &str) -> Result<String, ReadError> {
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
            Err(ReadError::NotUtf8 {
                file: name.to_string(),
                pos: Pos::new(line, column),
                byte: bytes[valid],
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct CountingReader<R> {
        inner: R,
        read: usize,
    }

    impl<R: Read> Read for CountingReader<R> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.read += n;
            Ok(n)
        }
    }

    #[test]
    fn a_stream_stops_one_byte_past_the_cap_and_names_it() {
        let mut counted = CountingReader {
            inner: std::io::repeat(b'a'),
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
        assert_eq!(counted.read, 1001, "read no further than the cap");
        assert_eq!(
            err.to_string(),
            "zero: larger than 1000 bytes, the limit on one file or stdin; \
             raise it with --max-file-bytes if this input is expected"
        );
        assert_eq!(err.to_diagnostic().to_string(), format!("error: {err}"));
    }

    #[test]
    fn text_within_the_cap_loses_its_byte_order_mark() {
        assert_eq!(read_capped(&b"a: 1\n"[..], "f", 5).unwrap(), "a: 1\n");
        assert_eq!(
            read_capped(&b"\xef\xbb\xbfa: 1\n"[..], "f", 100).unwrap(),
            "a: 1\n"
        );
    }

    #[test]
    fn not_utf8_names_line_and_column() {
        let err = read_capped(&b"a: 1\nb: \xff\n"[..], "f.yaml", 100).unwrap_err();
        assert_eq!(err.pos(), Some(Pos::new(2, 4)));
        assert_eq!(
            err.to_string(),
            "f.yaml:2:4: not UTF-8 text (invalid byte 0xff); Kubernetes manifests must be UTF-8"
        );
        assert_eq!(err.to_diagnostic().pos, Some(Pos::new(2, 4)));
    }

    #[test]
    fn files_are_refused_by_size_missing_or_as_directories() {
        let dir = std::env::temp_dir().join(format!("vigie-read-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big.yaml");
        std::fs::write(&big, "#".repeat(50)).unwrap();
        let too_large = read_text(&big, 10).unwrap_err();
        let missing = read_text(&dir.join("none.yaml"), 10).unwrap_err();
        let directory = read_text(&dir, 10).unwrap_err();
        let read = read_text(&big, 50);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(matches!(too_large, ReadError::TooLarge { limit: 10, .. }));
        assert!(missing.is_not_found(), "{missing}");
        assert!(missing
            .to_string()
            .ends_with("none.yaml: no such file or directory"));
        assert_eq!(directory.reason(), "is a directory, expected a file");
        assert_eq!(read.unwrap().len(), 50);
    }
}
