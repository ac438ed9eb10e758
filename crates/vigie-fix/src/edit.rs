//! One edit of one document, as a change of its text at the positions the parser
//! gave: a scalar replaced, a key added to a mapping, an item added to a list, a
//! null or empty value filled. Everything else in the text stays as it was.

use vigie_controls::fix::{Edit, FixValue, Segment};
use vigie_resource::{Entry, Node, Value};

use crate::render::{self, NewValue, Style};
use crate::text::{
    colon_after_key, flow_close, indent, is_blank_or_comment, previous_non_blank, scalar_end,
    Lines, TokenProblem,
};

/// Why an edit was not made, in words for the user.
pub(crate) type Refusal = String;

/// A replacement of `range` of the text by `with`.
struct Splice {
    start: usize,
    end: usize,
    with: String,
}

impl Splice {
    fn insert(at: usize, with: String) -> Self {
        Self {
            start: at,
            end: at,
            with,
        }
    }

    fn apply(self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + self.with.len());
        out.push_str(&text[..self.start]);
        out.push_str(&self.with);
        out.push_str(&text[self.end..]);
        out
    }
}

/// The text of `document` (whose parsed root is `root`) with `edit` made, or
/// `None` when the document already says what the edit would write.
pub(crate) fn apply(
    document: &str,
    root: &Node,
    edit: &Edit,
    style: Style,
) -> Result<Option<String>, Refusal> {
    let editor = Editor {
        lines: Lines::new(document),
        style,
    };
    let splice = editor.splice(root, edit)?.map(|mut splice| {
        // New lines end as the document's lines do.
        if document.contains("\r\n") {
            splice.with = splice.with.replace('\n', "\r\n");
        }
        splice
    });
    Ok(splice.map(|s| s.apply(document)))
}

struct Editor<'a> {
    lines: Lines<'a>,
    style: Style,
}

impl Editor<'_> {
    fn text(&self) -> &str {
        self.lines.text
    }

    fn splice(&self, root: &Node, edit: &Edit) -> Result<Option<Splice>, Refusal> {
        let segments = &edit.path().0;
        let mut node = root;
        for (i, segment) in segments.iter().enumerate() {
            let last = i + 1 == segments.len();
            match segment {
                Segment::Index(n) => {
                    node = node
                        .as_seq()
                        .and_then(|items| items.get(*n))
                        .ok_or_else(|| format!("{} has no item {n}", shown(segments, i)))?;
                }
                Segment::Key(key) => {
                    let Some(entries) = node.as_map() else {
                        return Err(format!("{} is not a mapping", shown(segments, i)));
                    };
                    let Some(index) = entries.iter().rposition(|e| e.key == *key) else {
                        let value = new_value(&segments[i + 1..], edit)?;
                        return self.insert_entry(node, key, &value).map(Some);
                    };
                    let entry = &entries[index];
                    let in_flow = self.is_flow_map(node)?;
                    let empty_map = matches!(&entry.value.value, Value::Map(e) if e.is_empty());
                    if entry.value.is_null() || (empty_map && !last) {
                        let value = new_value(&segments[i + 1..], edit)?;
                        return self.fill(entry, &value, in_flow).map(Some);
                    }
                    if last {
                        return self.change_existing(entry, edit, in_flow);
                    }
                    node = &entry.value;
                }
            }
        }
        Err("the path names no field".into())
    }

    fn offset(&self, pos: vigie_resource::Pos) -> Result<usize, Refusal> {
        self.lines
            .offset(pos)
            .ok_or_else(|| format!("position {pos} is outside the document"))
    }

    /// Whether a mapping is written in flow style (`{a: 1}`).
    fn is_flow_map(&self, map: &Node) -> Result<bool, Refusal> {
        let Some(first) = first_entry(map) else {
            return Ok(true);
        };
        let at = self.offset(first.key_pos)?;
        Ok(previous_non_blank(self.text(), at).is_some_and(|(_, b)| b == b'{'))
    }

    /// Sets an existing scalar, or adds to an existing list.
    fn change_existing(
        &self,
        entry: &Entry,
        edit: &Edit,
        in_flow: bool,
    ) -> Result<Option<Splice>, Refusal> {
        match edit {
            Edit::Set { value, .. } => {
                if matches!(entry.value.value, Value::Map(_) | Value::Seq(_)) {
                    return Err(format!("`{}` holds a collection, not a value", entry.key));
                }
                if holds(&entry.value, value) {
                    return Ok(None);
                }
                let start = self.offset(entry.value.pos)?;
                let end = scalar_end(self.text(), start, in_flow)
                    .map_err(|p| token_refusal(p, &entry.key))?;
                let original = &self.text()[start..end];
                Ok(Some(Splice {
                    start,
                    end,
                    with: render::scalar_like(value, original, self.style),
                }))
            }
            Edit::AddItem { value, .. } => {
                let Some(items) = entry.value.as_seq() else {
                    return Err(format!("`{}` is not a list", entry.key));
                };
                if items.iter().any(|item| holds(item, value)) {
                    return Ok(None);
                }
                if items.is_empty() {
                    return self.fill_empty_list(entry, value).map(Some);
                }
                self.add_item(items, value).map(Some)
            }
        }
    }

    /// Adds an entry to a mapping that holds some: before the closing `}` of a
    /// flow mapping, or on a line of its own after the last line of a block one.
    fn insert_entry(&self, map: &Node, key: &str, value: &NewValue) -> Result<Splice, Refusal> {
        let first = first_entry(map).ok_or("an empty mapping at the root of the path")?;
        let first_at = self.offset(first.key_pos)?;
        let text = self.text();
        if let Some((open, b'{')) = previous_non_blank(text, first_at) {
            let close = flow_close(text, open).ok_or("a flow mapping that does not close")?;
            let (before, byte) =
                previous_non_blank(text, close).ok_or("an unreadable flow mapping")?;
            let separator = if byte == b',' { " " } else { ", " };
            return Ok(Splice::insert(
                before + 1,
                format!("{separator}{}", render::flow_entry(key, value, self.style)),
            ));
        }
        let column = first_at - self.lines.start(self.lines.line_of(first_at));
        let last = last_entry(map).ok_or("an empty mapping")?;
        let last_line = self.lines.line_of(self.offset(last.key_pos)?);
        let end_line = self.block_end(last_line, |ind, rest| {
            ind > column || (ind == column && (rest == "-" || rest.starts_with("- ")))
        });
        Ok(self.insert_after_line(
            end_line,
            render::block_entry(key, value, column, self.style),
        ))
    }

    /// Adds an item to a list that holds some.
    fn add_item(&self, items: &[Node], value: &FixValue) -> Result<Splice, Refusal> {
        let text = self.text();
        let first = items.iter().map(|i| i.pos).min().ok_or("an empty list")?;
        let first_at = self.offset(first)?;
        match previous_non_blank(text, first_at) {
            Some((open, b'[')) => {
                let close = flow_close(text, open).ok_or("a flow list that does not close")?;
                let (before, byte) =
                    previous_non_blank(text, close).ok_or("an unreadable flow list")?;
                let separator = if byte == b',' { " " } else { ", " };
                Ok(Splice::insert(
                    before + 1,
                    format!("{separator}{}", render::scalar(value, self.style)),
                ))
            }
            Some((dash, b'-')) => {
                let column = dash - self.lines.start(self.lines.line_of(dash));
                let last = items.iter().map(|i| i.pos).max().ok_or("an empty list")?;
                let last_line = self.lines.line_of(self.offset(last)?);
                let end_line = self.block_end(last_line, |ind, _| ind > column);
                let line = format!(
                    "{}- {}\n",
                    " ".repeat(column),
                    render::scalar(value, self.style)
                );
                Ok(self.insert_after_line(end_line, line))
            }
            _ => Err("a list whose layout the editor does not follow".into()),
        }
    }

    /// The last line, from `line` on, of the block that `line` starts: the
    /// following lines belong to it while `inside(indent, rest of line)` says so;
    /// blank and comment lines are stepped over.
    fn block_end(&self, line: usize, inside: impl Fn(usize, &str) -> bool) -> usize {
        let mut end = line;
        for next in line + 1..self.lines.count() {
            let text = self.lines.line(next);
            if is_blank_or_comment(text) {
                continue;
            }
            let ind = indent(text);
            if !inside(ind, &text[ind..]) {
                break;
            }
            end = next;
        }
        end
    }

    fn insert_after_line(&self, line: usize, lines: String) -> Splice {
        let at = self.lines.after_line(line);
        let newline = if self.text()[..at].ends_with('\n') {
            ""
        } else {
            "\n"
        };
        Splice::insert(at, format!("{newline}{lines}"))
    }

    /// Replaces the null (`key:`, `key: null`, `key: ~`) or empty (`key: {}`)
    /// value of an entry with `value`: in block style, on the lines under the key.
    fn fill(&self, entry: &Entry, value: &NewValue, in_flow: bool) -> Result<Splice, Refusal> {
        let text = self.text();
        let key_at = self.offset(entry.key_pos)?;
        let colon = colon_after_key(text, key_at)
            .ok_or_else(|| format!("the value of `{}` is not on the line of its key", entry.key))?;
        let mut token = colon + 1;
        while matches!(text.as_bytes().get(token), Some(b' ' | b'\t')) {
            token += 1;
        }
        let token_end = match text.as_bytes().get(token) {
            Some(b'{') => flow_close(text, token).ok_or("a flow mapping that does not close")? + 1,
            Some(b'#' | b'\n' | b'\r') | None => token,
            Some(b',' | b'}') if in_flow => token,
            _ => scalar_end(text, token, in_flow).map_err(|p| token_refusal(p, &entry.key))?,
        };
        if in_flow || matches!(value, NewValue::Scalar(_)) {
            let rendered = match value {
                NewValue::Scalar(v) => render::scalar(v, self.style),
                _ => render::flow_value(value, self.style),
            };
            return Ok(Splice {
                start: colon + 1,
                end: token_end,
                with: format!(" {rendered}"),
            });
        }
        let mut line_end = self.lines.line_end_at(token_end);
        if text[..line_end].ends_with('\r') {
            line_end -= 1;
        }
        let key_column = key_at - self.lines.start(self.lines.line_of(key_at));
        let block = render::block_value(value, key_column + 2, self.style);
        // What follows the value on its line (a comment) stays on the key's line.
        let rest = text[token_end..line_end].trim();
        let rest = if rest.is_empty() {
            String::new()
        } else {
            format!(" {rest}")
        };
        Ok(Splice {
            start: colon + 1,
            end: line_end,
            with: format!("{rest}\n{}", block.trim_end_matches('\n')),
        })
    }

    /// Puts the first item in an empty flow list (`drop: []`).
    fn fill_empty_list(&self, entry: &Entry, value: &FixValue) -> Result<Splice, Refusal> {
        let text = self.text();
        let key_at = self.offset(entry.key_pos)?;
        let colon =
            colon_after_key(text, key_at).ok_or("an empty list not on the line of its key")?;
        let open = text[colon..]
            .find('[')
            .map(|i| colon + i)
            .ok_or("an empty list the editor cannot find")?;
        let close = flow_close(text, open).ok_or("a flow list that does not close")?;
        Ok(Splice {
            start: open + 1,
            end: close,
            with: render::scalar(value, self.style),
        })
    }
}

/// What the rest of a path that does not exist yet holds once the edit is made.
fn new_value(rest: &[Segment], edit: &Edit) -> Result<NewValue, Refusal> {
    match rest.split_first() {
        None => Ok(match edit {
            Edit::Set { value, .. } => NewValue::Scalar(value.clone()),
            Edit::AddItem { value, .. } => NewValue::Seq(value.clone()),
        }),
        Some((Segment::Key(key), rest)) => {
            Ok(NewValue::Map(key.clone(), Box::new(new_value(rest, edit)?)))
        }
        Some((Segment::Index(_), _)) => Err("a list item that does not exist".into()),
    }
}

/// Whether a node already holds the value.
fn holds(node: &Node, value: &FixValue) -> bool {
    match (value, &node.value) {
        (FixValue::Bool(b), Value::Bool(v)) => b == v,
        (FixValue::String(s), Value::String(v)) => s == v.as_str(),
        _ => false,
    }
}

fn first_entry(map: &Node) -> Option<&Entry> {
    map.as_map()?.iter().min_by_key(|e| e.key_pos)
}

fn last_entry(map: &Node) -> Option<&Entry> {
    map.as_map()?.iter().max_by_key(|e| e.key_pos)
}

fn shown(segments: &[Segment], upto: usize) -> String {
    let path = vigie_controls::fix::FieldPath(segments[..upto].to_vec());
    format!("`{path}`")
}

fn token_refusal(problem: TokenProblem, key: &str) -> Refusal {
    match problem {
        TokenProblem::NotPlain => format!(
            "the value of `{key}` is a block scalar, tagged, or set through an anchor or alias"
        ),
        TokenProblem::Unterminated => format!("the value of `{key}` is an unterminated string"),
    }
}
