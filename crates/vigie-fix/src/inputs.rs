//! The files of a run: read within the caps, cut into documents, loaded into
//! objects that remember which file, document and List item they come from.

use std::path::PathBuf;
use std::sync::Arc;

use vigie_resource::input::{read_text, walk, Source, WalkOptions};
use vigie_resource::{
    parse_document, split_stream, Diagnostic, Limits, Node, Origin, Resource, SourceFile,
};

/// One file read.
pub(crate) struct Input {
    /// The file, as named or found.
    pub(crate) file: String,
    pub(crate) path: PathBuf,
    pub(crate) text: String,
    /// Byte range of each non-empty document.
    pub(crate) documents: Vec<(usize, usize)>,
    /// Why its findings are not fixed, when the whole file is refused.
    pub(crate) refused: Option<String>,
}

/// Where a loaded object comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Place {
    /// Index of the file.
    pub(crate) input: usize,
    /// Index of the document among the file's non-empty ones.
    pub(crate) document: usize,
    /// Index in the `items` of a List.
    pub(crate) item: Option<usize>,
}

/// The file's text with the documents in `slots` replaced.
pub(crate) fn splice_documents(file: &Input, slots: &[Option<String>]) -> String {
    let mut out = String::with_capacity(file.text.len() + 1024);
    let mut at = 0;
    for (&(start, end), slot) in file.documents.iter().zip(slots) {
        if let Some(text) = slot {
            out.push_str(&file.text[at..start]);
            out.push_str(text);
            at = end;
        }
    }
    out.push_str(&file.text[at..]);
    out
}

/// Byte ranges of the non-empty documents of a text.
fn split_ranges(text: &str) -> Vec<(usize, usize)> {
    let base = text.as_ptr() as usize;
    split_stream(text)
        .iter()
        .map(|d| {
            let start = d.text.as_ptr() as usize - base;
            (start, start + d.text.len())
        })
        .collect()
}

/// Whether a text is the output of `helm template`: its documents are marked with
/// the template they came from.
fn rendered_by_helm(text: &str) -> bool {
    text.lines().any(|line| line.starts_with("# Source: "))
}

/// Reads the files the inputs name, within the byte cap.
pub(crate) fn read_inputs(
    inputs: &[String],
    limits: Limits,
    problems: &mut Vec<Diagnostic>,
) -> Vec<Input> {
    let walked = walk(
        inputs,
        &WalkOptions {
            render_kustomizations: false,
            max_file_bytes: Some(limits.max_file_bytes),
        },
    );
    problems.extend(walked.diagnostics.iter().map(|d| d.to_diagnostic()));
    let mut files = Vec::new();
    for source in walked.sources {
        let path = match source {
            Source::File(path) | Source::Special(path) => path,
            Source::Stdin => {
                problems.push(Diagnostic::error(
                    "<stdin>",
                    None,
                    "standard input cannot be fixed in place: name the files instead",
                ));
                continue;
            }
            Source::Kustomization(path) => path,
        };
        let file = path.display().to_string();
        match read_text(&path, limits.max_file_bytes) {
            Ok(text) => {
                let refused = rendered_by_helm(&text).then(|| {
                    problems.push(Diagnostic::warning(
                        &file,
                        None,
                        "rendered by Helm (`# Source:` comments): not fixed, as the next \
                         render would undo it; fix the chart's values or templates instead",
                    ));
                    "the file is rendered by Helm: fix the chart's values instead".to_string()
                });
                files.push(Input {
                    file,
                    path,
                    documents: split_ranges(&text),
                    text,
                    refused,
                });
            }
            Err(e) => problems.push(e.to_diagnostic()),
        }
    }
    files
}

/// Parses every document of the files into objects (the items of a List each
/// one), with where each comes from.
pub(crate) fn load(
    files: &[(&str, &str)],
    limits: Limits,
    problems: &mut Vec<Diagnostic>,
) -> (Vec<Resource>, Vec<Place>) {
    let mut resources = Vec::new();
    let mut places = Vec::new();
    for (input, &(name, text)) in files.iter().enumerate() {
        let source = Arc::new(SourceFile {
            path: name.to_string(),
            rendered_by: None,
        });
        let documents = split_stream(text);
        if documents.len() > limits.max_documents {
            problems.push(Diagnostic::error(
                name,
                None,
                format!(
                    "more than {} documents (--max-documents): not fixed",
                    limits.max_documents
                ),
            ));
            continue;
        }
        for (document, text) in documents.iter().enumerate() {
            let parsed = match parse_document(text) {
                None => continue,
                Some(Err(e)) => {
                    problems.push(Diagnostic::error(
                        name,
                        Some(e.pos),
                        format!("document {}: invalid YAML: {}", e.index + 1, e.reason),
                    ));
                    continue;
                }
                Some(Ok(parsed)) => parsed,
            };
            let index = parsed.index;
            let origin = |item: Option<usize>| Origin {
                file: source.clone(),
                document: index,
                item: item.map(|i| i as u32),
            };
            let mut add =
                |root: Node, item: Option<usize>| match Resource::from_node(root, origin(item)) {
                    Ok(resource) => {
                        resources.push(resource);
                        places.push(Place {
                            input,
                            document,
                            item,
                        });
                    }
                    Err((pos, reason)) => problems.push(Diagnostic::error(
                        name,
                        Some(pos),
                        format!("document {}: {reason}", index + 1),
                    )),
                };
            if list_items(&parsed.root).is_some() {
                let items = list_items(&parsed.root).unwrap_or(&[]);
                for (i, item) in items.iter().enumerate() {
                    add(item.clone(), Some(i));
                }
            } else {
                add(parsed.root, None);
            }
        }
    }
    (resources, places)
}

/// The items of a `List` document (`kind: List`, `PodList`, ...).
fn list_items(root: &Node) -> Option<&[Node]> {
    let kind = root.get("kind")?.as_str()?;
    if !kind.ends_with("List") {
        return None;
    }
    root.get("items").map(Node::items)
}
