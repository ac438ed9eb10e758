//! The command line of a control plane component, read from its static pod.

use vigie_resource::{containers, Node, Pos, Resource};

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

    /// The comma-separated values of a list flag (`--enable-admission-plugins`).
    #[allow(dead_code)] // for list-valued flags such as --enable-admission-plugins
    pub fn list(&self, name: &str) -> Vec<&'a str> {
        self.get(name)
            .and_then(|f| f.value)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
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
        let command = container
            .node
            .get("command")
            .map(Node::items)
            .unwrap_or(&[]);
        let args = container.node.get("args").map(Node::items).unwrap_or(&[]);
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
                let Some(flag) = text.strip_prefix("--") else {
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

/// Whether the object is the static pod of `component`.
pub(crate) fn runs(resource: &Resource, component: &str) -> bool {
    component_args(resource, component).is_some()
}
