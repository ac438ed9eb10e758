//! The controls that flag a known-vulnerable release of a well-known image:
//! each differs from the others only in the image, the releases and its text.
//! They are one table rather than one file each; each control's documentation
//! is the Markdown file `image_cve/<name>.md`.

use super::super::prelude::*;
use super::helpers::{image_of, ImageRef};
use crate::controls::common::{is_workload, workload_pod};

/// One control of the table: its description, and the release it flags.
struct ImageCve {
    about: Described,
    image: VulnerableImage,
}

/// A release known to be vulnerable, and how to recognise it.
struct VulnerableImage {
    /// The CVE, for messages.
    cve: &'static str,
    /// Last components of the repository path that name the product
    /// (`argocd` matches `quay.io/argoproj/argocd`).
    repositories: &'static [&'static str],
    /// Whether a `[major, minor, patch]` release is vulnerable.
    vulnerable: fn([u64; 3]) -> bool,
    /// The releases that fix it, for messages.
    fixed_in: &'static str,
}

const TABLE: [ImageCve; 3] = [
    ImageCve {
        about: Described {
            id: "VG-W055",
            title: "Argo CD exposed to CVE-2022-24348 (path traversal)",
            severity: Severity::High,
            refs: Refs {
                kubescape: &["C-0081"],
                cis: &[],
                nsa: &[],
                mitre: &["T1190"],
            },
            remediation: "Upgrade Argo CD to 2.1.9, 2.2.4, 2.3.0 or later.",
            doc: include_str!("image_cve/argocd.md"),
        },
        image: VulnerableImage {
            cve: "CVE-2022-24348",
            repositories: &["argocd"],
            vulnerable: |[major, minor, patch]| match (major, minor) {
                (0 | 1, _) => true,
                (2, 0) => true,
                (2, 1) => patch < 9,
                (2, 2) => patch < 4,
                _ => false,
            },
            fixed_in: "2.1.9, 2.2.4, 2.3.0",
        },
    },
    ImageCve {
        about: Described {
            id: "VG-W056",
            title: "Grafana exposed to CVE-2022-39328 (authentication bypass)",
            severity: Severity::Critical,
            refs: Refs {
                kubescape: &["C-0090"],
                cis: &[],
                nsa: &[],
                mitre: &["T1190"],
            },
            remediation: "Upgrade Grafana to 9.2.4 or later.",
            doc: include_str!("image_cve/grafana.md"),
        },
        image: VulnerableImage {
            cve: "CVE-2022-39328",
            repositories: &["grafana", "grafana-enterprise"],
            vulnerable: |[major, minor, patch]| major == 9 && minor == 2 && patch < 4,
            fixed_in: "9.2.4",
        },
    },
    ImageCve {
        about: Described {
            id: "VG-W057",
            title: "Kyverno exposed to CVE-2022-47633 (signature bypass)",
            severity: Severity::High,
            refs: Refs {
                kubescape: &["C-0091"],
                cis: &[],
                nsa: &[],
                mitre: &["T1525"],
            },
            remediation: "Upgrade Kyverno to 1.8.5 or later.",
            doc: include_str!("image_cve/kyverno.md"),
        },
        image: VulnerableImage {
            cve: "CVE-2022-47633",
            repositories: &["kyverno"],
            vulnerable: |[major, minor, patch]| {
                major == 1 && minor == 8 && (3..=4).contains(&patch)
            },
            fixed_in: "1.8.5",
        },
    },
];

/// The controls of the table, in ID order.
pub(crate) static CONTROLS: [Control; TABLE.len()] = rows!(control; 0 1 2);

/// The control of row `ROW`.
const fn control<const ROW: usize>() -> Control {
    TABLE[ROW].about.control(Evaluator::Object {
        applies: is_workload,
        evaluate: evaluate::<ROW>,
    })
}

fn evaluate<const ROW: usize>(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    flag_vulnerable_images(resource, &TABLE[ROW].image, out);
}

/// `[major, minor, patch]` of a tag such as `v2.1.7`, `9.2.3-ubuntu` or `1.8`
/// (a missing part reads as 0); `None` for tags that are not versions
/// (`latest`, `main`), which say nothing about the release.
fn tag_version(tag: &str) -> Option<[u64; 3]> {
    let tag = tag.strip_prefix(['v', 'V']).unwrap_or(tag);
    let numeric = tag.split(['-', '+']).next()?;
    let mut parts = numeric.split('.').map(str::parse::<u64>);
    let major = parts.next()?.ok()?;
    let minor = parts.next().unwrap_or(Ok(0)).ok()?;
    let patch = parts.next().unwrap_or(Ok(0)).ok()?;
    Some([major, minor, patch])
}

/// Flags each container of the workload that runs a vulnerable release.
fn flag_vulnerable_images(resource: &Resource, known: &VulnerableImage, out: &mut Vec<Violation>) {
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
