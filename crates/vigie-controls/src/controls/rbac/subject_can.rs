//! The "subject can X" controls: each flags the subjects a binding lets do one
//! dangerous thing, and differs from the others only in which rules grant that
//! thing and in its text. They are one table rather than one file each, so that
//! the predicate of every control can be read and compared at a glance; each
//! control's documentation is the Markdown file `subject_can/<name>.md`.
//!
//! A control that needs more than "some rule allows these verbs on these
//! resources" (resource names, subjects, several rules together) keeps a file
//! of its own, like `modify_coredns.rs`.

use super::super::prelude::*;
use super::model::{report_grants, rule_allows, RBAC_KINDS};

/// One control of the table: its description, and what grants the power it
/// reports.
struct SubjectCan {
    about: Described,
    /// What the subject can do, as the finding says it: "<subject> can <what>
    /// through <role>".
    what: &'static str,
    /// A role grants the power when one of its rules allows any of these.
    grants: &'static [Allows],
}

/// Some verbs on some resources of some API groups (wildcards in the rule
/// included, as [`rule_allows`] reads them).
struct Allows {
    groups: &'static [&'static str],
    resources: &'static [&'static str],
    verbs: &'static [&'static str],
}

const AUTHZ: &[&str] = &["Authentication and authorization"];

const TABLE: [SubjectCan; 13] = [
    SubjectCan {
        about: Described {
            id: "VG-R002",
            title: "Subject can read Secrets",
            severity: Severity::High,
            refs: Refs {
                kubescape: &["C-0015", "C-0186"],
                cis: &["5.1.2"],
                nsa: AUTHZ,
                mitre: &["T1552.007"],
            },
            remediation: "Remove get, list and watch on secrets from the role, or restrict it to named Secrets with resourceNames.",
            doc: include_str!("subject_can/read_secrets.md"),
        },
        what: "read Secrets",
        grants: &[Allows {
            groups: &[""],
            resources: &["secrets"],
            verbs: &["get", "list", "watch"],
        }],
    },
    SubjectCan {
        about: Described {
            id: "VG-R003",
            title: "Subject can proxy to the kubelet (nodes/proxy)",
            severity: Severity::High,
            refs: Refs {
                kubescape: &["C-0279"],
                cis: &["5.1.10"],
                nsa: AUTHZ,
                mitre: &["T1609"],
            },
            remediation:
                "Remove nodes/proxy from the role; use nodes/metrics or the metrics API for monitoring.",
            doc: include_str!("subject_can/node_proxy.md"),
        },
        what: "proxy requests to kubelets (nodes/proxy)",
        grants: &[Allows {
            groups: &[""],
            resources: &["nodes/proxy"],
            verbs: &["get", "create", "connect"],
        }],
    },
    SubjectCan {
        about: Described {
            id: "VG-R004",
            title: "Subject can approve certificate signing requests",
            severity: Severity::High,
            refs: Refs {
                kubescape: &["C-0280"],
                cis: &["5.1.11"],
                nsa: AUTHZ,
                mitre: &["T1649"],
            },
            remediation: "Remove update on certificatesigningrequests/approval from the role.",
            doc: include_str!("subject_can/approve_csr.md"),
        },
        what: "approve certificate signing requests",
        grants: &[Allows {
            groups: &["certificates.k8s.io"],
            resources: &["certificatesigningrequests/approval"],
            verbs: &["update"],
        }],
    },
    SubjectCan {
        about: Described {
            id: "VG-R005",
            title: "Subject can bind or escalate roles",
            severity: Severity::High,
            refs: Refs {
                kubescape: &["C-0191"],
                cis: &["5.1.8"],
                nsa: AUTHZ,
                mitre: &["T1098"],
            },
            remediation: "Remove the bind and escalate verbs on roles and clusterroles, or restrict bind with resourceNames.",
            doc: include_str!("subject_can/bind_escalate.md"),
        },
        what: "bind or escalate roles",
        grants: &[Allows {
            groups: &["rbac.authorization.k8s.io"],
            resources: &["roles", "clusterroles"],
            verbs: &["bind", "escalate"],
        }],
    },
    SubjectCan {
        about: Described {
            id: "VG-R006",
            title: "Subject can create PersistentVolumes",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0278"],
                cis: &["5.1.9"],
                nsa: AUTHZ,
                mitre: &["T1611"],
            },
            remediation:
                "Remove create on persistentvolumes; provision volumes through StorageClasses and claims.",
            doc: include_str!("subject_can/create_persistent_volumes.md"),
        },
        what: "create PersistentVolumes",
        grants: &[Allows {
            groups: &[""],
            resources: &["persistentvolumes"],
            verbs: &["create"],
        }],
    },
    SubjectCan {
        about: Described {
            id: "VG-R007",
            title: "Subject can create service account tokens",
            severity: Severity::High,
            refs: Refs {
                kubescape: &["C-0282"],
                cis: &["5.1.13"],
                nsa: AUTHZ,
                mitre: &["T1528"],
            },
            remediation: "Remove create on serviceaccounts/token, or restrict it to named accounts with resourceNames.",
            doc: include_str!("subject_can/create_service_account_tokens.md"),
        },
        what: "create service account tokens",
        grants: &[Allows {
            groups: &[""],
            resources: &["serviceaccounts/token"],
            verbs: &["create"],
        }],
    },
    SubjectCan {
        about: Described {
            id: "VG-R008",
            title: "Subject can delete events",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0031"],
                cis: &[],
                nsa: &["Audit logging and threat detection"],
                mitre: &["T1070"],
            },
            remediation: "Remove delete and deletecollection on events from the role.",
            doc: include_str!("subject_can/delete_events.md"),
        },
        what: "delete events",
        grants: &[Allows {
            groups: &["", "events.k8s.io"],
            resources: &["events"],
            verbs: &["delete", "deletecollection"],
        }],
    },
    SubjectCan {
        about: Described {
            id: "VG-R009",
            title: "Subject can impersonate users, groups or service accounts",
            severity: Severity::High,
            refs: Refs {
                kubescape: &["C-0065", "C-0191"],
                cis: &["5.1.8"],
                nsa: AUTHZ,
                mitre: &["T1078"],
            },
            remediation: "Remove the impersonate verb from the role.",
            doc: include_str!("subject_can/impersonate.md"),
        },
        what: "impersonate other identities",
        grants: &[Allows {
            groups: &[""],
            resources: &["users", "groups", "serviceaccounts", "uids"],
            verbs: &["impersonate"],
        }],
    },
    SubjectCan {
        about: Described {
            id: "VG-R010",
            title: "Subject can modify admission webhooks",
            severity: Severity::High,
            refs: Refs {
                kubescape: &["C-0281"],
                cis: &["5.1.12"],
                nsa: AUTHZ,
                mitre: &["T1562"],
            },
            remediation: "Remove create, update and delete on webhook configurations, or restrict them with resourceNames.",
            doc: include_str!("subject_can/modify_admission_webhooks.md"),
        },
        what: "modify admission webhooks",
        grants: &[Allows {
            groups: &["admissionregistration.k8s.io"],
            resources: &[
                "validatingwebhookconfigurations",
                "mutatingwebhookconfigurations",
            ],
            verbs: &["create", "update", "patch", "delete"],
        }],
    },
    SubjectCan {
        about: Described {
            id: "VG-R012",
            title: "Subject can create pods",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0188"],
                cis: &["5.1.4"],
                nsa: AUTHZ,
                mitre: &["T1610"],
            },
            remediation: "Remove create on pods and workload controllers from roles of people; deploy through a pipeline identity.",
            doc: include_str!("subject_can/create_pods.md"),
        },
        what: "create pods",
        grants: &[
            Allows {
                groups: &[""],
                resources: &["pods", "replicationcontrollers"],
                verbs: &["create"],
            },
            Allows {
                groups: &["apps"],
                resources: &["deployments", "replicasets", "statefulsets", "daemonsets"],
                verbs: &["create"],
            },
            Allows {
                groups: &["batch"],
                resources: &["jobs", "cronjobs"],
                verbs: &["create"],
            },
        ],
    },
    SubjectCan {
        about: Described {
            id: "VG-R013",
            title: "Subject can exec or attach into pods",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0002"],
                cis: &[],
                nsa: AUTHZ,
                mitre: &["T1609"],
            },
            remediation:
                "Remove pods/exec and pods/attach from the role; keep them to break-glass roles.",
            doc: include_str!("subject_can/exec_into_pods.md"),
        },
        what: "exec or attach into pods",
        grants: &[Allows {
            groups: &[""],
            resources: &["pods/exec", "pods/attach"],
            verbs: &["create", "get"],
        }],
    },
    SubjectCan {
        about: Described {
            id: "VG-R028",
            title: "Subject can port-forward to pods",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0063"],
                cis: &[],
                nsa: AUTHZ,
                mitre: &["T1572"],
            },
            remediation: "Remove pods/portforward from the role; keep it to break-glass roles.",
            doc: include_str!("subject_can/port_forward.md"),
        },
        what: "port-forward to pods",
        grants: &[Allows {
            groups: &[""],
            resources: &["pods/portforward"],
            verbs: &["create", "get"],
        }],
    },
    SubjectCan {
        about: Described {
            id: "VG-R029",
            title: "Subject can delete workloads, Services or Secrets",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0007"],
                cis: &[],
                nsa: AUTHZ,
                mitre: &["T1485"],
            },
            remediation: "Remove delete and deletecollection from the role; leave deletions to the deployment pipeline.",
            doc: include_str!("subject_can/delete_rights.md"),
        },
        what: "delete workloads, Services or Secrets",
        grants: &[
            Allows {
                groups: &[""],
                resources: &["pods", "services", "secrets"],
                verbs: &["delete", "deletecollection"],
            },
            Allows {
                groups: &["apps"],
                resources: &["deployments", "replicasets", "daemonsets", "statefulsets"],
                verbs: &["delete", "deletecollection"],
            },
            Allows {
                groups: &["batch"],
                resources: &["jobs", "cronjobs"],
                verbs: &["delete", "deletecollection"],
            },
        ],
    },
];

/// The controls of the table, in table order.
pub(crate) static CONTROLS: [Control; TABLE.len()] = rows!(control; 0 1 2 3 4 5 6 7 8 9 10 11 12);

/// The control of row `ROW`.
const fn control<const ROW: usize>() -> Control {
    TABLE[ROW].about.control(Evaluator::Cluster {
        needs: RBAC_KINDS,
        evaluate: evaluate::<ROW>,
    })
}

fn evaluate<const ROW: usize>(inventory: &Inventory<'_>, _: &Config, out: &mut ClusterOutcome) {
    let row = &TABLE[ROW];
    report_grants(
        inventory,
        out,
        |_, _| true,
        |rule| {
            row.grants
                .iter()
                .any(|a| rule_allows(rule, a.groups, a.resources, a.verbs))
        },
        row.what,
    );
}
