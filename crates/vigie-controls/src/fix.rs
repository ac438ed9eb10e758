//! What each check can repair by itself: its automatic fix, as edits of the object.
//!
//! A fix is declared per check ID (posture controls and Pod Security checks alike)
//! and works from a violation's field path: the checks already point at the field
//! to change (`spec.containers[0].securityContext.allowPrivilegeEscalation`), or at
//! the parent a missing list lives in. Only fixes that cannot change what the
//! workload is meant to do beyond the hardening asked for are declared: values
//! with no safe default (a user ID, resource limits, probes) are left to people.
//! Applying the edits to text is `vigie-fix`'s job.

use std::collections::HashMap;
use std::fmt;

use vigie_resource::{Node, Resource};

use crate::control::Control;
use crate::pss;

/// One step of a field path: a mapping key or a list index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// A key of a mapping.
    Key(String),
    /// An index in a list.
    Index(usize),
}

/// A field of an object, from its root: `spec.containers[0].securityContext`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldPath(pub Vec<Segment>);

impl FieldPath {
    /// Reads the dotted form findings use; `[name]` that is not a number is a key
    /// (`metadata.labels[app.kubernetes.io/name]`).
    pub fn parse(text: &str) -> Option<FieldPath> {
        let mut segments = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            if let Some(inner) = rest.strip_prefix('[') {
                let end = inner.find(']')?;
                let inside = &inner[..end];
                segments.push(match inside.parse::<usize>() {
                    Ok(index) => Segment::Index(index),
                    Err(_) => Segment::Key(inside.to_string()),
                });
                rest = &inner[end + 1..];
            } else {
                let rest_trimmed = rest.strip_prefix('.').unwrap_or(rest);
                let end = rest_trimmed.find(['.', '[']).unwrap_or(rest_trimmed.len());
                if end == 0 {
                    return None;
                }
                segments.push(Segment::Key(rest_trimmed[..end].to_string()));
                rest = &rest_trimmed[end..];
            }
        }
        Some(FieldPath(segments))
    }

    /// The path with `key` added at the end.
    pub fn child(&self, key: &str) -> FieldPath {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(key.to_string()));
        FieldPath(segments)
    }

    /// The path without its last step.
    pub fn parent(&self) -> FieldPath {
        FieldPath(self.0[..self.0.len().saturating_sub(1)].to_vec())
    }

    /// The last step, when it is a key.
    pub fn last_key(&self) -> Option<&str> {
        match self.0.last() {
            Some(Segment::Key(key)) => Some(key),
            _ => None,
        }
    }

    /// The node at this path in `root`, if every step is there (null counts as absent).
    pub fn lookup<'a>(&self, root: &'a Node) -> Option<&'a Node> {
        self.0.iter().try_fold(root, |node, segment| match segment {
            Segment::Key(key) => node.get(key),
            Segment::Index(index) => node.as_seq()?.get(*index),
        })
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => write!(f, "{key}")?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// A scalar a fix writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FixValue {
    /// `true` or `false`.
    Bool(bool),
    /// A string.
    String(String),
}

/// One change to an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Edit {
    /// Set the field to the value, creating the mappings on the way when absent or null.
    Set {
        /// The field, from the object root.
        path: FieldPath,
        /// Its new value.
        value: FixValue,
    },
    /// Add the value to the list at the path unless it holds it already; create the
    /// list (and the mappings on the way) when absent.
    AddItem {
        /// The list, from the object root.
        path: FieldPath,
        /// The item to add.
        value: FixValue,
    },
}

impl Edit {
    /// The field the edit changes.
    pub fn path(&self) -> &FieldPath {
        match self {
            Edit::Set { path, .. } | Edit::AddItem { path, .. } => path,
        }
    }
}

/// What a fix may use beyond the object: knowledge given on the command line.
#[derive(Clone, Debug, Default)]
pub struct FixContext {
    /// Image reference as written in manifests -> digest (`sha256:...`), from the
    /// file `vigie fix --image-digests` names.
    pub image_digests: HashMap<String, String>,
}

/// How a check's findings are fixed.
#[derive(Clone, Copy, Debug)]
enum How {
    /// The violation points at `field`: set it to `value`.
    SetField { field: &'static str, value: bool },
    /// The violation points at `hostNetwork`, `hostPID` or `hostIPC`: set it to `false`.
    HostNamespaceOff,
    /// `runAsNonRoot: true` where the violation points at it, unless the same
    /// securityContext (or the pod's) runs as user 0: both together would stop the
    /// container from starting.
    RunAsNonRoot,
    /// The violation points at `seccompProfile` or its `type`: `type: RuntimeDefault`.
    SeccompRuntimeDefault,
    /// The violation points at `capabilities` or `capabilities.drop`: add `ALL`
    /// to `drop` (the runtime adds `add` back after dropping).
    DropAll,
    /// The violation points at a container's `image`: append the digest the
    /// context knows for it.
    PinImage,
    /// The violation points at the pod spec's absent `automountServiceAccountToken`:
    /// set it to `false` when no container mounts the token and no volume projects one.
    NoTokenMount,
}

/// A check's automatic fix.
#[derive(Debug)]
pub struct Fix {
    /// What the fix does, for `vigie controls explain`.
    pub summary: &'static str,
    how: How,
}

impl Fix {
    /// The edits that remove a violation at `violation_path` of `resource`, or
    /// `None` when this violation has no safe mechanical fix.
    pub fn edits(
        &self,
        resource: &Resource,
        violation_path: &str,
        context: &FixContext,
    ) -> Option<Vec<Edit>> {
        let path = FieldPath::parse(violation_path)?;
        let last = path.last_key()?;
        let set = |path: FieldPath, value: FixValue| Some(vec![Edit::Set { path, value }]);
        match self.how {
            How::SetField { field, value } if last == field => set(path, FixValue::Bool(value)),
            How::SetField { .. } => None,
            How::HostNamespaceOff if HOST_NAMESPACES.contains(&last) => {
                set(path, FixValue::Bool(false))
            }
            How::HostNamespaceOff => None,
            How::RunAsNonRoot if last == "runAsNonRoot" => {
                let runs_as_root = |context: &FieldPath| {
                    context
                        .child("runAsUser")
                        .lookup(&resource.root)
                        .and_then(Node::as_i64)
                        == Some(0)
                };
                let security_context = path.parent();
                let pod_context = pod_security_context(&path);
                if runs_as_root(&security_context) || pod_context.as_ref().is_some_and(runs_as_root)
                {
                    return None;
                }
                set(path, FixValue::Bool(true))
            }
            How::RunAsNonRoot => None,
            How::SeccompRuntimeDefault => {
                let path = match last {
                    "seccompProfile" => path.child("type"),
                    "type" if path.parent().last_key() == Some("seccompProfile") => path,
                    _ => return None,
                };
                // A Localhost profile is someone's choice of a stricter profile: left to them.
                let current = path.lookup(&resource.root).and_then(Node::as_str);
                if current == Some("Localhost") {
                    return None;
                }
                set(path, FixValue::String("RuntimeDefault".into()))
            }
            How::DropAll => {
                let capabilities = match last {
                    "capabilities" => path,
                    "drop" if path.parent().last_key() == Some("capabilities") => path.parent(),
                    _ => return None,
                };
                Some(vec![Edit::AddItem {
                    path: capabilities.child("drop"),
                    value: FixValue::String("ALL".into()),
                }])
            }
            How::PinImage if last == "image" => {
                let image = path.lookup(&resource.root)?.as_str()?;
                if image.contains('@') {
                    return None;
                }
                let digest = context.image_digests.get(image)?;
                set(path, FixValue::String(format!("{image}@{digest}")))
            }
            How::PinImage => None,
            How::NoTokenMount if last == "automountServiceAccountToken" => {
                let spec = path.parent().lookup(&resource.root)?;
                if spec.get("automountServiceAccountToken").is_some() || uses_token(spec) {
                    return None;
                }
                set(path, FixValue::Bool(false))
            }
            How::NoTokenMount => None,
        }
    }
}

/// `<pod spec>.securityContext` for a path inside a container of that pod spec.
fn pod_security_context(path: &FieldPath) -> Option<FieldPath> {
    let at = path.0.iter().position(|s| {
        matches!(s, Segment::Key(k) if k == "containers" || k == "initContainers" || k == "ephemeralContainers")
    })?;
    Some(FieldPath(path.0[..at].to_vec()).child("securityContext"))
}

/// Where Kubernetes mounts a service account token in containers.
const TOKEN_DIRECTORY: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// Whether a pod spec shows a use of its service account token: a container
/// mounting something at the token's directory, or a projected token volume.
fn uses_token(spec: &Node) -> bool {
    let mounts_token = vigie_resource::containers(spec).any(|c| {
        c.node.get("volumeMounts").is_some_and(|mounts| {
            mounts.items().iter().any(|m| {
                m.get("mountPath")
                    .and_then(Node::as_str)
                    .is_some_and(|p| p.trim_end_matches('/').starts_with(TOKEN_DIRECTORY))
            })
        })
    });
    let projects_token = spec.get("volumes").is_some_and(|volumes| {
        volumes.items().iter().any(|v| {
            v.get_path(&["projected", "sources"])
                .is_some_and(|sources| {
                    sources
                        .items()
                        .iter()
                        .any(|s| s.get("serviceAccountToken").is_some())
                })
        })
    });
    mounts_token || projects_token
}

/// Check IDs and their fixes. New checks with a fix add a line here.
static FIXES: &[(&[&str], Fix)] = &[
    (
        &["PSS-R02", "VG-W008", "VG-W042"],
        Fix {
            summary: "sets securityContext.allowPrivilegeEscalation: false",
            how: How::SetField {
                field: "allowPrivilegeEscalation",
                value: false,
            },
        },
    ),
    (
        &["PSS-B02", "VG-W001"],
        Fix {
            summary: "sets securityContext.privileged: false",
            how: How::SetField {
                field: "privileged",
                value: false,
            },
        },
    ),
    (
        &["VG-W010"],
        Fix {
            summary: "sets securityContext.readOnlyRootFilesystem: true",
            how: How::SetField {
                field: "readOnlyRootFilesystem",
                value: true,
            },
        },
    ),
    (
        &["VG-W004"],
        Fix {
            summary: "sets readOnly: true on the volume mount of the host path",
            how: How::SetField {
                field: "readOnly",
                value: true,
            },
        },
    ),
    (
        &["PSS-B01", "VG-W002", "VG-W040", "VG-W041"],
        Fix {
            summary: "turns hostNetwork, hostPID and hostIPC off (false)",
            how: How::HostNamespaceOff,
        },
    ),
    (
        &["PSS-R03", "VG-W009"],
        Fix {
            summary: "sets securityContext.runAsNonRoot: true (not where runAsUser is 0; runAsUser and runAsGroup values are left to you)",
            how: How::RunAsNonRoot,
        },
    ),
    (
        &["PSS-B09", "PSS-R05", "VG-W012", "VG-W013", "VG-W014"],
        Fix {
            summary: "sets securityContext.seccompProfile.type: RuntimeDefault (Localhost profiles are left to you)",
            how: How::SeccompRuntimeDefault,
        },
    ),
    (
        &["PSS-R06", "VG-W011"],
        Fix {
            summary: "adds ALL to securityContext.capabilities.drop (added capabilities are left to you)",
            how: How::DropAll,
        },
    ),
    (
        &["VG-W028"],
        Fix {
            summary: "pins the image to the digest given by `vigie fix --image-digests FILE`",
            how: How::PinImage,
        },
    ),
    (
        &["VG-R020"],
        Fix {
            summary: "sets automountServiceAccountToken: false in the pod spec when no container mounts the token and no volume projects one",
            how: How::NoTokenMount,
        },
    ),
];

/// The host namespace fields the host-namespace fix turns off.
const HOST_NAMESPACES: [&str; 3] = ["hostNetwork", "hostPID", "hostIPC"];

/// Every automatic fix, with the IDs of the checks it fixes.
pub fn all_fixes() -> impl Iterator<Item = (&'static [&'static str], &'static Fix)> {
    FIXES.iter().map(|(ids, fix)| (*ids, fix))
}

/// The table of automatic fixes in docs/fix.md, generated so that it is never
/// written twice.
pub fn reference_table() -> String {
    let mut out =
        String::from("| Checks | What `vigie fix` does |\n|--------|-----------------------|\n");
    for (ids, fix) in all_fixes() {
        out.push_str(&format!("| {} | {} |\n", ids.join(", "), fix.summary));
    }
    out
}

/// The automatic fix of a check (posture control or Pod Security check), by ID.
pub fn fix_for(check_id: &str) -> Option<&'static Fix> {
    FIXES
        .iter()
        .find(|(ids, _)| ids.iter().any(|id| id.eq_ignore_ascii_case(check_id)))
        .map(|(_, fix)| fix)
}

/// The edits that remove a violation of check `check_id`, if it has a fix that
/// applies to this violation.
pub fn edits_for(
    check_id: &str,
    resource: &Resource,
    violation_path: &str,
    context: &FixContext,
) -> Option<Vec<Edit>> {
    fix_for(check_id)?.edits(resource, violation_path, context)
}

impl Control {
    /// The control's automatic fix (`vigie fix`), if it has one.
    pub fn fix(&self) -> Option<&'static Fix> {
        fix_for(self.id)
    }
}

impl pss::Check {
    /// The check's automatic fix (`vigie fix`), if it has one.
    pub fn fix(&self) -> Option<&'static Fix> {
        fix_for(self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controls::common::resources;

    fn edits(check: &str, text: &str, path: &str) -> Option<Vec<Edit>> {
        let resource = resources(text).remove(0);
        let mut context = FixContext::default();
        context
            .image_digests
            .insert("redis:7.4".into(), format!("sha256:{}", "a".repeat(64)));
        edits_for(check, &resource, path, &context)
    }

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  securityContext: {runAsUser: 0}\n  containers:\n  - name: a\n    image: redis:7.4\n";

    #[test]
    fn paths_read_keys_and_indices() {
        let path = FieldPath::parse("spec.containers[0].securityContext").unwrap();
        assert_eq!(path.to_string(), "spec.containers[0].securityContext");
        let labels = FieldPath::parse("metadata.labels[app.kubernetes.io/name]").unwrap();
        assert_eq!(labels.last_key(), Some("app.kubernetes.io/name"));
    }

    #[test]
    fn fields_are_set_where_the_violation_points() {
        let got = edits(
            "PSS-R02",
            POD,
            "spec.containers[0].securityContext.allowPrivilegeEscalation",
        );
        assert_eq!(
            got,
            Some(vec![Edit::Set {
                path: FieldPath::parse(
                    "spec.containers[0].securityContext.allowPrivilegeEscalation"
                )
                .unwrap(),
                value: FixValue::Bool(false),
            }])
        );
        // Pointing elsewhere (an added capability): no fix.
        assert!(edits(
            "PSS-R06",
            POD,
            "spec.containers[0].securityContext.capabilities.add[0]"
        )
        .is_none());
    }

    #[test]
    fn run_as_non_root_is_not_set_over_user_zero() {
        assert!(edits(
            "PSS-R03",
            POD,
            "spec.containers[0].securityContext.runAsNonRoot"
        )
        .is_none());
    }

    #[test]
    fn localhost_seccomp_profiles_are_left_alone() {
        let text = POD.replace(
            "    image: redis:7.4\n",
            "    image: redis:7.4\n    securityContext: {seccompProfile: {type: Localhost}}\n",
        );
        let path = "spec.containers[0].securityContext.seccompProfile.type";
        assert!(edits("VG-W014", &text, path).is_none());
        let unconfined = text.replace("Localhost", "Unconfined");
        assert!(edits("VG-W014", &unconfined, path).is_some());
    }

    #[test]
    fn images_are_pinned_only_with_a_known_digest() {
        let got = edits("VG-W028", POD, "spec.containers[0].image").unwrap();
        assert!(
            matches!(&got[0], Edit::Set { value: FixValue::String(s), .. } if s.starts_with("redis:7.4@sha256:"))
        );
        let other = POD.replace("redis:7.4", "nginx:1");
        assert!(edits("VG-W028", &other, "spec.containers[0].image").is_none());
    }

    #[test]
    fn the_token_is_kept_where_a_container_mounts_it() {
        let used = format!("{POD}    volumeMounts: [{{name: t, mountPath: {TOKEN_DIRECTORY}}}]\n");
        assert!(edits("VG-R020", &used, "spec.automountServiceAccountToken").is_none());
        assert!(edits("VG-R020", POD, "spec.automountServiceAccountToken").is_some());
    }

    #[test]
    fn checks_without_a_fix_say_so() {
        assert!(fix_for("VG-W024").is_none());
        assert!(crate::controls::find("VG-W008").unwrap().fix().is_some());
    }
}
