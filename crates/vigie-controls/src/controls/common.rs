//! Small helpers the controls share.

use vigie_resource::{pod_template, Node, Resource};

use crate::control::{ClusterOutcome, Inventory};
use crate::pod::{key_pos, Pod, Violation};
use crate::pss::{find_check, Version};

/// The kinds that run pods, for cluster-scope controls that read workloads.
pub(crate) const WORKLOAD_KINDS: &[&str] = workloads_and![];

/// Whether the object runs pods (Pod, Deployment, CronJob, ...).
pub(crate) fn is_workload(resource: &Resource) -> bool {
    pod_template(resource).is_some()
}

/// The pod of a workload.
pub(crate) fn workload_pod(resource: &Resource) -> Option<Pod<'_>> {
    pod_template(resource).map(Pod::new)
}

/// Evaluates every workload of the inventory that has a pod: `judge` says
/// what is wrong with one, if anything.
pub(crate) fn judge_workload_pods<'a>(
    inventory: Inventory<'a>,
    out: &mut ClusterOutcome,
    mut judge: impl FnMut(&'a Resource, Pod<'a>) -> Option<Violation>,
) {
    for (i, workload) in inventory.of_kind(WORKLOAD_KINDS) {
        let Some(pod) = workload_pod(workload) else {
            continue;
        };
        out.evaluated.push(i);
        if let Some(violation) = judge(workload, pod) {
            out.violations.push((i, violation));
        }
    }
}

/// The evaluator of a control that looks at the pod of every workload: it
/// applies to the objects that run pods and hands `$evaluate` (a
/// `fn(&Pod<'_>, &Config, &mut Vec<Violation>)`) their pod, so that each
/// control does not find the pod itself.
macro_rules! pod_evaluator {
    ($evaluate:expr) => {
        $crate::control::Evaluator::Object {
            applies: $crate::controls::common::is_workload,
            evaluate: |resource, config, out| {
                if let Some(pod) = $crate::controls::common::workload_pod(resource) {
                    ($evaluate)(&pod, config, out);
                }
            },
        }
    };
}
pub(crate) use pod_evaluator;

/// The evaluator of a control that looks at the pod of the objects `$applies`
/// accepts together with the object itself (its kind, name, labels):
/// `$evaluate` is a `fn(&Resource, &Pod<'_>, &Config, &mut Vec<Violation>)`.
macro_rules! object_pod_evaluator {
    ($applies:expr, $evaluate:expr) => {
        $crate::control::Evaluator::Object {
            applies: $applies,
            evaluate: |resource, config, out| {
                if let Some(pod) = $crate::controls::common::workload_pod(resource) {
                    ($evaluate)(resource, &pod, config, out);
                }
            },
        }
    };
}
pub(crate) use object_pod_evaluator;

/// Runs one Pod Security Standards check (by its Kubernetes ID) on a pod, at
/// the latest version: for the controls that ask the same question as a check,
/// so that the two answer it one way.
pub(crate) fn run_pss_check(pod: &Pod<'_>, k8s_id: &str, out: &mut Vec<Violation>) {
    if let Some(check) = find_check(k8s_id) {
        (check.evaluate)(pod, Version::LATEST, out);
    }
}

/// Evaluates every Namespace of the inventory: `judge` says what is wrong
/// with one, if anything.
pub(crate) fn judge_namespaces(
    inventory: &Inventory<'_>,
    out: &mut ClusterOutcome,
    mut judge: impl FnMut(&Resource) -> Option<Violation>,
) {
    for (i, namespace) in inventory.of_kind(&["Namespace"]) {
        out.evaluated.push(i);
        if let Some(violation) = judge(namespace) {
            out.violations.push((i, violation));
        }
    }
}

/// A violation on the name of a namespace that lacks something: `message`
/// says what.
pub(crate) fn namespace_lacks(namespace: &Resource, message: String) -> Violation {
    let metadata = namespace.root.get("metadata").unwrap_or(Node::null());
    Violation::new("metadata.name", key_pos(metadata, "name"), message)
}

/// A violation on `section.key` of the object (`spec.schedule`), pointing at
/// the key, else at the section, else at the object.
pub(crate) fn object_field(
    resource: &Resource,
    section: &str,
    key: &str,
    message: String,
) -> Violation {
    let pos = resource
        .root
        .get(section)
        .map_or(resource.pos, |s| key_pos(s, key));
    Violation::new(format!("{section}.{key}"), pos, message)
}

/// The keys of the object's `metadata.labels` or `metadata.annotations`
/// (`map`), in order; none when it has no such map.
pub(crate) fn metadata_keys<'a>(
    resource: &'a Resource,
    map: &str,
) -> impl Iterator<Item = &'a str> {
    resource
        .root
        .get_path(&["metadata", map])
        .and_then(Node::as_map)
        .unwrap_or(&[])
        .iter()
        .map(|entry| entry.key.as_str())
}

/// Whether the object is of one of `kinds`.
#[allow(dead_code)] // shared helper; not every category uses it yet
pub(crate) fn kind_in(resource: &Resource, kinds: &[&str]) -> bool {
    kinds.contains(&resource.kind.as_str())
}

/// The objects of a multi-document YAML text, for tests.
#[cfg(test)]
pub(crate) fn resources(text: &str) -> Vec<Resource> {
    use std::sync::Arc;
    use vigie_resource::{parse_documents, Origin, SourceFile};
    let file = Arc::new(SourceFile {
        path: "test.yaml".into(),
        rendered_by: None,
    });
    parse_documents(text)
        .into_iter()
        .enumerate()
        .map(|(document, parsed)| {
            let origin = Origin {
                file: file.clone(),
                document: document as u32,
                item: None,
                cluster: None,
            };
            Resource::from_node(parsed.expect("valid YAML").root, origin).expect("an object")
        })
        .collect()
}
