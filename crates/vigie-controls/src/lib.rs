//! vigie's posture controls and the scan that runs them over loaded resources.
//!
//! Two families of checks live here: the Pod Security Standards ([`pss`]), exact
//! to Kubernetes' own definition, and vigie's posture [`controls`] (workload
//! hardening, secrets, RBAC, network, control plane), cross-referenced to
//! Kubescape, CIS, NSA/CISA and MITRE ATT&CK. Frameworks select among both.
//!
//! ```
//! use vigie_controls::{controls, Config};
//! use vigie_resource::{load_text, Limits};
//!
//! let text = "\
//! apiVersion: policy/v1beta1
//! kind: PodSecurityPolicy
//! metadata: {name: permissive}
//! spec:
//!   privileged: true
//! ";
//! let loaded = load_text(text, "psp.yaml", &Limits::default());
//! let control = controls::find("VG-W059").unwrap();
//! assert_eq!(control.title, "PodSecurityPolicy allows privileged containers");
//!
//! let outcome = control.run(&loaded.resources, &Config::default());
//! assert_eq!(outcome.evaluated, [0]);
//! let (object, violation) = &outcome.violations[0];
//! assert_eq!((*object, violation.path.as_str()), (0, "spec.privileged"));
//! assert_eq!(violation.message, "the policy allows privileged containers");
//! assert_eq!(violation.pos.line, 5);
//! ```

#![deny(missing_docs)]

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
