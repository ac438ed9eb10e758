//! From the paths a user names to resources and diagnostics.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rayon::prelude::*;

use crate::diagnostic::Diagnostic;
use crate::kustomize;
use crate::node::{Node, Pos, Value};
use crate::resource::{describe, Origin, Resource, SourceFile};
use crate::yaml::{parse_document, split_stream, Document, DocumentText};

/// How to load input.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Do not render kustomizations; scan their files one by one instead.
    pub no_kustomize: bool,
    /// Counters a caller can watch to show progress on long loads.
    pub progress: Option<Arc<Progress>>,
}

/// Sources found and sources done, updated while loading.
#[derive(Debug, Default)]
pub struct Progress {
    pub total: AtomicUsize,
    pub done: AtomicUsize,
}

/// Everything loaded from the input, in input order.
#[derive(Debug, Default)]
pub struct Loaded {
    pub resources: Vec<Resource>,
    pub diagnostics: Vec<Diagnostic>,
    /// Sources read: files, stdin and kustomize renderings.
    pub sources: usize,
}

impl Loaded {
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }
}

enum Source {
    File(PathBuf),
    Stdin,
    Kustomization(PathBuf),
}

/// Loads files, directories (recursively: `.yaml`, `.yml`, `.json`), and `-` for
/// standard input. Directories holding a kustomization are rendered with
/// `kubectl kustomize`. Nothing stops at the first problem: each becomes a diagnostic.
pub fn load(inputs: &[String], options: &LoadOptions) -> Loaded {
    let mut resources = Vec::new();
    let summary = load_each(inputs, options, |resource| resource, |r| resources.push(r));
    Loaded {
        resources,
        diagnostics: summary.diagnostics,
        sources: summary.sources,
    }
}

/// What [`load_each`] returns once every result has been handed over.
#[derive(Debug, Default)]
pub struct LoadSummary {
    /// In input order.
    pub diagnostics: Vec<Diagnostic>,
    /// Sources read: files, stdin and kustomize renderings.
    pub sources: usize,
}

/// Like [`load`], but nothing is gathered: each resource goes to `visit` on the
/// thread that parsed it, and what `visit` returns goes to `consume` on the
/// calling thread, in input order, as soon as it and everything before it are
/// ready. Sources, and documents within a source, are parsed in parallel; memory
/// holds only the results waiting for an earlier one, so a caller that writes
/// them out keeps a flat footprint whatever the size of the input.
pub fn load_each<T, F, C>(
    inputs: &[String],
    options: &LoadOptions,
    visit: F,
    mut consume: C,
) -> LoadSummary
where
    T: Send,
    F: Fn(Resource) -> T + Sync,
    C: FnMut(T),
{
    let mut diagnostics = Vec::new();
    let mut sources = Vec::new();
    for input in inputs {
        collect_sources(input, options, &mut sources, &mut diagnostics);
    }
    let kubectl = if sources
        .iter()
        .any(|s| matches!(s, Source::Kustomization(_)))
    {
        kustomize::find_kubectl()
    } else {
        None
    };
    if let Some(progress) = &options.progress {
        progress.total.store(sources.len(), Ordering::Relaxed);
    }
    // Work is handed out document by document in input order (`par_bridge`
    // takes the next job only when a thread is free), so the results waiting
    // for an earlier one stay as few as the threads. Splitting the sources into
    // halves up front, as `par_iter` does, would leave half the input's results
    // waiting for the first half.
    let jobs = sources.iter().enumerate().flat_map(|(index, source)| {
        let jobs = jobs_of(index, source, kubectl.as_deref());
        if let Some(progress) = &options.progress {
            progress.done.fetch_add(1, Ordering::Relaxed);
        }
        jobs
    });
    let (sender, receiver) = std::sync::mpsc::channel::<Piece<T>>();
    std::thread::scope(|scope| {
        let visit = &visit;
        scope.spawn(move || {
            jobs.par_bridge().for_each(|job| {
                // The receiver lives until every sender is gone.
                let _ = sender.send(job.run(visit));
            });
        });
        let mut order = InOrder::default();
        for piece in receiver {
            order.add(piece, &mut |piece: Piece<T>| {
                piece.results.into_iter().for_each(&mut consume);
                diagnostics.extend(piece.diagnostics);
            });
        }
    });
    LoadSummary {
        diagnostics,
        sources: sources.len(),
    }
}

/// The results of one job: some documents of one source.
struct Piece<T> {
    source: usize,
    /// Which job of the source this is, of how many.
    job: usize,
    jobs: usize,
    results: Vec<T>,
    diagnostics: Vec<Diagnostic>,
}

/// Puts pieces arriving in any order back into input order.
struct InOrder<T> {
    source: usize,
    job: usize,
    waiting: std::collections::HashMap<(usize, usize), Piece<T>>,
}

impl<T> Default for InOrder<T> {
    fn default() -> Self {
        Self {
            source: 0,
            job: 0,
            waiting: std::collections::HashMap::new(),
        }
    }
}

impl<T> InOrder<T> {
    /// Takes a piece, and hands over every piece that is now next in line.
    fn add(&mut self, piece: Piece<T>, next: &mut impl FnMut(Piece<T>)) {
        self.waiting.insert((piece.source, piece.job), piece);
        while let Some(piece) = self.waiting.remove(&(self.source, self.job)) {
            if piece.job + 1 == piece.jobs {
                self.source += 1;
                self.job = 0;
            } else {
                self.job += 1;
            }
            next(piece);
        }
    }
}

fn collect_sources(
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
        sources.push(Source::File(path));
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
        if !is_hidden && has_manifest_extension(entry.path()) {
            sources.push(Source::File(entry.into_path()));
        }
    }
}

fn has_manifest_extension(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Reads the text of a source: a file, stdin, or a kustomize rendering.
fn read_source(
    source: &Source,
    kubectl: Option<&Path>,
) -> Result<(SourceFile, String), Diagnostic> {
    let plain = |path: String| SourceFile {
        path,
        rendered_by: None,
    };
    match source {
        Source::File(path) => {
            let name = path.display().to_string();
            let bytes = std::fs::read(path)
                .map_err(|e| Diagnostic::error(name.clone(), None, io_reason(&e)))?;
            let text = decode_utf8(bytes)
                .map_err(|(pos, reason)| Diagnostic::error(name.clone(), Some(pos), reason))?;
            Ok((plain(name), text))
        }
        Source::Stdin => {
            let name = "<stdin>".to_string();
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| Diagnostic::error(name.clone(), None, io_reason(&e)))?;
            let text = decode_utf8(bytes)
                .map_err(|(pos, reason)| Diagnostic::error(name.clone(), Some(pos), reason))?;
            Ok((plain(name), text))
        }
        Source::Kustomization(dir) => {
            let name = dir.display().to_string();
            let text = kustomize::render(kubectl, dir)
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

/// One document of a source to parse, or a source that yields nothing to parse.
enum Job {
    Documents {
        source: usize,
        file: Arc<SourceFile>,
        text: Arc<String>,
        documents: Vec<Span>,
        /// Which job of the source this is, of how many.
        position: usize,
        jobs: usize,
    },
    /// A source that could not be read, or holds no document: one piece, so
    /// that the next source is not waited for in vain.
    Empty {
        source: usize,
        diagnostic: Option<Diagnostic>,
    },
}

/// Where a document is in the text of its source.
struct Span {
    range: std::ops::Range<usize>,
    index: u32,
    first_line: u32,
}

/// Documents are parsed a few at a time: handing them out one by one costs more
/// in locking and waking threads than small documents take to parse.
const JOB_BYTES: usize = 16 * 1024;

/// Reads a source and cuts it into documents.
fn jobs_of(source_index: usize, source: &Source, kubectl: Option<&Path>) -> Vec<Job> {
    let (file, text) = match read_source(source, kubectl) {
        Ok(read) => read,
        Err(diagnostic) => {
            return vec![Job::Empty {
                source: source_index,
                diagnostic: Some(diagnostic),
            }]
        }
    };
    document_jobs(source_index, file, text)
}

/// Cuts the text of a source into documents, and those into jobs.
fn document_jobs(source_index: usize, file: SourceFile, text: String) -> Vec<Job> {
    let (file, text) = (Arc::new(file), Arc::new(text));
    let base = text.as_ptr() as usize;
    let mut groups: Vec<Vec<Span>> = Vec::new();
    let mut bytes = 0;
    for document in split_stream(&text) {
        if groups.is_empty() || bytes >= JOB_BYTES {
            groups.push(Vec::new());
            bytes = 0;
        }
        let start = document.text.as_ptr() as usize - base;
        bytes += document.text.len();
        groups.last_mut().expect("a group was pushed").push(Span {
            range: start..start + document.text.len(),
            index: document.index,
            first_line: document.first_line,
        });
    }
    if groups.is_empty() {
        return vec![Job::Empty {
            source: source_index,
            diagnostic: None,
        }];
    }
    let jobs = groups.len();
    groups
        .into_iter()
        .enumerate()
        .map(|(position, documents)| Job::Documents {
            source: source_index,
            file: file.clone(),
            text: text.clone(),
            documents,
            position,
            jobs,
        })
        .collect()
}

impl Job {
    /// Parses the documents (unpacking `List`s) and hands each resource to `visit`.
    fn run<T, F>(self, visit: &F) -> Piece<T>
    where
        F: Fn(Resource) -> T,
    {
        match self {
            Job::Empty { source, diagnostic } => Piece {
                source,
                job: 0,
                jobs: 1,
                results: Vec::new(),
                diagnostics: diagnostic.into_iter().collect(),
            },
            Job::Documents {
                source,
                file,
                text,
                documents,
                position,
                jobs,
            } => {
                let mut resources = Vec::new();
                let mut diagnostics = Vec::new();
                for span in documents {
                    let document = DocumentText {
                        index: span.index,
                        text: &text[span.range],
                        first_line: span.first_line,
                    };
                    if let Some(parsed) = parse_document(&document) {
                        document_resources(&file, parsed, &mut resources, &mut diagnostics);
                    }
                }
                Piece {
                    source,
                    job: position,
                    jobs,
                    results: resources.into_iter().map(visit).collect(),
                    diagnostics,
                }
            }
        }
    }
}

fn document_resources(
    file: &Arc<SourceFile>,
    parsed: Result<Document, crate::yaml::ParseError>,
    resources: &mut Vec<Resource>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let document = match parsed {
        Ok(d) => d,
        Err(e) => {
            diagnostics.push(Diagnostic::error(
                file.path.clone(),
                Some(e.pos),
                format!("document {}: invalid YAML: {}", e.index + 1, e.reason),
            ));
            return;
        }
    };
    for (pos, warning) in document.warnings {
        diagnostics.push(Diagnostic::warning(file.path.clone(), Some(pos), warning));
    }
    let origin = Origin {
        file: file.clone(),
        document: document.index,
        item: None,
    };
    if is_list(&document.root) {
        unpack_list(document.root, origin, resources, diagnostics);
        return;
    }
    match Resource::from_node(document.root, origin) {
        Ok(r) => resources.push(r),
        Err((pos, reason)) => diagnostics.push(Diagnostic::error(
            file.path.clone(),
            Some(pos),
            format!("document {}: {reason}", document.index + 1),
        )),
    }
}

/// `kind: List` and typed lists such as `PodList`, as `kubectl get -o yaml` prints them.
fn is_list(root: &Node) -> bool {
    root.get("kind")
        .and_then(Node::as_str)
        .is_some_and(|k| k == "List" || (k.ends_with("List") && root.entry("items").is_some()))
}

fn unpack_list(
    root: Node,
    origin: Origin,
    resources: &mut Vec<Resource>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let list_pos = root.pos;
    let Value::Map(entries) = root.value else {
        return;
    };
    let mut list_kind = String::new();
    let mut list_api_version = None;
    let mut items = None;
    for entry in entries.into_vec() {
        match entry.key.as_str() {
            "kind" => list_kind = entry.value.as_str().unwrap_or_default().to_string(),
            "apiVersion" => list_api_version = Some(entry.value),
            "items" => items = Some(entry.value),
            _ => {}
        }
    }
    let file = origin.file.path.clone();
    let items = match items {
        None => return, // an empty list
        Some(node) if node.is_null() => return,
        Some(Node {
            value: Value::Seq(items),
            ..
        }) => items,
        Some(other) => {
            diagnostics.push(Diagnostic::error(
                file,
                Some(other.pos),
                format!(
                    "document {}: `items` of a {list_kind} must be a list, found {}",
                    origin.document + 1,
                    describe(&other)
                ),
            ));
            return;
        }
    };
    // Items of a typed list (PodList) may leave out their kind and apiVersion.
    let item_kind = list_kind.strip_suffix("List").filter(|k| !k.is_empty());
    for (i, mut item) in items.into_vec().into_iter().enumerate() {
        if let (Some(kind), Value::Map(entries)) = (item_kind, &mut item.value) {
            let mut added = Vec::new();
            if !entries.iter().any(|e| e.key == "kind") {
                added.push(synthetic_entry(
                    "kind",
                    Value::String(kind.into()),
                    list_pos,
                ));
            }
            if let Some(api) = &list_api_version {
                if !entries.iter().any(|e| e.key == "apiVersion") {
                    added.push(synthetic_entry("apiVersion", api.value.clone(), list_pos));
                }
            }
            if !added.is_empty() {
                let mut all = std::mem::take(entries).into_vec();
                all.append(&mut added);
                *entries = all.into_boxed_slice();
            }
        }
        let item_origin = Origin {
            item: Some(i as u32),
            ..origin.clone()
        };
        match Resource::from_node(item, item_origin) {
            Ok(r) => resources.push(r),
            Err((pos, reason)) => diagnostics.push(Diagnostic::error(
                file.clone(),
                Some(pos),
                format!("document {}, item {}: {reason}", origin.document + 1, i + 1),
            )),
        }
    }
}

fn synthetic_entry(key: &str, value: Value, pos: Pos) -> crate::node::Entry {
    crate::node::Entry {
        key: key.into(),
        key_pos: pos,
        value: Node::new(value, pos),
    }
}

/// Decodes UTF-8 (dropping a byte-order mark), or names the line and column of the
/// first byte that is not UTF-8.
fn decode_utf8(bytes: Vec<u8>) -> Result<String, (Pos, String)> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Vec<Resource>, Vec<Diagnostic>) {
        let file = SourceFile {
            path: "test.yaml".into(),
            rendered_by: None,
        };
        let mut resources = Vec::new();
        let mut diagnostics = Vec::new();
        for job in document_jobs(0, file, text.to_string()) {
            let piece = job.run(&|r| r);
            resources.extend(piece.results);
            diagnostics.extend(piece.diagnostics);
        }
        (resources, diagnostics)
    }

    #[test]
    fn results_come_back_in_input_order_whatever_finishes_first() {
        let dir = std::env::temp_dir().join(format!("vigie-order-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut expected = Vec::new();
        // File 12 is cut into several jobs.
        for f in 0..13 {
            let mut text = String::new();
            let documents = if f == 12 { 600 } else { f % 4 };
            for d in 0..documents {
                let name = format!("o-{f}-{d}");
                text.push_str(&format!(
                    "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\n"
                ));
                expected.push(name);
            }
            std::fs::write(dir.join(format!("{f:02}.yaml")), text).unwrap();
        }
        let mut seen = Vec::new();
        let summary = load_each(
            &[dir.display().to_string()],
            &LoadOptions::default(),
            |r| {
                // Later objects finish first.
                let n: u64 = r.name[2..].bytes().map(u64::from).sum();
                std::thread::sleep(std::time::Duration::from_micros(1000 - n));
                r.name
            },
            |name| seen.push(name),
        );
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(summary.sources, 13);
        assert!(summary.diagnostics.is_empty());
        assert_eq!(seen, expected);
    }

    #[test]
    fn lists_are_unpacked() {
        let (resources, diags) = parse(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n- apiVersion: v1\n  kind: Service\n  metadata: {name: b}\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(resources.len(), 2);
        assert_eq!(resources[1].kind, "Service");
        assert_eq!(resources[1].origin.item, Some(1));
        assert_eq!(resources[1].pos, Pos::new(7, 3));
    }

    #[test]
    fn typed_list_items_inherit_kind() {
        let (resources, diags) =
            parse("apiVersion: v1\nkind: PodList\nitems:\n- metadata: {name: a}\n  spec: {}\n");
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(resources[0].kind, "Pod");
        assert_eq!(resources[0].api_version, "v1");
    }

    #[test]
    fn missing_kind_is_an_error_with_a_position() {
        let (resources, diags) =
            parse("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\nmetadata:\n  name: b\n");
        assert_eq!(resources.len(), 1);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].pos, Some(Pos::new(5, 1)));
        assert!(
            diags[0].reason.contains("no apiVersion and no kind"),
            "{}",
            diags[0]
        );
    }

    #[test]
    fn scalar_documents_are_errors() {
        let (_, diags) = parse("just a string\n");
        assert!(diags[0].reason.contains("found a string"), "{}", diags[0]);
    }

    #[test]
    fn non_utf8_names_line_and_column() {
        let err = decode_utf8(b"a: 1\nb: \xff\n".to_vec()).unwrap_err();
        assert_eq!(err.0, Pos::new(2, 4));
        assert!(err.1.contains("0xff"));
    }

    #[test]
    fn generate_name_stands_in_for_name() {
        let (resources, _) = parse("apiVersion: v1\nkind: Pod\nmetadata: {generateName: web-}\n");
        assert_eq!(resources[0].name, "web-*");
    }
}
