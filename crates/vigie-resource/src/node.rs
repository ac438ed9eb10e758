//! The positioned value tree every loaded document becomes.
//!
//! Kubernetes decodes YAML into typed Go structs, where a field written as `null`
//! and a field left out are the same thing. The accessors here follow that rule:
//! [`Node::get`] treats `null` as absent, and the typed accessors (`as_bool`,
//! `as_str`, ...) return `None` for a value of another type instead of failing.

use std::fmt;

use compact_str::CompactString;

/// A place in a source file: 1-based line and column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl Pos {
    /// The position at `line`, `column`.
    pub const fn new(line: u32, column: u32) -> Self {
        Self { line, column }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A value with the position it was written at.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where the value was written.
    pub pos: Pos,
}

/// One key of a mapping, with the position of the key itself.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// Reads as `&str`, inline up to 24 bytes like [`Value::String`].
    pub key: CompactString,
    /// Where the key was written.
    pub key_pos: Pos,
    /// The value under the key.
    pub value: Node,
}

/// A value of the tree. Scanning keeps every loaded object in memory at once, so the
/// tree is compact: strings of up to 24 bytes (nearly all of them) are stored inline,
/// and collections are exactly as long as what they hold, with no spare capacity.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`, `~`, or nothing.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A number with a fraction or an exponent.
    Float(f64),
    /// Reads as `&str` (`as_str`, `Deref`); build it with `.into()` from `&str` or `String`.
    String(CompactString),
    /// A sequence, in written order.
    Seq(Box<[Node]>),
    /// Mappings keep their written order; Kubernetes objects have few keys per
    /// level, so a linear lookup beats hashing here.
    Map(Box<[Entry]>),
}

static NULL_NODE: Node = Node {
    value: Value::Null,
    pos: Pos { line: 0, column: 0 },
};

impl Node {
    /// A value at `pos`.
    pub fn new(value: Value, pos: Pos) -> Self {
        Self { value, pos }
    }

    /// A null node, for callers that need a placeholder.
    pub fn null() -> &'static Node {
        &NULL_NODE
    }

    /// Whether the value is null.
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The entry under `key`, if this is a mapping that holds it with a non-null value.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .rev() // the last of duplicated keys wins, as in JSON decoding
                .find(|e| e.key == key)
                .filter(|e| !e.value.is_null()),
            _ => None,
        }
    }

    /// Like [`entry`](Self::entry), with the index of the entry in the mapping.
    pub(crate) fn entry_index(&self, key: &str) -> Option<(usize, &Node)> {
        let entries = self.as_map()?;
        let index = entries.iter().rposition(|e| e.key == key)?;
        let value = &entries[index].value;
        (!value.is_null()).then_some((index, value))
    }

    /// The value under `key`, if this is a mapping that holds it with a non-null value.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// Follows a chain of keys.
    pub fn get_path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    /// The entries of a mapping; `None` for anything else.
    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The items of a sequence; `None` for anything else.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// Items of a sequence; anything else (absent, null, a scalar where a list
    /// belongs) yields nothing, as the API server would not decode it into a list.
    pub fn items(&self) -> &[Node] {
        self.as_seq().unwrap_or(&[])
    }

    /// The text of a string; `None` for anything else.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value of a boolean; `None` for anything else.
    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The value of an integer; `None` for anything else.
    pub fn as_i64(&self) -> Option<i64> {
        match self.value {
            Value::Int(i) => Some(i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
            _ => None,
        }
    }

    /// Whether the node is the boolean `true`.
    pub fn is_true(&self) -> bool {
        self.as_bool() == Some(true)
    }

    /// A short rendering of the value for messages: scalars as written, collections
    /// in flow style, truncated when long.
    pub fn display_value(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, Style::Flow);
        if out.len() > 120 {
            let mut cut = 117;
            while !out.is_char_boundary(cut) {
                cut -= 1;
            }
            out.truncate(cut);
            out.push_str("...");
        }
        out
    }

    /// Writes the tree in `style`: one walk for both, which differ only in how
    /// strings and keys are quoted and in the separators.
    fn write(&self, out: &mut String, style: Style) {
        use std::fmt::Write;
        // A message shows the start of a value only: stop early on large ones.
        if style == Style::Flow && out.len() > 200 {
            return;
        }
        let json = style == Style::Json;
        match &self.value {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => {
                let _ = write!(out, "{b}");
            }
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            // JSON has no infinities nor NaN.
            Value::Float(x) if json && !x.is_finite() => out.push_str("null"),
            Value::Float(x) => {
                let _ = write!(out, "{x}");
            }
            Value::String(s) if json => crate::write_json_string(out, s),
            Value::String(s) => {
                if s.is_empty() || s.contains([' ', ',', ':', '{', '}', '[', ']']) {
                    let _ = write!(out, "{s:?}");
                } else {
                    out.push_str(s);
                }
            }
            Value::Seq(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(if json { "," } else { ", " });
                    }
                    item.write(out, style);
                }
                out.push(']');
            }
            Value::Map(entries) => {
                out.push('{');
                for (i, e) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(if json { "," } else { ", " });
                    }
                    if json {
                        crate::write_json_string(out, &e.key);
                        out.push(':');
                    } else {
                        out.push_str(&e.key);
                        out.push_str(": ");
                    }
                    e.value.write(out, style);
                }
                out.push('}');
            }
        }
    }

    /// Converts to JSON text (used by renderers and by tools that want the object).
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, Style::Json);
        out
    }
}

/// How [`Node::write`] writes a tree.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    /// YAML flow style, for messages (`{name: web, ports: [80, 443]}`).
    Flow,
    /// JSON text.
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: Vec<(&str, Value)>) -> Node {
        Node::new(
            Value::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| Entry {
                        key: k.into(),
                        key_pos: Pos::new(1, 1),
                        value: Node::new(v, Pos::new(1, 3)),
                    })
                    .collect(),
            ),
            Pos::new(1, 1),
        )
    }

    #[test]
    fn null_fields_read_as_absent() {
        let node = map(vec![("securityContext", Value::Null)]);
        assert!(node.get("securityContext").is_none());
        assert!(node.get_path(&["securityContext", "privileged"]).is_none());
    }

    #[test]
    fn a_scalar_where_a_list_belongs_has_no_items() {
        let node = map(vec![("containers", Value::String("nginx".into()))]);
        assert!(node.get("containers").unwrap().items().is_empty());
    }

    #[test]
    fn last_duplicate_key_wins() {
        let node = map(vec![("a", Value::Int(1)), ("a", Value::Int(2))]);
        assert_eq!(node.get("a").unwrap().as_i64(), Some(2));
    }

    /// Every loaded object is held in memory during a scan: a larger node multiplies.
    #[test]
    fn nodes_stay_compact() {
        use std::mem::size_of;
        // The string's spare byte values tell the other variants apart: no tag word.
        assert_eq!(size_of::<Value>(), 24);
        assert_eq!(size_of::<Node>(), 32);
        assert_eq!(size_of::<Entry>(), 64);
    }

    #[test]
    fn json_rendering_escapes_strings() {
        let node = map(vec![("k", Value::String("a\"b\n".into()))]);
        assert_eq!(node.to_json(), r#"{"k":"a\"b\n"}"#);
    }

    #[test]
    fn flow_and_json_write_the_same_tree_in_their_styles() {
        let seq = |items: Vec<Value>| {
            Value::Seq(
                items
                    .into_iter()
                    .map(|v| Node::new(v, Pos::new(1, 1)))
                    .collect(),
            )
        };
        let node = map(vec![
            ("name", Value::String("web".into())),
            ("note", Value::String("a, b".into())),
            ("empty", Value::String("".into())),
            (
                "ports",
                seq(vec![Value::Int(80), Value::Float(1.5), Value::Bool(true)]),
            ),
            ("limit", Value::Float(f64::INFINITY)),
            ("none", Value::Null),
        ]);
        assert_eq!(
            node.display_value(),
            r#"{name: web, note: "a, b", empty: "", ports: [80, 1.5, true], limit: inf, none: null}"#
        );
        assert_eq!(
            node.to_json(),
            r#"{"name":"web","note":"a, b","empty":"","ports":[80,1.5,true],"limit":null,"none":null}"#
        );
    }
}
