//! A fix run over the files a user names: read them (within the caps), run the
//! selected checks, plan the edits the checks declare, make them document by
//! document, scan the result again in memory, and keep a file's edits only when
//! they removed what they were meant to and added nothing.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use rayon::prelude::*;
use vigie_controls::fix::{edits_for, Edit, FieldPath, FixContext, Segment};
use vigie_controls::{check_violations, CheckViolation, ScanConfig};
use vigie_resource::{Diagnostic, Limits, Pos};

use crate::document::fix_document;
use crate::inputs::{load, read_inputs, splice_documents, Input, Place};

/// What a fix run checks, and what it may change.
#[derive(Clone, Debug)]
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
    /// Largest document edited: each edit reads its document again, so a huge
    /// document (a `List` of thousands of objects) would cost its size times its edits.
    pub max_document_bytes: usize,
}

impl FixOptions {
    /// 256 KiB: a workload manifest is a few KiB; a `kubectl get -o yaml` List of
    /// a namespace is the kind of document this stops.
    pub const DEFAULT_MAX_DOCUMENT_BYTES: usize = 256 * 1024;
}

impl Default for FixOptions {
    fn default() -> Self {
        Self {
            scan: ScanConfig::default(),
            context: FixContext::default(),
            only: Vec::new(),
            limits: Limits::default(),
            max_document_bytes: Self::DEFAULT_MAX_DOCUMENT_BYTES,
        }
    }
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

/// A violation's identity across scans of the original and the fixed text.
type Key = (Place, &'static str, String);

/// The edits a run will make, and the findings they are for.
#[derive(Default)]
struct Plan {
    /// The edits of each document, by (file, document).
    edits: HashMap<(usize, usize), Vec<Edit>>,
    /// The findings (indices in the first scan) the edits are for.
    targeted: HashSet<usize>,
    /// Findings with a fix that the run does not make, and why.
    not_made: HashMap<usize, NotFixed>,
}

impl Plan {
    /// Asks each finding's check for its edits.
    fn new(
        found: &[CheckViolation],
        resources: &[vigie_resource::Resource],
        places: &[Place],
        files: &[Input],
        options: &FixOptions,
    ) -> Plan {
        let mut plan = Plan::default();
        for (i, v) in found.iter().enumerate() {
            let place = places[v.resource];
            let resource = &resources[v.resource];
            let Some(edits) = edits_for(v.check_id, resource, &v.violation.path, &options.context)
            else {
                continue;
            };
            if let Some(reason) = &files[place.input].refused {
                plan.not_made.insert(i, NotFixed::Refused(reason.clone()));
                continue;
            }
            if !options.only.is_empty()
                && !options
                    .only
                    .iter()
                    .any(|id| id.eq_ignore_ascii_case(v.check_id))
            {
                plan.not_made.insert(i, NotFixed::NotSelected);
                continue;
            }
            let document = plan.edits.entry((place.input, place.document)).or_default();
            for edit in edits {
                let edit = within_document(edit, place.item);
                if !document.contains(&edit) {
                    document.push(edit);
                }
            }
            plan.targeted.insert(i);
        }
        plan
    }
}

/// The documents' new texts by file (`None` for a document left as it was), and
/// the documents that could not be edited, with why.
struct Edited {
    texts: HashMap<usize, Vec<Option<String>>>,
    refused: HashMap<(usize, usize), String>,
}

/// Makes the planned edits, each document on its own and in parallel.
fn edit_documents(files: &[Input], plan: &Plan, max_document_bytes: usize) -> Edited {
    let mut keys: Vec<_> = plan.edits.keys().copied().collect();
    keys.sort_unstable();
    let outcomes: Vec<_> = keys
        .par_iter()
        .map(|&(input, document)| {
            let (start, end) = files[input].documents[document];
            if end - start > max_document_bytes {
                return Err(format!(
                    "the document is larger than {max_document_bytes} bytes \
                     (--max-document-bytes): each edit reads it again, so it is not \
                     fixed; split it, or raise the limit"
                ));
            }
            fix_document(
                &files[input].text[start..end],
                &plan.edits[&(input, document)],
            )
        })
        .collect();
    let mut edited = Edited {
        texts: HashMap::new(),
        refused: HashMap::new(),
    };
    for (&(input, document), outcome) in keys.iter().zip(outcomes) {
        match outcome {
            Ok(Some(fixed)) => {
                let slots = edited
                    .texts
                    .entry(input)
                    .or_insert_with(|| vec![None; files[input].documents.len()]);
                slots[document] = Some(fixed);
            }
            Ok(None) => {}
            Err(reason) => {
                edited.refused.insert((input, document), reason);
            }
        }
    }
    edited
}

/// A finding as both scans name it.
fn key(v: &CheckViolation, places: &[Place]) -> Key {
    (places[v.resource], v.check_id, v.violation.path.clone())
}

/// The changed files to leave as they were, with why: those where a finding a
/// fix was made for is still found, or where a finding appeared.
fn files_to_revert(
    before: &[CheckViolation],
    places: &[Place],
    after: &[CheckViolation],
    after_places: &[Place],
    plan: &Plan,
    edited: &Edited,
) -> HashMap<usize, String> {
    let before_keys: HashSet<Key> = before.iter().map(|v| key(v, places)).collect();
    let after_keys: HashSet<Key> = after.iter().map(|v| key(v, after_places)).collect();
    let mut reverted: HashMap<usize, String> = HashMap::new();
    for &i in &plan.targeted {
        let v = &before[i];
        let place = places[v.resource];
        let made = edited.texts.contains_key(&place.input)
            && !edited.refused.contains_key(&(place.input, place.document));
        if made && after_keys.contains(&key(v, places)) {
            reverted.entry(place.input).or_insert_with(|| {
                format!(
                    "the fix did not remove {} at {}: the file is left as it was",
                    v.check_id, v.violation.path
                )
            });
        }
    }
    for v in after {
        let k = key(v, after_places);
        if edited.texts.contains_key(&k.0.input) && !before_keys.contains(&k) {
            reverted.entry(k.0.input).or_insert_with(|| {
                format!(
                    "the fix would add {} at {}: the file is left as it was",
                    v.check_id, v.violation.path
                )
            });
        }
    }
    reverted
}

/// Runs the checks over the files `inputs` name, and plans, makes and checks their fixes.
pub fn fix(inputs: &[String], options: &FixOptions) -> FixRun {
    let mut run = FixRun::default();
    let mut files = read_inputs(inputs, options.limits, &mut run.problems);
    let (before, places, plan) = {
        let named: Vec<(&str, &str)> = files
            .iter()
            .map(|f| (f.file.as_str(), f.text.as_str()))
            .collect();
        let (resources, places) = load(&named, options.limits, &mut run.problems);
        let before = check_violations(&resources, &options.scan);
        let plan = Plan::new(&before, &resources, &places, &files, options);
        (before, places, plan)
    };
    let edited = edit_documents(&files, &plan, options.max_document_bytes);

    // The fixed files scanned again, with the files left as they were.
    let mut fixed_texts: HashMap<usize, String> = edited
        .texts
        .iter()
        .map(|(&i, slots)| (i, splice_documents(&files[i], slots)))
        .collect();
    let (after, after_places) = if edited.texts.is_empty() {
        // Nothing changed: the first scan stands.
        (before.clone(), places.clone())
    } else {
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
        let (resources, places) = load(&named, options.limits, &mut Vec::new());
        (check_violations(&resources, &options.scan), places)
    };
    let reverted = files_to_revert(&before, &places, &after, &after_places, &plan, &edited);
    let kept = |input: usize| edited.texts.contains_key(&input) && !reverted.contains_key(&input);

    // Why a finding with a fix still stands.
    let not_fixed = |i: usize, place: Place| -> Option<NotFixed> {
        plan.not_made.get(&i).cloned().or_else(|| {
            edited
                .refused
                .get(&(place.input, place.document))
                .or_else(|| reverted.get(&place.input))
                .map(|reason| NotFixed::Refused(reason.clone()))
        })
    };

    // What was removed, file by file.
    let after_keys: HashSet<Key> = after.iter().map(|v| key(v, &after_places)).collect();
    let mut removed: HashMap<usize, Vec<Fixed>> = HashMap::new();
    let mut seen: HashSet<(usize, &'static str, &str, Pos)> = HashSet::new();
    let mut targeted: Vec<usize> = plan.targeted.iter().copied().collect();
    targeted.sort_unstable();
    for i in targeted {
        let v = &before[i];
        let place = places[v.resource];
        let gone = kept(place.input)
            && !edited.refused.contains_key(&(place.input, place.document))
            && !after_keys.contains(&key(v, &places));
        if gone && seen.insert((place.input, v.check_id, &v.violation.path, v.violation.pos)) {
            removed.entry(place.input).or_default().push(Fixed {
                check_id: v.check_id,
                path: v.violation.path.clone(),
                pos: v.violation.pos,
            });
        }
    }

    // What is left: the findings of the kept files after, of the others before.
    let mut fixable_before: HashMap<Key, Option<NotFixed>> = HashMap::new();
    for (i, v) in before.iter().enumerate() {
        if plan.not_made.contains_key(&i) || plan.targeted.contains(&i) {
            fixable_before.insert(key(v, &places), not_fixed(i, places[v.resource]));
        }
    }
    let mut left: Vec<(usize, Remaining)> = Vec::new();
    for (i, v) in before.iter().enumerate() {
        let place = places[v.resource];
        if !kept(place.input) {
            let why = not_fixed(i, place);
            left.push((place.input, remaining(&files[place.input], v, why)));
        }
    }
    for v in &after {
        let k = key(v, &after_places);
        if kept(k.0.input) {
            let why = fixable_before.get(&k).cloned().flatten();
            left.push((k.0.input, remaining(&files[k.0.input], v, why)));
        }
    }
    left.sort_by_key(|(input, r)| (*input, r.pos));
    run.remaining = left.into_iter().map(|(_, r)| r).collect();

    for (i, file) in files.iter_mut().enumerate() {
        if !kept(i) {
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
