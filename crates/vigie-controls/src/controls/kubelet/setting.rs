//! Reading one field of a `KubeletConfiguration`: what every kubelet control does.

use vigie_resource::{Node, Pos, Resource};

use crate::pod::Violation;

/// The kind every control of the category looks at.
pub(crate) const KIND: &str = "KubeletConfiguration";

/// Whether `resource` is a kubelet's configuration (the `applies` of every
/// kubelet control).
pub(crate) fn is_kubelet_config(resource: &Resource) -> bool {
    resource.kind == KIND
}

/// A field of a kubelet configuration, found or not.
pub(crate) struct Setting<'a> {
    /// Dotted path from the object root (`authentication.anonymous.enabled`).
    pub path: &'static str,
    /// The value, when the field is set (and not null).
    pub value: Option<&'a Node>,
    /// Where the field's key is; when it is not set, the key of its nearest
    /// parent that is (or the object itself), which is where to add it.
    pub pos: Pos,
}

impl<'a> Setting<'a> {
    /// The field at `path` (keys separated by dots) of `resource`.
    pub(crate) fn of(resource: &'a Resource, path: &'static str) -> Self {
        let mut node = &resource.root;
        let mut pos = resource.pos;
        for key in path.split('.') {
            match node.entry(key) {
                Some(entry) => {
                    pos = entry.key_pos;
                    node = &entry.value;
                }
                None => {
                    return Setting {
                        path,
                        value: None,
                        pos,
                    }
                }
            }
        }
        Setting {
            path,
            value: Some(node),
            pos,
        }
    }

    /// The value as a boolean: `None` when unset or not a boolean.
    pub(crate) fn as_bool(&self) -> Option<bool> {
        self.value.and_then(Node::as_bool)
    }

    /// The value as an integer: `None` when unset or not an integer.
    pub(crate) fn as_i64(&self) -> Option<i64> {
        self.value.and_then(Node::as_i64)
    }

    /// The value as text: `None` when unset or not a string.
    pub(crate) fn as_str(&self) -> Option<&'a str> {
        self.value.and_then(Node::as_str)
    }

    /// `is VALUE`, or `is not set (default DEFAULT)`: the field's state in a message.
    pub(crate) fn state(&self, default: &str) -> String {
        match self.value {
            Some(value) => format!("is {}", value.display_value()),
            None => format!("is not set (default {default})"),
        }
    }

    /// A violation at this field, saying `message`.
    pub(crate) fn violation(&self, message: impl Into<String>) -> Violation {
        Violation::new(self.path, self.pos, message)
    }
}

/// Whether a Go duration (`0`, `0s`, `4h0m0s`, `1.5h`) is zero: every number in
/// it is. Text that is not a duration is not zero (the kubelet would refuse it).
pub(crate) fn is_zero_duration(text: &str) -> bool {
    let text = text.trim();
    let digits: Vec<char> = text.chars().filter(|c| c.is_ascii_digit()).collect();
    let only_duration_chars = text
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || "nsuµmh".contains(c));
    only_duration_chars && !digits.is_empty() && digits.iter().all(|&c| c == '0')
}

#[cfg(test)]
mod tests {
    use super::is_zero_duration;

    #[test]
    fn zero_durations() {
        for zero in ["0", "0s", "0h0m0s", "0.0m", " 0ms "] {
            assert!(is_zero_duration(zero), "{zero}");
        }
        for not_zero in ["4h0m0s", "5m", "0.5s", "", "s", "never", "-0x1"] {
            assert!(!is_zero_duration(not_zero), "{not_zero}");
        }
    }
}
