//! From the paths a user names to resources and diagnostics.

mod jobs;
mod list;
mod order;
mod sources;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rayon::prelude::*;

use crate::diagnostic::Diagnostic;
use crate::input::{walk, Source, WalkOptions};
use crate::kustomize;
use crate::resource::{Resource, SourceFile};
use jobs::SourceJobs;
use order::{InOrder, Piece};

/// How to load input.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Do not render kustomizations; scan their files one by one instead.
    pub no_kustomize: bool,
    /// Counters a caller can watch to show progress on long loads.
    pub progress: Option<Arc<Progress>>,
    /// How much one source may hold.
    pub limits: Limits,
}

impl LoadOptions {
    /// Options to read manifest files as they are, each of at most
    /// `max_file_bytes`, rendering no kustomization: how the policy and
    /// admission engines read the files they are given.
    pub fn plain_files(max_file_bytes: u64) -> Self {
        Self {
            no_kustomize: true,
            limits: Limits {
                max_file_bytes,
                ..Limits::default()
            },
            ..Default::default()
        }
    }
}

/// Limits on what one source (a file, stdin, a kustomize rendering) may hold, so
/// that no input can exhaust memory. Each error that a limit causes names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of one source: its text is held in memory while its objects are read.
    pub max_file_bytes: u64,
    /// Documents of one source, and items of one `List`.
    pub max_documents: usize,
}

impl Limits {
    /// 1 GiB. `kubectl get pods -A -o yaml` of a cluster at the documented scale
    /// limit of Kubernetes (150,000 Pods, a few KiB each with status and managed
    /// fields) comes to about that, and reading it costs the memory it holds.
    pub const DEFAULT_MAX_FILE_BYTES: u64 = 1 << 30;
    /// 10 million: well over the objects of the largest clusters.
    pub const DEFAULT_MAX_DOCUMENTS: usize = 10_000_000;
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: Self::DEFAULT_MAX_FILE_BYTES,
            max_documents: Self::DEFAULT_MAX_DOCUMENTS,
        }
    }
}

/// Sources found and sources done, updated while loading.
#[derive(Debug, Default)]
pub struct Progress {
    /// Sources found so far.
    pub total: AtomicUsize,
    /// Sources loaded so far.
    pub done: AtomicUsize,
}

/// Everything loaded from the input, in input order.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The objects, in input order.
    pub resources: Vec<Resource>,
    /// Every problem found, in input order.
    pub diagnostics: Vec<Diagnostic>,
    /// Sources read: files, stdin and kustomize renderings.
    pub sources: usize,
}

impl Loaded {
    /// How many diagnostics are errors (part of the input not loaded).
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }
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
    /// The most results held at once waiting for an earlier one: what loading
    /// holds in memory beyond the documents being parsed. It stays near the number
    /// of threads times the objects of a job, whatever the size of the input, a
    /// `List` of a million objects included.
    pub peak_waiting_results: usize,
}

/// Documents are parsed a few at a time: handing them out one by one costs more
/// in locking and waking threads than small documents take to parse.
const JOB_BYTES: usize = 16 * 1024;

/// Like [`load`], but nothing is gathered: each resource goes to `visit` on the
/// thread that parsed it, and what `visit` returns goes to `consume` on the
/// calling thread, in input order, as soon as it and everything before it are
/// ready. Sources, documents within a source and items within a `List` are parsed
/// in parallel; memory holds only the results waiting for an earlier one, so a
/// caller that writes them out keeps a flat footprint whatever the size of the input.
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
    let walked = walk(
        inputs,
        &WalkOptions {
            render_kustomizations: !options.no_kustomize,
            // Checked when each file is opened: no `stat` more per file.
            max_file_bytes: None,
        },
    );
    let mut diagnostics: Vec<Diagnostic> = walked
        .diagnostics
        .iter()
        .map(|d| d.to_diagnostic())
        .collect();
    let sources = walked.sources;
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
    // Work is handed out a job at a time in input order (`par_bridge` takes the
    // next job only when a thread is free), so the results waiting for an earlier
    // one stay as few as the threads. Splitting the sources into halves up front,
    // as `par_iter` does, would leave half the input's results waiting for the
    // first half.
    let limits = options.limits;
    let jobs = sources.iter().enumerate().flat_map(|(index, source)| {
        let jobs = SourceJobs::read(index, source, kubectl.as_deref(), &limits);
        if let Some(progress) = &options.progress {
            progress.done.fetch_add(1, Ordering::Relaxed);
        }
        jobs
    });
    // Bounded, so that workers wait when the caller falls far behind with
    // `consume`; roomy, so that they do not wait for its every pause.
    let (sender, receiver) =
        std::sync::mpsc::sync_channel::<Piece<T>>(64 * rayon::current_num_threads());
    let mut order = InOrder::default();
    std::thread::scope(|scope| {
        let visit = &visit;
        scope.spawn(move || {
            // The receiver lives until every sender is gone.
            let send = |piece| {
                let _ = sender.send(piece);
            };
            jobs.par_bridge().for_each(|job| job.run(visit, &send));
        });
        for piece in receiver {
            order.add(
                piece,
                &mut |results: Vec<T>| results.into_iter().for_each(&mut consume),
                &mut diagnostics,
            );
        }
    });
    LoadSummary {
        diagnostics,
        sources: sources.len(),
        peak_waiting_results: order.peak_waiting_results,
    }
}

/// Loads a text already in memory as one source named `name` (for messages and
/// locations), on the calling thread, exactly as [`load`] reads a file: `List`s
/// unpacked, each problem a diagnostic, within `limits`.
pub fn load_text(text: &str, name: &str, limits: &Limits) -> Loaded {
    let file = SourceFile {
        path: name.into(),
        rendered_by: None,
    };
    let pieces = std::sync::Mutex::new(Vec::new());
    for job in SourceJobs::of_text(file, text.to_string(), limits) {
        job.run(&|r| r, &|piece| {
            pieces
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(piece)
        });
    }
    let mut order = InOrder::default();
    let (mut resources, mut diagnostics) = (Vec::new(), Vec::new());
    for piece in pieces
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
    {
        order.add(piece, &mut |r| resources.extend(r), &mut diagnostics);
    }
    Loaded {
        resources,
        diagnostics,
        sources: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::Pos;

    fn parse(text: &str) -> (Vec<Resource>, Vec<Diagnostic>) {
        parse_within(text, &Limits::default())
    }

    pub(super) fn parse_within(text: &str, limits: &Limits) -> (Vec<Resource>, Vec<Diagnostic>) {
        let loaded = load_text(text, "test.yaml", limits);
        (loaded.resources, loaded.diagnostics)
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
    fn fields_of_the_wrong_type_make_the_object_invalid() {
        let (resources, diags) = parse(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - name: c\n    securityContext:\n      privileged: \"true\"\n",
        );
        assert!(resources.is_empty());
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].pos, Some(Pos::new(8, 19)));
        assert_eq!(
            diags[0].reason,
            "document 1: `spec.containers[0].securityContext.privileged` must be a boolean, \
             found a string (\"true\"); the API server refuses such an object"
        );
        let (resources, diags) = parse(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  template:\n    spec:\n      hostNetwork: \"yes\"\n",
        );
        assert!(resources.is_empty());
        assert!(
            diags[0]
                .reason
                .contains("`spec.template.spec.hostNetwork` must be a boolean"),
            "{}",
            diags[0]
        );
        assert_eq!(diags[0].pos, Some(Pos::new(7, 20)));
        for (field, ok) in [
            ("runAsUser: 1.0", true),
            ("runAsUser: 1e3", true),
            ("runAsUser: 1.5", false),
            ("runAsUser: '1000'", false),
            ("privileged: yes", true), // YAML 1.1: a boolean
            ("privileged: null", true),
            ("capabilities: {add: [1]}", false),
        ] {
            let (resources, diags) = parse(&format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: a}}\nspec: {{containers: [{{name: c, securityContext: {{{field}}}}}]}}\n"
            ));
            assert_eq!(resources.len() == 1, ok, "{field}: {diags:?}");
        }
        let (_, diags) =
            parse("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {app: 1}}\n");
        assert!(
            diags[0]
                .reason
                .contains("`metadata.labels.app` must be a string, found a number (1)"),
            "{}",
            diags[0]
        );
        let (_, diags) = parse(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec: {template: [x]}\n",
        );
        assert!(
            diags[0]
                .reason
                .contains("`spec.template` must be a mapping, found a list"),
            "{}",
            diags[0]
        );
    }

    #[test]
    fn api_version_and_kind_of_the_wrong_type_are_named() {
        let (_, diags) = parse("apiVersion: 3\nkind: [Pod]\nmetadata: {name: a}\n");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].pos, Some(Pos::new(1, 13)));
        assert_eq!(
            diags[0].reason,
            "document 1: `apiVersion` must be a string, found a number (3): not a Kubernetes object"
        );
        let (_, diags) = parse("apiVersion: v1\nkind: [Pod]\n");
        assert!(
            diags[0]
                .reason
                .contains("`kind` must be a string, found a list ([Pod])"),
            "{}",
            diags[0]
        );
    }

    #[test]
    fn generate_name_stands_in_for_name() {
        let (resources, _) = parse("apiVersion: v1\nkind: Pod\nmetadata: {generateName: web-}\n");
        assert_eq!(resources[0].name, "web-*");
    }
}

#[cfg(test)]
mod list_tests {
    //! Lists read item by item must give what reading them whole gives.
    use super::tests::parse_within;
    use super::*;
    use crate::node::{Node, Value};
    use crate::yaml::parse_documents;

    /// The items of the one document of `text`, parsed whole by the reference parser.
    fn whole_items(text: &str) -> Vec<Node> {
        let root = crate::yaml::differential::reference(text, 0)
            .unwrap()
            .unwrap()
            .0;
        root.get("items").unwrap().items().to_vec()
    }

    fn pod(i: usize) -> String {
        format!(
            "{{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {{\"name\": \"p-{i}\", \"labels\": {{\"é\": \"ü{i}\"}}}}, \"spec\": {{\"hostPID\": {}, \"containers\": [{{\"name\": \"c\", \"image\": \"nginx\"}}]}}}}",
            i.is_multiple_of(2)
        )
    }

    fn assert_same_as_whole(text: &str, n: usize) {
        let (resources, diagnostics) = parse_within(text, &Limits::default());
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let whole = whole_items(text);
        assert_eq!(resources.len(), n);
        assert_eq!(whole.len(), n);
        for (i, (r, w)) in resources.iter().zip(&whole).enumerate() {
            assert_eq!(&r.root, w, "item {i}");
            assert_eq!(r.origin.item, Some(i as u32));
        }
    }

    #[test]
    fn one_line_json_lists_give_the_positions_of_a_whole_parse() {
        let items: Vec<String> = (0..300).map(pod).collect();
        let text = format!(
            "{{\"apiVersion\":\"v1\",\"items\":[{}],\"kind\":\"List\",\"metadata\":{{}}}}\n",
            items.join(",")
        );
        assert_same_as_whole(&text, 300);
    }

    #[test]
    fn pretty_json_lists_give_the_positions_of_a_whole_parse() {
        let items: Vec<String> = (0..300)
            .map(|i| pod(i).replace(", ", ",\n        "))
            .collect();
        let text = format!(
            "{{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n        {}\n    ],\n    \"kind\": \"List\"\n}}\n",
            items.join(",\n        ")
        );
        assert_same_as_whole(&text, 300);
    }

    #[test]
    fn block_lists_give_the_positions_of_a_whole_parse() {
        for indent in ["", "  "] {
            let mut text = String::from("apiVersion: v1\nitems:\n");
            for i in 0..300 {
                text.push_str(&format!(
                    "{indent}- apiVersion: v1\n{indent}  kind: Pod\n{indent}  metadata:\n{indent}    name: p-{i}\n\n{indent}  # a comment\n{indent}  spec:\n{indent}    containers:\n{indent}    - name: c\n{indent}      workingDir: |\n{indent}        line\n{indent}        - not an item\n"
                ));
            }
            text.push_str("kind: List\nmetadata:\n  resourceVersion: \"\"\n");
            assert_same_as_whole(&text, 300);
        }
    }

    #[test]
    fn a_typed_list_lends_its_kind_to_items_read_one_by_one() {
        let (resources, diagnostics) = parse_within(
            "apiVersion: v1\nitems:\n- metadata: {name: a}\n- metadata: {name: b}\nkind: PodList\n",
            &Limits::default(),
        );
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(resources.len(), 2);
        assert!(resources
            .iter()
            .all(|r| r.kind == "Pod" && r.api_version == "v1"));
    }

    #[test]
    fn a_broken_item_costs_only_that_item() {
        let (resources, diagnostics) = parse_within(
            "{\"kind\": \"List\", \"items\": [{\"kind\": \"Pod\", \"apiVersion\": \"v1\"}, {\"kind\": [}, {\"apiVersion\": \"v1\", \"kind\": \"Pod\"}]}\n",
            &Limits::default(),
        );
        // The broken one is found by the parser of the whole document: none is read.
        assert!(
            resources.is_empty() || resources.len() == 2,
            "{resources:?}"
        );
        assert!(diagnostics.iter().any(|d| d.is_error()), "{diagnostics:?}");
        assert!(diagnostics
            .iter()
            .all(|d| d.pos.is_some_and(|p| p.line > 0)));
    }

    #[test]
    fn a_list_read_item_by_item_holds_few_results_at_once() {
        let mut text = String::from("apiVersion: v1\nitems:\n");
        for i in 0..100_000 {
            text.push_str(&format!(
                "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c-{i}\n"
            ));
        }
        text.push_str("kind: List\n");
        let dir = std::env::temp_dir().join(format!("vigie-list-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("list.yaml");
        std::fs::write(&path, &text).unwrap();
        let mut seen = 0;
        let summary = load_each(
            &[path.display().to_string()],
            &LoadOptions::default(),
            |r| r.name,
            |name| {
                assert_eq!(name, format!("c-{seen}"));
                seen += 1;
            },
        );
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(summary.diagnostics.is_empty(), "{:?}", summary.diagnostics);
        assert_eq!(seen, 100_000);
        // Parts of a few hundred items each, a few parts per thread (more when a
        // thread is held up): read whole, all 100,000 would wait in one piece.
        assert!(
            summary.peak_waiting_results < 25_000,
            "{} results waited at once",
            summary.peak_waiting_results
        );
    }

    #[test]
    fn lists_and_documents_past_the_limit_are_refused_by_name() {
        let limits = Limits {
            max_documents: 3,
            ..Limits::default()
        };
        let items: Vec<String> = (0..5).map(pod).collect();
        let text = format!(
            "{{\"kind\": \"List\", \"items\": [{}]}}\n",
            items.join(", ")
        );
        let (resources, diagnostics) = parse_within(&text, &limits);
        assert_eq!(resources.len(), 3);
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert!(
            diagnostics[0].reason.contains("more than 3 items"),
            "{}",
            diagnostics[0]
        );
        assert!(diagnostics[0].reason.contains("--max-documents"));

        let text = "a: 1\n---\nb: 2\n---\nc: 3\n---\nd: 4\n---\ne: 5\n";
        let (_, diagnostics) = parse_within(text, &limits);
        let last = diagnostics.last().unwrap();
        assert!(last.reason.contains("more than 3 documents"), "{last}");
        assert_eq!(
            last.pos.unwrap().line,
            6,
            "the `---` of the fourth document"
        );
    }

    #[test]
    fn a_list_with_a_quoted_string_over_lines_is_read_whole() {
        // The string's second line looks like an item of its own: read whole, the
        // document is what the parser makes of it (here, an error), not two items.
        let text = "kind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n  data:\n    k: 'one\n- two'\n";
        let (resources, diagnostics) = parse_within(text, &Limits::default());
        assert!(resources.is_empty());
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert!(
            diagnostics[0]
                .reason
                .starts_with("document 1: invalid YAML"),
            "{}",
            diagnostics[0]
        );
        let text = "kind: List\nitems:\n- 'one\n- two'\n";
        let (_, diagnostics) = parse_within(text, &Limits::default());
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        // One item, the string "one - two": not two.
        assert!(
            diagnostics[0]
                .reason
                .starts_with("document 1, item 1: expected"),
            "{}",
            diagnostics[0]
        );
    }

    #[test]
    fn a_list_with_anchors_across_items_is_read_whole() {
        let text = "kind: List\nitems:\n- &base {apiVersion: v1, kind: Pod, metadata: {name: a}}\n- *base\n";
        let (resources, diagnostics) = parse_within(text, &Limits::default());
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(resources.len(), 2);
        let _ = parse_documents(text);
        assert!(matches!(resources[1].root.value, Value::Map(_)));
    }
}
