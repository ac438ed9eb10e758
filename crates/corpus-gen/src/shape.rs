//! How the objects of a file are laid out: separate YAML documents (the default), or
//! one `List` as `kubectl get -o yaml` prints it, as `kubectl get -o json` prints it,
//! or as `kubectl get -o json | jq -c` prints it (one line).

use vigie_resource::{Node, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Documents,
    /// `--list`: block YAML, items unindented under `items:`.
    YamlList,
    /// `--json-list`: pretty JSON, four spaces per level.
    JsonList,
    /// `--one-line-json`: the JSON List on one line.
    OneLineJson,
}

impl Shape {
    /// The shape a command-line flag asks for.
    pub fn from_flag(flag: &str) -> Option<Shape> {
        Some(match flag {
            "--documents" => Shape::Documents,
            "--list" => Shape::YamlList,
            "--json-list" => Shape::JsonList,
            "--one-line-json" => Shape::OneLineJson,
            _ => return None,
        })
    }

    pub fn extension(self) -> &'static str {
        match self {
            Shape::Documents | Shape::YamlList => "yaml",
            Shape::JsonList | Shape::OneLineJson => "json",
        }
    }

    /// The text of a file holding these objects, each given as a YAML document.
    pub fn render(self, objects: &[String]) -> String {
        match self {
            Shape::Documents => objects.join("---\n"),
            Shape::YamlList => {
                let mut out = String::from("apiVersion: v1\nitems:\n");
                for object in objects {
                    for (i, line) in object.lines().enumerate() {
                        out.push_str(if i == 0 { "- " } else { "  " });
                        out.push_str(line);
                        out.push('\n');
                    }
                }
                out.push_str("kind: List\nmetadata:\n  resourceVersion: \"\"\n");
                out
            }
            Shape::JsonList | Shape::OneLineJson => {
                let pretty = self == Shape::JsonList;
                let mut out = String::new();
                let nl = |out: &mut String, depth: usize| newline(out, pretty, depth);
                let sep = if pretty { ": " } else { ":" };
                out.push('{');
                nl(&mut out, 1);
                out.push_str(&format!("\"apiVersion\"{sep}\"v1\","));
                nl(&mut out, 1);
                out.push_str(&format!("\"items\"{sep}"));
                write_members(&mut out, pretty, 1, ['[', ']'], objects, |out, object| {
                    let root = vigie_resource::parse_documents(object)
                        .remove(0)
                        .expect("generated YAML parses")
                        .root;
                    write_json(&root, pretty, 2, out);
                });
                out.push(',');
                nl(&mut out, 1);
                out.push_str(&format!("\"kind\"{sep}\"List\","));
                nl(&mut out, 1);
                out.push_str(&format!(
                    "\"metadata\"{sep}{{\"resourceVersion\"{sep}\"\"}}"
                ));
                nl(&mut out, 0);
                out.push_str("}\n");
                out
            }
        }
    }
}

/// A line break and the indentation of `depth` (four spaces a level) when
/// `pretty`; nothing on one line.
fn newline(out: &mut String, pretty: bool, depth: usize) {
    if pretty {
        out.push('\n');
        out.push_str(&"    ".repeat(depth));
    }
}

/// `members` between the brackets `open` and `close` of a value at `depth`,
/// separated by commas, each on a line of its own when `pretty`.
fn write_members<T>(
    out: &mut String,
    pretty: bool,
    depth: usize,
    [open, close]: [char; 2],
    members: &[T],
    mut write_member: impl FnMut(&mut String, &T),
) {
    out.push(open);
    for (i, member) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        newline(out, pretty, depth + 1);
        write_member(out, member);
    }
    newline(out, pretty, depth);
    out.push(close);
}

/// JSON of a node, indented as `kubectl -o json` indents when `pretty`.
fn write_json(node: &Node, pretty: bool, depth: usize, out: &mut String) {
    match &node.value {
        Value::Seq(items) if !items.is_empty() => {
            write_members(out, pretty, depth, ['[', ']'], items, |out, item| {
                write_json(item, pretty, depth + 1, out);
            });
        }
        Value::Map(entries) if !entries.is_empty() => {
            write_members(out, pretty, depth, ['{', '}'], entries, |out, entry| {
                out.push_str(&Node::new(Value::String(entry.key.clone()), node.pos).to_json());
                out.push_str(if pretty { ": " } else { ":" });
                write_json(&entry.value, pretty, depth + 1, out);
            });
        }
        _ => out.push_str(&node.to_json()),
    }
}
