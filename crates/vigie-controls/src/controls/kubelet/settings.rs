//! The kubelet controls that judge one field of the `KubeletConfiguration`:
//! they differ in the field, in how its value is judged (a boolean that must
//! hold one value, or a function for a field with rules of its own) and in
//! their text. They are one table rather than one file each; each control's
//! documentation is the Markdown file `settings/<name>.md`.
//!
//! A control that reads several fields together keeps a file of its own, like
//! `serving_certificate_rotation.rs`.

use super::super::prelude::*;
use super::setting::{is_kubelet_config, is_zero_duration, Setting};

/// One control of the table: its description, the field it reads, and how
/// the field's value is judged.
struct KubeletSetting {
    about: Described,
    /// Dotted path of the field (`authentication.anonymous.enabled`).
    path: &'static str,
    judge: Judge,
}

/// How a field's value is judged.
enum Judge {
    /// A boolean that must be `want`.
    Boolean {
        want: bool,
        /// The value the control takes when the field is not set, or not a
        /// boolean (the configuration file's default, or `want` when the
        /// control only flags a value that is set).
        when_unset: bool,
        /// What follows from another value, for the message.
        consequence: &'static str,
    },
    /// A rule of its own: the finding's message, if the field fails it.
    Other(fn(&Setting<'_>) -> Option<String>),
}

const TABLE: [KubeletSetting; 10] = [
    KubeletSetting {
        about: Described {
            id: "VG-K001",
            title: "Kubelet accepts anonymous requests",
            severity: Severity::High,
            refs: Refs {
                kubescape: &["C-0069", "C-0172"],
                cis: &["4.2.1"],
                nsa: &["Authentication and authorization"],
                mitre: &["T1609"],
            },
            remediation: "Set authentication.anonymous.enabled: false in the KubeletConfiguration (or start the kubelet with --anonymous-auth=false).",
            doc: include_str!("settings/anonymous_auth.md"),
        },
        path: "authentication.anonymous.enabled",
        judge: Judge::Boolean {
            want: false,
            when_unset: false,
            consequence: "requests without credentials reach the kubelet API as system:anonymous",
        },
    },
    KubeletSetting {
        about: Described {
            id: "VG-K002",
            title: "Kubelet authorizes every request",
            severity: Severity::High,
            refs: Refs {
                kubescape: &["C-0173"],
                cis: &["4.2.2"],
                nsa: &["Authentication and authorization"],
                mitre: &["T1609"],
            },
            remediation: "Set authorization.mode: Webhook in the KubeletConfiguration (or start the kubelet with --authorization-mode=Webhook).",
            doc: include_str!("settings/authorization_always_allow.md"),
        },
        path: "authorization.mode",
        judge: Judge::Other(not_webhook),
    },
    KubeletSetting {
        about: Described {
            id: "VG-K003",
            title: "Kubelet does not verify client certificates",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0070", "C-0174"],
                cis: &["4.2.3"],
                nsa: &["Authentication and authorization"],
                mitre: &[],
            },
            remediation: "Set authentication.x509.clientCAFile to the cluster CA in the KubeletConfiguration (or --client-ca-file).",
            doc: include_str!("settings/client_ca_file.md"),
        },
        path: "authentication.x509.clientCAFile",
        judge: Judge::Other(no_client_ca),
    },
    KubeletSetting {
        about: Described {
            id: "VG-K004",
            title: "Kubelet serves its read-only port",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0175"],
                cis: &["4.2.4"],
                nsa: &["Network separation and hardening"],
                mitre: &["T1613"],
            },
            remediation: "Set readOnlyPort: 0 in the KubeletConfiguration (or --read-only-port=0).",
            doc: include_str!("settings/read_only_port.md"),
        },
        path: "readOnlyPort",
        judge: Judge::Other(read_only_port_open),
    },
    KubeletSetting {
        about: Described {
            id: "VG-K005",
            title: "Kubelet never closes idle streaming connections",
            severity: Severity::Low,
            refs: Refs {
                kubescape: &["C-0176"],
                cis: &["4.2.5"],
                nsa: &[],
                mitre: &[],
            },
            remediation:
                "Set streamingConnectionIdleTimeout to a duration such as 5m in the KubeletConfiguration.",
            doc: include_str!("settings/streaming_idle_timeout.md"),
        },
        path: "streamingConnectionIdleTimeout",
        judge: Judge::Other(no_idle_timeout),
    },
    KubeletSetting {
        about: Described {
            id: "VG-K006",
            title: "Kubelet may override kernel parameters",
            severity: Severity::Low,
            refs: Refs {
                kubescape: &["C-0177"],
                cis: &[],
                nsa: &[],
                mitre: &[],
            },
            remediation: "Set protectKernelDefaults: true in the KubeletConfiguration after setting the node's kernel parameters to the kubelet's values.",
            doc: include_str!("settings/protect_kernel_defaults.md"),
        },
        path: "protectKernelDefaults",
        judge: Judge::Boolean {
            want: true,
            when_unset: false,
            consequence: "the kubelet changes kernel parameters that differ from its own",
        },
    },
    KubeletSetting {
        about: Described {
            id: "VG-K007",
            title: "Kubelet does not manage its iptables chains",
            severity: Severity::Low,
            refs: Refs {
                kubescape: &["C-0178"],
                cis: &["4.2.6"],
                nsa: &["Network separation and hardening"],
                mitre: &[],
            },
            remediation: "Set makeIPTablesUtilChains: true in the KubeletConfiguration (or remove it to get that default).",
            doc: include_str!("settings/iptables_util_chains.md"),
        },
        path: "makeIPTablesUtilChains",
        judge: Judge::Boolean {
            want: true,
            when_unset: true,
            consequence: "the kubelet leaves the node's iptables utility chains to others",
        },
    },
    KubeletSetting {
        about: Described {
            id: "VG-K008",
            title: "Kubelet records events without a rate limit",
            severity: Severity::Low,
            refs: Refs {
                kubescape: &["C-0180"],
                cis: &["4.2.8"],
                nsa: &[],
                mitre: &["T1499"],
            },
            remediation: "Set eventRecordQPS to a positive rate (50, the default, or one sized for the node) in the KubeletConfiguration.",
            doc: include_str!("settings/event_record_qps.md"),
        },
        path: "eventRecordQPS",
        judge: Judge::Other(unlimited_events),
    },
    KubeletSetting {
        about: Described {
            id: "VG-K009",
            title: "Kubelet does not rotate its client certificate",
            severity: Severity::Medium,
            refs: Refs {
                kubescape: &["C-0182"],
                cis: &["4.2.10"],
                nsa: &["Authentication and authorization"],
                mitre: &[],
            },
            remediation: "Set rotateCertificates: true in the KubeletConfiguration.",
            doc: include_str!("settings/client_certificate_rotation.md"),
        },
        path: "rotateCertificates",
        judge: Judge::Boolean {
            want: true,
            when_unset: true,
            consequence: "the kubelet keeps its client certificate until it expires",
        },
    },
    KubeletSetting {
        about: Described {
            id: "VG-K012",
            title: "Kubelet sets no limit on a pod's process IDs",
            severity: Severity::Low,
            refs: Refs {
                kubescape: &["C-0284"],
                cis: &["4.2.13"],
                nsa: &[],
                mitre: &["T1499"],
            },
            remediation: "Set podPidsLimit to a positive number sized for the node's workloads (4096, say) in the KubeletConfiguration.",
            doc: include_str!("settings/pod_pids_limit.md"),
        },
        path: "podPidsLimit",
        judge: Judge::Other(no_pid_limit),
    },
];

/// The controls of the table, in ID order.
pub(crate) static CONTROLS: [Control; TABLE.len()] = rows!(control; 0 1 2 3 4 5 6 7 8 9);

/// The control of row `ROW`.
const fn control<const ROW: usize>() -> Control {
    TABLE[ROW].about.control(Evaluator::Object {
        applies: is_kubelet_config,
        evaluate: evaluate::<ROW>,
    })
}

fn evaluate<const ROW: usize>(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    let row = &TABLE[ROW];
    let setting = Setting::of(resource, row.path);
    let problem = match row.judge {
        Judge::Boolean {
            want,
            when_unset,
            consequence,
        } => (setting.as_bool().unwrap_or(when_unset) != want).then(|| {
            let state = setting.state(if when_unset { "true" } else { "false" });
            format!("{} {state}: {consequence}", row.path)
        }),
        Judge::Other(judge) => judge(&setting),
    };
    if let Some(message) = problem {
        out.push(setting.violation(message));
    }
}

/// VG-K002: `authorization.mode` other than `Webhook` (left out, it is
/// `Webhook` in a configuration file).
fn not_webhook(setting: &Setting<'_>) -> Option<String> {
    let value = setting.value?;
    (setting.as_str() != Some("Webhook")).then(|| {
        format!(
            "authorization.mode is {}: the kubelet serves every authenticated request without asking the API server",
            value.display_value()
        )
    })
}

/// VG-K003: no client CA file.
fn no_client_ca(setting: &Setting<'_>) -> Option<String> {
    setting
        .as_str()
        .is_none_or(|path| path.trim().is_empty())
        .then(|| {
            "authentication.x509.clientCAFile is not set: the kubelet cannot verify client certificates"
                .to_string()
        })
}

/// VG-K004: a read-only port other than 0.
fn read_only_port_open(setting: &Setting<'_>) -> Option<String> {
    let port = setting.as_i64().filter(|&port| port != 0)?;
    Some(format!(
        "readOnlyPort is {port}: the kubelet serves pods and metrics there without authentication"
    ))
}

/// VG-K005: a zero idle timeout (a number or a Go duration).
fn no_idle_timeout(setting: &Setting<'_>) -> Option<String> {
    let value = setting.value?;
    (value.as_i64() == Some(0) || value.as_str().is_some_and(is_zero_duration)).then(|| {
        "streamingConnectionIdleTimeout is zero: idle exec, attach and port-forward streams are never closed"
            .to_string()
    })
}

/// VG-K008: an event rate of 0 or less (no limit).
fn unlimited_events(setting: &Setting<'_>) -> Option<String> {
    let qps = setting.as_i64().filter(|&qps| qps <= 0)?;
    Some(format!(
        "eventRecordQPS is {qps}: the kubelet creates events without a rate limit"
    ))
}

/// VG-K012: no positive PID limit per pod.
fn no_pid_limit(setting: &Setting<'_>) -> Option<String> {
    match setting.as_i64() {
        Some(limit) if limit > 0 => None,
        Some(limit) => Some(format!(
            "podPidsLimit is {limit}: a pod may take every process ID of the node"
        )),
        None => {
            Some("podPidsLimit is not set: a pod may take every process ID of the node".to_string())
        }
    }
}
