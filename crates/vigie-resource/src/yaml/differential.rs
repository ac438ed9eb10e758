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
