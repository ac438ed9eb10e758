//! ## What it does
//! Fails pods that set a sysctl outside the namespaced, node-safe set. The set grew
//! with Kubernetes versions: `kernel.shm_rmid_forced`,
//! `net.ipv4.ip_local_port_range`, `net.ipv4.ip_unprivileged_port_start`,
//! `net.ipv4.tcp_syncookies` and `net.ipv4.ping_group_range` from v1.0;
//! `net.ipv4.ip_local_reserved_ports` from v1.27; `net.ipv4.tcp_keepalive_time`,
//! `net.ipv4.tcp_fin_timeout`, `net.ipv4.tcp_keepalive_intvl` and
//! `net.ipv4.tcp_keepalive_probes` from v1.29; `net.ipv4.tcp_rmem` and
//! `net.ipv4.tcp_wmem` from v1.32; `net.ipv4.tcp_slow_start_after_idle` and
//! `net.ipv4.tcp_notsent_lowat` from v1.37.
//!
//! ## Why is this bad
//! Other sysctls are not isolated per pod, or can exhaust or destabilise the node for
//! every workload on it.
//!
//! ## Example
//! ```yaml
//! securityContext:
//!   sysctls:
//!   - name: kernel.msgmax   # fails
//!     value: "65536"
//! ```

use super::prelude::*;

/// Safe sysctls and the version each became allowed in.
const SAFE: [(&str, u32); 14] = [
    ("kernel.shm_rmid_forced", 0),
    ("net.ipv4.ip_local_port_range", 0),
    ("net.ipv4.ip_unprivileged_port_start", 0),
    ("net.ipv4.tcp_syncookies", 0),
    ("net.ipv4.ping_group_range", 0),
    ("net.ipv4.ip_local_reserved_ports", 27),
    ("net.ipv4.tcp_keepalive_time", 29),
    ("net.ipv4.tcp_fin_timeout", 29),
    ("net.ipv4.tcp_keepalive_intvl", 29),
    ("net.ipv4.tcp_keepalive_probes", 29),
    ("net.ipv4.tcp_rmem", 32),
    ("net.ipv4.tcp_wmem", 32),
    ("net.ipv4.tcp_slow_start_after_idle", 37),
    ("net.ipv4.tcp_notsent_lowat", 37),
];

fn is_safe(name: &str, version: Version) -> bool {
    SAFE.iter()
        .any(|&(safe, since)| safe == name && version >= Version::v1(since))
}

/// How PSS-B10 judges a pod; what it says about itself is its row of [`ALL`](super::ALL).
pub(super) fn evaluate(pod: &Pod<'_>, version: Version, out: &mut Vec<Violation>) {
    let Some(sysctls) = pod.security_context().and_then(|sc| sc.get("sysctls")) else {
        return;
    };
    for (i, sysctl) in sysctls.items().iter().enumerate() {
        let name = sysctl.get("name").and_then(Node::as_str).unwrap_or("");
        if !is_safe(name, version) {
            out.push(Violation {
                subject: None,
                path: pod.spec_path(&format!("securityContext.sysctls[{i}].name")),
                pos: key_pos(sysctl, "name"),
                message: format!("sysctl {name:?} is not in the safe set of {version}"),
            });
        }
    }
}
