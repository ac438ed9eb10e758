//! What the editor writes: scalars in the style of the text they replace, and new
//! fields in the style (block or flow, YAML or JSON) of the mapping they join.

use vigie_controls::fix::FixValue;
use vigie_resource::{parse_documents, Value};

/// Text that did not exist, to be placed under a mapping: a key and what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum NewValue {
    Scalar(FixValue),
    /// A mapping of one key (the rest of a path that does not exist yet).
    Map(String, Box<NewValue>),
    /// A list of one item.
    Seq(FixValue),
}

/// How the text around an edit is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Style {
    /// JSON: every key and string quoted.
    pub(crate) json: bool,
    /// How far block list items sit right of their key: 0 as `kubectl` writes
    /// them (`- ` under the key's first letter), or 2.
    pub(crate) item_indent: usize,
}

impl Style {
    /// The style of a document: JSON or YAML, and how its lists are indented
    /// (the first block list under a key says).
    pub(crate) fn of(document: &str, json: bool) -> Style {
        let mut item_indent = 2;
        let mut lines = document.lines().filter(|l| !l.trim().is_empty());
        let mut previous: Option<&str> = None;
        for line in lines.by_ref() {
            let trimmed = line.trim_start();
            if let Some(key_line) = previous {
                if trimmed.starts_with("- ") || trimmed == "-" {
                    let key_indent = key_line.len() - key_line.trim_start().len();
                    let dash = line.len() - trimmed.len();
                    if dash >= key_indent && !key_line.trim_start().starts_with('-') {
                        item_indent = dash - key_indent;
                        break;
                    }
                }
            }
            previous =
                (!trimmed.starts_with('#') && line.trim_end().ends_with(':')).then_some(line);
        }
        Style { json, item_indent }
    }
}

/// A scalar as YAML (or JSON) text: plain when it reads back as the same string.
pub(crate) fn scalar(value: &FixValue, style: Style) -> String {
    match value {
        FixValue::Bool(b) => b.to_string(),
        FixValue::String(s) if !style.json && reads_back_plain(s) => s.clone(),
        FixValue::String(s) => double_quoted(s),
    }
}

/// A scalar replacing `original`: a string keeps the original's quotes.
pub(crate) fn scalar_like(value: &FixValue, original: &str, style: Style) -> String {
    match value {
        FixValue::String(s) if original.starts_with('"') => double_quoted(s),
        FixValue::String(s) if original.starts_with('\'') => format!("'{}'", s.replace('\'', "''")),
        _ => scalar(value, style),
    }
}

fn key(name: &str, style: Style) -> String {
    if style.json || !reads_back_plain(name) {
        double_quoted(name)
    } else {
        name.to_string()
    }
}

/// Whether a string written plain reads back as that string (not a number, a
/// boolean, null, or something YAML would cut).
fn reads_back_plain(s: &str) -> bool {
    let simple = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._/@:+-=".contains(&b))
        && !s.starts_with(['-', ':', '@'])
        && !s.contains(": ");
    simple
        && parse_documents(&format!("k: {s}\n"))
            .first()
            .and_then(|d| d.as_ref().ok())
            .and_then(|d| d.root.get("k"))
            .is_some_and(|v| matches!(&v.value, Value::String(t) if t == s))
}

/// `s` as a YAML double-quoted scalar: a JSON string is one.
fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    vigie_resource::write_json_string(&mut out, s);
    out
}

/// `key: value` in flow style: `capabilities: {drop: [ALL]}`.
pub(crate) fn flow_entry(name: &str, value: &NewValue, style: Style) -> String {
    format!("{}: {}", key(name, style), flow_value(value, style))
}

/// A value in flow style.
pub(crate) fn flow_value(value: &NewValue, style: Style) -> String {
    match value {
        NewValue::Scalar(v) => scalar(v, style),
        NewValue::Map(name, inner) => format!("{{{}}}", flow_entry(name, inner, style)),
        NewValue::Seq(item) => format!("[{}]", scalar(item, style)),
    }
}

/// `key: value` in block style, each line indented by `indent` spaces and ended
/// by a newline; what it holds is indented two more.
pub(crate) fn block_entry(name: &str, value: &NewValue, indent: usize, style: Style) -> String {
    let pad = " ".repeat(indent);
    match value {
        NewValue::Scalar(v) => format!("{pad}{}: {}\n", key(name, style), scalar(v, style)),
        _ => format!(
            "{pad}{}:\n{}",
            key(name, style),
            block_value(value, indent + 2, style)
        ),
    }
}

/// What a key holds, in block style, on the lines under it, indented by `indent`.
pub(crate) fn block_value(value: &NewValue, indent: usize, style: Style) -> String {
    match value {
        NewValue::Scalar(v) => format!("{}{}\n", " ".repeat(indent), scalar(v, style)),
        NewValue::Map(name, inner) => block_entry(name, inner, indent, style),
        NewValue::Seq(item) => format!(
            "{}- {}\n",
            " ".repeat((indent + style.item_indent).saturating_sub(2)),
            scalar(item, style)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: Style = Style {
        json: false,
        item_indent: 2,
    };

    fn nested() -> NewValue {
        NewValue::Map(
            "capabilities".into(),
            Box::new(NewValue::Map(
                "drop".into(),
                Box::new(NewValue::Seq(FixValue::String("ALL".into()))),
            )),
        )
    }

    #[test]
    fn strings_that_would_read_as_something_else_are_quoted() {
        assert_eq!(
            scalar(&FixValue::String("RuntimeDefault".into()), YAML),
            "RuntimeDefault"
        );
        assert_eq!(scalar(&FixValue::String("true".into()), YAML), "\"true\"");
        assert_eq!(scalar(&FixValue::String("a: b".into()), YAML), "\"a: b\"");
        assert_eq!(
            scalar(&FixValue::String("x".into()), Style { json: true, ..YAML }),
            "\"x\""
        );
    }

    #[test]
    fn new_fields_render_in_both_styles() {
        assert_eq!(
            block_entry("securityContext", &nested(), 4, YAML),
            "    securityContext:\n      capabilities:\n        drop:\n          - ALL\n"
        );
        assert_eq!(
            flow_entry("securityContext", &nested(), Style { json: true, ..YAML }),
            "\"securityContext\": {\"capabilities\": {\"drop\": [\"ALL\"]}}"
        );
    }
}
