//! The kubelet controls that require one boolean field of the
//! `KubeletConfiguration` to hold one value: they differ only in the field, the
//! value and their text. They are one table rather than one file each; each
//! control's documentation is the Markdown file `boolean_settings/<name>.md`.

use super::super::prelude::*;
use super::setting::{is_kubelet_config, Setting};

/// One control of the table: its description, and the field it requires.
struct BooleanSetting {
    about: Described,
    /// Dotted path of the field (`authentication.anonymous.enabled`).
    path: &'static str,
    /// The value the field must have.
    want: bool,
    /// The value the control takes when the field is not set, or not a
    /// boolean (the configuration file's default, or `want` when the control
    /// only flags a value that is set).
    when_unset: bool,
    /// What follows from another value, for the message.
    consequence: &'static str,
}

const TABLE: [BooleanSetting; 4] = [
    BooleanSetting {
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
            doc: include_str!("boolean_settings/anonymous_auth.md"),
        },
        path: "authentication.anonymous.enabled",
        want: false,
        when_unset: false,
        consequence: "requests without credentials reach the kubelet API as system:anonymous",
    },
    BooleanSetting {
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
            doc: include_str!("boolean_settings/protect_kernel_defaults.md"),
        },
        path: "protectKernelDefaults",
        want: true,
        when_unset: false,
        consequence: "the kubelet changes kernel parameters that differ from its own",
    },
    BooleanSetting {
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
            doc: include_str!("boolean_settings/iptables_util_chains.md"),
        },
        path: "makeIPTablesUtilChains",
        want: true,
        when_unset: true,
        consequence: "the kubelet leaves the node's iptables utility chains to others",
    },
    BooleanSetting {
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
            doc: include_str!("boolean_settings/client_certificate_rotation.md"),
        },
        path: "rotateCertificates",
        want: true,
        when_unset: true,
        consequence: "the kubelet keeps its client certificate until it expires",
    },
];

/// The controls of the table, in ID order.
pub(crate) static CONTROLS: [Control; TABLE.len()] = rows!(control; 0 1 2 3);

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
    if setting.as_bool().unwrap_or(row.when_unset) != row.want {
        let state = setting.state(if row.when_unset { "true" } else { "false" });
        out.push(setting.violation(format!("{} {state}: {}", row.path, row.consequence)));
    }
}
