//! Flow collections: `[a, b]` and `{k: v}` on one line inside block YAML, and whole
//! JSON documents (`kubectl get -o json`), which are flow collections over many lines.

use super::scalars::quoted;
use super::{FastParser, MAX_FAST_DEPTH};
use crate::node::{Node, Pos, Value};
use crate::yaml::scalar::resolve_plain;

/// Bytes that end a plain scalar in flow context.
fn is_flow_indicator(b: u8) -> bool {
    matches!(b, b',' | b'[' | b']' | b'{' | b'}')
}

impl FastParser<'_> {
    /// Reads a flow collection at the cursor (`[` or `{`). With `multiline` false it must
    /// close on its line.
    pub(super) fn flow_collection(&mut self, multiline: bool) -> Option<Node> {
        match self.cursor.peek() {
            b'[' => self.flow_sequence(multiline),
            b'{' => self.flow_mapping(multiline),
            _ => None,
        }
    }

    fn flow_sequence(&mut self, multiline: bool) -> Option<Node> {
        let pos = self.open_bracket()?;
        let base = self.items.len();
        loop {
            self.skip_flow_space(multiline)?;
            if self.cursor.peek() == b']' {
                break;
            }
            let item = self.flow_item(multiline)?;
            self.items.push(item);
            if self.flow_separator(multiline, b']')? {
                break;
            }
        }
        self.close_bracket();
        Some(Node::new(Value::Seq(self.take_items(base)), pos))
    }

    fn flow_mapping(&mut self, multiline: bool) -> Option<Node> {
        let brace = self.open_bracket()?;
        let base = self.entries.len();
        loop {
            self.skip_flow_space(multiline)?;
            let key_pos = self.cursor.here();
            let key = match self.cursor.peek() {
                b'}' => break,
                b'"' | b'\'' => {
                    let key = quoted(&mut self.cursor)?;
                    // JSON-like keys may be followed by `:` right away; the `:` must be on
                    // the key's line.
                    self.cursor.skip_spaces();
                    if self.cursor.peek() != b':' {
                        return None;
                    }
                    key.into()
                }
                _ => {
                    let (key, stop) = self.flow_plain(multiline)?;
                    if stop != b':' {
                        return None;
                    }
                    key.into()
                }
            };
            self.cursor.pos += 1; // ':'
            if self.cursor.peek() == b'\t' {
                return None; // yaml-rust2 wants a space after `:` before some values
            }
            self.skip_flow_space(multiline)?;
            if matches!(self.cursor.peek(), b',' | b'}') {
                return None; // an empty value
            }
            // The root mapping's `items`: a List's, stepped over when asked to.
            let list_items = self.skip_items && self.depth == 1 && key == "items";
            if list_items {
                self.second_items()?;
            }
            let value = if list_items && self.cursor.peek() == b'[' {
                self.skip_flow_items()?
            } else {
                self.flow_item(multiline)?
            };
            self.push_entry(base, key, key_pos, value)?;
            if self.flow_separator(multiline, b'}')? {
                break;
            }
        }
        self.close_bracket();
        let entries = self.take_entries(base);
        let pos = entries.first().map_or(brace, |e| e.key_pos);
        Some(Node::new(Value::Map(entries), pos))
    }

    /// Steps over the bracket that opens a flow collection, one level deeper;
    /// returns the bracket's position.
    fn open_bracket(&mut self) -> Option<Pos> {
        let pos = self.cursor.here();
        self.cursor.pos += 1;
        self.enter()?;
        Some(pos)
    }

    /// Steps over the bracket that closes a flow collection, one level up.
    fn close_bracket(&mut self) {
        self.cursor.pos += 1;
        self.depth -= 1;
    }

    /// What follows an item of a flow collection that `close` ends: `Some(false)`
    /// after a `,` (stepped over), `Some(true)` at `close`, `None` at anything else
    /// (such as the `:` of `[a: b]`, a single-pair mapping).
    fn flow_separator(&mut self, multiline: bool, close: u8) -> Option<bool> {
        self.skip_flow_space(multiline)?;
        match self.cursor.peek() {
            b',' => {
                self.cursor.pos += 1;
                Some(false)
            }
            byte => (byte == close).then_some(true),
        }
    }

    fn flow_item(&mut self, multiline: bool) -> Option<Node> {
        let pos = self.cursor.here();
        match self.cursor.peek() {
            b'[' | b'{' => self.flow_collection(multiline),
            b'"' | b'\'' => {
                let text = quoted(&mut self.cursor)?;
                Some(Node::new(Value::String(text.into()), pos))
            }
            _ => {
                let (text, stop) = self.flow_plain(multiline)?;
                if stop == b':' {
                    return None; // a key where a value belongs
                }
                Some(Node::new(resolve_plain(text), pos))
            }
        }
    }

    /// Reads a plain scalar in flow context; returns it and the byte it stopped at (`:`
    /// when it is followed by the value indicator, the cursor then being on the `:`).
    fn flow_plain(&mut self, multiline: bool) -> Option<(&str, u8)> {
        let cursor = &mut self.cursor;
        let first = cursor.peek();
        let second = cursor.peek_at(1);
        let may_start = match first {
            b'-' => {
                !matches!(second, b' ' | b'\t' | b'\n' | b'\r' | 0) && !is_flow_indicator(second)
            }
            b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`' | b'?'
            | b':' | b' ' | b'\t' | b'\n' | b'\r' | 0 => false,
            b => !is_flow_indicator(b),
        };
        if !may_start {
            return None;
        }
        let bytes = cursor.bytes();
        let start = cursor.pos;
        let mut i = start;
        let stop = loop {
            match cursor.byte_at(i) {
                b if is_flow_indicator(b) => break b,
                b':' if matches!(cursor.byte_at(i + 1), b' ' | b'\n' | b'\r' | 0)
                    || is_flow_indicator(cursor.byte_at(i + 1)) =>
                {
                    break b':'
                }
                b'#' if bytes[i - 1] == b' ' => break b'#',
                // yaml-rust2 refuses a word `-` before a flow indicator (`[a -, b]`).
                b'-' if bytes[i - 1] == b' ' && is_flow_indicator(cursor.byte_at(i + 1)) => {
                    return None
                }
                b'\n' | b'\r' | 0 => break b'\n',
                b'\t' => return None,
                _ => i += 1,
            }
        };
        let mut end = i;
        while bytes[end - 1] == b' ' {
            end -= 1;
        }
        cursor.pos = i;
        if matches!(stop, b'\n' | b'#') {
            // A plain scalar may go on over the next lines; it does not if the next
            // token closes the collection or separates entries (or a comment ends it).
            if !multiline {
                return None;
            }
            let rest = &bytes[i..];
            let next = rest
                .iter()
                .position(|&b| !matches!(b, b' ' | b'\n' | b'\r'))
                .map(|n| rest[n]);
            if stop == b'\n' && !matches!(next, Some(b',' | b']' | b'}' | b'#')) {
                return None;
            }
        }
        Some((&self.cursor.text[start..end], stop))
    }

    /// Whether the line at the cursor starts with `---`, `...` or `%`, which yaml-rust2
    /// reads as document markers or directives even inside a flow collection.
    fn at_marker_or_directive(&self) -> bool {
        let rest = &self.cursor.bytes()[self.cursor.pos..];
        rest.starts_with(b"---") || rest.starts_with(b"...") || rest.first() == Some(&b'%')
    }

    /// Skips spaces, and in multi-line mode line breaks and comments, inside a flow
    /// collection.
    fn skip_flow_space(&mut self, multiline: bool) -> Option<()> {
        loop {
            if self.cursor.pos == self.cursor.line_start && self.at_marker_or_directive() {
                return None;
            }
            match self.cursor.peek() {
                b' ' => self.cursor.pos += 1,
                b'\n' | b'\r' if multiline => self.cursor.next_line(),
                // A JSON document is outside any block, where tabs are plain blanks.
                b'\t' if multiline => self.cursor.pos += 1,
                b'#' if multiline
                    && (self.cursor.pos == self.cursor.line_start
                        || self.cursor.byte_at(self.cursor.pos - 1) == b' ') =>
                {
                    self.cursor.next_line()
                }
                // Line breaks in single-line mode, tabs, the end of the text.
                b'\n' | b'\r' | b'#' | b'\t' | 0 => return None,
                _ => return Some(()),
            }
        }
    }
}

/// Deeper than this, the reference parser decides (it refuses 256 levels).
const _: () = assert!(MAX_FAST_DEPTH < crate::yaml::MAX_DEPTH);
