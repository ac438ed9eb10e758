//! Single-line plain and quoted scalars, and block scalars (`|`, `>`), read the way
//! yaml-rust2 reads them. Anything this code is not sure about returns `None`.

use std::borrow::Cow;

use super::cursor::Cursor;
use crate::node::{Node, Value};

/// Where a plain scalar of a block line stopped.
pub(super) enum PlainEnd {
    /// At the end of the line or at a comment: a value.
    Value,
    /// At a `:` followed by a space or the end of the line: a mapping key. The cursor is
    /// after the `:`.
    Key,
}

/// Whether a plain scalar may start with this byte in block context (`-`, `?` and `:`
/// followed by a space are indicators; `?` and `:` are left to the reference parser).
pub(super) fn plain_may_start(cursor: &Cursor<'_>) -> bool {
    match cursor.peek() {
        b'-' => !matches!(cursor.peek_at(1), b' ' | b'\t' | b'\n' | b'\r' | 0),
        b'[' | b']' | b'{' | b'}' | b',' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
        | b'"' | b'%' | b'@' | b'`' | b'?' | b':' | b' ' | b'\t' | b'\n' | b'\r' | 0 => false,
        _ => true,
    }
}

/// Bytes a plain scalar of block context must look at; the others are content.
static PLAIN_STOPS: [bool; 256] = byte_set(b":#\t\n\r");

/// A 256-entry membership table, for scans that skip ordinary bytes quickly.
pub(super) const fn byte_set(members: &[u8]) -> [bool; 256] {
    let mut set = [false; 256];
    let mut i = 0;
    while i < members.len() {
        set[members[i] as usize] = true;
        i += 1;
    }
    set
}

/// Reads a single-line plain scalar of block context: it ends at the end of the line,
/// at ` #`, or at `: ` (a key). Returns its text (without trailing spaces).
pub(super) fn block_plain<'a>(cursor: &mut Cursor<'a>) -> Option<(&'a str, PlainEnd)> {
    let bytes = cursor.bytes();
    let start = cursor.pos;
    let mut i = start;
    let (end, kind) = loop {
        i += bytes[i..]
            .iter()
            .position(|&b| PLAIN_STOPS[b as usize])
            .unwrap_or(bytes.len() - i);
        match cursor.byte_at(i) {
            b'\n' | b'\r' | 0 => break (i, PlainEnd::Value),
            b':' if matches!(cursor.byte_at(i + 1), b' ' | b'\n' | b'\r' | 0) => {
                break (i, PlainEnd::Key)
            }
            b'#' if bytes[i - 1] == b' ' => break (i, PlainEnd::Value),
            // Tabs are blanks with rules of their own; `: ` after a tab and the like.
            b'\t' => return None,
            _ => i += 1,
        }
    };
    let mut trimmed = end;
    while bytes[trimmed - 1] == b' ' {
        trimmed -= 1;
    }
    cursor.pos = match kind {
        PlainEnd::Key => end + 1,
        PlainEnd::Value => end,
    };
    Some((&cursor.text[start..trimmed], kind))
}

/// Bytes a quoted scalar must look at.
static QUOTED_STOPS: [bool; 256] = byte_set(b"\n\r\"'\\");

/// Reads a quoted scalar that closes on its line; the cursor is on the opening quote
/// and ends after the closing one. Borrowed from the text unless it holds escapes.
pub(super) fn quoted<'a>(cursor: &mut Cursor<'a>) -> Option<Cow<'a, str>> {
    let double = cursor.peek() == b'"';
    cursor.pos += 1;
    let start = cursor.pos;
    let bytes = cursor.bytes();
    // The common case, no escape at all, is one slice.
    let mut i = start;
    loop {
        i += bytes[i..]
            .iter()
            .position(|&b| QUOTED_STOPS[b as usize])
            .unwrap_or(bytes.len() - i);
        match cursor.byte_at(i) {
            b'\n' | b'\r' | 0 => return None,
            b'"' if double => {
                cursor.pos = i + 1;
                return Some(Cow::Borrowed(&cursor.text[start..i]));
            }
            b'\'' if !double => {
                if cursor.byte_at(i + 1) == b'\'' {
                    break;
                }
                cursor.pos = i + 1;
                return Some(Cow::Borrowed(&cursor.text[start..i]));
            }
            b'\\' if double => break,
            _ => i += 1,
        }
    }
    let mut out = String::with_capacity(i - start + 16);
    out.push_str(&cursor.text[start..i]);
    loop {
        match cursor.byte_at(i) {
            b'\n' | b'\r' | 0 => return None,
            b'"' if double => {
                cursor.pos = i + 1;
                return Some(Cow::Owned(out));
            }
            b'\'' if !double => {
                if cursor.byte_at(i + 1) == b'\'' {
                    out.push('\'');
                    i += 2;
                    continue;
                }
                cursor.pos = i + 1;
                return Some(Cow::Owned(out));
            }
            b'\\' if double => {
                let (c, len) = escape(&bytes[i + 1..])?;
                out.push(c);
                i += 1 + len;
            }
            _ => {
                // Copy the run up to the next byte that needs a look.
                let run = bytes[i..]
                    .iter()
                    .position(|&b| QUOTED_STOPS[b as usize])
                    .unwrap_or(bytes.len() - i);
                let run = run.max(1);
                out.push_str(&cursor.text[i..i + run]);
                i += run;
            }
        }
    }
}

/// Decodes a double-quoted escape (the bytes after the backslash): the character and
/// how many bytes it took. `None` for an escaped line break or an invalid escape.
fn escape(after: &[u8]) -> Option<(char, usize)> {
    let simple = match *after.first()? {
        b'0' => '\0',
        b'a' => '\x07',
        b'b' => '\x08',
        b't' | b'\t' => '\t',
        b'n' => '\n',
        b'v' => '\x0b',
        b'f' => '\x0c',
        b'r' => '\r',
        b'e' => '\x1b',
        b' ' => ' ',
        b'"' => '"',
        b'/' => '/',
        b'\\' => '\\',
        b'N' => '\u{85}',
        b'_' => '\u{a0}',
        b'L' => '\u{2028}',
        b'P' => '\u{2029}',
        b'x' => return hex_escape(&after[1..], 2),
        b'u' => return hex_escape(&after[1..], 4),
        b'U' => return hex_escape(&after[1..], 8),
        _ => return None,
    };
    Some((simple, 1))
}

fn hex_escape(digits: &[u8], len: usize) -> Option<(char, usize)> {
    let digits = digits.get(..len)?;
    let mut value = 0u32;
    for &d in digits {
        value = (value << 4) | (d as char).to_digit(16)?;
    }
    Some((char::from_u32(value)?, 1 + len))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Chomping {
    Strip,
    Clip,
    Keep,
}

/// One line of a block scalar's body, as seen with `indent` spaces removed.
enum BodyLine {
    /// A line holding content at the scalar's indentation; offset of its first byte.
    Content(usize),
    /// An empty (or shorter than the indentation, blank) line.
    Blank,
    /// A less indented line, or the end of the text: the scalar is over.
    End,
}

/// Reads a block scalar; the cursor is on `|` or `>`, and `parent_indent` is the column
/// of the innermost block collection. Ends at the start of the line after the scalar.
pub(super) fn block_scalar(cursor: &mut Cursor<'_>, parent_indent: usize) -> Option<Node> {
    let literal = cursor.peek() == b'|';
    cursor.pos += 1;
    let mut chomping = Chomping::Clip;
    let mut increment = 0usize;
    for _ in 0..2 {
        match cursor.peek() {
            b'+' if chomping == Chomping::Clip => chomping = Chomping::Keep,
            b'-' if chomping == Chomping::Clip => chomping = Chomping::Strip,
            d @ b'1'..=b'9' if increment == 0 => increment = (d - b'0') as usize,
            _ => break,
        }
        cursor.pos += 1;
    }
    if !matches!(cursor.peek(), b' ' | b'\n' | b'\r') {
        // `|0`, `|x`, `|#`, or a header at the very end of the text.
        return None;
    }
    cursor.finish_line()?;
    if cursor.pos >= cursor.bytes().len() {
        // A header on the last line: yaml-rust2 has special rules for it, not worth it.
        return None;
    }
    if cursor.peek() == b'\t' {
        return None;
    }

    let mut breaks = 0usize; // pending empty lines
    let indent = if increment > 0 {
        parent_indent + increment
    } else {
        // The indentation is that of the first content line, but at least one more
        // than the parent's; blank lines before it must not be longer.
        let mut longest_blank = 0;
        let found = loop {
            let spaces = count_spaces(cursor);
            match cursor.byte_at(cursor.pos + spaces) {
                b'\n' | b'\r' => {
                    longest_blank = longest_blank.max(spaces);
                    breaks += 1;
                    cursor.next_line();
                }
                0 => return None,
                _ => break spaces,
            }
        };
        if longest_blank > found {
            return None;
        }
        found.max(parent_indent + 1)
    };

    let mut text = String::new();
    let mut pos = None;
    // Line breaks seen after the last content line, split as yaml-rust2 splits them:
    // the first one (`leading_break`) and the empty lines after it.
    let mut leading_break = false;
    let mut previous_started_blank = false;
    loop {
        let line = body_line(cursor, indent)?;
        let start = match line {
            BodyLine::Blank => {
                breaks += 1;
                cursor.next_line();
                continue;
            }
            BodyLine::End => break,
            BodyLine::Content(start) => start,
        };
        if pos.is_none() {
            pos = Some(cursor.pos_of(start));
        }
        let starts_blank = matches!(cursor.byte_at(start), b' ' | b'\t');
        if !literal && leading_break && !previous_started_blank && !starts_blank {
            // Folding: a single line break becomes a space, empty lines stay.
            if breaks == 0 {
                text.push(' ');
            } else {
                push_breaks(&mut text, breaks);
            }
        } else {
            push_breaks(&mut text, leading_break as usize + breaks);
        }
        breaks = 0;
        previous_started_blank = starts_blank;
        let end = line_end(cursor, start);
        text.push_str(&cursor.text[start..end]);
        cursor.pos = end;
        leading_break = true;
        cursor.next_line();
    }
    let Some(pos) = pos else {
        // No content. At the end of the text yaml-rust2 has rules of its own; elsewhere
        // the empty scalar sits at the next token and keeps only what `+` keeps.
        if cursor.line_start >= cursor.bytes().len() {
            return None;
        }
        let spaces = count_spaces(cursor);
        if spaces > parent_indent {
            return None; // "wrongly indented line in block scalar"
        }
        let next = cursor.pos_of(cursor.line_start + spaces);
        let text = match chomping {
            Chomping::Keep => "\n".repeat(breaks),
            Chomping::Clip | Chomping::Strip => String::new(),
        };
        cursor.pos = cursor.line_start;
        return Some(Node::new(Value::String(text.into()), next));
    };
    if chomping != Chomping::Strip && leading_break {
        text.push('\n');
    }
    if chomping == Chomping::Keep {
        push_breaks(&mut text, breaks);
    }
    // The cursor is at the start of the line that ended the scalar.
    cursor.pos = cursor.line_start;
    Some(Node::new(Value::String(text.into()), pos))
}

fn push_breaks(text: &mut String, count: usize) {
    for _ in 0..count {
        text.push('\n');
    }
}

fn count_spaces(cursor: &Cursor<'_>) -> usize {
    cursor.bytes()[cursor.line_start..]
        .iter()
        .take_while(|&&b| b == b' ')
        .count()
}

/// Classifies the current line of a block scalar body with indentation `indent`.
fn body_line(cursor: &mut Cursor<'_>, indent: usize) -> Option<BodyLine> {
    let start = cursor.line_start;
    if start >= cursor.bytes().len() {
        return Some(BodyLine::End);
    }
    let bytes = &cursor.bytes()[start..];
    let spaces = bytes
        .iter()
        .take(indent)
        .take_while(|&&b| b == b' ')
        .count();
    Some(match bytes.get(spaces).copied().unwrap_or(0) {
        b'\n' | b'\r' => BodyLine::Blank,
        // The last line has no line break: blank or not, yaml-rust2 treats it specially.
        0 => return None,
        _ if spaces == indent => BodyLine::Content(start + spaces),
        _ => BodyLine::End,
    })
}

/// Offset of the line break (or end of text) of the line holding `from`.
fn line_end(cursor: &Cursor<'_>, from: usize) -> usize {
    let bytes = cursor.bytes();
    match bytes[from..].iter().position(|&b| b == b'\n') {
        Some(i) if i > 0 && bytes[from + i - 1] == b'\r' => from + i - 1,
        Some(i) => from + i,
        None => bytes.len(),
    }
}
