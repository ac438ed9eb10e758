//! ## What it does
//! Flags a `KubeletConfiguration` that does not have its serving certificate
//! signed and rotated through the API server: `serverTLSBootstrap` not `true`
//! (it defaults to `false`), or the `RotateKubeletServerCertificate` feature
//! gate turned off.
//!
//! ## Why is this bad
//! Without it the kubelet serves its API (10250) with a certificate it signed
//! itself, or with files someone must renew by hand. Clients cannot verify a
//! self-signed certificate, so they skip verification, and a man in the middle
//! sees the `exec` and `logs` traffic.
//!
//! ## Example
//! ```yaml
//! kind: KubeletConfiguration
//! featureGates:
//!   RotateKubeletServerCertificate: false   # flagged
//! ```
//! Use instead: `serverTLSBootstrap: true` (and approve the kubelets'
//! serving certificate requests).
//!
//! ## References
//! Kubescape C-0183; CIS 4.2.11; NSA/CISA "Encryption"; MITRE ATT&CK T1557.

use super::super::prelude::*;
use super::setting::{is_kubelet_config, Setting};

/// How VG-K010 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: is_kubelet_config,
    evaluate,
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    let gate = Setting::of(resource, "featureGates.RotateKubeletServerCertificate");
    if gate.as_bool() == Some(false) {
        out.push(gate.violation(
            "the RotateKubeletServerCertificate feature gate is off: the kubelet's serving certificate is never rotated",
        ));
        return;
    }
    let bootstrap = Setting::of(resource, "serverTLSBootstrap");
    if bootstrap.as_bool() != Some(true) {
        let state = bootstrap.state("false");
        out.push(bootstrap.violation(format!(
            "serverTLSBootstrap {state}: the kubelet serves a certificate it signed itself or one renewed by hand"
        )));
    }
}
