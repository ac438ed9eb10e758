//! Which lists a strategic merge merges element by element, and by which key.
//!
//! Kyverno merges with kustomize, which reads the Kubernetes OpenAPI schema of
//! built-in kinds: a list whose schema says `patchStrategy: merge` is merged by its
//! `patchMergeKey` (containers by `name`, volume mounts by `mountPath`...), every
//! other list is replaced whole. Kinds it has no schema for (custom resources) have
//! all their lists replaced. This table holds the merge lists of the kinds policies
//! mutate; a path not in it is replaced.

/// How a list is merged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListMerge {
    /// Replaced whole by the patch's list.
    Replace,
    /// Elements (maps) matched by the value of this field.
    ByKey(&'static str),
    /// A set of scalars (`finalizers`).
    Primitive,
}

/// The fields of a pod spec merged by key.
const POD_SPEC_LISTS: &[(&str, &str)] = &[
    ("containers", "name"),
    ("initContainers", "name"),
    ("ephemeralContainers", "name"),
    ("volumes", "name"),
    ("imagePullSecrets", "name"),
    ("hostAliases", "ip"),
    ("topologySpreadConstraints", "topologyKey"),
    ("schedulingGates", "name"),
    ("resourceClaims", "name"),
];

/// The fields of a container merged by key.
const CONTAINER_LISTS: &[(&str, &str)] = &[
    ("env", "name"),
    ("ports", "containerPort"),
    ("volumeMounts", "mountPath"),
    ("volumeDevices", "devicePath"),
];

const CONTAINER_FIELDS: &[&str] = &["containers", "initContainers", "ephemeralContainers"];

/// Where the pod spec sits in an object of this kind, if it has one.
fn pod_spec_path(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "Pod" => Some(&["spec"]),
        "PodTemplate" => Some(&["template", "spec"]),
        "Deployment"
        | "DaemonSet"
        | "StatefulSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => Some(&["spec", "template", "spec"]),
        "CronJob" => Some(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => None,
    }
}

/// Whether kustomize knows the schema of this kind: built-in API groups only.
pub fn is_builtin(api_version: &str) -> bool {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    group.is_empty()
        || matches!(
            group,
            "apps"
                | "batch"
                | "policy"
                | "autoscaling"
                | "networking.k8s.io"
                | "rbac.authorization.k8s.io"
                | "storage.k8s.io"
                | "scheduling.k8s.io"
                | "coordination.k8s.io"
                | "node.k8s.io"
                | "discovery.k8s.io"
                | "certificates.k8s.io"
                | "admissionregistration.k8s.io"
                | "apiextensions.k8s.io"
                | "events.k8s.io"
        )
}

/// The `apiVersion` and `kind` of an object (empty when absent), which say
/// how its lists merge.
pub fn type_of(object: &serde_json::Value) -> (String, String) {
    let text = |p: &str| {
        object
            .pointer(p)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    (text("/apiVersion"), text("/kind"))
}

/// How the list at `path` (field names from the object's root) of an object of
/// this apiVersion and kind is merged.
pub fn list_merge(api_version: &str, kind: &str, path: &[String]) -> ListMerge {
    if !is_builtin(api_version) {
        return ListMerge::Replace;
    }
    let Some((last, parent)) = path.split_last() else {
        return ListMerge::Replace;
    };
    if parent.last().is_some_and(|p| p == "metadata") {
        return match last.as_str() {
            "finalizers" => ListMerge::Primitive,
            "ownerReferences" => ListMerge::ByKey("uid"),
            _ => ListMerge::Replace,
        };
    }
    if let Some(spec) = pod_spec_path(kind) {
        if let Some(rest) = strip(path, spec) {
            return pod_spec_list(rest);
        }
    }
    match (kind, path) {
        ("Service", [spec, ports]) if spec == "spec" && ports == "ports" => {
            ListMerge::ByKey("port")
        }
        ("ServiceAccount", [secrets]) if secrets == "secrets" => ListMerge::ByKey("name"),
        _ => ListMerge::Replace,
    }
}

fn strip<'a>(path: &'a [String], prefix: &[&str]) -> Option<&'a [String]> {
    (path.len() > prefix.len() && path.iter().zip(prefix).all(|(a, b)| a == b))
        .then(|| &path[prefix.len()..])
}

fn pod_spec_list(rest: &[String]) -> ListMerge {
    let by = |table: &[(&str, &'static str)], field: &str| {
        table
            .iter()
            .find(|(f, _)| *f == field)
            .map_or(ListMerge::Replace, |(_, key)| ListMerge::ByKey(key))
    };
    match rest {
        [field] => by(POD_SPEC_LISTS, field),
        [container, field] if CONTAINER_FIELDS.contains(&container.as_str()) => {
            by(CONTAINER_LISTS, field)
        }
        _ => ListMerge::Replace,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> Vec<String> {
        p.split('.').map(str::to_string).collect()
    }

    #[test]
    fn pod_lists_merge_by_their_keys() {
        assert_eq!(
            list_merge("v1", "Pod", &path("spec.containers")),
            ListMerge::ByKey("name")
        );
        assert_eq!(
            list_merge(
                "apps/v1",
                "Deployment",
                &path("spec.template.spec.containers.volumeMounts")
            ),
            ListMerge::ByKey("mountPath")
        );
        assert_eq!(
            list_merge(
                "batch/v1",
                "CronJob",
                &path("spec.jobTemplate.spec.template.spec.volumes")
            ),
            ListMerge::ByKey("name")
        );
        assert_eq!(
            list_merge("v1", "Pod", &path("spec.tolerations")),
            ListMerge::Replace
        );
        assert_eq!(
            list_merge("v1", "Pod", &path("spec.containers.args")),
            ListMerge::Replace
        );
        assert_eq!(
            list_merge("v1", "Namespace", &path("metadata.finalizers")),
            ListMerge::Primitive
        );
    }

    #[test]
    fn custom_resources_replace_every_list() {
        assert_eq!(
            list_merge("karpenter.sh/v1", "Pod", &path("spec.containers")),
            ListMerge::Replace
        );
    }
}
