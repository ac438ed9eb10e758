//! The reference path: yaml-rust2's event parser and a builder that turns its events
//! into positioned [`Node`] trees. It handles all of YAML (anchors, aliases, tags, merge
//! keys, multi-line scalars) and is the only path that reports errors.

use std::collections::HashMap;

use compact_str::CompactString;
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::scalar::resolve_plain;
use super::{ChunkResult, MAX_DEPTH};
use crate::node::{Entry, Node, Pos, Value};

/// Upper bound on nodes a document may expand to through aliases ("billion laughs").
const MAX_ALIAS_NODES: usize = 1_000_000;
/// Upper bound on the text (strings and keys) aliases may copy into a document:
/// few nodes can still hold much text, such as a thousand aliases of a
/// one-megabyte string.
const MAX_ALIAS_TEXT_BYTES: usize = 64 << 20;

/// Parses one document with yaml-rust2: the reference path, which accepts all of YAML
/// and reports every error with its position.
pub(super) fn parse_chunk(text: &str, first_line: u32) -> ChunkResult {
    let mut parser = Parser::new_from_str(text);
    let mut builder = Builder::new(first_line);
    loop {
        let (event, mark) = parser
            .next_token()
            .map_err(|e| (builder.pos(e.marker()), e.info().to_string()))?;
        match event {
            Event::StreamEnd => break,
            Event::StreamStart | Event::DocumentStart | Event::DocumentEnd | Event::Nothing => {}
            other => builder.event(other, mark)?,
        }
    }
    Ok(builder.root.map(|root| (root, builder.warnings)))
}

enum Frame {
    Seq {
        items: Vec<Node>,
        pos: Pos,
        anchor: usize,
    },
    Map {
        entries: Vec<Entry>,
        pos: Pos,
        anchor: usize,
        key: Option<(CompactString, Pos)>,
    },
}

struct Builder {
    first_line: u32,
    stack: Vec<Frame>,
    /// Anchored nodes, with how deeply their collections nest.
    anchors: HashMap<usize, (Node, usize)>,
    alias_nodes: usize,
    alias_text_bytes: usize,
    root: Option<Node>,
    warnings: Vec<(Pos, String)>,
}

impl Builder {
    fn new(first_line: u32) -> Self {
        Self {
            first_line,
            stack: Vec::new(),
            anchors: HashMap::new(),
            alias_nodes: 0,
            alias_text_bytes: 0,
            root: None,
            warnings: Vec::new(),
        }
    }

    fn pos(&self, mark: &Marker) -> Pos {
        Pos::new(self.first_line + mark.line() as u32, mark.col() as u32 + 1)
    }

    fn event(&mut self, event: Event, mark: Marker) -> Result<(), (Pos, String)> {
        let pos = self.pos(&mark);
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                // Keys stay as written: `y:` is the key "y", not a boolean.
                if let Some(Frame::Map {
                    key: key @ None, ..
                }) = self.stack.last_mut()
                {
                    if anchor == 0 {
                        *key = Some((text.into(), pos));
                        return Ok(());
                    }
                }
                let node = Node::new(resolve_scalar(text, style, tag.as_ref()), pos);
                self.push(node, anchor)
            }
            Event::SequenceStart(anchor, _) => self.open(Frame::Seq {
                items: Vec::new(),
                pos,
                anchor,
            }),
            Event::MappingStart(anchor, _) => self.open(Frame::Map {
                entries: Vec::new(),
                pos,
                anchor,
                key: None,
            }),
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Seq { items, pos, anchor }) => {
                        (Node::new(Value::Seq(items.into_boxed_slice()), pos), anchor)
                    }
                    Some(Frame::Map {
                        entries,
                        pos,
                        anchor,
                        ..
                    }) => {
                        // A block mapping's start event is marked after its first key;
                        // the first key is where the mapping really starts.
                        let pos = entries.first().map_or(pos, |e| e.key_pos);
                        let entries = merge_keys(entries).into_boxed_slice();
                        (Node::new(Value::Map(entries), pos), anchor)
                    }
                    None => return Err((pos, "unbalanced collection end".into())),
                };
                self.push(node, anchor)
            }
            Event::Alias(id) => {
                let Some((target, depth)) = self.anchors.get(&id) else {
                    return Err((pos, "alias to an unknown anchor".into()));
                };
                // An alias puts its whole tree here: nesting adds up through aliases
                // of aliases, and must stay within the limit like written nesting.
                if self.stack.len() + depth > MAX_DEPTH {
                    return Err((
                        pos,
                        format!("nesting deeper than {MAX_DEPTH} levels (through aliases)"),
                    ));
                }
                let (nodes, text_bytes) = expansion(target);
                self.alias_nodes += nodes;
                self.alias_text_bytes += text_bytes;
                if self.alias_nodes > MAX_ALIAS_NODES {
                    return Err((
                        pos,
                        format!("aliases expand to more than {MAX_ALIAS_NODES} nodes"),
                    ));
                }
                if self.alias_text_bytes > MAX_ALIAS_TEXT_BYTES {
                    return Err((
                        pos,
                        format!("aliases copy more than {MAX_ALIAS_TEXT_BYTES} bytes of text"),
                    ));
                }
                let mut node = target.clone();
                node.pos = pos;
                self.push(node, 0)
            }
            _ => Ok(()),
        }
    }

    fn open(&mut self, frame: Frame) -> Result<(), (Pos, String)> {
        if self.stack.len() >= MAX_DEPTH {
            let pos = match &frame {
                Frame::Seq { pos, .. } | Frame::Map { pos, .. } => *pos,
            };
            return Err((pos, format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        self.stack.push(frame);
        Ok(())
    }

    fn push(&mut self, node: Node, anchor: usize) -> Result<(), (Pos, String)> {
        if anchor != 0 {
            self.anchors.insert(anchor, (node.clone(), nesting(&node)));
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => *key = Some((key_text(&node), node.pos)),
                Some((k, key_pos)) => {
                    if k != "<<" && entries.iter().any(|e| e.key == k) {
                        self.warnings
                            .push((key_pos, format!("duplicate key `{k}`: the last one wins")));
                    }
                    entries.push(Entry {
                        key: k,
                        key_pos,
                        value: node,
                    });
                }
            },
        }
        Ok(())
    }
}

fn key_text(node: &Node) -> CompactString {
    match &node.value {
        Value::String(s) => s.clone(),
        Value::Null => CompactString::default(),
        _ => node.display_value().into(),
    }
}

/// How many collections deep a tree goes (0 for a scalar). Trees built here nest
/// at most `MAX_DEPTH` levels, so the recursion is bounded.
fn nesting(node: &Node) -> usize {
    match &node.value {
        Value::Seq(items) => 1 + items.iter().map(nesting).max().unwrap_or(0),
        Value::Map(entries) => 1 + entries.iter().map(|e| nesting(&e.value)).max().unwrap_or(0),
        _ => 0,
    }
}

/// The nodes of a tree, and the bytes of its strings and keys: what an alias of it
/// copies.
fn expansion(node: &Node) -> (usize, usize) {
    match &node.value {
        Value::String(text) => (1, text.len()),
        Value::Seq(items) => items.iter().map(expansion).fold((1, 0), add),
        Value::Map(entries) => entries
            .iter()
            .map(|e| add(expansion(&e.value), (0, e.key.len())))
            .fold((1, 0), add),
        _ => (1, 0),
    }
}

fn add(a: (usize, usize), b: (usize, usize)) -> (usize, usize) {
    (a.0 + b.0, a.1 + b.1)
}

/// Applies YAML merge keys (`<<: *base`): merged entries never override explicit ones.
fn merge_keys(entries: Vec<Entry>) -> Vec<Entry> {
    if !entries.iter().any(|e| e.key == "<<") {
        return entries;
    }
    let (merges, mut own): (Vec<Entry>, Vec<Entry>) =
        entries.into_iter().partition(|e| e.key == "<<");
    for merge in merges {
        let sources: Vec<Node> = match merge.value.value {
            Value::Map(_) => vec![merge.value],
            Value::Seq(items) => items.into_vec(),
            _ => continue,
        };
        for source in sources {
            if let Value::Map(inherited) = source.value {
                for entry in inherited.into_vec() {
                    if !own.iter().any(|e| e.key == entry.key) {
                        own.push(entry);
                    }
                }
            }
        }
    }
    own
}

fn resolve_scalar(text: String, style: TScalarStyle, tag: Option<&Tag>) -> Value {
    if let Some(tag) = tag {
        if tag.handle == "!!" || tag.handle == "tag:yaml.org,2002:" {
            match tag.suffix.as_str() {
                "str" | "binary" | "timestamp" => return Value::String(text.into()),
                "null" => return Value::Null,
                _ => {}
            }
        }
    }
    if style != TScalarStyle::Plain {
        return Value::String(text.into());
    }
    resolve_plain(&text)
}
