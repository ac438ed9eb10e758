//! A fix run over the files a user names: read them (within the caps), run the
//! selected checks, plan the edits the checks declare, make them document by
//! document, scan the result again in memory, and keep a file's edits only when
//! they removed what they were meant to and added nothing.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use vigie_controls::fix::{edits_for, Edit, FieldPath, FixContext, Segment};
use vigie_controls::{check_violations, CheckViolation, ScanConfig};
use vigie_resource::input::{read_text, walk, Source, WalkOptions};
use vigie_resource::{
    parse_document, split_stream, Diagnostic, Limits, Node, Origin, Pos, Resource, SourceFile,
};

use rayon::prelude::*;

use crate::document::fix_document;

/// What a fix run checks, and what it may change.
#[derive(Clone, Debug, Default)]
pub struct FixOptions {
    /// The checks to run (frameworks, Pod Security version, settings, exceptions),
    /// as for `vigie scan`.
    pub scan: ScanConfig,
    /// What fixes may use beyond the objects (image digests).
    pub context: FixContext,
    /// Fix only the findings of these checks (IDs, any case); empty: all that have a fix.
    pub only: Vec<String>,
    /// Caps on each file.
    pub limits: Limits,
}

/// A finding a run removed (or would remove).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fixed {
    /// The check's ID.
    pub check_id: &'static str,
    /// The field the finding was on.
    pub path: String,
    /// Where it was in the original file.
    pub pos: Pos,
}

/// A finding a run left.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remaining {
    /// The file, as named or found.
    pub file: String,
    /// Where the finding is.
    pub pos: Pos,
    /// The check's ID.
    pub check_id: &'static str,
    /// The field the finding is on.
    pub path: String,
    /// The finding's message.
    pub message: String,
    /// Why its automatic fix was not made; `None` when it has none.
    pub not_fixed: Option<NotFixed>,
}

/// Why a finding that has an automatic fix still stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotFixed {
    /// Its check is not among those `--control` named.
    NotSelected,
    /// The fix could not be made safely: why, in words.
    Refused(String),
}

impl std::fmt::Display for NotFixed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotFixed::NotSelected => f.write_str("not among the checks named by --control"),
            NotFixed::Refused(reason) => f.write_str(reason),
        }
    }
}

/// A file whose text the run changed.
#[derive(Clone, Debug)]
pub struct FileFix {
    /// The file, as named or found.
    pub file: String,
    /// Where to write it.
    pub path: PathBuf,
    /// Its text as read.
    pub original: String,
    /// Its text with the fixes.
    pub fixed: String,
    /// The findings the new text no longer has, in file order.
    pub removed: Vec<Fixed>,
}

/// What a fix run found and did (nothing is written yet: see [`crate::write_atomically`]).
#[derive(Debug, Default)]
pub struct FixRun {
    /// The files with changes, in input order.
    pub files: Vec<FileFix>,
    /// The findings left, in input order.
    pub remaining: Vec<Remaining>,
    /// Input that could not be read or parsed (errors) and inputs passed over (warnings).
    pub problems: Vec<Diagnostic>,
}

impl FixRun {
    /// 2 when some input could not be read or parsed, else 1 when findings remain, else 0.
    pub fn exit_code(&self) -> u8 {
        if self.problems.iter().any(Diagnostic::is_error) {
            2
        } else if !self.remaining.is_empty() {
            1
        } else {
            0
        }
    }
}

/// One file read.
struct Input {
    file: String,
    path: PathBuf,
    text: String,
    /// Byte range of each non-empty document.
    documents: Vec<(usize, usize)>,
    /// Why its findings are not fixed, when the whole file is refused.
    refused: Option<String>,
}

/// Where a loaded object comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Place {
    input: usize,
    document: usize,
    item: Option<usize>,
}

/// A violation's identity across scans of the original and the fixed text.
type Key = (Place, &'static str, String);

/// Runs the checks over the files `inputs` name and plans and checks their fixes.
pub fn fix(inputs: &[String], options: &FixOptions) -> FixRun {
    let mut run = FixRun::default();
    let mut files = read_inputs(inputs, options.limits, &mut run.problems);
    let named: Vec<(&str, &str)> = files
        .iter()
        .map(|f| (f.file.as_str(), f.text.as_str()))
        .collect();
    let (resources, places) = load(&named, options.limits, &mut run.problems);
    let before = check_violations(&resources, &options.scan);

    // The edits of each document, and the violations they target.
    let mut planned: HashMap<(usize, usize), Vec<Edit>> = HashMap::new();
    let mut targeted: Vec<usize> = Vec::new();
    let mut why_not: HashMap<usize, NotFixed> = HashMap::new();
    let only: Vec<String> = options
        .only
        .iter()
        .map(|id| id.to_ascii_uppercase())
        .collect();
    for (i, v) in before.iter().enumerate() {
        let place = places[v.resource];
        let Some(edits) = edits_for(
            v.check_id,
            &resources[v.resource],
            &v.violation.path,
            &options.context,
        ) else {
            continue;
        };
        if let Some(reason) = &files[place.input].refused {
            why_not.insert(i, NotFixed::Refused(reason.clone()));
            continue;
        }
        if !only.is_empty() && !only.iter().any(|id| id == v.check_id) {
            why_not.insert(i, NotFixed::NotSelected);
            continue;
        }
        let document = planned.entry((place.input, place.document)).or_default();
        for edit in edits {
            let edit = within_document(edit, place.item);
            if !document.contains(&edit) {
                document.push(edit);
            }
        }
        targeted.push(i);
    }

    // Each document edited on its own; a document that cannot be is left as it was.
    let mut new_texts: HashMap<usize, Vec<Option<String>>> = HashMap::new();
    let mut refused_documents: HashMap<(usize, usize), String> = HashMap::new();
    let mut keys: Vec<_> = planned.keys().copied().collect();
    keys.sort_unstable();
    // Documents are independent: edited in parallel, gathered in order.
    let outcomes: Vec<_> = keys
        .par_iter()
        .map(|&(input, document)| {
            let (start, end) = files[input].documents[document];
            let text = &files[input].text[start..end];
            fix_document(text, &planned[&(input, document)])
        })
        .collect();
    for (&(input, document), outcome) in keys.iter().zip(outcomes) {
        match outcome {
            Ok(Some(fixed)) => {
                let slots = new_texts
                    .entry(input)
                    .or_insert_with(|| vec![None; files[input].documents.len()]);
                slots[document] = Some(fixed);
            }
            Ok(None) => {}
            Err(reason) => {
                refused_documents.insert((input, document), reason);
            }
        }
    }

    // The objects are no longer needed: the fixed files are loaded in their place.
    drop(resources);

    // The fixed files scanned again, with the files left as they were.
    let mut fixed_texts: HashMap<usize, String> = new_texts
        .iter()
        .map(|(&i, slots)| (i, splice_documents(&files[i], slots)))
        .collect();
    let named: Vec<(&str, &str)> = files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            (
                f.file.as_str(),
                fixed_texts.get(&i).unwrap_or(&f.text).as_str(),
            )
        })
        .collect();
    let mut ignored = Vec::new();
    let (after_resources, after_places) = load(&named, options.limits, &mut ignored);
    let after = check_violations(&after_resources, &options.scan);
    drop(after_resources);

    let key = |v: &CheckViolation, places: &[Place]| -> Key {
        (places[v.resource], v.check_id, v.violation.path.clone())
    };
    let before_keys: HashSet<Key> = before.iter().map(|v| key(v, &places)).collect();
    let after_keys: HashSet<Key> = after.iter().map(|v| key(v, &after_places)).collect();
    // A changed file is kept only if every finding it was fixed for is gone and none came.
    let mut reverted: HashMap<usize, String> = HashMap::new();
    for &i in &targeted {
        let v = &before[i];
        let place = places[v.resource];
        let changed = new_texts.contains_key(&place.input);
        let refused = refused_documents.contains_key(&(place.input, place.document));
        if changed && !refused && after_keys.contains(&key(v, &places)) {
            reverted.entry(place.input).or_insert_with(|| {
                format!(
                    "the fix did not remove {} at {}: the file is left as it was",
                    v.check_id, v.violation.path
                )
            });
        }
    }
    for v in &after {
        let k = key(v, &after_places);
        if new_texts.contains_key(&k.0.input) && !before_keys.contains(&k) {
            reverted.entry(k.0.input).or_insert_with(|| {
                format!(
                    "the fix would add {} at {}: the file is left as it was",
                    v.check_id, v.violation.path
                )
            });
        }
    }

    // What was removed, file by file.
    let mut removed: HashMap<usize, Vec<Fixed>> = HashMap::new();
    let mut seen: HashSet<(usize, &'static str, &str, Pos)> = HashSet::new();
    for &i in &targeted {
        let v = &before[i];
        let place = places[v.resource];
        if !new_texts.contains_key(&place.input)
            || reverted.contains_key(&place.input)
            || refused_documents.contains_key(&(place.input, place.document))
            || after_keys.contains(&key(v, &places))
        {
            continue;
        }
        if seen.insert((place.input, v.check_id, &v.violation.path, v.violation.pos)) {
            removed.entry(place.input).or_default().push(Fixed {
                check_id: v.check_id,
                path: v.violation.path.clone(),
                pos: v.violation.pos,
            });
        }
    }

    // What is left: the new findings of kept files, the old ones of the others.
    let not_fixed = |i: usize, place: Place| -> Option<NotFixed> {
        why_not.get(&i).cloned().or_else(|| {
            refused_documents
                .get(&(place.input, place.document))
                .or_else(|| reverted.get(&place.input))
                .map(|reason| NotFixed::Refused(reason.clone()))
        })
    };
    let targeted_set: HashSet<usize> = targeted.iter().copied().collect();
    let mut fixable_before: HashMap<Key, Option<NotFixed>> = HashMap::new();
    for (i, v) in before.iter().enumerate() {
        let place = places[v.resource];
        if why_not.contains_key(&i) || targeted_set.contains(&i) {
            fixable_before.insert(key(v, &places), not_fixed(i, place));
        }
    }
    let mut left: Vec<(usize, Remaining)> = Vec::new();
    for (i, v) in before.iter().enumerate() {
        let place = places[v.resource];
        let kept = new_texts.contains_key(&place.input) && !reverted.contains_key(&place.input);
        if !kept {
            let why = not_fixed(i, place);
            left.push((place.input, remaining(&files[place.input], v, why)));
        }
    }
    for v in &after {
        let k = key(v, &after_places);
        let kept = new_texts.contains_key(&k.0.input) && !reverted.contains_key(&k.0.input);
        if kept {
            let why = fixable_before.get(&k).cloned().flatten();
            left.push((k.0.input, remaining(&files[k.0.input], v, why)));
        }
    }
    left.sort_by_key(|(input, r)| (*input, r.pos));
    run.remaining = left.into_iter().map(|(_, r)| r).collect();

    for (i, file) in files.iter_mut().enumerate() {
        if !new_texts.contains_key(&i) || reverted.contains_key(&i) {
            continue;
        }
        let mut list = removed.remove(&i).unwrap_or_default();
        list.sort_by_key(|f| f.pos);
        run.files.push(FileFix {
            file: file.file.clone(),
            path: file.path.clone(),
            original: std::mem::take(&mut file.text),
            fixed: fixed_texts.remove(&i).unwrap_or_default(),
            removed: list,
        });
    }
    run
}

fn remaining(file: &Input, v: &CheckViolation, not_fixed: Option<NotFixed>) -> Remaining {
    Remaining {
        file: file.file.clone(),
        pos: v.violation.pos,
        check_id: v.check_id,
        path: v.violation.path.clone(),
        message: v.violation.message.clone(),
        not_fixed,
    }
}

/// An edit of an object as an edit of its document: the item of a List is under `items`.
fn within_document(edit: Edit, item: Option<usize>) -> Edit {
    let Some(item) = item else { return edit };
    let prefix = |path: FieldPath| {
        let mut segments = vec![Segment::Key("items".into()), Segment::Index(item)];
        segments.extend(path.0);
        FieldPath(segments)
    };
    match edit {
        Edit::Set { path, value } => Edit::Set {
            path: prefix(path),
            value,
        },
        Edit::AddItem { path, value } => Edit::AddItem {
            path: prefix(path),
            value,
        },
    }
}

/// The file's text with the documents in `slots` replaced.
fn splice_documents(file: &Input, slots: &[Option<String>]) -> String {
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
fn read_inputs(inputs: &[String], limits: Limits, problems: &mut Vec<Diagnostic>) -> Vec<Input> {
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
fn load(
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
