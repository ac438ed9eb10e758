//! `vigie detect`: threat detection on event streams with Falco-compatible rules.
//!
//! The pipeline is built like Vector's: [`sources`] read events (the Kubernetes audit
//! log from files, directories, stdin, or the API server's webhook; system calls in
//! [`syscall`]), the rule engine
//! from `vigie-rules` evaluates them, and [`sinks`] deliver alerts (text, JSON lines,
//! files, syslog, HTTP/Falcosidekick). Stages are joined by bounded queues, and every
//! event accepted, dropped or rejected is counted in [`metrics`].

/// `eprintln!` that a closed standard error (`vigie ... 2>&1 | head`) cannot turn
/// into a panic: std's panics when the write fails. Defined before the modules,
/// it replaces std's in all of them.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub mod alert;
pub mod config;
pub mod host;
pub mod k8s_audit;
pub mod metrics;
pub mod pipeline;
pub mod rules;
pub mod sinks;
pub mod sources;
pub mod syscall;
