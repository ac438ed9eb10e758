//! Stepping over the items of a `List` without parsing them, so that each item can be
//! cut out and parsed on its own (and in parallel) while the List is being scanned.
//!
//! Two layouts are known: a block sequence (`kubectl get -o yaml`), where an item is
//! its `- ` line and every line indented deeper, and a flow sequence (`-o json`,
//! pretty or on one line), where an item ends at the `,` or `]` outside any string or
//! bracket. Anything else (tabs, comments inside flow items, single-quoted or
//! multi-line strings) makes the scan give up: the document is then parsed whole.

use super::cursor::{Cursor, Next};
use super::scalars::byte_set;

/// Where one item is in the text the cursor covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ItemSpan {
    /// Byte range of the item's text: whole lines for a block item (its `-` and
    /// what follows), the value itself for a flow item.
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// 0-based line of `start` in the stream.
    pub(crate) line: u32,
    /// Characters before `start` on its line (0 for a block item).
    pub(crate) column: u32,
}

/// The next item of a block sequence whose entries are at column `indent`, the cursor
/// being on the line after the previous item. `Ok(None)` at the end of the sequence
/// (the cursor is then at the start of the line that ends it); `Err` when the text is
/// not in the subset this scan knows.
pub(super) fn next_block_item(
    cursor: &mut Cursor<'_>,
    indent: usize,
) -> Result<Option<ItemSpan>, ()> {
    match cursor.next_content_line().ok_or(())? {
        Next::Content(i) if i == indent && cursor.at_seq_entry() => {}
        _ => return Ok(None),
    }
    let start = cursor.line_start;
    let line = cursor.stream_line();
    cursor.next_line();
    loop {
        match cursor.next_content_line().ok_or(())? {
            Next::Content(i) if i > indent => cursor.next_line(),
            _ => break,
        }
    }
    Ok(Some(ItemSpan {
        start,
        end: cursor.line_start.min(cursor.bytes().len()),
        line,
        column: 0,
    }))
}

/// The next item of a flow sequence, the cursor being after its `[` or after the `,`
/// that ended the previous item. `Ok(None)` at its `]` (the cursor stays on it).
pub(super) fn next_flow_item(cursor: &mut Cursor<'_>) -> Result<Option<ItemSpan>, ()> {
    skip_blanks(cursor)?;
    if cursor.peek() == b']' {
        return Ok(None);
    }
    let start = cursor.pos;
    let at = cursor.here();
    let mut depth = 0usize;
    // Whether a collection or string that started the item has closed: nothing
    // may follow it then (`{a: 1}: b` is a key, which an item read alone is not).
    let mut closed = false;
    loop {
        // Ordinary bytes (text, spaces, `:`) are skipped in one go.
        let rest = &cursor.bytes()[cursor.pos..];
        let skipped = rest
            .iter()
            .position(|&b| FLOW_STOPS[b as usize])
            .unwrap_or(rest.len());
        if closed
            && !rest[..skipped]
                .iter()
                .all(|b| matches!(b, b' ' | b'\t' | b'\r'))
        {
            return Err(());
        }
        cursor.pos += skipped;
        match cursor.peek() {
            b'"' if closed => return Err(()),
            // A quote inside a plain scalar (`a"b`) is text: not JSON, left to
            // the parser.
            b'"' if !after_indicator(cursor.bytes(), cursor.pos) => return Err(()),
            b'"' => {
                skip_double_quoted(cursor)?;
                closed = depth == 0;
                continue;
            }
            b'[' | b'{' if closed => return Err(()),
            b'[' | b'{' => depth += 1,
            b']' | b'}' | b',' if depth == 0 => break,
            b']' | b'}' => {
                depth -= 1;
                closed = depth == 0;
            }
            b',' => {}
            b'\n' => {
                cursor.next_line();
                if at_marker(cursor) {
                    return Err(());
                }
                continue;
            }
            // Comments, single quotes (`''` escapes), the end of the text.
            _ => return Err(()),
        }
        cursor.pos += 1;
    }
    let bytes = cursor.bytes();
    let mut end = cursor.pos;
    while end > start && matches!(bytes[end - 1], b' ' | b'\t' | b'\r' | b'\n') {
        end -= 1;
    }
    if end == start || cursor.peek() == b'}' {
        return Err(()); // `[,]`, `[a}`: left to the parser, which reports them
    }
    // Read alone, an item is read in block context, where a plain scalar may hold
    // flow indicators and go on over lines, and `...` ends a document: only JSON's
    // plain scalars (numbers, true, false, null) are cut out as they are.
    let item = &bytes[start..end];
    let plain_json = || {
        let starts = item[0].is_ascii_alphanumeric()
            || (matches!(item[0], b'-' | b'+') && item.get(1).is_some_and(u8::is_ascii_digit));
        starts
            && item
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-'))
    };
    if !matches!(item[0], b'{' | b'[' | b'"') && !plain_json() {
        return Err(());
    }
    if cursor.peek() == b',' {
        cursor.pos += 1;
    }
    Ok(Some(ItemSpan {
        start,
        end,
        line: at.line - 1,
        column: at.column - 1,
    }))
}

/// Whether the last byte before `at` that is not blank is one after which a token
/// starts in a flow collection: `{`, `[`, `,`, `:`.
fn after_indicator(bytes: &[u8], at: usize) -> bool {
    bytes[..at]
        .iter()
        .rev()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .is_none_or(|b| matches!(b, b'{' | b'[' | b',' | b':'))
}

/// Bytes the scan of a flow item stops at; NUL stands for the end of the text.
static FLOW_STOPS: [bool; 256] = byte_set(b"\"[]{},\n#'\0");
/// Bytes the scan of a double-quoted string stops at.
static QUOTED_STOPS: [bool; 256] = byte_set(b"\"\\\n\r\0");

/// Whether items may define anchors (`&name`), which an item may then refer to in
/// another: cut apart, the alias would not find its anchor. Such Lists are read
/// whole. An `&` after a blank or a flow indicator and before a name is taken for
/// one, in strings too: the cost of a false alarm is only that.
pub(super) fn may_hold_anchors(text: &str) -> bool {
    let bytes = text.as_bytes();
    // `match_indices` of a char finds it with memchr.
    text.match_indices('&').any(|(i, _)| {
        i > 0
            && matches!(bytes[i - 1], b' ' | b'\t' | b'[' | b'{' | b',')
            && !matches!(bytes.get(i + 1), None | Some(b' ' | b'\t' | b'\n' | b'\r'))
    })
}

/// Whether block items may hold a quoted scalar or a flow collection that goes on
/// over lines: its next lines may sit anywhere, a `- ` line that looks like the next
/// item included, so such Lists are read whole. A quote or bracket after a blank, a
/// flow indicator or at the start of a line is taken to open one; one that does not
/// close on its line says yes. In block scalars or plain text too: the cost of a
/// false alarm is only that.
pub(super) fn may_hold_multiline_flow(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(found) = text[from..].find(['"', '\'', '[', '{']) {
        let i = from + found;
        let opens = i == 0 || matches!(bytes[i - 1], b' ' | b'\t' | b'\n' | b'[' | b'{' | b',');
        if !opens {
            from = i + 1;
            continue;
        }
        match close_on_line(bytes, i) {
            Some(end) => from = end,
            None => return true,
        }
    }
    false
}

/// Where the quoted scalar or flow collection that opens at `i` ends, if it does
/// on its line.
fn close_on_line(bytes: &[u8], i: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut j = i;
    loop {
        match *bytes.get(j)? {
            b'\n' | b'\r' => return None,
            quote @ (b'"' | b'\'') => {
                j += 1;
                loop {
                    match *bytes.get(j)? {
                        b'\n' | b'\r' => return None,
                        b'\\' if quote == b'"' => j += 2,
                        b'\'' if quote == b'\'' && bytes.get(j + 1) == Some(&b'\'') => j += 2,
                        b if b == quote => break,
                        _ => j += 1,
                    }
                }
            }
            b'[' | b'{' => depth += 1,
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        j += 1;
        if depth == 0 {
            return Some(j);
        }
    }
}

/// Skips spaces, tabs and line breaks between flow items.
fn skip_blanks(cursor: &mut Cursor<'_>) -> Result<(), ()> {
    loop {
        match cursor.peek() {
            b' ' | b'\t' | b'\r' => cursor.pos += 1,
            b'\n' => {
                cursor.next_line();
                if at_marker(cursor) {
                    return Err(());
                }
            }
            b'#' | 0 => return Err(()),
            _ => return Ok(()),
        }
    }
}

/// Whether a line starts with what the parser reads as a document marker or a
/// directive even inside a flow collection.
fn at_marker(cursor: &Cursor<'_>) -> bool {
    let rest = &cursor.bytes()[cursor.pos..];
    rest.starts_with(b"---") || rest.starts_with(b"...") || rest.first() == Some(&b'%')
}

/// Moves past a double-quoted string that closes on its line.
fn skip_double_quoted(cursor: &mut Cursor<'_>) -> Result<(), ()> {
    cursor.pos += 1;
    loop {
        let rest = &cursor.bytes()[cursor.pos..];
        cursor.pos += rest
            .iter()
            .position(|&b| QUOTED_STOPS[b as usize])
            .unwrap_or(rest.len());
        match cursor.peek() {
            b'"' => {
                cursor.pos += 1;
                return Ok(());
            }
            b'\\' if !matches!(cursor.peek_at(1), b'\n' | b'\r' | 0) => cursor.pos += 2,
            _ => return Err(()),
        }
    }
}
