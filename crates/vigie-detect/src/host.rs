//! Facts about the machine vigie runs on, read once.

use std::sync::OnceLock;

/// The host's name, as alerts and `evt.hostname` report it: the kernel's
/// (`/proc/sys/kernel/hostname`), else `$HOSTNAME`, else empty. Read once.
pub fn hostname() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_string())
            .or_else(|_| std::env::var("HOSTNAME"))
            .unwrap_or_default()
    })
}
