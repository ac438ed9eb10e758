//! `vigie detect`: threat detection on event streams with Falco-compatible rules.
//!
//! The pipeline is built like Vector's: [`sources`] read events (the Kubernetes audit
//! log from files, directories, stdin, or the API server's webhook), the rule engine
//! from `vigie-rules` evaluates them, and [`sinks`] deliver alerts (text, JSON lines,
//! files, syslog, HTTP/Falcosidekick). Stages are joined by bounded queues, and every
//! event accepted, dropped or rejected is counted in [`metrics`].

pub mod alert;
pub mod config;
pub mod k8s_audit;
pub mod metrics;
pub mod pipeline;
pub mod rules;
pub mod sinks;
pub mod sources;
