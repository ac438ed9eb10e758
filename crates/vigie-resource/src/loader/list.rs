//! Unpacking `List` documents (`kind: List`, and typed lists such as `PodList`, as
//! `kubectl get -o yaml` prints them) into their items.
//!
//! A List read on the fast path arrives with its items unparsed: they are cut out of
//! the text and parsed one by one, in parallel, each handed to the scan as soon as it
//! is built, so that one List of a million objects costs what a million documents
//! cost. Other Lists arrive as trees and are unpacked in place.

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use rayon::prelude::*;

use super::order::{Next, Piece};
use super::JOB_BYTES;
use crate::diagnostic::Diagnostic;
use crate::node::{Entry, Node, Pos, Value};
use crate::resource::{describe, Origin, Resource};
use crate::yaml::{list_items, parse_list_item, ItemSpan, ItemsRegion};

/// What the items of a List take from the List itself.
pub(super) struct ListHead {
    kind: String,
    api_version: Option<Node>,
    pos: Pos,
}

impl ListHead {
    /// The head of a List and its `items`, taken out of its root.
    fn split(root: Node) -> (ListHead, Option<Node>) {
        let pos = root.pos;
        let mut head = ListHead {
            kind: String::new(),
            api_version: None,
            pos,
        };
        let Value::Map(entries) = root.value else {
            return (head, None);
        };
        let mut items = None;
        for entry in entries.into_vec() {
            match entry.key.as_str() {
                "kind" => head.kind = entry.value.as_str().unwrap_or_default().to_string(),
                "apiVersion" => head.api_version = Some(entry.value),
                "items" => items = Some(entry.value),
                _ => {}
            }
        }
        (head, items)
    }

    /// The object of item `i` (0-based), which in a typed list (PodList) may leave out
    /// its kind and apiVersion; or the error that makes it none.
    fn resource(&self, mut item: Node, i: usize, origin: &Origin) -> Result<Resource, Diagnostic> {
        let item_kind = self.kind.strip_suffix("List").filter(|k| !k.is_empty());
        if let (Some(kind), Value::Map(entries)) = (item_kind, &mut item.value) {
            let mut added = Vec::new();
            if !entries.iter().any(|e| e.key == "kind") {
                added.push(synthetic_entry(
                    "kind",
                    Value::String(kind.into()),
                    self.pos,
                ));
            }
            if let Some(api) = &self.api_version {
                if !entries.iter().any(|e| e.key == "apiVersion") {
                    added.push(synthetic_entry("apiVersion", api.value.clone(), self.pos));
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
        Resource::from_node(item, item_origin)
            .map_err(|(pos, reason)| item_error(origin, i, pos, reason))
    }
}

fn item_error(origin: &Origin, i: usize, pos: Pos, reason: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error(
        origin.file.path.clone(),
        Some(pos),
        format!("document {}, item {}: {reason}", origin.document + 1, i + 1),
    )
}

fn synthetic_entry(key: &str, value: Value, pos: Pos) -> Entry {
    Entry {
        key: key.into(),
        key_pos: pos,
        value: Node::new(value, pos),
    }
}

/// Whether a parsed root is a List to unpack: `kind: List`, or a typed list that has
/// `items` (a `PodList` without items is taken as the object it says it is).
pub(super) fn is_list(root: &Node) -> bool {
    root.get("kind")
        .and_then(Node::as_str)
        .is_some_and(|k| k == "List" || (k.ends_with("List") && root.entry("items").is_some()))
}

/// Unpacks a List parsed as a whole tree.
pub(super) fn unpack(
    root: Node,
    origin: &Origin,
    resources: &mut impl FnMut(Resource),
    diagnostics: &mut Vec<Diagnostic>,
) {
    let (head, items) = ListHead::split(root);
    let items = match items {
        None => return, // an empty list
        Some(node) if node.is_null() => return,
        Some(Node {
            value: Value::Seq(items),
            ..
        }) => items,
        Some(other) => {
            diagnostics.push(Diagnostic::error(
                origin.file.path.clone(),
                Some(other.pos),
                format!(
                    "document {}: `items` of a {} must be a list, found {}",
                    origin.document + 1,
                    head.kind,
                    describe(&other)
                ),
            ));
            return;
        }
    };
    for (i, item) in items.into_vec().into_iter().enumerate() {
        match head.resource(item, i, origin) {
            Ok(r) => resources(r),
            Err(d) => diagnostics.push(d),
        }
    }
}

/// A List whose items were left unparsed, and where its parts go.
pub(super) struct ItemStream<'a, S> {
    /// The text of the List's document, which the region is in.
    pub(super) text: &'a str,
    pub(super) region: ItemsRegion,
    pub(super) origin: Origin,
    /// Items past this many are refused.
    pub(super) max_items: usize,
    pub(super) source: usize,
    pub(super) job: usize,
    pub(super) send: &'a S,
}

impl<S> ItemStream<'_, S> {
    /// Cuts the items out a few at a time, parses and visits each group in
    /// parallel, and sends each group as a part of the job from `first_part` on.
    /// Returns the next part, and the error of a List that holds too many items.
    pub(super) fn run<T, F>(
        &self,
        root: Node,
        visit: &F,
        first_part: usize,
    ) -> (usize, Option<Diagnostic>)
    where
        T: Send,
        F: Fn(Resource) -> T + Sync,
        S: Fn(Piece<T>) + Sync,
    {
        let (head, _) = ListHead::split(root);
        let parts = AtomicUsize::new(0);
        // 1-based line of the first item past the limit, 0 while there is none.
        let too_many = AtomicU32::new(0);
        let mut items = list_items(self.text, self.region).enumerate();
        let groups = std::iter::from_fn(|| {
            let mut group = Vec::new();
            let mut bytes = 0;
            while bytes < JOB_BYTES {
                let Some((i, span)) = items.next() else {
                    break;
                };
                if i >= self.max_items {
                    too_many.store(span.line + 1, Ordering::Relaxed);
                    break;
                }
                bytes += span.end - span.start;
                group.push((i, span));
            }
            (!group.is_empty()).then(|| (parts.fetch_add(1, Ordering::Relaxed), group))
        });
        // `par_bridge` takes the next group only when a thread is free, so the parts
        // waiting for an earlier one stay as few as the threads.
        groups.par_bridge().for_each(|(k, group)| {
            let mut results = Vec::new();
            let mut diagnostics = Vec::new();
            for (i, span) in group {
                if let Some(resource) = self.item(&head, span, i, &mut diagnostics) {
                    results.push(visit(resource));
                }
            }
            (self.send)(Piece {
                source: self.source,
                job: self.job,
                part: first_part + k,
                next: Next::Part,
                results,
                diagnostics,
            });
        });
        let line = too_many.into_inner();
        let error = (line > 0).then(|| {
            Diagnostic::error(
                self.origin.file.path.clone(),
                Some(Pos::new(line, 1)),
                format!(
                    "document {}: more than {} items in this List, the limit on objects \
                     per file; the rest is not read (raise it with --max-documents)",
                    self.origin.document + 1,
                    self.max_items
                ),
            )
        });
        (first_part + parts.into_inner(), error)
    }

    /// Parses one item cut out of the List.
    fn item(
        &self,
        head: &ListHead,
        span: ItemSpan,
        i: usize,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Resource> {
        let origin = &self.origin;
        let (item, warnings) = match parse_list_item(self.text, span, self.region) {
            Ok(Some(parsed)) => parsed,
            Ok(None) => return None,
            Err((pos, reason)) => {
                diagnostics.push(item_error(
                    origin,
                    i,
                    pos,
                    format!("invalid YAML: {reason}"),
                ));
                return None;
            }
        };
        for (pos, warning) in warnings {
            diagnostics.push(Diagnostic::warning(
                origin.file.path.clone(),
                Some(pos),
                warning,
            ));
        }
        match head.resource(item, i, origin) {
            Ok(resource) => Some(resource),
            Err(d) => {
                diagnostics.push(d);
                None
            }
        }
    }
}
