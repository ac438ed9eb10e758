//! The object an edit should leave: the edit made on the parsed tree, and trees
//! compared for what they hold, not where it was written.

use vigie_controls::fix::{Edit, FixValue, Segment};
use vigie_resource::{Entry, Node, Pos, Value};

/// Makes `edit` on the tree; `false` when the tree has no place for it.
pub(crate) fn apply(root: &mut Node, edit: &Edit) -> bool {
    apply_at(root, &edit.path().0, edit)
}

fn apply_at(node: &mut Node, segments: &[Segment], edit: &Edit) -> bool {
    match segments.split_first() {
        None => match edit {
            Edit::Set { value, .. } => {
                node.value = scalar(value);
                true
            }
            Edit::AddItem { value, .. } => match &mut node.value {
                Value::Seq(items) => {
                    if !items.iter().any(|i| i.value == scalar(value)) {
                        let mut all = std::mem::take(items).into_vec();
                        all.push(Node::new(scalar(value), Pos::default()));
                        *items = all.into_boxed_slice();
                    }
                    true
                }
                Value::Null => {
                    node.value = Value::Seq(Box::new([Node::new(scalar(value), Pos::default())]));
                    true
                }
                _ => false,
            },
        },
        Some((Segment::Index(n), rest)) => match &mut node.value {
            Value::Seq(items) => items
                .get_mut(*n)
                .is_some_and(|item| apply_at(item, rest, edit)),
            _ => false,
        },
        Some((Segment::Key(key), rest)) => {
            if node.is_null() {
                node.value = Value::Map(Box::new([]));
            }
            let Value::Map(entries) = &mut node.value else {
                return false;
            };
            if let Some(i) = entries.iter().rposition(|e| e.key == *key) {
                return apply_at(&mut entries[i].value, rest, edit);
            }
            let mut all = std::mem::take(entries).into_vec();
            all.push(Entry {
                key: key.as_str().into(),
                key_pos: Pos::default(),
                value: Node::new(Value::Null, Pos::default()),
            });
            let done = apply_at(&mut all.last_mut().expect("just pushed").value, rest, edit);
            *entries = all.into_boxed_slice();
            done
        }
    }
}

fn scalar(value: &FixValue) -> Value {
    match value {
        FixValue::Bool(b) => Value::Bool(*b),
        FixValue::String(s) => Value::String(s.as_str().into()),
    }
}

/// Whether two trees hold the same values, wherever they were written.
pub(crate) fn same(a: &Node, b: &Node) -> bool {
    match (&a.value, &b.value) {
        (Value::Seq(x), Value::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| same(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|(p, q)| p.key == q.key && same(&p.value, &q.value))
        }
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits() || x == y,
        (x, y) => x == y,
    }
}
