//! The fast path: a hand-written parser for the part of YAML that Kubernetes manifests
//! are written in (block mappings and sequences, single-line scalars, block scalars,
//! single-line flow collections, JSON documents).
//!
//! yaml-rust2 reads a character at a time through a token queue; this reads bytes and
//! builds the [`Node`] tree directly, several times faster. It must give exactly what the
//! reference path ([`super::builder`]) gives, positions and warnings included, so it gives
//! up (returns `None`) on anything outside that subset or that it is not sure about:
//! anchors, aliases, tags, complex keys, multi-line plain and quoted scalars, tabs in
//! indentation, directives, and every error. The reference path then parses the
//! document, so results never depend on which path ran.
//!
//! What it buys, measured with `examples/parse_throughput.rs` (one core, release):
//! 6.2× when it was written (35 → 217 MB/s on an idle machine); re-measured on
//! 2026-12-05 over a `corpus-gen 20000 200` corpus (15.9 MB, every document on the
//! fast path), on a machine shared with other builds (load 6 to 13): 5 runs gave
//! the reference path 14.8 to 22.8 MB/s and this one 104 to 145 MB/s, 6 to 7×.

mod cursor;
mod flow;
mod items;
mod scalars;

use compact_str::CompactString;
use cursor::{Cursor, Next};
pub(crate) use items::ItemSpan;
use scalars::{block_plain, block_scalar, plain_may_start, quoted, PlainEnd};

use super::scalar::resolve_plain;
use crate::node::{Entry, Node, Pos, Value};

/// Nesting the fast path accepts; deeper documents go to the reference parser, which
/// enforces the real limit.
const MAX_FAST_DEPTH: usize = 128;
/// yaml-rust2 stops looking for the `:` of a simple key 1024 characters after its start.
const MAX_KEY_BYTES: usize = 1000;

/// Parses a document on the fast path; `None` when it must go to the reference parser.
pub(super) fn parse(text: &str, first_line: u32) -> Option<(Node, Vec<(Pos, String)>)> {
    parse_at(text, first_line, 0)
}

/// Like [`parse`], for a text that starts `first_column` characters into its line.
pub(super) fn parse_at(
    text: &str,
    first_line: u32,
    first_column: u32,
) -> Option<(Node, Vec<(Pos, String)>)> {
    let mut parser = FastParser::new(text, first_line, first_column, false)?;
    let root = parser.document()?;
    Some((root, parser.warnings))
}

/// A document parsed with the items of its root `items` sequence stepped over.
pub(super) struct Shell {
    /// The root, whose `items` is null when they were stepped over.
    pub(super) root: Node,
    pub(super) warnings: Vec<(Pos, String)>,
    /// Where the items are, when they were stepped over.
    pub(super) items: Option<ItemsRegion>,
}

/// Like [`parse`], but the items of a root `items` sequence (a `List`'s) are only
/// stepped over, to be cut out and parsed one by one with [`list_items`].
pub(super) fn parse_shell(text: &str, first_line: u32) -> Option<Shell> {
    let mut parser = FastParser::new(text, first_line, 0, true)?;
    match parser.document() {
        Some(root) => Some(Shell {
            root,
            warnings: parser.warnings,
            items: parser.items_region,
        }),
        // Items this scan cannot step over may still be read whole.
        None if parser.skip_failed => parse(text, first_line).map(|(root, warnings)| Shell {
            root,
            warnings,
            items: None,
        }),
        None => None,
    }
}

/// Where the items of a `List` document are in its text, left unparsed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ItemsRegion {
    /// Byte range in the document's text: from the first item's line to the line
    /// after the last one (block), or from after `[` to after `]` (flow).
    start: usize,
    end: usize,
    /// 0-based line and character column of `start` in the stream.
    line: u32,
    column: u32,
    /// Column of the `-` of block items; `None` for a flow sequence.
    block_indent: Option<usize>,
}

impl ItemsRegion {
    /// Whether an item is a block sequence entry (`- ...` lines) rather than a value.
    pub(crate) fn is_block(&self) -> bool {
        self.block_indent.is_some()
    }
}

/// The items of a region found by [`parse_shell`] in `text`, one at a time, with
/// spans relative to `text`.
pub(crate) fn list_items(text: &str, region: ItemsRegion) -> impl Iterator<Item = ItemSpan> + '_ {
    let mut cursor =
        Cursor::starting_at(&text[region.start..region.end], region.line, region.column);
    // The region was stepped over once already: it cannot fail now.
    std::iter::from_fn(move || {
        let next = match region.block_indent {
            Some(indent) => items::next_block_item(&mut cursor, indent),
            None => items::next_flow_item(&mut cursor),
        };
        next.ok().flatten()
    })
    .map(move |span| ItemSpan {
        start: span.start + region.start,
        end: span.end + region.start,
        ..span
    })
}

/// Whether the text holds only characters whose handling the fast path mirrors: no
/// control characters but tab and CR LF line breaks, no byte order mark.
fn plain_text(text: &str) -> bool {
    let bytes = text.as_bytes();
    // A branch-free pass (it vectorizes) finds whether any byte needs a closer look:
    // controls other than tab and LF, DEL, and 0xEF (which starts a byte order mark).
    let suspicious = |chunk: &[u8]| {
        chunk.iter().fold(false, |any, &b| {
            any | ((b < 0x20) & (b != b'\n') & (b != b'\t')) | (b == 0x7f) | (b == 0xef)
        })
    };
    if !bytes.chunks(256).any(suspicious) {
        return true;
    }
    bytes.iter().enumerate().all(|(i, &b)| match b {
        b'\t' | b'\n' | b' '..=b'~' | 0x80.. => true,
        b'\r' => bytes.get(i + 1) == Some(&b'\n'),
        _ => false,
    }) && !text.contains('\u{feff}')
}

/// Whether the text ends in a line without a line break that holds only spaces or a
/// comment: where yaml-rust2 then marks the end of the text depends on the indentation
/// of the blocks still open.
fn ends_in_unterminated_blank_line(text: &str) -> bool {
    let last = text.rsplit('\n').next().unwrap_or(text);
    !last.is_empty()
        && matches!(
            last.trim_start_matches(' ').bytes().next(),
            None | Some(b'#')
        )
}

pub(super) struct FastParser<'a> {
    cursor: Cursor<'a>,
    depth: usize,
    warnings: Vec<(Pos, String)>,
    /// Entries of the mappings being read, the innermost one's on top. A mapping takes
    /// its own off the top when it ends, in one allocation of the exact size: no
    /// growing, and no spare capacity kept in the tree.
    entries: Vec<Entry>,
    /// Items of the sequences being read, likewise.
    items: Vec<Node>,
    /// Whether to step over the items of a root `items` sequence.
    skip_items: bool,
    /// Where those items are, once stepped over.
    items_region: Option<ItemsRegion>,
    /// Whether stepping over them failed (the text may still be parsed whole).
    skip_failed: bool,
    /// Whether the root has shown an `items` key.
    root_items_seen: bool,
}

impl<'a> FastParser<'a> {
    /// A parser for `text`, or `None` when the text is outside the fast path's subset.
    fn new(text: &'a str, first_line: u32, first_column: u32, skip_items: bool) -> Option<Self> {
        if !plain_text(text) || ends_in_unterminated_blank_line(text) {
            return None;
        }
        Some(FastParser {
            cursor: Cursor::starting_at(text, first_line, first_column),
            depth: 0,
            warnings: Vec::new(),
            entries: Vec::new(),
            items: Vec::new(),
            skip_items,
            items_region: None,
            skip_failed: false,
            root_items_seen: false,
        })
    }
}

impl FastParser<'_> {
    fn document(&mut self) -> Option<Node> {
        let bytes = self.cursor.bytes();
        if bytes.starts_with(b"---") {
            if !matches!(self.cursor.byte_at(3), b' ' | b'\n' | b'\r' | 0) {
                return None;
            }
            self.cursor.pos = 3;
            self.cursor.finish_line()?;
        }
        let Next::Content(indent) = self.cursor.next_content_line()? else {
            return None; // no node: rare enough to leave to the reference parser
        };
        let root = match self.cursor.peek() {
            b'[' | b'{' => {
                let root = self.flow_collection(true)?;
                self.cursor.finish_line()?;
                root
            }
            _ if self.cursor.at_seq_entry() => self.block_sequence(indent, false)?,
            _ => {
                let key = self.block_key()?;
                self.block_mapping(indent, key)?
            }
        };
        // Nothing may follow the root but a `...` line.
        if self.cursor.next_content_line()? != Next::End {
            return None;
        }
        if self.cursor.pos < bytes.len() {
            self.cursor.pos += 3;
            self.cursor.finish_line()?;
            if self.cursor.pos < bytes.len() {
                return None;
            }
        }
        Some(root)
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_FAST_DEPTH).then_some(())
    }

    /// Reads a mapping key at the cursor, through its `:`.
    fn block_key(&mut self) -> Option<(CompactString, Pos)> {
        let pos = self.cursor.here();
        let start = self.cursor.pos;
        let key = match self.cursor.peek() {
            b'"' | b'\'' => {
                let key = quoted(&mut self.cursor)?.into();
                if self.cursor.peek() != b':'
                    || !matches!(self.cursor.peek_at(1), b' ' | b'\n' | b'\r' | 0)
                {
                    return None;
                }
                self.cursor.pos += 1;
                key
            }
            _ if plain_may_start(&self.cursor) => match block_plain(&mut self.cursor)? {
                (key, PlainEnd::Key) => key.into(),
                (_, PlainEnd::Value) => return None,
            },
            _ => return None,
        };
        if key == "<<" || self.cursor.pos - start > MAX_KEY_BYTES {
            return None; // merge keys; keys too long to be simple keys
        }
        Some((key, pos))
    }

    /// Reads a block mapping whose first key (at column `indent`) has been read.
    fn block_mapping(&mut self, indent: usize, first_key: (CompactString, Pos)) -> Option<Node> {
        self.enter()?;
        let pos = first_key.1;
        let base = self.entries.len();
        let mut key = first_key;
        loop {
            // The root mapping's `items`: a List's, stepped over when asked to.
            let list_items = self.skip_items && self.depth == 1 && key.0 == "items";
            let value = self.block_value(indent, list_items)?;
            self.push_entry(base, key.0, key.1, value)?;
            match self.cursor.next_content_line()? {
                Next::Content(i) if i == indent && !self.cursor.at_seq_entry() => {
                    key = self.block_key()?;
                }
                Next::End => break,
                Next::Content(i) if i < indent => break,
                _ => return None,
            }
        }
        self.depth -= 1;
        Some(Node::new(Value::Map(self.take_entries(base)), pos))
    }

    /// Reads the value after a key's `:` in a mapping at column `indent`; a block
    /// sequence there is only stepped over when `list_items`.
    fn block_value(&mut self, indent: usize, list_items: bool) -> Option<Node> {
        if list_items {
            self.second_items()?;
        }
        self.cursor.skip_spaces();
        if !(self.cursor.at_eol() || self.cursor.peek() == b'#') {
            return self.inline_value(indent, false);
        }
        self.cursor.finish_line()?;
        let next = self.cursor.next_content_line()?;
        match next {
            Next::Content(i) if list_items && i >= indent && self.cursor.at_seq_entry() => {
                self.skip_block_items(i)
            }
            Next::Content(i) if i > indent => self.nested_block(i),
            // A sequence may sit at its key's indentation.
            Next::Content(i) if i == indent && self.cursor.at_seq_entry() => {
                self.block_sequence(i, true)
            }
            // Nothing: null, placed where yaml-rust2 finds the next token.
            _ => Some(Node::new(Value::Null, self.cursor.here())),
        }
    }

    /// Reads the block collection that starts at the cursor, at column `indent`, on a
    /// line of its own.
    fn nested_block(&mut self, indent: usize) -> Option<Node> {
        if self.cursor.at_seq_entry() {
            self.block_sequence(indent, false)
        } else {
            let key = self.block_key()?;
            self.block_mapping(indent, key)
        }
    }

    /// Reads a node that starts on the current line after a key or a `- `, in a block
    /// collection at column `indent`. In a sequence entry (`entry`), it may itself open
    /// a sequence (`- - a`) or a mapping (`- name: a`).
    fn inline_value(&mut self, indent: usize, entry: bool) -> Option<Node> {
        let pos = self.cursor.here();
        let column = self.cursor.column();
        match self.cursor.peek() {
            b'|' | b'>' => block_scalar(&mut self.cursor, indent),
            b'[' | b'{' => {
                let node = self.flow_collection(false)?;
                self.cursor.finish_line()?;
                Some(node)
            }
            b'"' | b'\'' => {
                let start = self.cursor.pos;
                let text = quoted(&mut self.cursor)?;
                if entry && self.cursor.peek() == b':' {
                    self.cursor.pos = start;
                    let key = self.block_key()?;
                    return self.block_mapping(column, key);
                }
                self.cursor.finish_line()?;
                Some(Node::new(Value::String(text.into()), pos))
            }
            _ if self.cursor.at_seq_entry() => {
                if entry {
                    self.block_sequence(column, false)
                } else {
                    None
                }
            }
            _ if plain_may_start(&self.cursor) => {
                let start = self.cursor.pos;
                match block_plain(&mut self.cursor)? {
                    (text, PlainEnd::Value) => {
                        let value = resolve_plain(text);
                        self.cursor.finish_line()?;
                        Some(Node::new(value, pos))
                    }
                    (_, PlainEnd::Key) if entry => {
                        self.cursor.pos = start;
                        let key = self.block_key()?;
                        self.block_mapping(column, key)
                    }
                    (_, PlainEnd::Key) => None,
                }
            }
            _ => None,
        }
    }

    /// Reads a block sequence whose first `-` is at the cursor, at column `indent`.
    /// `indentless`: it sits at its key's indentation, which changes where yaml-rust2
    /// places it (at its first entry's content rather than at the `-`).
    fn block_sequence(&mut self, indent: usize, indentless: bool) -> Option<Node> {
        self.enter()?;
        let dash = self.cursor.here();
        let base = self.items.len();
        let mut pos = dash;
        loop {
            self.cursor.pos += 1;
            self.cursor.skip_spaces();
            if self.cursor.at_eol() || self.cursor.peek() == b'#' {
                // The entry is on the following lines. yaml-rust2 places an indentless
                // sequence after the first `-` and what follows it on its line.
                self.cursor.skip_comment();
                if indentless && self.items.len() == base {
                    pos = self.cursor.here();
                }
                self.cursor.finish_line()?;
                match self.cursor.next_content_line()? {
                    Next::Content(i) if i > indent => {
                        let item = self.nested_block(i)?;
                        self.items.push(item);
                    }
                    _ => return None, // an empty entry
                }
            } else {
                if indentless && self.items.len() == base {
                    pos = self.cursor.here();
                }
                let item = self.inline_value(indent, true)?;
                self.items.push(item);
            }
            match self.cursor.next_content_line()? {
                Next::Content(i) if i == indent && self.cursor.at_seq_entry() => {}
                Next::End => break,
                Next::Content(i) if i <= indent => break,
                _ => return None,
            }
        }
        self.depth -= 1;
        Some(Node::new(Value::Seq(self.take_items(base)), pos))
    }

    /// Notes a root `items` key; `None` for a second one. Items stepped over are
    /// never seen by the parser, and an error among the first `items` must still
    /// be found: a document with two is parsed whole.
    pub(super) fn second_items(&mut self) -> Option<()> {
        if self.root_items_seen {
            self.skip_failed = true;
            return None;
        }
        self.root_items_seen = true;
        Some(())
    }

    /// Steps over a List's block sequence of items at column `indent`, the cursor
    /// being on the first `-`; the value read is null.
    fn skip_block_items(&mut self, indent: usize) -> Option<Node> {
        let pos = self.cursor.here();
        let start = self.cursor.line_start;
        let line = self.cursor.stream_line();
        loop {
            match items::next_block_item(&mut self.cursor, indent) {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(()) => {
                    self.skip_failed = true;
                    return None;
                }
            }
        }
        let end = self.cursor.line_start.min(self.cursor.bytes().len());
        let text = &self.cursor.text[start..end];
        if items::may_hold_anchors(text) || items::may_hold_multiline_flow(text) {
            self.skip_failed = true;
            return None;
        }
        self.items_region = Some(ItemsRegion {
            start,
            end,
            line,
            column: 0,
            block_indent: Some(indent),
        });
        Some(Node::new(Value::Null, pos))
    }

    /// Steps over a List's flow sequence of items, the cursor being on its `[`; the
    /// value read is null.
    pub(super) fn skip_flow_items(&mut self) -> Option<Node> {
        let pos = self.cursor.here();
        self.cursor.pos += 1;
        let start = self.cursor.pos;
        let at = self.cursor.here();
        loop {
            match items::next_flow_item(&mut self.cursor) {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(()) => {
                    self.skip_failed = true;
                    return None;
                }
            }
        }
        self.cursor.pos += 1; // `]`
        if items::may_hold_anchors(&self.cursor.text[start..self.cursor.pos]) {
            self.skip_failed = true;
            return None;
        }
        self.items_region = Some(ItemsRegion {
            start,
            end: self.cursor.pos,
            line: at.line - 1,
            column: at.column - 1,
            block_indent: None,
        });
        Some(Node::new(Value::Null, pos))
    }

    /// Adds an entry to the mapping whose entries start at `base` on the stack,
    /// warning about a duplicated key as the reference builder does.
    fn push_entry(
        &mut self,
        base: usize,
        key: CompactString,
        key_pos: Pos,
        value: Node,
    ) -> Option<()> {
        if key == "<<" {
            return None; // merge keys, quoted ones too
        }
        if self.entries[base..].iter().any(|e| e.key == key) {
            self.warnings
                .push((key_pos, format!("duplicate key `{key}`: the last one wins")));
        }
        self.entries.push(Entry {
            key,
            key_pos,
            value,
        });
        Some(())
    }

    /// The entries of a mapping that ends, taken off the stack from `base`.
    fn take_entries(&mut self, base: usize) -> Box<[Entry]> {
        self.entries.drain(base..).collect()
    }

    /// The items of a sequence that ends, taken off the stack from `base`.
    fn take_items(&mut self, base: usize) -> Box<[Node]> {
        self.items.drain(base..).collect()
    }
}
