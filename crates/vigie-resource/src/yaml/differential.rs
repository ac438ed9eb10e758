//! Both parsing paths side by side, for the differential tests, the fuzz target and
//! corpus checks. Not part of the supported API.

use super::ChunkResult;
use crate::node::{Node, Pos, Value};

/// A parsed document: its root and its warnings.
pub type Parsed = (Node, Vec<(Pos, String)>);

/// The fast path alone: `None` when it leaves the document to the reference parser.
pub fn fast(text: &str, first_line: u32) -> Option<Parsed> {
    super::fast::parse(text, first_line)
}

/// The reference (yaml-rust2) path alone.
pub fn reference(text: &str, first_line: u32) -> ChunkResult {
    super::builder::parse_chunk(text, first_line)
}

/// Where the two paths disagree on a document, if they do: `None` when the fast path
/// declines it or gives exactly what the reference path gives.
pub fn difference(text: &str, first_line: u32) -> Option<String> {
    let fast = fast(text, first_line)?;
    match reference(text, first_line) {
        Ok(Some(reference)) => compare(&fast, &reference),
        other => Some(format!(
            "the fast path accepted what the reference path gives as {other:?}"
        )),
    }
}

fn compare(fast: &Parsed, reference: &Parsed) -> Option<String> {
    if fast.1 != reference.1 {
        return Some(format!(
            "warnings differ: fast {:?}, reference {:?}",
            fast.1, reference.1
        ));
    }
    node_difference(&fast.0, &reference.0, "$")
}

/// The first difference between two trees (values, node and key positions), with its
/// path. NaN equals NaN here: `.nan` must read the same on both paths.
pub fn node_difference(fast: &Node, reference: &Node, path: &str) -> Option<String> {
    if fast.pos != reference.pos {
        return Some(format!(
            "{path}: position {} on the fast path, {} on the reference path",
            fast.pos, reference.pos
        ));
    }
    let differ = || {
        Some(format!(
            "{path}: {:?} on the fast path, {:?} on the reference path",
            fast.value, reference.value
        ))
    };
    match (&fast.value, &reference.value) {
        (Value::Seq(a), Value::Seq(b)) => {
            if a.len() != b.len() {
                return differ();
            }
            a.iter()
                .zip(b)
                .enumerate()
                .find_map(|(i, (x, y))| node_difference(x, y, &format!("{path}[{i}]")))
        }
        (Value::Map(a), Value::Map(b)) => {
            if a.len() != b.len() {
                return differ();
            }
            a.iter().zip(b).find_map(|(x, y)| {
                let here = format!("{path}.{}", x.key);
                if x.key != y.key || x.key_pos != y.key_pos {
                    return Some(format!(
                        "{here}: key {:?} at {} on the fast path, {:?} at {} on the reference path",
                        x.key, x.key_pos, y.key, y.key_pos
                    ));
                }
                node_difference(&x.value, &y.value, &here)
            })
        }
        (Value::Float(a), Value::Float(b)) if a.is_nan() && b.is_nan() => None,
        (a, b) if a == b => None,
        _ => differ(),
    }
}

/// Where reading a List item by item disagrees with reading it whole: when the fast
/// path steps over the root `items` of a document, the rest of the root and each
/// item cut out and parsed on its own must give what the reference parser gives for
/// the whole document. `None` when the items are not stepped over, or all agree.
pub fn list_difference(text: &str, first_line: u32) -> Option<String> {
    let shell = super::fast::parse_shell(text, first_line)?;
    let region = shell.items?;
    let item_error = || {
        super::list_items(text, region)
            .find_map(|span| super::parse_list_item(text, span, region).err())
    };
    let whole = match reference(text, first_line) {
        Ok(Some((root, _))) => root,
        // Read whole, the List is an error; read item by item, the error must be
        // found in its item (the other items are then still read).
        Err(error) if item_error().is_some() => {
            let _ = error;
            return None;
        }
        other => {
            return Some(format!(
                "the items were read one by one in what the reference path gives as {other:?}"
            ))
        }
    };
    // The root without its items.
    let without_items = |root: &Node| match &root.value {
        Value::Map(entries) => Node::new(
            Value::Map(
                entries
                    .iter()
                    .filter(|e| e.key != "items")
                    .cloned()
                    .collect(),
            ),
            root.pos,
        ),
        _ => root.clone(),
    };
    if let Some(diff) = node_difference(&without_items(&shell.root), &without_items(&whole), "$") {
        return Some(diff);
    }
    let items = whole.get("items").map(Node::items).unwrap_or(&[]);
    let spans: Vec<_> = super::list_items(text, region).collect();
    if spans.len() != items.len() {
        return Some(format!(
            "{} items cut out, {} on the reference path",
            spans.len(),
            items.len()
        ));
    }
    for (i, (span, expected)) in spans.iter().zip(items).enumerate() {
        let cut = &text[span.start..span.end];
        let item = match super::parse_list_item(text, *span, region) {
            Ok(Some((item, _))) => item,
            other => {
                return Some(format!(
                    "item {i} ({cut:?}) read on its own gives {other:?}"
                ))
            }
        };
        if let Some(diff) = node_difference(&item, expected, &format!("$.items[{i}]")) {
            return Some(diff);
        }
    }
    None
}
