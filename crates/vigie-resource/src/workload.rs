//! Finding the pod spec inside every workload kind.

use crate::node::Node;
use crate::resource::Resource;

/// The pod template of a workload: its metadata and spec, with their field paths.
#[derive(Clone, Copy, Debug)]
pub struct PodTemplate<'a> {
    pub metadata: Option<&'a Node>,
    pub metadata_path: &'static str,
    /// The pod spec; a null node when the object has none.
    pub spec: &'a Node,
    pub spec_path: &'static str,
}

impl<'a> PodTemplate<'a> {
    /// `metadata.annotations` of the pod template, when present.
    pub fn annotations(&self) -> Option<&'a Node> {
        self.metadata.and_then(|m| m.get("annotations"))
    }
}

/// The pod template of a workload (Pod, Deployment, ReplicaSet, StatefulSet,
/// DaemonSet, Job, CronJob, ReplicationController, PodTemplate), if `resource` is one.
pub fn pod_template(resource: &Resource) -> Option<PodTemplate<'_>> {
    let root = &resource.root;
    let (template, template_path): (Option<&Node>, &'static str) = match resource.kind.as_str() {
        "Pod" => {
            return Some(PodTemplate {
                metadata: root.get("metadata"),
                metadata_path: "metadata",
                spec: root.get("spec").unwrap_or(Node::null()),
                spec_path: "spec",
            })
        }
        "Deployment"
        | "ReplicaSet"
        | "StatefulSet"
        | "DaemonSet"
        | "Job"
        | "ReplicationController" => (root.get_path(&["spec", "template"]), "spec.template"),
        "CronJob" => (
            root.get_path(&["spec", "jobTemplate", "spec", "template"]),
            "spec.jobTemplate.spec.template",
        ),
        "PodTemplate" => (root.get("template"), "template"),
        _ => return None,
    };
    let template = template.unwrap_or(Node::null());
    let (metadata_path, spec_path) = match template_path {
        "spec.template" => ("spec.template.metadata", "spec.template.spec"),
        "template" => ("template.metadata", "template.spec"),
        _ => (
            "spec.jobTemplate.spec.template.metadata",
            "spec.jobTemplate.spec.template.spec",
        ),
    };
    Some(PodTemplate {
        metadata: template.get("metadata"),
        metadata_path,
        spec: template.get("spec").unwrap_or(Node::null()),
        spec_path,
    })
}

/// The three lists a pod spec holds containers in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerKind {
    Container,
    InitContainer,
    EphemeralContainer,
}

impl ContainerKind {
    pub const ALL: [ContainerKind; 3] = [
        ContainerKind::Container,
        ContainerKind::InitContainer,
        ContainerKind::EphemeralContainer,
    ];

    /// The pod spec field holding this kind of container.
    pub fn field(self) -> &'static str {
        match self {
            ContainerKind::Container => "containers",
            ContainerKind::InitContainer => "initContainers",
            ContainerKind::EphemeralContainer => "ephemeralContainers",
        }
    }
}

/// One container of a pod spec.
#[derive(Clone, Copy, Debug)]
pub struct ContainerRef<'a> {
    pub kind: ContainerKind,
    pub index: usize,
    pub node: &'a Node,
}

impl<'a> ContainerRef<'a> {
    pub fn name(&self) -> &'a str {
        self.node.get("name").and_then(Node::as_str).unwrap_or("")
    }

    /// `containers[2]`, relative to the pod spec.
    pub fn path(&self) -> String {
        use std::fmt::Write;
        let field = self.kind.field();
        // Sized once: paths are built for every finding on a container.
        let mut path = String::with_capacity(field.len() + 8);
        let _ = write!(path, "{field}[{}]", self.index);
        path
    }

    pub fn security_context(&self) -> Option<&'a Node> {
        self.node.get("securityContext")
    }
}

/// Every container of a pod spec: containers, then initContainers, then ephemeralContainers.
pub fn containers(spec: &Node) -> impl Iterator<Item = ContainerRef<'_>> {
    ContainerKind::ALL.into_iter().flat_map(move |kind| {
        spec.get(kind.field())
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .enumerate()
            .filter(|(_, node)| node.as_map().is_some())
            .map(move |(index, node)| ContainerRef { kind, index, node })
    })
}
