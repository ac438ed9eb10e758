//! Helpers the workload controls share: security context lookups, image
//! references, volumes and their mounts, resource quantities.

use vigie_resource::{ContainerRef, Node, Pos, Resource};

use crate::control::{ClusterOutcome, Inventory};
use crate::controls::common::{object_field, workload_pod};
use crate::pod::{describe_container, key_pos, list_of, Pod, Violation};

/// Where a setting of the security context comes from.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Level {
    Container,
    Pod,
}

/// The value of a security context field for a container: the container's own,
/// else the pod's (the container's overrides the pod's, as in the kubelet).
pub(crate) fn effective<'a>(
    pod: &Pod<'a>,
    container: &ContainerRef<'a>,
    key: &str,
) -> Option<(&'a Node, Level)> {
    container
        .security_context()
        .and_then(|sc| sc.get(key))
        .map(|v| (v, Level::Container))
        .or_else(|| {
            pod.security_context()
                .and_then(|sc| sc.get(key))
                .map(|v| (v, Level::Pod))
        })
}

/// Path and position of a security context field found by [`effective`].
pub(crate) fn effective_location(
    pod: &Pod<'_>,
    container: &ContainerRef<'_>,
    level: Level,
    key: &str,
) -> (String, Pos) {
    match level {
        Level::Container => (
            pod.container_path(container, &format!("securityContext.{key}")),
            container
                .security_context()
                .map_or(container.node.pos, |sc| key_pos(sc, key)),
        ),
        Level::Pod => (
            pod.spec_path(&format!("securityContext.{key}")),
            pod.security_context()
                .map_or(pod.spec().pos, |sc| key_pos(sc, key)),
        ),
    }
}

/// Judges the type of each container's effective seccomp profile (its own,
/// else the pod's): `refused` gives what is wrong with a type (the words after
/// the container's name), `None` for a type that passes. A container with no
/// profile at all is reported on `missing_key` of its security context.
pub(crate) fn judge_seccomp_type(
    pod: &Pod<'_>,
    missing_key: &str,
    refused: impl Fn(Option<&Node>) -> Option<String>,
    out: &mut Vec<Violation>,
) {
    for container in pod.containers() {
        let who = describe_container(&container);
        let Some((profile, level)) = effective(pod, &container, "seccompProfile") else {
            out.push(missing_field(
                pod,
                &container,
                missing_key,
                format!("{who} has no seccomp profile (nor has the pod)"),
            ));
            continue;
        };
        if let Some(words) = refused(profile.get("type")) {
            let (path, pos) = effective_location(pod, &container, level, "seccompProfile");
            out.push(Violation::new(
                format!("{path}.type"),
                profile.entry("type").map_or(pos, |e| e.key_pos),
                format!("{who} {words}"),
            ));
        }
    }
}

/// A violation on a security context field (`key`, dotted below
/// `securityContext`) that a container does not set, pointed at as
/// [`missing_in_container`] does.
pub(crate) fn missing_field(
    pod: &Pod<'_>,
    container: &ContainerRef<'_>,
    key: &str,
    message: String,
) -> Violation {
    let (path, pos) = missing_in_container(pod, container, key);
    Violation::new(path, pos, message)
}

/// Where to point at a missing security context field of a container: its
/// `securityContext` when it has one, else the container itself.
pub(crate) fn missing_in_container(
    pod: &Pod<'_>,
    container: &ContainerRef<'_>,
    key: &str,
) -> (String, Pos) {
    (
        pod.container_path(container, &format!("securityContext.{key}")),
        container
            .node
            .entry("securityContext")
            .map_or(container.node.pos, |e| e.key_pos),
    )
}

/// Violation on a pod spec field, pointing at the key when present or at the
/// pod spec when missing.
pub(crate) fn pod_field(pod: &Pod<'_>, key: &str, message: String) -> Violation {
    Violation::new(pod.spec_path(key), key_pos(pod.spec(), key), message)
}

/// Violation on a pod security context field, pointing at the key, or at the
/// nearest parent present when it is missing.
pub(crate) fn pod_security_context_field(pod: &Pod<'_>, key: &str, message: String) -> Violation {
    let pos = match pod.security_context() {
        Some(sc) => key_pos(sc, key),
        None => key_pos(pod.spec(), "securityContext"),
    };
    Violation::new(
        pod.spec_path(&format!("securityContext.{key}")),
        pos,
        message,
    )
}

/// Flags each container of a Windows pod (`spec.os.name: windows`) that gets no
/// `windowsOptions.<key>`, neither its own nor the pod's.
pub(crate) fn missing_windows_option(pod: &Pod<'_>, key: &str, out: &mut Vec<Violation>) {
    if !pod.is_windows() {
        return;
    }
    let set = |sc: Option<&Node>| {
        sc.and_then(|sc| sc.get_path(&["windowsOptions", key]))
            .is_some()
    };
    let key = format!("windowsOptions.{key}");
    report_unset(
        pod,
        set,
        &key,
        &format!("of a Windows pod sets no {key}"),
        out,
    );
}

/// Flags each container whose security context does not pass `set`, unless the
/// pod's does (a container inherits it): on `key` of its security context, with
/// `words` after the container's name.
pub(crate) fn report_unset(
    pod: &Pod<'_>,
    set: impl Fn(Option<&Node>) -> bool,
    key: &str,
    words: &str,
    out: &mut Vec<Violation>,
) {
    if set(pod.security_context()) {
        return;
    }
    for container in pod.containers() {
        if !set(container.security_context()) {
            let who = describe_container(&container);
            out.push(missing_field(
                pod,
                &container,
                key,
                format!("{who} {words}"),
            ));
        }
    }
}

/// Flags each regular container (init and ephemeral containers cannot have
/// probes) that sets no `probe` (`livenessProbe`, `readinessProbe`).
pub(crate) fn missing_probe(pod: &Pod<'_>, probe: &str, out: &mut Vec<Violation>) {
    for container in pod.containers() {
        if container.kind != vigie_resource::ContainerKind::Container
            || container.node.get(probe).is_some()
        {
            continue;
        }
        out.push(Violation::new(
            pod.container_path(&container, probe),
            container
                .node
                .entry("name")
                .map_or(container.node.pos, |e| e.key_pos),
            format!(
                "{} has no {probe}",
                crate::pod::describe_container(&container)
            ),
        ));
    }
}

/// Checks one resource (`cpu`, `memory`) of every container: a request and a
/// limit must be set, and within the configured bounds (`[min, max]` quantities
/// for requests, then for limits; empty lists are unbounded).
pub(crate) fn check_resource(
    pod: &Pod<'_>,
    resource: &str,
    bounds: [(&[String], &[String]); 2],
    out: &mut Vec<Violation>,
) {
    // Ephemeral containers may not set resources.
    let containers = pod
        .containers()
        .filter(|c| c.kind != vigie_resource::ContainerKind::EphemeralContainer);
    for container in containers {
        let who = crate::pod::describe_container(&container);
        let resources = container.node.get("resources");
        for (kind, (min, max)) in ["requests", "limits"].into_iter().zip(bounds) {
            let section = resources.and_then(|r| r.get(kind));
            let Some(value) = section.and_then(|s| s.get(resource)) else {
                let pos = match (resources, section) {
                    (_, Some(s)) => s.pos,
                    (Some(r), None) => key_pos(r, kind),
                    (None, None) => key_pos(container.node, "resources"),
                };
                out.push(Violation::new(
                    pod.container_path(&container, &format!("resources.{kind}.{resource}")),
                    pos,
                    format!("{who} sets no {resource} {}", kind.trim_end_matches('s')),
                ));
                continue;
            };
            let quantity = quantity_of(value);
            let bound = |b: &[String]| b.first().and_then(|q| parse_quantity(q));
            let outside = match quantity {
                Some(q) => bound(min).is_some_and(|m| q < m) || bound(max).is_some_and(|m| q > m),
                None => false,
            };
            if outside {
                out.push(Violation::new(
                    pod.container_path(&container, &format!("resources.{kind}.{resource}")),
                    section.map_or(value.pos, |s| key_pos(s, resource)),
                    format!(
                        "{who} has a {resource} {} of {}, outside [{}, {}]",
                        kind.trim_end_matches('s'),
                        value.display_value(),
                        min.first().map_or("0", String::as_str),
                        max.first().map_or("unbounded", String::as_str),
                    ),
                ));
            }
        }
    }
}

/// Flags a workload whose metadata, or whose pod template's metadata, carries
/// none of `labels` (with an empty list: no label at all).
pub(crate) fn missing_labels(resource: &Resource, labels: &[String], out: &mut Vec<Violation>) {
    let has_one = |metadata: Option<&Node>| {
        let present = metadata
            .and_then(|m| m.get("labels"))
            .and_then(Node::as_map)
            .unwrap_or(&[]);
        if labels.is_empty() {
            !present.is_empty()
        } else {
            present
                .iter()
                .any(|e| labels.iter().any(|l| l.as_str() == e.key.as_str()))
        }
    };
    let wanted = if labels.is_empty() {
        "any label".to_string()
    } else {
        labels.join(", ")
    };
    if !has_one(resource.root.get("metadata")) {
        out.push(object_field(
            resource,
            "metadata",
            "labels",
            format!(
                "{} {} has none of the labels {wanted}",
                resource.kind, resource.name
            ),
        ));
    }
    if resource.kind == "Pod" {
        return;
    }
    let Some(template) = vigie_resource::pod_template(resource) else {
        return;
    };
    if !has_one(template.metadata) {
        out.push(Violation::new(
            format!("{}.labels", template.metadata_path),
            template
                .metadata
                .map_or(template.spec.pos, |m| key_pos(m, "labels")),
            format!(
                "the pod template of {} {} has none of the labels {wanted}",
                resource.kind, resource.name
            ),
        ));
    }
}

/// A volume of a pod spec with its index.
pub(crate) struct Volume<'a> {
    pub index: usize,
    pub name: &'a str,
    pub node: &'a Node,
}

/// The volumes of a pod spec.
pub(crate) fn volumes<'a>(pod: &Pod<'a>) -> impl Iterator<Item = Volume<'a>> {
    list_of(pod.spec(), "volumes")
        .iter()
        .enumerate()
        .map(|(index, node)| Volume {
            index,
            name: node.get("name").and_then(Node::as_str).unwrap_or(""),
            node,
        })
}

/// The pod's hostPath volumes, each with the `path` it mounts.
pub(crate) fn host_path_volumes<'a>(pod: &Pod<'a>) -> impl Iterator<Item = (Volume<'a>, &'a str)> {
    volumes(pod).filter_map(|volume| {
        let path = volume
            .node
            .get_path(&["hostPath", "path"])
            .and_then(Node::as_str)?;
        Some((volume, path))
    })
}

/// A container's mount of a volume, with its index in `volumeMounts`.
pub(crate) struct Mount<'a> {
    pub container: ContainerRef<'a>,
    pub index: usize,
    pub node: &'a Node,
}

/// Every mount of the volume `name`, in every container of the pod.
pub(crate) fn mounts_of<'a>(pod: &Pod<'a>, name: &'a str) -> impl Iterator<Item = Mount<'a>> + 'a {
    pod.containers().flat_map(move |container| {
        list_of(container.node, "volumeMounts")
            .iter()
            .enumerate()
            .filter(move |(_, m)| m.get("name").and_then(Node::as_str) == Some(name))
            .map(move |(index, node)| Mount {
                container,
                index,
                node,
            })
    })
}

/// Violation on a volume, pointing at its `name`.
pub(crate) fn volume_violation(pod: &Pod<'_>, volume: &Volume<'_>, message: String) -> Violation {
    Violation::new(
        pod.spec_path(&format!("volumes[{}]", volume.index)),
        key_pos(volume.node, "name"),
        message,
    )
}

/// The string value of a container's `image`.
pub(crate) fn image_of<'a>(container: &ContainerRef<'a>) -> Option<&'a str> {
    container.node.get("image").and_then(Node::as_str)
}

/// The image walk of the image controls: for each container of `pod` that
/// names an image, `judge` says what is wrong (the field to point at and the
/// finding's words after the container's description), if anything.
pub(crate) fn judge_images<'a>(
    pod: &Pod<'a>,
    out: &mut Vec<Violation>,
    mut judge: impl FnMut(&ContainerRef<'a>, &'a str) -> Option<(&'static str, String)>,
) {
    for container in pod.containers() {
        let Some(image) = image_of(&container) else {
            continue;
        };
        if let Some((key, words)) = judge(&container, image) {
            out.push(Violation::new(
                pod.container_path(&container, key),
                key_pos(container.node, key),
                format!("{} {words}", describe_container(&container)),
            ));
        }
    }
}

/// An image reference split the way container runtimes read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ImageRef<'a> {
    /// The registry host as written (`gcr.io`, `localhost:5000`), `None` for
    /// Docker Hub short names (`nginx`, `library/nginx`).
    pub registry: Option<&'a str>,
    /// Repository path without the registry.
    pub repository: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    pub fn parse(image: &'a str) -> Self {
        let (rest, digest) = match image.split_once('@') {
            Some((r, d)) => (r, Some(d)),
            None => (image, None),
        };
        // A tag is after the last ':' that comes after the last '/'; a ':'
        // before it belongs to a registry port.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
            None => (rest, None),
        };
        let (registry, repository) = match name.split_once('/') {
            Some((first, path))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (Some(first), path)
            }
            _ => (None, name),
        };
        Self {
            registry,
            repository,
            tag: tag.filter(|t| !t.is_empty()),
            digest,
        }
    }

    /// `registry/repository`, with Docker Hub spelled out as `docker.io` so that
    /// registry prefixes compare equal whatever the short form.
    pub fn qualified_name(&self) -> String {
        match self.registry {
            Some(registry) => format!("{registry}/{}", self.repository),
            None => format!("docker.io/{}", self.repository),
        }
    }
}

/// Whether `image` comes from one of the registries (prefixes such as
/// `gcr.io`, `docker.io/library`, `registry.example.com/team/`), comparing the
/// fully qualified reference. A prefix ends at a path boundary: `gcr.io` does
/// not match `gcr.io.evil.com/x` nor `gcr.io:5000/x` (another host or port).
pub(crate) fn from_registry<'r>(image: &str, registries: &'r [String]) -> Option<&'r str> {
    let qualified = ImageRef::parse(image).qualified_name();
    registries
        .iter()
        .map(String::as_str)
        .filter(|r| !r.is_empty())
        .find(|r| has_prefix(&qualified, r) || has_prefix(image, r))
}

/// Whether `text` starts with `prefix` followed by a path boundary: the end,
/// a `/`, or (after a repository path, not a bare host) a tag or digest.
fn has_prefix(text: &str, prefix: &str) -> bool {
    let Some(rest) = text.strip_prefix(prefix) else {
        return false;
    };
    prefix.ends_with('/')
        || rest.is_empty()
        || rest.starts_with('/')
        || (prefix.contains('/') && rest.starts_with([':', '@']))
}

/// A resource quantity (`500m`, `1.5`, `128Mi`, `1G`, `2e3`) in base units;
/// surrounding spaces are ignored.
pub(crate) fn parse_quantity(text: &str) -> Option<f64> {
    vigie_resource::parse_quantity(text.trim())
}

/// A quantity written as a string or a bare number.
pub(crate) fn quantity_of(node: &Node) -> Option<f64> {
    match node.as_str() {
        Some(s) => parse_quantity(s),
        None => parse_quantity(&node.display_value()),
    }
}

pub(crate) use crate::controls::common::WORKLOAD_KINDS;

/// Cluster-scope pattern of "workload mounts an object of the input": flags each
/// container mount of a volume whose `volume_key.name_key` names an object of
/// `kind` in the workload's namespace.
pub(crate) fn mounted_objects(
    inventory: &Inventory<'_>,
    out: &mut ClusterOutcome,
    kind: &'static str,
    (volume_key, name_key): (&str, &str),
) {
    // An object without a namespace lands in the deploying context's namespace,
    // `default` unless told otherwise.
    let namespace = |r: &Resource| r.namespace.clone().unwrap_or_else(|| "default".to_string());
    let present: std::collections::HashSet<(String, &str)> = inventory
        .of_kind(std::slice::from_ref(&kind))
        .map(|(_, r)| (namespace(r), r.name.as_str()))
        .collect();
    for (i, resource) in inventory.of_kind(WORKLOAD_KINDS) {
        out.evaluated.push(i);
        let Some(pod) = workload_pod(resource) else {
            continue;
        };
        for volume in volumes(&pod) {
            let Some(target) = volume
                .node
                .get_path(&[volume_key, name_key])
                .and_then(Node::as_str)
            else {
                continue;
            };
            if !present.contains(&(namespace(resource), target)) {
                continue;
            }
            for mount in mounts_of(&pod, volume.name) {
                out.violations.push((
                    i,
                    Violation::new(
                        pod.container_path(
                            &mount.container,
                            &format!("volumeMounts[{}]", mount.index),
                        ),
                        key_pos(mount.node, "name"),
                        format!(
                            "{} mounts {kind} {target} (volume \"{}\")",
                            crate::pod::describe_container(&mount.container),
                            volume.name
                        ),
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_prefixes_end_at_a_path_boundary() {
        let allowed =
            |image: &str, prefix: &str| from_registry(image, &[prefix.to_string()]).is_some();
        assert!(allowed("gcr.io/project/app:1", "gcr.io"));
        assert!(!allowed("gcr.io:5000/project/app:1", "gcr.io"));
        assert!(!allowed("gcr.io.evil.com/project/app:1", "gcr.io"));
        assert!(!allowed("gcrXio/project/app:1", "gcr.io"));
        assert!(allowed("python:3.11", "docker.io"));
        assert!(allowed(
            "docker.io/library/nginx:1",
            "docker.io/library/nginx"
        ));
        assert!(allowed(
            "registry.example.com/team/app",
            "registry.example.com/team/"
        ));
        assert!(!allowed(
            "registry.example.com/teamB/app",
            "registry.example.com/team"
        ));
    }

    #[test]
    fn image_references_split_like_runtimes() {
        let r = ImageRef::parse("registry.example.com:5000/team/app:1.0@sha256:abc");
        assert_eq!(r.registry, Some("registry.example.com:5000"));
        assert_eq!(r.repository, "team/app");
        assert_eq!(r.tag, Some("1.0"));
        assert_eq!(r.digest, Some("sha256:abc"));
        let r = ImageRef::parse("nginx");
        assert_eq!(r.qualified_name(), "docker.io/nginx");
        assert_eq!(r.tag, None);
        let r = ImageRef::parse("localhost:5000/app");
        assert_eq!(r.registry, Some("localhost:5000"));
        assert_eq!(r.tag, None);
    }

    #[test]
    fn quantities() {
        assert_eq!(parse_quantity("500m"), Some(0.5));
        assert_eq!(parse_quantity("2"), Some(2.0));
        assert_eq!(parse_quantity("128Mi"), Some(128.0 * 1024.0 * 1024.0));
        assert_eq!(parse_quantity("1e3"), Some(1000.0));
        assert_eq!(parse_quantity("lots"), None);
    }
}
