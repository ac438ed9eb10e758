//! Small helpers the controls share.

use vigie_resource::{pod_template, Resource};

use crate::pod::Pod;

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
