//! Positions in a document's text: from the parser's line and character column
//! to byte offsets, and the extent of the tokens the editor replaces.

use vigie_resource::Pos;

/// The lines of a document's text, for turning positions into offsets.
pub(crate) struct Lines<'a> {
    pub(crate) text: &'a str,
    /// Byte offset of the start of each line.
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { text, starts }
    }

    /// Byte offset of a 1-based line and character column of this text.
    pub(crate) fn offset(&self, pos: Pos) -> Option<usize> {
        let start = *self.starts.get((pos.line as usize).checked_sub(1)?)?;
        let line = &self.text[start..self.line_end_at(start)];
        let column = (pos.column as usize).checked_sub(1)?;
        match line.char_indices().nth(column) {
            Some((i, _)) => Some(start + i),
            None if line.chars().count() == column => Some(start + line.len()),
            None => None,
        }
    }

    /// 0-based index of the line holding `offset`.
    pub(crate) fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset) - 1
    }

    /// Byte offset where line `line` (0-based) starts.
    pub(crate) fn start(&self, line: usize) -> usize {
        self.starts[line]
    }

    /// Number of lines (a final line without a newline counts).
    pub(crate) fn count(&self) -> usize {
        self.starts.len()
    }

    /// The line (0-based) without its newline.
    pub(crate) fn line(&self, line: usize) -> &'a str {
        let start = self.starts[line];
        &self.text[start..self.line_end_at(start)]
    }

    /// Offset of the newline ending the line that holds `offset` (or the end of the text).
    pub(crate) fn line_end_at(&self, offset: usize) -> usize {
        self.text[offset..]
            .find('\n')
            .map_or(self.text.len(), |i| offset + i)
    }

    /// Offset just past the newline of line `line` (0-based): where the next
    /// line starts, or the end of the text.
    pub(crate) fn after_line(&self, line: usize) -> usize {
        self.starts
            .get(line + 1)
            .copied()
            .unwrap_or(self.text.len())
    }
}

/// Leading spaces of a line.
pub(crate) fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// Whether a line holds nothing but blanks or a comment.
pub(crate) fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

/// Why a token cannot be edited in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenProblem {
    /// A block scalar (`|`, `>`), a tag, an anchor or an alias.
    NotPlain,
    /// An unterminated quoted scalar.
    Unterminated,
}

/// The end (exclusive) of the scalar token starting at `start`: a quoted scalar
/// to its closing quote, a plain one to the end of its line, a comment, or (in a
/// flow collection) the next `,`, `]` or `}`. Trailing blanks are not part of it.
pub(crate) fn scalar_end(text: &str, start: usize, in_flow: bool) -> Result<usize, TokenProblem> {
    let bytes = text.as_bytes();
    match bytes.get(start) {
        Some(b'"') => {
            let mut i = start + 1;
            while i < bytes.len() {
                match bytes[i] {
                    b'\\' => i += 2,
                    b'"' => return Ok(i + 1),
                    _ => i += 1,
                }
            }
            Err(TokenProblem::Unterminated)
        }
        Some(b'\'') => {
            let mut i = start + 1;
            while i < bytes.len() {
                if bytes[i] == b'\'' {
                    if bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    return Ok(i + 1);
                }
                i += 1;
            }
            Err(TokenProblem::Unterminated)
        }
        Some(b'|' | b'>' | b'!' | b'&' | b'*') => Err(TokenProblem::NotPlain),
        _ => {
            let mut end = start;
            let mut previous = b' ';
            while end < bytes.len() {
                let b = bytes[end];
                let stops = b == b'\n'
                    || b == b'\r'
                    || (b == b'#' && (previous == b' ' || previous == b'\t'))
                    || (in_flow && matches!(b, b',' | b']' | b'}'));
                if stops {
                    break;
                }
                previous = b;
                end += 1;
            }
            while end > start && matches!(bytes[end - 1], b' ' | b'\t') {
                end -= 1;
            }
            Ok(end)
        }
    }
}

/// The offset of the `:` that ends the key starting at `key_start`, on its line.
pub(crate) fn colon_after_key(text: &str, key_start: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    if matches!(bytes.get(key_start), Some(b'"' | b'\'')) {
        let mut i = scalar_end(text, key_start, true).ok()?;
        while matches!(bytes.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        return (bytes.get(i) == Some(&b':')).then_some(i);
    }
    let mut i = key_start;
    while i < bytes.len() && bytes[i] != b'\n' {
        let ends_key = matches!(
            bytes.get(i + 1),
            None | Some(b' ' | b'\t' | b'\n' | b'\r' | b',' | b'}' | b']')
        );
        if bytes[i] == b':' && ends_key {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// The offset of the bracket closing the flow collection opened at `open`
/// (`{` or `[`), stepping over quoted scalars, comments and nested collections.
pub(crate) fn flow_close(text: &str, open: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            b'"' | b'\'' => {
                i = scalar_end(text, i, true).ok()?;
                continue;
            }
            b'#' if i > 0 && matches!(bytes[i - 1], b' ' | b'\t' | b'\n') => {
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The last byte before `offset` that is not a blank or a newline, with its offset.
pub(crate) fn previous_non_blank(text: &str, offset: usize) -> Option<(usize, u8)> {
    let bytes = text.as_bytes();
    (0..offset)
        .rev()
        .find(|&i| !matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r'))
        .map(|i| (i, bytes[i]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters() {
        let lines = Lines::new("a: é\nb: x\n");
        assert_eq!(lines.offset(Pos::new(2, 4)), Some(9));
        assert_eq!(lines.offset(Pos::new(1, 4)), Some(3));
    }

    #[test]
    fn scalars_end_where_yaml_ends_them() {
        let text = "a: true # c\n";
        assert_eq!(scalar_end(text, 3, false), Ok(7));
        let text = "{a: x, b: y}";
        assert_eq!(scalar_end(text, 4, true), Ok(5));
        let text = "a: \"x\\\"y\" # c";
        assert_eq!(scalar_end(text, 3, false), Ok(9));
        assert_eq!(scalar_end("a: |", 3, false), Err(TokenProblem::NotPlain));
    }

    #[test]
    fn flow_collections_close_past_strings_and_nesting() {
        let text = "{a: \"}\", b: [1, {c: 2}]} # }";
        assert_eq!(flow_close(text, 0), Some(23));
    }
}
