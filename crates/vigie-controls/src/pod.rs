//! The view of a pod that checks work on, and what checks report.

use vigie_resource::{containers, ContainerRef, Node, PodTemplate, Pos};

/// One offending field: its full path from the object root, where it is, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Dotted path of the field from the object root.
    pub path: String,
    /// Where the field (or, when missing, its parent) is.
    pub pos: Pos,
    /// What is wrong, stating the offending value.
    pub message: String,
    /// Who the violation is about when not the object itself (an RBAC subject).
    pub subject: Option<Subject>,
}

/// A user, group or service account named by an RBAC binding.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subject {
    /// `User`, `Group` or `ServiceAccount`.
    pub kind: String,
    /// The subject's name.
    pub name: String,
    /// The namespace of a service account.
    pub namespace: Option<String>,
}

impl Violation {
    /// A violation of the object itself.
    pub fn new(path: impl Into<String>, pos: Pos, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            pos,
            message: message.into(),
            subject: None,
        }
    }
}

/// A pod spec and its metadata, as found in any workload kind.
#[derive(Clone, Copy, Debug)]
pub struct Pod<'a> {
    /// Where the pod template is in the object.
    pub template: PodTemplate<'a>,
}

impl<'a> Pod<'a> {
    /// The pod of a template.
    pub fn new(template: PodTemplate<'a>) -> Self {
        Self { template }
    }

    /// The pod spec (a null node when the object has none).
    pub fn spec(&self) -> &'a Node {
        self.template.spec
    }

    /// `spec.securityContext`, when set.
    pub fn security_context(&self) -> Option<&'a Node> {
        self.template.spec.get("securityContext")
    }

    /// Calls `visit` with the pod's security context, then with that of each
    /// container that has one, along with the full path of `field` in it and
    /// who it belongs to ("the pod", "container app"): the walk of the checks
    /// that judge one field wherever it is set.
    pub(crate) fn each_security_context(
        &self,
        field: &str,
        mut visit: impl FnMut(&'a Node, String, String),
    ) {
        let relative = format!("securityContext.{field}");
        if let Some(sc) = self.security_context() {
            visit(sc, self.spec_path(&relative), "the pod".into());
        }
        for container in self.containers() {
            if let Some(sc) = container.security_context() {
                let path = self.container_path(&container, &relative);
                visit(sc, path, describe_container(&container));
            }
        }
    }

    /// Whether `spec.os.name` says Windows: from v1.25 some restricted checks
    /// apply to Linux pods only.
    pub fn is_windows(&self) -> bool {
        self.template
            .spec
            .get_path(&["os", "name"])
            .and_then(Node::as_str)
            == Some("windows")
    }

    /// Every container: regular, init, then ephemeral.
    pub fn containers(&self) -> impl Iterator<Item = ContainerRef<'a>> {
        containers(self.template.spec)
    }

    /// Full path of a field of the pod spec: `spec.template.spec.<relative>`.
    pub fn spec_path(&self, relative: &str) -> String {
        dotted(&[self.template.spec_path, relative])
    }

    /// Full path of a field of a container: `spec.containers[0].<relative>`.
    pub fn container_path(&self, container: &ContainerRef<'_>, relative: &str) -> String {
        dotted(&[self.template.spec_path, &container.path(), relative])
    }

    /// Each capability a container adds (`securityContext.capabilities.add`),
    /// with its full path: what the capability checks walk.
    pub fn added_capabilities<'c>(
        &'c self,
        container: &'c ContainerRef<'a>,
    ) -> impl Iterator<Item = (String, &'a Node)> + 'c {
        let added = container
            .security_context()
            .and_then(|sc| sc.get_path(&["capabilities", "add"]))
            .map_or(&[][..], Node::items);
        added.iter().enumerate().map(move |(i, capability)| {
            let relative = format!("securityContext.capabilities.add[{i}]");
            (self.container_path(container, &relative), capability)
        })
    }

    /// Full path of a pod annotation.
    pub fn annotation_path(&self, key: &str) -> String {
        format!("{}.annotations[{key}]", self.template.metadata_path)
    }
}

/// Where a field is: the position of its key, or of the value when it has no key.
pub fn key_pos(parent: &Node, key: &str) -> Pos {
    parent.entry(key).map_or(parent.pos, |e| e.key_pos)
}

/// The items of the list under `key` (none when it is absent or not a list).
pub(crate) fn list_of<'a>(parent: &'a Node, key: &str) -> &'a [Node] {
    parent.get(key).map(Node::items).unwrap_or(&[])
}

/// The field `key` written out for a message (empty when absent).
pub(crate) fn text_of(parent: &Node, key: &str) -> String {
    parent.get(key).map(Node::display_value).unwrap_or_default()
}

/// `"container \"app\""`-style label used in messages.
pub fn describe_container(container: &ContainerRef<'_>) -> String {
    let kind = match container.kind {
        vigie_resource::ContainerKind::Container => "container",
        vigie_resource::ContainerKind::InitContainer => "init container",
        vigie_resource::ContainerKind::EphemeralContainer => "ephemeral container",
    };
    match container.name() {
        "" => format!("{kind} #{}", container.index + 1),
        name => format!("{kind} \"{name}\""),
    }
}

/// Parts joined with dots, in a string allocated once: paths are built for
/// every finding, and `format!` grows its string several times for them.
fn dotted(parts: &[&str]) -> String {
    let length = parts.iter().map(|p| p.len() + 1).sum();
    let mut path = String::with_capacity(length);
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            path.push('.');
        }
        path.push_str(part);
    }
    path
}
