//! The PodSecurityPolicy controls: each flags the policies that grant one
//! permission, and they differ only in which field grants it and in their text.
//! They are one table rather than one file each; each control's documentation
//! is the Markdown file `psp/<name>.md`.
//!
//! A restrictive policy elsewhere does not make a permissive one harmless:
//! policies are authorised per service account (RBAC `use`), and a pod may use
//! any policy its service account or creator is allowed. So each policy is
//! judged alone.

use super::super::prelude::*;
use vigie_resource::Pos;

/// One control of the table: its description, and how a policy grants the
/// permission it reports.
struct PspControl {
    about: Described,
    grants: Grants,
}

/// How a policy's `spec` grants a permission.
enum Grants {
    /// A boolean field that allows `.1` when `true`.
    Flag(&'static str, &'static str),
    /// A rule of its own: where the policy grants, and the message.
    Other(fn(&Node) -> Option<(String, Pos, String)>),
}

/// Cross-references every PSP control shares.
const NSA: &[&str] = &["Pod security"];
const ESCAPE: &[&str] = &["T1611"];

const TABLE: [PspControl; 8] = [
    PspControl {
        about: Described {
            id: "VG-W040",
            title: "PodSecurityPolicy allows the host network",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0216"],
                cis: &["5.2.5"],
                nsa: NSA,
                mitre: ESCAPE,
            },
            remediation: "Set hostNetwork: false in the PodSecurityPolicy used by ordinary workloads, or move to Pod Security Admission.",
            doc: include_str!("psp/host_network.md"),
        },
        grants: Grants::Flag("hostNetwork", "hostNetwork"),
    },
    PspControl {
        about: Described {
            id: "VG-W041",
            title: "PodSecurityPolicy allows the host PID namespace",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0214"],
                cis: &["5.2.3"],
                nsa: NSA,
                mitre: ESCAPE,
            },
            remediation: "Set hostPID: false in the PodSecurityPolicy used by ordinary workloads, or move to Pod Security Admission.",
            doc: include_str!("psp/host_pid.md"),
        },
        grants: Grants::Flag("hostPID", "hostPID"),
    },
    PspControl {
        about: Described {
            id: "VG-W042",
            title: "PodSecurityPolicy allows privilege escalation",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0217"],
                cis: &["5.2.6"],
                nsa: NSA,
                mitre: &["T1548.001"],
            },
            remediation: "Set allowPrivilegeEscalation: false in the PodSecurityPolicy used by ordinary workloads, or move to Pod Security Admission.",
            doc: include_str!("psp/privilege_escalation.md"),
        },
        grants: Grants::Flag("allowPrivilegeEscalation", "privilege escalation"),
    },
    PspControl {
        about: Described {
            id: "VG-W043",
            title: "PodSecurityPolicy admits root containers",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0218"],
                cis: &["5.2.7"],
                nsa: NSA,
                mitre: ESCAPE,
            },
            remediation: "Set runAsUser.rule: MustRunAsNonRoot in the PodSecurityPolicy used by ordinary workloads, or move to Pod Security Admission.",
            doc: include_str!("psp/root_user.md"),
        },
        grants: Grants::Other(admits_root),
    },
    PspControl {
        about: Described {
            id: "VG-W044",
            title: "PodSecurityPolicy allows added capabilities",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0219"],
                cis: &["5.2.9"],
                nsa: NSA,
                mitre: ESCAPE,
            },
            remediation: "Empty allowedCapabilities in the PodSecurityPolicy used by ordinary workloads, or move to Pod Security Admission.",
            doc: include_str!("psp/allowed_capabilities.md"),
        },
        grants: Grants::Other(allows_capabilities),
    },
    PspControl {
        about: Described {
            id: "VG-W045",
            title: "PodSecurityPolicy leaves default capabilities",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0220"],
                cis: &["5.2.10"],
                nsa: NSA,
                mitre: ESCAPE,
            },
            remediation: "Set requiredDropCapabilities: [ALL] in the PodSecurityPolicy used by ordinary workloads, or move to Pod Security Admission.",
            doc: include_str!("psp/required_drop.md"),
        },
        grants: Grants::Other(requires_no_drop),
    },
    PspControl {
        about: Described {
            id: "VG-W058",
            title: "PodSecurityPolicy allows the host IPC namespace",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0215"],
                cis: &["5.2.4"],
                nsa: NSA,
                mitre: ESCAPE,
            },
            remediation: "Set hostIPC: false in the PodSecurityPolicy used by ordinary workloads, or move to Pod Security Admission.",
            doc: include_str!("psp/host_ipc.md"),
        },
        grants: Grants::Flag("hostIPC", "hostIPC"),
    },
    PspControl {
        about: Described {
            id: "VG-W059",
            title: "PodSecurityPolicy allows privileged containers",
            severity: Severity::High,
            refs: Refs {
                kubescape: &["C-0213"],
                cis: &["5.2.1"],
                nsa: NSA,
                mitre: ESCAPE,
            },
            remediation: "Set privileged: false in the PodSecurityPolicy used by ordinary workloads, or move to Pod Security Admission.",
            doc: include_str!("psp/privileged.md"),
        },
        grants: Grants::Flag("privileged", "privileged containers"),
    },
];

/// The controls of the table, in table order.
pub(crate) static CONTROLS: [Control; TABLE.len()] = rows!(control; 0 1 2 3 4 5 6 7);

/// The control of row `ROW`.
const fn control<const ROW: usize>() -> Control {
    TABLE[ROW].about.control(Evaluator::Object {
        applies: is_psp,
        evaluate: evaluate::<ROW>,
    })
}

fn is_psp(resource: &Resource) -> bool {
    resource.kind == "PodSecurityPolicy"
}

fn evaluate<const ROW: usize>(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    let spec = resource.root.get("spec").unwrap_or(Node::null());
    let granted = match TABLE[ROW].grants {
        Grants::Flag(key, what) => flag_allowed(spec, key, what),
        Grants::Other(grants) => grants(spec),
    };
    if let Some((path, pos, message)) = granted {
        out.push(Violation::new(path, pos, message));
    }
}

/// A boolean field that allows `what` when `true`.
fn flag_allowed(spec: &Node, key: &str, what: &str) -> Option<(String, Pos, String)> {
    spec.get(key)?.is_true().then(|| {
        let (path, pos) = field(spec, key);
        (path, pos, format!("the policy allows {what}"))
    })
}

/// Where to point at a field, or at `spec` itself when it is missing.
fn field(spec: &Node, key: &str) -> (String, Pos) {
    (format!("spec.{key}"), key_pos(spec, key))
}

/// `allowedCapabilities` lists any capability.
fn allows_capabilities(spec: &Node) -> Option<(String, Pos, String)> {
    let allowed = spec.get("allowedCapabilities")?;
    (!allowed.items().is_empty()).then(|| {
        let (path, pos) = field(spec, "allowedCapabilities");
        (
            path,
            pos,
            format!(
                "the policy allows adding capabilities {}",
                allowed.display_value()
            ),
        )
    })
}

/// `requiredDropCapabilities` is missing or empty.
fn requires_no_drop(spec: &Node) -> Option<(String, Pos, String)> {
    let required = list_of(spec, "requiredDropCapabilities");
    required.is_empty().then(|| {
        let (path, pos) = field(spec, "requiredDropCapabilities");
        (
            path,
            pos,
            "the policy requires dropping no capability".to_string(),
        )
    })
}

/// The `runAsUser` rule lets a container run as UID 0: anything but
/// `MustRunAsNonRoot`, or `MustRunAs` with ranges that all start above 0.
fn admits_root(spec: &Node) -> Option<(String, Pos, String)> {
    let run_as_user = spec.get("runAsUser");
    let rule = run_as_user
        .and_then(|r| r.get("rule"))
        .and_then(Node::as_str);
    let refuses_root = match rule {
        Some("MustRunAsNonRoot") => true,
        Some("MustRunAs") => {
            let ranges = run_as_user
                .and_then(|r| r.get("ranges"))
                .map(Node::items)
                .unwrap_or(&[]);
            !ranges.is_empty()
                && ranges
                    .iter()
                    .all(|r| r.get("min").and_then(Node::as_i64).is_some_and(|m| m > 0))
        }
        _ => false,
    };
    if refuses_root {
        return None;
    }
    let (path, pos) = match run_as_user {
        Some(r) => ("spec.runAsUser.rule".to_string(), key_pos(r, "rule")),
        None => field(spec, "runAsUser"),
    };
    Some((
        path,
        pos,
        format!(
            "the policy admits root containers (runAsUser rule {})",
            rule.unwrap_or("unset")
        ),
    ))
}
