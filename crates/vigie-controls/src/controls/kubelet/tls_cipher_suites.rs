//! ## What it does
//! Flags a `KubeletConfiguration` whose `tlsCipherSuites` is not set, or lists
//! a suite outside the strong ones (the list the API server's control,
//! VG-C028, accepts: TLS 1.3 suites and ECDHE with AES-GCM or ChaCha20).
//!
//! ## Why is this bad
//! Left unset, the kubelet's API accepts Go's default suites, static-RSA key
//! exchange among them: traffic recorded today can be decrypted once the key
//! leaks. 3DES and CBC-SHA256 suites have practical attacks.
//!
//! ## Example
//! ```yaml
//! kind: KubeletConfiguration
//! tlsCipherSuites:
//! - TLS_RSA_WITH_3DES_EDE_CBC_SHA   # flagged
//! ```
//! Use instead: `[TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305]`.
//!
//! ## References
//! Kubescape C-0184; CIS 4.2.12; NSA/CISA "Encryption"; MITRE ATT&CK T1557.

use super::super::control_plane::flag_controls::STRONG_CIPHER_SUITES;
use super::super::prelude::*;
use super::setting::{is_kubelet_config, Setting};

/// How VG-K011 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: is_kubelet_config,
    evaluate,
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    let setting = Setting::of(resource, "tlsCipherSuites");
    let suites = setting.value.map(Node::items).unwrap_or(&[]);
    if suites.is_empty() {
        out.push(setting.violation(
            "tlsCipherSuites is not set: the kubelet accepts Go's default suites, static-RSA key exchange among them",
        ));
        return;
    }
    let weak: Vec<String> = suites
        .iter()
        .filter(|suite| {
            suite
                .as_str()
                .is_none_or(|s| !STRONG_CIPHER_SUITES.contains(&s))
        })
        .map(Node::display_value)
        .collect();
    if !weak.is_empty() {
        out.push(setting.violation(format!("tlsCipherSuites allows {}", weak.join(", "))));
    }
}
