//! Finding the pod spec inside every workload kind.

use crate::node::Node;
use crate::resource::Resource;

/// The pod template of a workload: its metadata and spec, with their field paths.
#[derive(Clone, Copy, Debug)]
pub struct PodTemplate<'a> {
    /// The template's `metadata`, when it has one.
    pub metadata: Option<&'a Node>,
    /// The field path of that metadata (`spec.template.metadata`).
    pub metadata_path: &'static str,
    /// The pod spec; a null node when the object has none.
    pub spec: &'a Node,
    /// The field path of the pod spec (`spec.template.spec`).
    pub spec_path: &'static str,
}

impl<'a> PodTemplate<'a> {
    /// `metadata.annotations` of the pod template, when present.
    pub fn annotations(&self) -> Option<&'a Node> {
        self.metadata.and_then(|m| m.get("annotations"))
    }
}

/// Where a workload keeps its pod template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// A Pod is its own template.
    Pod,
    /// `spec.template`: Deployment, ReplicaSet, StatefulSet, DaemonSet, Job,
    /// ReplicationController.
    SpecTemplate,
    /// `spec.jobTemplate.spec.template`.
    CronJob,
    /// `template`: a PodTemplate object.
    Template,
    /// `spec.podTemplate`: an Agent Sandbox SandboxTemplate, whose sandboxes
    /// run as pods of that template.
    SpecPodTemplate,
}

impl Shape {
    fn of(kind: &str) -> Option<Shape> {
        Some(match kind {
            "Pod" => Shape::Pod,
            "Deployment"
            | "ReplicaSet"
            | "StatefulSet"
            | "DaemonSet"
            | "Job"
            | "ReplicationController" => Shape::SpecTemplate,
            "CronJob" => Shape::CronJob,
            "PodTemplate" => Shape::Template,
            "SandboxTemplate" => Shape::SpecPodTemplate,
            _ => return None,
        })
    }

    /// The keys from the object to its template.
    fn keys(self) -> &'static [&'static str] {
        match self {
            Shape::Pod => &[],
            Shape::SpecTemplate => &["spec", "template"],
            Shape::CronJob => &["spec", "jobTemplate", "spec", "template"],
            Shape::Template => &["template"],
            Shape::SpecPodTemplate => &["spec", "podTemplate"],
        }
    }

    /// The field paths of the template's metadata and spec.
    fn paths(self) -> (&'static str, &'static str) {
        match self {
            Shape::Pod => ("metadata", "spec"),
            Shape::SpecTemplate => ("spec.template.metadata", "spec.template.spec"),
            Shape::CronJob => (
                "spec.jobTemplate.spec.template.metadata",
                "spec.jobTemplate.spec.template.spec",
            ),
            Shape::Template => ("template.metadata", "template.spec"),
            Shape::SpecPodTemplate => ("spec.podTemplate.metadata", "spec.podTemplate.spec"),
        }
    }
}

/// The keys from the root of an object of `kind` to its pod template (none for a
/// Pod, which is its own template), if `kind` is a workload.
pub(crate) fn template_keys(kind: &str) -> Option<&'static [&'static str]> {
    Shape::of(kind).map(Shape::keys)
}

/// Where the pod template of a workload is, found once when the object is
/// built: every check asks for it, a hundred times per object in a full scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TemplateAt {
    shape: Shape,
    /// For each key on the way to the template, the index of its entry in its
    /// mapping (`ABSENT` where the key is missing).
    steps: [u32; 4],
    /// The same for `metadata` and `spec` in the template.
    metadata: u32,
    spec: u32,
}

const ABSENT: u32 = u32::MAX;

impl TemplateAt {
    /// Where the template of an object of `kind` is, if `kind` is a workload.
    pub(crate) fn find(kind: &str, root: &Node) -> Option<TemplateAt> {
        let shape = Shape::of(kind)?;
        let mut steps = [ABSENT; 4];
        let mut node = Some(root);
        for (step, key) in steps.iter_mut().zip(shape.keys()) {
            let Some((index, next)) = node.and_then(|n| n.entry_index(key)) else {
                node = None;
                break;
            };
            *step = index as u32;
            node = Some(next);
        }
        let index_of = |key| {
            node.and_then(|n| n.entry_index(key))
                .map_or(ABSENT, |(index, _)| index as u32)
        };
        Some(TemplateAt {
            shape,
            steps,
            metadata: index_of("metadata"),
            spec: index_of("spec"),
        })
    }
}

/// The value under `key` in `node`, looked for first at `index`, where it was
/// when the object was built; looked up again if the tree has changed since.
fn entry_at<'a>(node: &'a Node, index: u32, key: &str) -> Option<&'a Node> {
    let remembered = node
        .as_map()
        .and_then(|entries| entries.get(index as usize));
    match remembered {
        Some(entry) if entry.key == key => (!entry.value.is_null()).then_some(&entry.value),
        _ => node.get(key),
    }
}

/// The pod template of a workload (Pod, Deployment, ReplicaSet, StatefulSet,
/// DaemonSet, Job, CronJob, ReplicationController, PodTemplate, SandboxTemplate),
/// if `resource` is one.
pub fn pod_template(resource: &Resource) -> Option<PodTemplate<'_>> {
    let at = resource.template?;
    let mut template = Some(&resource.root);
    for (&step, key) in at.steps.iter().zip(at.shape.keys()) {
        template = template.and_then(|node| entry_at(node, step, key));
    }
    let (metadata_path, spec_path) = at.shape.paths();
    Some(PodTemplate {
        metadata: template.and_then(|t| entry_at(t, at.metadata, "metadata")),
        metadata_path,
        spec: template
            .and_then(|t| entry_at(t, at.spec, "spec"))
            .unwrap_or(Node::null()),
        spec_path,
    })
}

/// The three lists a pod spec holds containers in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerKind {
    /// `containers`.
    Container,
    /// `initContainers`.
    InitContainer,
    /// `ephemeralContainers`.
    EphemeralContainer,
}

impl ContainerKind {
    /// The three, in the order a pod spec lists them.
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
    /// Which list the container is in.
    pub kind: ContainerKind,
    /// Its index in that list.
    pub index: usize,
    /// The container itself.
    pub node: &'a Node,
}

impl<'a> ContainerRef<'a> {
    /// `name`, or empty.
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

    /// `securityContext`, when set.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::{Origin, SourceFile};
    use crate::yaml::parse_documents;
    use std::sync::Arc;

    fn resource(text: &str) -> Resource {
        let document = parse_documents(text).remove(0).expect("valid YAML");
        let origin = Origin {
            file: Arc::new(SourceFile {
                path: "test.yaml".into(),
                rendered_by: None,
            }),
            document: 0,
            item: None,
            cluster: None,
        };
        Resource::from_node(document.root, origin).expect("an object")
    }

    fn image(resource: &Resource) -> Option<&str> {
        let template = pod_template(resource)?;
        containers(template.spec)
            .next()?
            .node
            .get("image")
            .and_then(Node::as_str)
    }

    #[test]
    fn templates_are_found_in_every_workload_kind() {
        let cases = [
            ("Pod", "spec: {containers: [{image: a}]}", "spec"),
            (
                "Deployment",
                "spec: {replicas: 1, template: {spec: {containers: [{image: a}]}}}",
                "spec.template.spec",
            ),
            (
                "CronJob",
                "spec: {jobTemplate: {spec: {template: {spec: {containers: [{image: a}]}}}}}",
                "spec.jobTemplate.spec.template.spec",
            ),
            (
                "PodTemplate",
                "template: {spec: {containers: [{image: a}]}}",
                "template.spec",
            ),
        ];
        for (kind, body, spec_path) in cases {
            let r = resource(&format!(
                "apiVersion: v1\nkind: {kind}\nmetadata: {{name: x}}\n{body}\n"
            ));
            assert_eq!(image(&r), Some("a"), "{kind}");
            assert_eq!(pod_template(&r).unwrap().spec_path, spec_path);
        }
        let service = resource("apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec: {}\n");
        assert!(pod_template(&service).is_none());
    }

    #[test]
    fn the_last_of_duplicated_keys_wins_and_null_is_absent() {
        let r = resource(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  template: {spec: {containers: [{image: first}]}}\n  template: {spec: {containers: [{image: last}]}}\n",
        );
        assert_eq!(image(&r), Some("last"));
        let r = resource(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  template: {spec: {containers: [{image: a}]}}\n  template: null\n",
        );
        let template = pod_template(&r).unwrap();
        assert!(template.spec.is_null() && template.metadata.is_none());
    }

    #[test]
    fn a_tree_changed_after_loading_is_read_as_it_is_now() {
        let mut r = resource(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {template: {spec: {containers: [{image: a}]}}}\n",
        );
        // Move `spec` to another index: the remembered one no longer fits.
        let crate::node::Value::Map(entries) = &mut r.root.value else {
            unreachable!()
        };
        let mut moved = std::mem::take(entries).into_vec();
        moved.reverse();
        *entries = moved.into_boxed_slice();
        assert_eq!(image(&r), Some("a"));
    }
}
