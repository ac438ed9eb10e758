//! YAML and JSON text into positioned [`Node`] trees.
//!
//! The stream is cut into documents at `---` lines before parsing, so a syntax error
//! in one document costs only that document: the others are still parsed. Plain
//! scalars resolve as the YAML 1.1 loader Kubernetes uses does (`yes`/`on` are booleans),
//! so `privileged: yes` means what the API server would make of it.

mod builder;
pub mod differential;
mod fast;
mod scalar;

use crate::node::{Node, Pos, Value};
pub(crate) use fast::{list_items, ItemSpan, ItemsRegion};

/// Deeper nesting than this is refused: no Kubernetes object comes close, and it
/// keeps hostile input from exhausting the stack.
pub(super) const MAX_DEPTH: usize = 256;

/// One parsed document of a stream.
#[derive(Debug)]
pub struct Document {
    /// 0-based index of the document in its stream (empty documents are not counted).
    pub index: u32,
    /// The document's top node.
    pub root: Node,
    /// Problems that did not stop the document from loading (duplicate keys).
    pub warnings: Vec<(Pos, String)>,
}

/// A document that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 0-based index of the document in its stream.
    pub index: u32,
    /// Where parsing stopped.
    pub pos: Pos,
    /// What is wrong.
    pub reason: String,
}

/// Parses every document of a YAML (or JSON) stream. Empty documents are skipped.
pub fn parse_documents(text: &str) -> Vec<Result<Document, ParseError>> {
    split_stream(text)
        .iter()
        .filter_map(parse_document)
        .collect()
}

/// The text of one document of a stream, not parsed yet.
#[derive(Clone, Copy, Debug)]
pub struct DocumentText<'a> {
    /// 0-based index of the document in its stream (empty documents are not counted).
    pub index: u32,
    /// The document's text.
    pub text: &'a str,
    /// 0-based line number of the document's first line in the stream.
    pub first_line: u32,
}

/// Cuts a stream into its non-empty documents, so that they can be parsed
/// independently (and in parallel): an error in one costs only that one.
pub fn split_stream(text: &str) -> Vec<DocumentText<'_>> {
    let mut splitter = Splitter::new(text);
    std::iter::from_fn(|| splitter.next(text)).collect()
}

/// Cuts a stream into its non-empty documents one at a time, keeping no more than
/// where it is: the text is handed to each call, so the owner of the text can keep
/// both side by side.
pub(crate) struct Splitter {
    /// Where the current chunk starts, and its 0-based line.
    start: usize,
    start_line: u32,
    /// Where the next line to look at starts, and its 0-based line.
    offset: usize,
    line: u32,
    /// Index of the next non-empty document.
    index: u32,
}

impl Splitter {
    pub(crate) fn new(text: &str) -> Self {
        let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
        Self {
            start: bom,
            start_line: 0,
            offset: bom,
            line: 0,
            index: 0,
        }
    }

    /// The next document holding anything but comments and markers.
    pub(crate) fn next<'a>(&mut self, text: &'a str) -> Option<DocumentText<'a>> {
        loop {
            let chunk = self.next_chunk(text)?;
            if has_content(chunk.text) {
                self.index += 1;
                return Some(DocumentText {
                    index: self.index - 1,
                    text: chunk.text,
                    first_line: chunk.first_line,
                });
            }
        }
    }

    /// The next chunk: cut before each `---` line and after each `...` line.
    fn next_chunk<'a>(&mut self, text: &'a str) -> Option<Chunk<'a>> {
        while self.offset < text.len() {
            let rest = &text[self.offset..];
            let line = &rest[..rest.find('\n').map_or(rest.len(), |i| i + 1)];
            if self.offset > self.start && is_marker(line, "---") {
                // This line is looked at again, as the first of the next chunk.
                return Some(self.cut(text));
            }
            self.offset += line.len();
            self.line += 1;
            if is_marker(line, "...") {
                return Some(self.cut(text));
            }
        }
        (self.offset > self.start).then(|| self.cut(text))
    }

    /// The chunk from its start to the current line; the next one starts there.
    fn cut<'a>(&mut self, text: &'a str) -> Chunk<'a> {
        let chunk = Chunk {
            text: &text[self.start..self.offset],
            first_line: self.start_line,
        };
        self.start = self.offset;
        self.start_line = self.line;
        chunk
    }
}

/// Parses one document; `None` when it holds no node (only directives, say).
pub fn parse_document(document: &DocumentText<'_>) -> Option<Result<Document, ParseError>> {
    let index = document.index;
    match parse_chunk(document.text, document.first_line) {
        Ok(Some((root, warnings))) => Some(Ok(Document {
            index,
            root,
            warnings,
        })),
        Ok(None) => None,
        Err((pos, reason)) => Some(Err(ParseError { index, pos, reason })),
    }
}

struct Chunk<'a> {
    text: &'a str,
    /// 0-based line number of the chunk's first line in the whole stream.
    first_line: u32,
}

fn is_marker(line: &str, marker: &str) -> bool {
    line.strip_prefix(marker)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
}

/// Whether a chunk holds anything but markers, directives, comments and blank lines.
fn has_content(chunk: &str) -> bool {
    chunk.lines().any(|line| {
        let t = line.trim_start();
        let t = t
            .strip_prefix("---")
            .map(str::trim_start)
            .unwrap_or(t)
            .trim_end();
        !(t.is_empty() || t.starts_with('#') || t == "..." || line.starts_with('%'))
    })
}

/// A parsed document (its root and warnings), `None` when it holds no node, or the
/// position and reason of the error that stopped it.
pub(super) type ChunkResult = Result<Option<(Node, Vec<(Pos, String)>)>, (Pos, String)>;

/// Parses one document: on the fast path when it is written in the subset of YAML that
/// path knows (nearly every manifest), else with yaml-rust2. Both give the same tree.
fn parse_chunk(text: &str, first_line: u32) -> ChunkResult {
    match fast::parse(text, first_line) {
        Some(parsed) => Ok(Some(parsed)),
        None => builder::parse_chunk(text, first_line),
    }
}

/// A document parsed for loading: a `List`'s items may be left unparsed, to be cut
/// out with [`list_items`] and parsed one by one with [`parse_list_item`].
pub(crate) fn parse_for_loading(
    document: &DocumentText<'_>,
) -> Option<Result<(Document, Option<ItemsRegion>), ParseError>> {
    let DocumentText {
        index,
        text,
        first_line,
    } = *document;
    let fast = match fast::parse_shell(text, first_line) {
        Some(shell) => match shell.items {
            Some(items) if is_list_kind(&shell.root) => {
                let document = Document {
                    index,
                    root: shell.root,
                    warnings: shell.warnings,
                };
                return Some(Ok((document, Some(items))));
            }
            None => Some((shell.root, shell.warnings)),
            // The `items` of something else than a List: read whole.
            Some(_) => fast::parse(text, first_line),
        },
        None => None,
    };
    let parsed = match fast {
        Some(parsed) => Ok(Some(parsed)),
        None => builder::parse_chunk(text, first_line),
    };
    match parsed {
        Ok(Some((root, warnings))) => Some(Ok((
            Document {
                index,
                root,
                warnings,
            },
            None,
        ))),
        Ok(None) => None,
        Err((pos, reason)) => Some(Err(ParseError { index, pos, reason })),
    }
}

/// Whether the `kind` of a root says it is a list: `List`, or a typed list such as
/// `PodList`, as `kubectl get -o yaml` prints them.
pub(crate) fn is_list_kind(root: &Node) -> bool {
    root.get("kind")
        .and_then(Node::as_str)
        .is_some_and(|k| k.len() > 4 && k.ends_with("List") || k == "List")
}

/// Parses item `span` of a List whose items were stepped over in the document
/// `text` ([`parse_for_loading`], [`list_items`]), and returns the item itself.
pub(crate) fn parse_list_item(text: &str, span: ItemSpan, region: ItemsRegion) -> ChunkResult {
    if !region.is_block() {
        return parse_at(&text[span.start..span.end], span.line, span.column);
    }
    // Where an empty value or an empty block scalar at the end of the item is placed
    // depends on what follows it, and how its lines are read on where it sits: the
    // item is read under an `items:` key with the line that follows it, as in the
    // whole document. Should that line not read on its own (a flow collection
    // going on over the next lines), the item is read alone.
    let next_line_end = text[span.end..]
        .find('\n')
        .map_or(text.len(), |i| span.end + i + 1);
    let mut context = String::with_capacity(7 + next_line_end - span.start);
    context.push_str("items:\n");
    context.push_str(&text[span.start..next_line_end]);
    if let Ok(Some((root, warnings))) = parse_at(&context, span.line - 1, 0) {
        if let Some(item) = first_item(root) {
            return Ok(Some((item, warnings)));
        }
    }
    let (root, warnings) = match parse_at(&text[span.start..span.end], span.line, 0)? {
        Some(parsed) => parsed,
        None => return Ok(None),
    };
    // Read alone, a block item is a sequence of one.
    match root.value {
        Value::Seq(items) if items.len() == 1 => {
            Ok(items.into_vec().pop().map(|item| (item, warnings)))
        }
        _ => Err((root.pos, "could not be cut out of its List".into())),
    }
}

/// The first of the `items` that a root read from `items:\n...` holds, taken out.
fn first_item(root: Node) -> Option<Node> {
    let Value::Map(entries) = root.value else {
        return None;
    };
    let entry = entries.into_vec().into_iter().next()?;
    match entry.value.value {
        Value::Seq(items) if entry.key == "items" => items.into_vec().into_iter().next(),
        _ => None,
    }
}

/// Parses a text that starts at the 0-based `line` and character `column` of the
/// stream.
fn parse_at(text: &str, line: u32, column: u32) -> ChunkResult {
    if let Some(parsed) = fast::parse_at(text, line, column) {
        return Ok(Some(parsed));
    }
    let mut parsed = builder::parse_chunk(text, line);
    if column > 0 {
        // The reference parser saw the text from the start of a line.
        let line = line + 1;
        match &mut parsed {
            Ok(Some((root, warnings))) => {
                shift_columns(root, line, column);
                for (pos, _) in warnings {
                    shift(pos, line, column);
                }
            }
            Ok(None) => {}
            Err((pos, _)) => shift(pos, line, column),
        }
    }
    parsed
}

fn shift(pos: &mut Pos, line: u32, by: u32) {
    if pos.line == line {
        pos.column += by;
    }
}

/// Moves what is on `line` right by `by` columns.
fn shift_columns(node: &mut Node, line: u32, by: u32) {
    // Nodes after the first line, and what they hold, stay where they are.
    if node.pos.line > line {
        return;
    }
    shift(&mut node.pos, line, by);
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|n| shift_columns(n, line, by)),
        Value::Map(entries) => entries.iter_mut().for_each(|e| {
            shift(&mut e.key_pos, line, by);
            shift_columns(&mut e.value, line, by);
        }),
        _ => {}
    }
}

#[cfg(test)]
mod differential_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::Value;

    fn one(text: &str) -> Node {
        let mut docs = parse_documents(text);
        assert_eq!(docs.len(), 1, "{docs:?}");
        docs.remove(0).unwrap().root
    }

    #[test]
    fn fields_keep_their_line_and_column() {
        let root = one("kind: Pod\nspec:\n  containers:\n  - name: a\n    securityContext:\n      privileged: true\n");
        let privileged = root.get("spec").unwrap().get("containers").unwrap().items()[0]
            .get_path(&["securityContext", "privileged"])
            .unwrap();
        assert_eq!(privileged.pos, Pos::new(6, 19));
        let entry = root.items(); // a map has no items
        assert!(entry.is_empty());
        let sc = root.get_path(&["spec", "containers"]).unwrap().items()[0]
            .get("securityContext")
            .unwrap();
        let key = sc.entry("privileged").unwrap();
        assert_eq!(key.key_pos, Pos::new(6, 7));
    }

    #[test]
    fn positions_count_lines_across_documents() {
        let docs = parse_documents("a: 1\n---\n# c\nb: 2\n---\nc: 3\n");
        let roots: Vec<_> = docs.into_iter().map(|d| d.unwrap()).collect();
        assert_eq!(roots.len(), 3);
        assert_eq!(roots[1].root.entry("b").unwrap().key_pos, Pos::new(4, 1));
        assert_eq!(roots[2].root.entry("c").unwrap().key_pos, Pos::new(6, 1));
        assert_eq!(roots[2].index, 2);
    }

    #[test]
    fn a_broken_document_does_not_hide_the_next_one() {
        let docs = parse_documents("a: 1\n---\nb: [1, 2\nc: d\n---\nd: 4\n");
        assert_eq!(docs.len(), 3);
        assert!(docs[0].is_ok());
        let err = docs[1].as_ref().unwrap_err();
        assert_eq!(err.index, 1);
        assert!(err.pos.line >= 3, "{err:?}");
        assert!(docs[2].is_ok());
    }

    #[test]
    fn yaml_1_1_booleans_and_numbers() {
        let root = one("a: yes\nb: off\nc: 0x1F\nd: 1.5\ne: '1'\nf: ~\ng: 010\nh: 1e3\ni: 1.2.3\n");
        assert_eq!(root.get("a").unwrap().as_bool(), Some(true));
        assert_eq!(root.get("b").unwrap().as_bool(), Some(false));
        assert_eq!(root.get("c").unwrap().as_i64(), Some(31));
        assert_eq!(root.get("d").unwrap().value, Value::Float(1.5));
        assert_eq!(root.get("e").unwrap().as_str(), Some("1"));
        assert!(root.get("f").is_none());
        assert_eq!(root.get("g").unwrap().as_i64(), Some(8));
        assert_eq!(root.get("h").unwrap().value, Value::Float(1000.0));
        assert_eq!(root.get("i").unwrap().as_str(), Some("1.2.3"));
    }

    #[test]
    fn json_documents_parse() {
        let root = one("{\"kind\": \"Pod\", \"spec\": {\"hostPID\": true}}");
        assert!(root.get_path(&["spec", "hostPID"]).unwrap().is_true());
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let root = one("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n");
        assert!(
            root.get("base").unwrap().get("y").is_some(),
            "keys are not resolved as booleans"
        );
        let other = root.get("other").unwrap();
        assert_eq!(other.get("x").unwrap().as_i64(), Some(1));
        assert_eq!(other.get("y").unwrap().as_i64(), Some(3));
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let docs = parse_documents(&text);
        let err = docs[0].as_ref().unwrap_err();
        assert!(err.reason.contains("aliases expand"), "{err:?}");
    }

    #[test]
    fn aliases_of_long_strings_are_refused_by_their_text() {
        // Few nodes, much text: 100 aliases of a one-megabyte string copy 100 MB.
        let long = "x".repeat(1 << 20);
        let mut text = format!("big: &big {long}\ncopies:\n");
        for _ in 0..100 {
            text.push_str("- *big\n");
        }
        let docs = parse_documents(&text);
        let err = docs[0].as_ref().unwrap_err();
        assert!(err.reason.contains("aliases copy more than"), "{err:?}");
        // A few copies are fine.
        let few = format!("big: &big {long}\ncopies: [*big, *big]\n");
        assert!(parse_documents(&few)[0].is_ok());
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = "[".repeat(10_000);
        let docs = parse_documents(&text);
        assert!(docs[0].is_err());
    }

    #[test]
    fn nesting_through_aliases_is_refused() {
        // Each alias puts 200 levels under 100 more: within the limit one by one,
        // beyond it together, and beyond any stack if it went on.
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        let text = format!(
            "a: &a {deep}\nb: {}*a{}\n",
            "[".repeat(100),
            "]".repeat(100)
        );
        let docs = parse_documents(&text);
        let err = docs[0].as_ref().unwrap_err();
        assert!(err.reason.contains("through aliases"), "{err:?}");
        let text = format!("a: &a {deep}\nb: [*a]\n");
        assert!(parse_documents(&text)[0].is_ok());
    }

    #[test]
    fn duplicate_keys_warn() {
        let docs = parse_documents("a: 1\na: 2\n");
        let doc = docs[0].as_ref().unwrap();
        assert_eq!(doc.warnings.len(), 1);
        assert_eq!(doc.warnings[0].0, Pos::new(2, 1));
    }

    #[test]
    fn comment_only_documents_are_skipped() {
        let docs = parse_documents("# nothing\n---\n---\n# still nothing\n...\n");
        assert!(docs.is_empty());
    }
}
