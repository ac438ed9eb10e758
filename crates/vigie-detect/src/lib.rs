//! `vigie detect`: threat detection on event streams with Falco-compatible rules.
//!
//! The pipeline is built like Vector's: [`sources`] read events (the Kubernetes audit
//! log from files, directories, stdin, or the API server's webhook; system calls in
//! [`syscall`]), the rule engine
//! from `vigie-rules` evaluates them, and [`sinks`] deliver alerts (text, JSON lines,
//! files, syslog, HTTP/Falcosidekick). Stages are joined by bounded queues, and every
//! event accepted, dropped or rejected is counted in [`metrics`].
//!
//! ```
//! use serde_json::json;
//! use vigie_detect::k8s_audit::{AuditEvent, SOURCE};
//! use vigie_detect::rules::build_engine;
//! use vigie_rules::EngineOptions;
//!
//! // vigie's default audit rules (no rule files given).
//! let engine = build_engine(&[], true, &EngineOptions::default()).expect("default rules build");
//! let exec = AuditEvent::new(json!({
//!     "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Request",
//!     "stage": "ResponseStarted", "verb": "create",
//!     "requestURI": "/api/v1/namespaces/shop/pods/web-1/exec?command=sh&stdin=true",
//!     "user": {"username": "dev@example.com", "groups": ["system:authenticated"]},
//!     "objectRef": {"resource": "pods", "subresource": "exec", "namespace": "shop",
//!                   "name": "web-1", "apiVersion": "v1"},
//!     "responseStatus": {"code": 101},
//!     "stageTimestamp": "2026-01-02T03:04:05.000000Z",
//!     "annotations": {"authorization.k8s.io/decision": "allow"},
//! }));
//! let source = engine.source(SOURCE).expect("the audit source has rules");
//! let mut fired = Vec::new();
//! engine.evaluate(source, &exec, |rule| fired.push(rule.name.clone()));
//! assert_eq!(fired, ["Vigie K8s Exec Or Attach Into Pod"]);
//! ```

// Only the live tests need unsafe code (Cargo.toml); the library has none.
#![forbid(unsafe_code)]

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
#[cfg(test)]
mod test_http;
