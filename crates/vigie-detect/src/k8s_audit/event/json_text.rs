//! Reading values out of JSON: as rule text, by path or pointer, percent-decoded
//! query parameters, and the strings of a list walked without parsing it.

use std::borrow::Cow;

use serde_json::Value;
use vigie_rules::{Extracted, Val};

pub(super) fn text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Null => None,
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        other => Some(Cow::Owned(other.to_string())),
    }
}

pub(super) fn one(v: Option<&Value>) -> Extracted<'_> {
    match v.and_then(text) {
        Some(s) => Extracted::One(Val::Str(s)),
        None => Extracted::Missing,
    }
}

pub(super) fn bool_text(v: Option<&Value>, default: &'static str) -> Val<'static> {
    Val::Str(Cow::Borrowed(match v {
        Some(Value::Bool(true)) => "true",
        Some(Value::Bool(false)) => "false",
        _ => default,
    }))
}

/// The repository part of an image reference: no digest, no tag.
pub fn image_repository(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or(image);
    match image.rfind(':') {
        Some(colon) if !image[colon..].contains('/') => &image[..colon],
        _ => image,
    }
}

pub(super) fn path<'v>(root: &'v Value, keys: &[&str]) -> Option<&'v Value> {
    let mut v = root;
    for k in keys {
        v = v.get(k)?;
    }
    Some(v)
}

pub(super) fn pointer<'v>(root: &'v Value, tokens: &[Box<str>]) -> Option<&'v Value> {
    let mut v = root;
    for t in tokens {
        v = match v {
            Value::Object(m) => m.get(&**t)?,
            Value::Array(a) => a.get(t.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

pub(super) fn percent_decode(s: &str) -> Cow<'_, str> {
    if !s.contains(['%', '+']) {
        return Cow::Borrowed(s);
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 3 <= bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// How [`walk_plain_strings`] ended.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Walk {
    /// The visitor asked to stop.
    Stopped,
    /// Every item was visited.
    Finished,
}

/// Visits the strings of a JSON list (its text, which starts with `[`) as slices of
/// that text, skipping `null` items, until `visit` returns true. `None` when an item
/// is something else or a string with escapes, which need decoding.
pub(super) fn walk_plain_strings<'t>(
    list: &'t str,
    mut visit: impl FnMut(&'t str) -> bool,
) -> Option<Walk> {
    const JSON_SPACE: [char; 4] = [' ', '\t', '\n', '\r'];
    let mut rest = list.strip_prefix('[')?.trim_start_matches(JSON_SPACE);
    if rest.starts_with(']') {
        return Some(Walk::Finished);
    }
    loop {
        if let Some(string) = rest.strip_prefix('"') {
            // Bytes, not chars: both are ASCII, so where they are is a char boundary.
            let end = string.bytes().position(|b| b == b'"' || b == b'\\')?;
            if string.as_bytes()[end] == b'\\' {
                return None;
            }
            if visit(&string[..end]) {
                return Some(Walk::Stopped);
            }
            rest = &string[end + 1..];
        } else {
            rest = rest.strip_prefix("null")?;
        }
        rest = rest.trim_start_matches(JSON_SPACE);
        match rest.as_bytes().first() {
            Some(b',') => rest = rest[1..].trim_start_matches(JSON_SPACE),
            Some(b']') => return Some(Walk::Finished),
            _ => return None,
        }
    }
}
