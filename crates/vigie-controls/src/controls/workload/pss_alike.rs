//! The workload controls that ask the same question as a Pod Security
//! Standards check: the check answers it (at the latest version), so that the
//! two answer it one way, and the control adds its description. They are one
//! table rather than one file each; each control's documentation is the
//! Markdown file `pss_alike/<name>.md`.

use super::super::prelude::*;
use crate::controls::common::{is_workload, run_pss_check, workload_pod};

/// One control of the table: its description, and the check that answers it.
struct PssAlike {
    about: Described,
    /// The check's Kubernetes ID (`hostPathVolumes`).
    check: &'static str,
}

const TABLE: [PssAlike; 5] = [
    PssAlike {
        about: Described {
            id: "VG-W003",
            title: "hostPath volume",
            severity: Severity::High,
            refs: Refs {
                kubescape: &["C-0048"],
                cis: &["5.2.12"],
                nsa: &["Pod security"],
                mitre: &["T1611"],
            },
            remediation: "Replace the hostPath volume with emptyDir, a PersistentVolumeClaim, a ConfigMap or a Secret.",
            doc: include_str!("pss_alike/host_path_volume.md"),
        },
        check: "hostPathVolumes",
    },
    PssAlike {
        about: Described {
            id: "VG-W008",
            title: "Privilege escalation allowed",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0016", "C-0211"],
                cis: &["5.2.6"],
                nsa: &["Pod security"],
                mitre: &["T1548.001"],
            },
            remediation: "Set securityContext.allowPrivilegeEscalation: false on every container.",
            doc: include_str!("pss_alike/privilege_escalation.md"),
        },
        check: "allowPrivilegeEscalation",
    },
    PssAlike {
        about: Described {
            id: "VG-W018",
            title: "Unsafe sysctl",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0211"],
                cis: &["5.7.3"],
                nsa: &["Pod security"],
                mitre: &["T1499"],
            },
            remediation: "Remove the sysctl from spec.securityContext.sysctls, or set it on the node.",
            doc: include_str!("pss_alike/unsafe_sysctl.md"),
        },
        check: "sysctls",
    },
    PssAlike {
        about: Described {
            id: "VG-W019",
            title: "Windows HostProcess container",
            severity: Severity::Critical,
            refs: Refs {
                kubescape: &["C-0211"],
                cis: &["5.2.11"],
                nsa: &["Pod security"],
                mitre: &["T1611"],
            },
            remediation: "Remove windowsOptions.hostProcess or set it to false.",
            doc: include_str!("pss_alike/windows_host_process.md"),
        },
        check: "windowsHostProcess",
    },
    PssAlike {
        about: Described {
            id: "VG-W060",
            title: "Container unmasks /proc",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0211"],
                cis: &["5.7.3"],
                nsa: &["Pod security"],
                mitre: &["T1611"],
            },
            remediation: "Remove securityContext.procMount or set it to Default.",
            doc: include_str!("pss_alike/proc_mount.md"),
        },
        check: "procMount",
    },
];

/// The controls of the table, in ID order.
pub(crate) static CONTROLS: [Control; TABLE.len()] = rows!(control; 0 1 2 3 4);

/// The control of row `ROW`.
const fn control<const ROW: usize>() -> Control {
    TABLE[ROW].about.control(Evaluator::Object {
        applies: is_workload,
        evaluate: evaluate::<ROW>,
    })
}

fn evaluate<const ROW: usize>(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    if let Some(pod) = workload_pod(resource) {
        run_pss_check(&pod, TABLE[ROW].check, out);
    }
}
