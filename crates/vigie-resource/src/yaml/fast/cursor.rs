//! A byte cursor over one document that knows its line and turns byte offsets into the
//! 1-based line and character column the reference parser reports.

use std::cell::Cell;

use crate::node::Pos;

#[cfg(test)]
thread_local! {
    /// Bytes looked at to compute columns, on this thread.
    static COUNTED: Cell<usize> = const { Cell::new(0) };
}

/// What the next line holding a token starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Next {
    /// Content indented by this many spaces; the cursor is on its first character.
    Content(usize),
    /// The end of the document: the end of the text or a `...` line (the cursor is on it).
    End,
}

pub(super) struct Cursor<'a> {
    pub(super) text: &'a str,
    bytes: &'a [u8],
    pub(super) pos: usize,
    /// 0-based line of `pos` within the document.
    line: u32,
    /// Byte offset of the start of the current line.
    pub(super) line_start: usize,
    /// 0-based line of the document's first line in its stream.
    first_line: u32,
    /// Characters before the document's first byte on its first line: a List item cut
    /// out of a one-line JSON document starts in the middle of its line.
    first_column: u32,
    /// The last column computed, as (line start, byte offset, 0-based column): columns
    /// are counted on from there, so that positions on a very long line (one-line JSON)
    /// cost the bytes between them, not the bytes since the start of the line.
    last_column: Cell<(usize, usize, u32)>,
}

impl<'a> Cursor<'a> {
    /// A cursor over a text whose first line starts `first_column` characters into
    /// the line of the stream.
    pub(super) fn starting_at(text: &'a str, first_line: u32, first_column: u32) -> Self {
        Self {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            line: 0,
            line_start: 0,
            first_line,
            first_column,
            last_column: Cell::new((0, 0, 0)),
        }
    }

    /// 0-based line of the cursor in the stream.
    pub(super) fn stream_line(&self) -> u32 {
        self.first_line + self.line
    }

    /// The byte at `pos + ahead`, or 0 past the end (the text holds no NUL: see
    /// [`super::plain_text`]).
    #[inline]
    pub(super) fn peek_at(&self, ahead: usize) -> u8 {
        self.bytes.get(self.pos + ahead).copied().unwrap_or(0)
    }

    #[inline]
    pub(super) fn peek(&self) -> u8 {
        self.peek_at(0)
    }

    #[inline]
    pub(super) fn byte_at(&self, offset: usize) -> u8 {
        self.bytes.get(offset).copied().unwrap_or(0)
    }

    pub(super) fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The position of a byte of the current line. Columns count characters, as
    /// yaml-rust2's markers do.
    pub(super) fn pos_of(&self, offset: usize) -> Pos {
        let (line_start, known, column) = self.last_column.get();
        // Count on from the last column computed when it is on this line and not
        // past `offset`; else from the start of the line.
        let (from, base) = if line_start == self.line_start && known <= offset {
            (known, column)
        } else {
            (self.line_start, 0)
        };
        let prefix = &self.bytes[from..offset];
        #[cfg(test)]
        COUNTED.with(|c| c.set(c.get() + prefix.len()));
        let counted = if prefix.is_ascii() {
            prefix.len()
        } else {
            prefix.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
        };
        let column = base + counted as u32;
        self.last_column.set((self.line_start, offset, column));
        let shift = if self.line == 0 { self.first_column } else { 0 };
        Pos::new(self.first_line + self.line + 1, column + shift + 1)
    }

    pub(super) fn here(&self) -> Pos {
        self.pos_of(self.pos)
    }

    /// Column (in bytes, which is characters for the ASCII indentation it is used on)
    /// of the cursor within its line.
    pub(super) fn column(&self) -> usize {
        self.pos - self.line_start
    }

    pub(super) fn skip_spaces(&mut self) {
        while self.peek() == b' ' {
            self.pos += 1;
        }
    }

    /// Whether the cursor is at a line break or the end of the text.
    #[inline]
    pub(super) fn at_eol(&self) -> bool {
        matches!(self.peek(), b'\n' | b'\r' | 0)
    }

    /// Whether `-` at the cursor starts a block sequence entry.
    pub(super) fn at_seq_entry(&self) -> bool {
        self.peek() == b'-' && matches!(self.peek_at(1), b' ' | b'\n' | b'\r' | 0)
    }

    /// Moves to the start of the next line (or the end of the text, which counts as
    /// one more line, as it does for yaml-rust2).
    pub(super) fn next_line(&mut self) {
        if self.line_start >= self.bytes.len() {
            return; // already on the line after the last one
        }
        match self.bytes[self.pos..].iter().position(|&b| b == b'\n') {
            Some(i) => self.pos += i + 1,
            None => self.pos = self.bytes.len(),
        }
        self.line += 1;
        self.line_start = self.pos;
    }

    /// Moves to the end of a comment at the cursor, if there is one.
    pub(super) fn skip_comment(&mut self) {
        if self.peek() == b'#' {
            while !self.at_eol() {
                self.pos += 1;
            }
        }
    }

    /// Accepts the rest of the line if it is blank or a comment, and moves to the next
    /// line. `None` for anything else (trailing content belongs to the reference parser).
    pub(super) fn finish_line(&mut self) -> Option<()> {
        self.skip_spaces();
        match self.peek() {
            b'\n' | b'\r' | 0 => {}
            // A comment must be separated from what precedes it.
            b'#' if self.pos == self.line_start || self.bytes[self.pos - 1] == b' ' => {}
            _ => return None,
        }
        self.next_line();
        Some(())
    }

    /// Skips blank and comment lines from the start of the current line, and says what
    /// the next line holding a token starts with. May be called again on the same line.
    pub(super) fn next_content_line(&mut self) -> Option<Next> {
        self.pos = self.line_start;
        loop {
            if self.pos >= self.bytes.len() {
                return Some(Next::End);
            }
            self.skip_spaces();
            match self.peek() {
                b'\n' | b'\r' | b'#' => self.next_line(),
                // Tabs in indentation follow rules of their own.
                b'\t' => return None,
                0 => {
                    // Trailing spaces on an unterminated last line: the end is
                    // reported on the line after it, as for a terminated one.
                    self.next_line();
                    return Some(Next::End);
                }
                _ => break,
            }
        }
        let indent = self.column();
        if indent == 0 {
            let rest = &self.bytes[self.pos..];
            if rest.starts_with(b"...") {
                return matches!(self.byte_at(self.pos + 3), b' ' | b'\n' | b'\r' | 0)
                    .then_some(Next::End);
            }
            // Markers and directives inside a document: left to the reference parser.
            if rest.starts_with(b"---") || rest[0] == b'%' {
                return None;
            }
        }
        Some(Next::Content(indent))
    }
}

#[cfg(test)]
mod tests {
    use super::COUNTED;

    /// `jq -c` output puts a whole List on one line: columns are counted on from
    /// the last one, not from the start of the line each time.
    #[test]
    fn columns_on_one_long_line_cost_the_line_once() {
        let item = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"a":"é"}},"spec":{"hostPID":true}}"#;
        let text = format!(
            r#"{{"kind":"List","items":[{}]}}"#,
            vec![item; 5000].join(",")
        );
        COUNTED.with(|c| c.set(0));
        let (root, _) = super::super::parse(&text, 0).expect("the fast path reads it");
        let counted = COUNTED.with(|c| c.get());
        assert_eq!(root.get("items").unwrap().items().len(), 5000);
        assert!(
            counted <= text.len(),
            "{counted} bytes counted for {} bytes",
            text.len()
        );
    }
}
