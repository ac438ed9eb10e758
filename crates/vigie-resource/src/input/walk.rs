//! From the paths a user names to the sources to read objects from.

use std::fmt;
use std::path::{Path, PathBuf};

use super::read::ReadError;
use crate::diagnostic::Diagnostic;
use crate::kustomize;

/// Something to read objects from, found by [`walk`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A regular file (or a link to one), found in a directory or named directly.
    File(PathBuf),
    /// A file named directly that is not a regular file (a FIFO, a device, a
    /// process substitution): read as asked, within the cap, and only once, as its
    /// bytes may not come again.
    Special(PathBuf),
    /// Standard input, named `-`.
    Stdin,
    /// A directory holding a kustomization, to render with `kubectl kustomize`.
    Kustomization(PathBuf),
}

/// How [`walk`] treats what it finds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WalkOptions {
    /// Keep a directory holding a kustomization whole, as a
    /// [`Source::Kustomization`], rather than walking its files.
    pub render_kustomizations: bool,
    /// Refuse regular files larger than this up front, by their size (one `stat`
    /// each), with [`ReadError::TooLarge`], for a caller that must know which files
    /// are unreadable before loading. Unset, the size is checked when each file is
    /// opened, at no extra cost.
    pub max_file_bytes: Option<u64>,
}

/// What the paths a user named come to.
#[derive(Debug, Default)]
pub struct Walked {
    /// In input order, each directory's entries sorted by name.
    pub sources: Vec<Source>,
    /// In input order: paths that could not be walked, and entries passed over.
    pub diagnostics: Vec<WalkDiagnostic>,
    /// The inputs that name a file (or `-`, as `<stdin>`) rather than a directory,
    /// as named, whether or not they became a source: a caller may expect
    /// something of each.
    pub named: Vec<String>,
}

/// A problem met by [`walk`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WalkDiagnostic {
    /// A path that could not be walked (missing, refused, a link cycle), or a
    /// regular file over [`WalkOptions::max_file_bytes`]: an error.
    Unreadable(ReadError),
    /// A FIFO, socket or device found in a directory, skipped: reading a FIFO
    /// nobody writes to waits forever, and a device may never end. It is read when
    /// named directly. A warning.
    NotRegular(String),
    /// A kustomization file met as a file (named directly, or in a directory not
    /// rendered): it tells kustomize what to build and is not an object. A warning.
    KustomizationFile(String),
}

impl WalkDiagnostic {
    /// The path the problem is about, as named or found.
    pub fn file(&self) -> &str {
        match self {
            WalkDiagnostic::Unreadable(e) => e.file(),
            WalkDiagnostic::NotRegular(file) | WalkDiagnostic::KustomizationFile(file) => file,
        }
    }

    /// The problem as a loading diagnostic: an error for an unreadable path, a
    /// warning for an entry passed over.
    pub fn to_diagnostic(&self) -> Diagnostic {
        match self {
            WalkDiagnostic::Unreadable(e) => e.to_diagnostic(),
            _ => Diagnostic::warning(self.file(), None, self.reason()),
        }
    }

    fn reason(&self) -> String {
        match self {
            WalkDiagnostic::Unreadable(e) => e.reason(),
            WalkDiagnostic::NotRegular(_) => "not a regular file (a FIFO, socket or device): \
                 skipped; name it on the command line to read it"
                .into(),
            WalkDiagnostic::KustomizationFile(_) => {
                "a kustomization, not a Kubernetes object: skipped (its resources are \
                 scanned as files; scan its directory without --no-kustomize to render it)"
                    .into()
            }
        }
    }
}

/// `file: reason`, without a level.
impl fmt::Display for WalkDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WalkDiagnostic::Unreadable(e) => e.fmt(f),
            _ => write!(f, "{}: {}", self.file(), self.reason()),
        }
    }
}

/// Turns the paths a user named into sources: `-` is standard input; a file is
/// itself, whatever it is; a directory is walked (sorted by name, hidden entries
/// skipped) for `.yaml`, `.yml` and `.json` regular files, and for kustomizations
/// when rendering them. Nothing is read here, and nothing stops at the first
/// problem: each becomes a [`WalkDiagnostic`].
pub fn walk(inputs: &[String], options: &WalkOptions) -> Walked {
    let mut walked = Walked::default();
    for input in inputs {
        walk_one(input, options, &mut walked);
    }
    walked
}

fn walk_one(input: &str, options: &WalkOptions, out: &mut Walked) {
    if input == "-" {
        out.named.push("<stdin>".into());
        out.sources.push(Source::Stdin);
        return;
    }
    let path = PathBuf::from(input);
    let metadata = match std::fs::metadata(&path) {
        Ok(m) => m,
        Err(e) => {
            let error = ReadError::from_io(input, &e);
            out.diagnostics.push(WalkDiagnostic::Unreadable(error));
            return;
        }
    };
    if !metadata.is_dir() {
        out.named.push(input.to_string());
        // Named on the command line: read whatever it is (a FIFO, a device), as
        // asked, within the limits.
        if is_kustomization_file(&path) {
            out.diagnostics
                .push(WalkDiagnostic::KustomizationFile(input.to_string()));
        } else if !metadata.is_file() {
            out.sources.push(Source::Special(path));
        } else {
            take_regular(path, metadata.len(), options, out);
        }
        return;
    }
    let mut entries = walkdir::WalkDir::new(&path).sort_by_file_name().into_iter();
    while let Some(entry) = entries.next() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                let file = e
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| input.to_string());
                let error = match e.io_error() {
                    Some(io) => ReadError::from_io(file, io),
                    // A link cycle, which walkdir reports without an I/O error.
                    None => ReadError::Io {
                        reason: e.to_string(),
                        file,
                    },
                };
                out.diagnostics.push(WalkDiagnostic::Unreadable(error));
                continue;
            }
        };
        let is_hidden = entry.depth() > 0 && entry.file_name().to_string_lossy().starts_with('.');
        if entry.file_type().is_dir() {
            if is_hidden {
                entries.skip_current_dir();
            } else if options.render_kustomizations && kustomize::is_kustomization(entry.path()) {
                out.sources.push(Source::Kustomization(entry.into_path()));
                entries.skip_current_dir();
            }
            continue;
        }
        if is_hidden || !has_manifest_extension(entry.path()) {
            continue;
        }
        if is_kustomization_file(entry.path()) {
            let file = entry.path().display().to_string();
            out.diagnostics
                .push(WalkDiagnostic::KustomizationFile(file));
            continue;
        }
        // Links are followed to what they point at; only regular files are read
        // when walking a directory.
        if entry.file_type().is_file() {
            let len = match options.max_file_bytes {
                Some(_) => entry.metadata().map_or(0, |m| m.len()),
                None => 0,
            };
            take_regular(entry.into_path(), len, options, out);
            continue;
        }
        match std::fs::metadata(entry.path()) {
            Ok(m) if m.is_file() => take_regular(entry.into_path(), m.len(), options, out),
            Ok(m) if m.is_dir() => {}
            _ => {
                let file = entry.path().display().to_string();
                out.diagnostics.push(WalkDiagnostic::NotRegular(file));
            }
        }
    }
}

/// Adds a regular file of `len` bytes, or refuses it when over the up-front cap.
fn take_regular(path: PathBuf, len: u64, options: &WalkOptions, out: &mut Walked) {
    match options.max_file_bytes {
        Some(limit) if len > limit => {
            let file = path.display().to_string();
            let error = ReadError::TooLarge { file, limit };
            out.diagnostics.push(WalkDiagnostic::Unreadable(error));
        }
        _ => out.sources.push(Source::File(path)),
    }
}

fn has_manifest_extension(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

fn is_kustomization_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| kustomize::KUSTOMIZATION_FILES.contains(&n))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> Self {
            let dir =
                std::env::temp_dir().join(format!("vigie-walk-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Self(dir)
        }

        fn write(&self, name: &str, content: &str) -> PathBuf {
            let path = self.0.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, content).unwrap();
            path
        }

        fn arg(&self) -> String {
            self.0.display().to_string()
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn directories_give_manifests_in_name_order_and_kustomizations_when_rendering() {
        let dir = TempDir::new("order");
        let b = dir.write("b.yml", "");
        let a = dir.write("a.json", "");
        dir.write("notes.txt", "");
        dir.write(".hidden.yaml", "");
        dir.write(".git/config.yaml", "");
        dir.write("k/kustomization.yaml", "resources: [c.yaml]\n");
        let c = dir.write("k/c.yaml", "");
        let rendered = walk(
            &[dir.arg()],
            &WalkOptions {
                render_kustomizations: true,
                ..WalkOptions::default()
            },
        );
        assert_eq!(
            rendered.sources,
            [
                Source::File(a.clone()),
                Source::File(b.clone()),
                Source::Kustomization(dir.0.join("k")),
            ]
        );
        assert!(
            rendered.diagnostics.is_empty(),
            "{:?}",
            rendered.diagnostics
        );
        assert!(rendered.named.is_empty());

        let plain = walk(&[dir.arg()], &WalkOptions::default());
        assert_eq!(
            plain.sources,
            [Source::File(a), Source::File(b), Source::File(c)]
        );
        let kustomization = dir.0.join("k/kustomization.yaml").display().to_string();
        assert_eq!(
            plain.diagnostics,
            [WalkDiagnostic::KustomizationFile(kustomization)]
        );
        assert!(!plain.diagnostics[0].to_diagnostic().is_error());
    }

    #[test]
    fn named_inputs_are_taken_whatever_they_are_and_missing_ones_are_errors() {
        let dir = TempDir::new("named");
        let notes = dir.write("notes.txt", "");
        let missing = dir.0.join("missing.yaml").display().to_string();
        let inputs = [
            "-".to_string(),
            notes.display().to_string(),
            missing.clone(),
        ];
        let walked = walk(&inputs, &WalkOptions::default());
        assert_eq!(walked.sources, [Source::Stdin, Source::File(notes.clone())]);
        assert_eq!(
            walked.named,
            ["<stdin>".to_string(), notes.display().to_string()]
        );
        assert_eq!(
            walked.diagnostics,
            [WalkDiagnostic::Unreadable(ReadError::NotFound {
                file: missing.clone()
            })]
        );
        assert_eq!(
            walked.diagnostics[0].to_diagnostic().to_string(),
            format!("error: {missing}: no such file or directory")
        );
        #[cfg(unix)]
        {
            let walked = walk(&["/dev/null".to_string()], &WalkOptions::default());
            assert_eq!(walked.sources, [Source::Special("/dev/null".into())]);
        }
    }

    #[test]
    fn files_over_the_up_front_cap_are_refused_by_size_without_reading() {
        let dir = TempDir::new("cap");
        let small = dir.write("small.yaml", "a: 1\n");
        let big = dir.write("big.yaml", &"#".repeat(100));
        let options = WalkOptions {
            max_file_bytes: Some(10),
            ..WalkOptions::default()
        };
        let refused = |file: &Path| {
            WalkDiagnostic::Unreadable(ReadError::TooLarge {
                file: file.display().to_string(),
                limit: 10,
            })
        };
        let walked = walk(&[dir.arg()], &options);
        assert_eq!(walked.sources, [Source::File(small.clone())]);
        assert_eq!(walked.diagnostics, [refused(&big)]);
        let walked = walk(&[big.display().to_string()], &options);
        assert!(walked.sources.is_empty());
        assert_eq!(walked.diagnostics, [refused(&big)]);
        assert_eq!(walked.named, [big.display().to_string()]);
        // Unset, the size is left for the reader to check.
        let walked = walk(&[dir.arg()], &WalkOptions::default());
        assert_eq!(walked.sources.len(), 2);
    }

    #[cfg(unix)]
    #[test]
    fn fifos_in_directories_are_skipped_with_a_warning() {
        let dir = TempDir::new("fifo");
        let fifo = dir.0.join("stuck.yaml");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let walked = walk(&[dir.arg()], &WalkOptions::default());
        assert!(walked.sources.is_empty());
        let skipped = &walked.diagnostics[0];
        assert_eq!(
            skipped,
            &WalkDiagnostic::NotRegular(fifo.display().to_string())
        );
        assert_eq!(
            skipped.to_string(),
            format!(
                "{}: not a regular file (a FIFO, socket or device): skipped; \
                 name it on the command line to read it",
                fifo.display()
            )
        );
        assert!(!skipped.to_diagnostic().is_error());
        let named = walk(&[fifo.display().to_string()], &WalkOptions::default());
        assert_eq!(named.sources, [Source::Special(fifo)]);
    }
}
