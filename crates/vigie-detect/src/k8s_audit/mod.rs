//! The Kubernetes audit event source's data: decoding events and extracting the
//! `k8s_audit` fields rules use.

mod decode;
mod event;
mod fields;
mod time;
mod view;
mod wire;

pub use decode::{decode, events_from_value, DecodeError};
pub use event::{image_repository, AuditEvent};
pub use fields::{k8s_audit_table, KaField};
pub use time::parse_rfc3339_nanos;
pub use view::AuditView;

/// The source name rules use (`source: k8s_audit`).
pub const SOURCE: &str = "k8s_audit";
