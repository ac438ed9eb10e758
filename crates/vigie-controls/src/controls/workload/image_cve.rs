//! Shared by the controls that flag a known-vulnerable release of a
//! well-known image: which image a container runs, and at which version.

use super::super::prelude::*;
use super::helpers::{image_of, ImageRef};
use crate::controls::common::workload_pod;

/// A release known to be vulnerable, and how to recognise it.
pub(crate) struct VulnerableImage {
    /// The CVE, for messages.
    pub cve: &'static str,
    /// Last components of the repository path that name the product
    /// (`argocd` matches `quay.io/argoproj/argocd`).
    pub repositories: &'static [&'static str],
    /// Whether a `[major, minor, patch]` release is vulnerable.
    pub vulnerable: fn([u64; 3]) -> bool,
    /// The releases that fix it, for messages.
    pub fixed_in: &'static str,
}

/// `[major, minor, patch]` of a tag such as `v2.1.7`, `9.2.3-ubuntu` or `1.8`
/// (a missing part reads as 0); `None` for tags that are not versions
/// (`latest`, `main`), which say nothing about the release.
pub(crate) fn tag_version(tag: &str) -> Option<[u64; 3]> {
    let tag = tag.strip_prefix(['v', 'V']).unwrap_or(tag);
    let numeric = tag.split(['-', '+']).next()?;
    let mut parts = numeric.split('.').map(str::parse::<u64>);
    let major = parts.next()?.ok()?;
    let minor = parts.next().unwrap_or(Ok(0)).ok()?;
    let patch = parts.next().unwrap_or(Ok(0)).ok()?;
    Some([major, minor, patch])
}

/// Flags each container of the workload that runs a vulnerable release.
pub(crate) fn flag_vulnerable_images(
    resource: &Resource,
    known: &VulnerableImage,
    out: &mut Vec<Violation>,
) {
    let Some(pod) = workload_pod(resource) else {
        return;
    };
    for container in pod.containers() {
        let Some(image) = image_of(&container) else {
            continue;
        };
        let reference = ImageRef::parse(image);
        let product = reference.repository.rsplit('/').next().unwrap_or("");
        if !known.repositories.contains(&product) {
            continue;
        }
        let Some(version) = reference.tag.and_then(tag_version) else {
            continue;
        };
        if (known.vulnerable)(version) {
            out.push(Violation::new(
                pod.container_path(&container, "image"),
                key_pos(container.node, "image"),
                format!(
                    "{} runs {image}, vulnerable to {} (fixed in {})",
                    describe_container(&container),
                    known.cve,
                    known.fixed_in
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::tag_version;

    #[test]
    fn tags_read_as_versions() {
        assert_eq!(tag_version("v2.1.7"), Some([2, 1, 7]));
        assert_eq!(tag_version("9.2.3-ubuntu"), Some([9, 2, 3]));
        assert_eq!(tag_version("1.8"), Some([1, 8, 0]));
        assert_eq!(tag_version("latest"), None);
    }
}
