//! vigie's posture controls and the scan that runs them over loaded resources.
//!
//! Two families of checks live here: the Pod Security Standards ([`pss`]), exact
//! to Kubernetes' own definition, and vigie's posture [`controls`] (workload
//! hardening, secrets, RBAC, network, control plane), cross-referenced to
//! Kubescape, CIS, NSA/CISA and MITRE ATT&CK. Frameworks select among both.

pub mod config;
pub mod control;
pub mod controls;
pub mod exceptions;
pub mod fix;
pub mod frameworks;
pub mod pod;
pub mod pss;
mod scan;

pub use config::{Config, ConfigError, UnknownSetting};
pub use control::{Control, Evaluator, Inventory, InventoryIndex, Refs};
pub use exceptions::{DateError, ExceptionError, Exceptions};
pub use frameworks::Framework;
pub use scan::{check_violations, known_control_ids, scan, CheckViolation, Scan, ScanConfig};
