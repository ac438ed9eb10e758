//! The command line of a control plane component, read from its static pod.

use vigie_resource::{containers, Node, Pos, Resource};

use crate::pod::list_of;

/// One `--flag=value` of a component's command line.
#[derive(Clone, Debug)]
pub(crate) struct Flag<'a> {
    pub name: &'a str,
    /// `None` for a bare `--flag`.
    pub value: Option<&'a str>,
    pub path: String,
    pub pos: Pos,
}

/// The flags of a component (`kube-apiserver`, `kube-controller-manager`,
/// `kube-scheduler`, `etcd`) when `resource` is its static pod.
#[derive(Clone, Debug)]
pub(crate) struct ComponentArgs<'a> {
    pub flags: Vec<Flag<'a>>,
    /// Where to point a finding about a missing flag: the container's command.
    pub pos: Pos,
    pub path: String,
}

impl<'a> ComponentArgs<'a> {
    /// The last value given for `name` (later flags win, as in the components).
    pub fn get(&self, name: &str) -> Option<&Flag<'a>> {
        self.flags.iter().rev().find(|f| f.name == name)
    }
}

/// Reads the flags of `component` from a static pod manifest.
pub(crate) fn component_args<'a>(
    resource: &'a Resource,
    component: &str,
) -> Option<ComponentArgs<'a>> {
    if resource.kind != "Pod" {
        return None;
    }
    let spec = resource.root.get("spec")?;
    for container in containers(spec) {
        let command = list_of(container.node, "command");
        let args = list_of(container.node, "args");
        let runs_component = command
            .first()
            .or(args.first())
            .and_then(Node::as_str)
            .is_some_and(|program| program.rsplit('/').next() == Some(component));
        if !runs_component {
            continue;
        }
        let base = format!("spec.{}", container.path());
        let mut flags = Vec::new();
        for (field, items) in [("command", command), ("args", args)] {
            for (i, item) in items.iter().enumerate() {
                let Some(text) = item.as_str() else { continue };
                for word in flag_words(text) {
                    let Some(flag) = word.strip_prefix("--") else {
                        continue;
                    };
                    let (name, value) = match flag.split_once('=') {
                        Some((n, v)) => (n, Some(v)),
                        None => (flag, None),
                    };
                    flags.push(Flag {
                        name,
                        value,
                        path: format!("{base}.{field}[{i}]"),
                        pos: item.pos,
                    });
                }
            }
        }
        let pos = container
            .node
            .entry("command")
            .map_or(container.node.pos, |e| e.key_pos);
        return Some(ComponentArgs {
            flags,
            pos,
            path: format!("{base}.command"),
        });
    }
    None
}

/// The flags in one command item. Several flags in one item (`"--a=1 --b=2"`)
/// are a common slip when a shell command line is pasted into a manifest: read
/// them as the flags they were meant to be. Only whitespace before `--` splits,
/// so a value such as `"A, B"` stays whole.
fn flag_words(text: &str) -> Vec<&str> {
    let mut bounds: Vec<usize> = text
        .match_indices("--")
        .map(|(i, _)| i)
        .filter(|&i| i > 0 && text[..i].ends_with(char::is_whitespace))
        .collect();
    bounds.insert(0, 0);
    bounds.push(text.len());
    bounds
        .windows(2)
        .map(|pair| text[pair[0]..pair[1]].trim())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::flag_words;

    #[test]
    fn splits_pasted_flags_but_not_list_values() {
        let words = flag_words("--a=x --b=y, z  --c");
        assert_eq!(words, ["--a=x", "--b=y, z", "--c"]);
        let words = flag_words(" --only");
        assert_eq!(words, ["", "--only"]);
    }
}
