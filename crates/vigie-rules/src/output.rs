//! Rule outputs: `%field` and `%field[arg]` placeholders filled from the event, with
//! `<NA>` for values the event does not have, and the same fields as typed values for
//! JSON alerts.

use std::collections::HashMap;

use crate::ast::FieldExpr;
use crate::compile::selector;
use crate::event::{Event, Extracted, Val};
use crate::field::FieldTable;
use crate::limits::quote;
use crate::selector::Selector;

#[derive(Debug)]
enum Part {
    Text(String),
    /// Index into `fields`.
    Field(usize),
}

#[derive(Debug)]
/// A compiled output template: text with `%field` references.
pub struct OutputFormat {
    parts: Vec<Part>,
    fields: Vec<(String, Selector)>,
}

/// A field value for JSON outputs.
#[derive(Clone, Debug, PartialEq)]
pub enum OutputValue {
    /// The field has no value.
    Null,
    /// Text.
    Str(String),
    /// A number.
    Num(i64),
    /// A boolean.
    Bool(bool),
}

/// Why an output template did not compile.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OutputError {
    /// A `%field` the source does not declare.
    #[error("unknown field '{}' in output", quote(.0))]
    UnknownField(String),
    /// A `%field` written wrongly (a missing or unexpected argument).
    #[error("{0}")]
    Field(String),
}

fn is_field_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

impl OutputFormat {
    /// Compiles an output template. Unknown fields are errors, naming the field.
    pub fn compile(text: &str, table: &FieldTable) -> Result<Self, OutputError> {
        let mut parts = Vec::new();
        let mut fields: Vec<(String, Selector)> = Vec::new();
        let mut positions: HashMap<String, usize> = HashMap::new();
        let mut literal = String::new();
        let mut unclosed = false;
        let mut rest = text;
        while let Some(at) = rest.find('%') {
            literal.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            let len = after
                .find(|c: char| !is_field_char(c))
                .unwrap_or(after.len());
            let mut name = after[..len].trim_end_matches('.');
            // A `%` not followed by a name is text ("100%"); a name, even
            // without a dot, is a field, and an unknown one an error, as Falco
            // refuses `%not_a_field`.
            if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
                literal.push('%');
                rest = after;
                continue;
            }
            let mut arg = None;
            if name.len() == len && after[len..].starts_with('[') && !unclosed {
                match after[len..].find(']') {
                    Some(close) => arg = Some((&after[len + 1..len + close], len + close + 1)),
                    // No `]` follows: later `[`s are not searched for one again.
                    None => unclosed = true,
                }
            }
            if arg.is_none() {
                name = declared_prefix(name, table);
            }
            let consumed = arg.map_or(name.len(), |(_, consumed)| consumed);
            let arg = arg.map(|(arg, _)| arg.to_string());
            let display = match &arg {
                Some(a) => format!("{name}[{a}]"),
                None => name.to_string(),
            };
            let expr = FieldExpr {
                transformers: Vec::new(),
                name: name.to_string(),
                arg,
                offset: 0,
            };
            let sel = selector(&expr, table).map_err(|(unknown, message)| {
                if unknown {
                    OutputError::UnknownField(message)
                } else {
                    OutputError::Field(message)
                }
            })?;
            if !literal.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut literal)));
            }
            let index = *positions.entry(display.clone()).or_insert_with(|| {
                fields.push((display, sel));
                fields.len() - 1
            });
            parts.push(Part::Field(index));
            rest = &after[consumed..];
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Self { parts, fields })
    }

    /// The output with every field substituted.
    pub fn render(&self, event: &dyn Event) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Field(i) => render_value(&self.fields[*i].1.extract(event), &mut out),
            }
        }
        out
    }

    /// Each field of the output with its typed value, in order of first use.
    pub fn values(&self, event: &dyn Event) -> Vec<(&str, OutputValue)> {
        self.fields
            .iter()
            .map(|(name, sel)| {
                let value = match sel.extract(event) {
                    Extracted::Missing => OutputValue::Null,
                    Extracted::One(Val::Num(n)) => OutputValue::Num(n),
                    Extracted::One(Val::Bool(b)) => OutputValue::Bool(b),
                    Extracted::One(Val::Str(s)) => OutputValue::Str(s.into_owned()),
                    many @ Extracted::Many(_) => {
                        let mut s = String::new();
                        render_value(&many, &mut s);
                        OutputValue::Str(s)
                    }
                };
                (name.as_str(), value)
            })
            .collect()
    }

    /// Names of the fields the output uses.
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|(n, _)| n.as_str())
    }
}

/// The longest prefix of `name`, cut at a dot, that the table declares
/// (`%proc.name.` ends at `proc.name`); when none is, the first two components.
/// Only prefixes as short as the longest declared name are looked up, so a long
/// name costs no more than a short one.
fn declared_prefix<'n>(name: &'n str, table: &FieldTable) -> &'n str {
    if table.resolve(name, None).is_ok() {
        return name;
    }
    let two_components = match name.match_indices('.').nth(1) {
        Some((second_dot, _)) => &name[..second_dot],
        None => return name,
    };
    // Field names are ASCII (`is_field_char`): any length is a char boundary.
    let mut cut = name.len().min(table.longest_name() + 1);
    while let Some(dot) = name[..cut].rfind('.') {
        if !name[..dot].contains('.') {
            break;
        }
        if table.resolve(&name[..dot], None).is_ok() {
            return &name[..dot];
        }
        cut = dot;
    }
    two_components
}

/// Single values as text; lists as `(a,b)`, as Falco prints them.
fn render_value(value: &Extracted<'_>, out: &mut String) {
    match value {
        Extracted::Missing => out.push_str("<NA>"),
        Extracted::One(v) => out.push_str(&v.as_text()),
        Extracted::Many(values) => {
            out.push('(');
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&v.as_text());
            }
            out.push(')');
        }
    }
}
