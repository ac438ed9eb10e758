//! What a check found, and the report that gathers it.
//!
//! Every checker (Pod Security Standards, posture controls, policies) produces
//! [`Finding`]s; every output format renders a [`Report`]. Neither side knows the other.
//!
//! ```
//! use std::sync::Arc;
//! use vigie_finding::{Finding, Location, ResourceRef, Severity, Totals};
//!
//! let resource = Arc::new(ResourceRef {
//!     api_version: "v1".into(),
//!     kind: "Pod".into(),
//!     namespace: Some("default".into()),
//!     name: "web".into(),
//! });
//! let finding = Finding {
//!     control_id: "VG-W001".into(),
//!     title: "Privileged container".into(),
//!     severity: Severity::High,
//!     resource: resource.clone(),
//!     location: Location {
//!         file: "pod.yaml".into(),
//!         line: 9,
//!         column: 7,
//!         document: 0,
//!         item: None,
//!         rendered_by: None,
//!         object: None,
//!     },
//!     field_path: "spec.containers[0].securityContext.privileged".into(),
//!     message: "container `web` is privileged".into(),
//!     remediation: "Set privileged: false.".into(),
//!     subject: None,
//!     exception: None,
//! };
//! assert_eq!(finding.location.display(), "pod.yaml:9:7");
//! assert_eq!(resource.display(), "Pod default/web");
//!
//! let totals = Totals::count(&[finding]);
//! assert_eq!(totals.active.high, 1);
//! assert_eq!(totals.failed_resources, 1);
//! ```

#![deny(missing_docs)]

mod name;
mod report;
mod severity;

pub use name::{NameCase, UnknownName};
pub use report::{
    AppliedException, ControlSummary, Finding, FrameworkSummary, InputError, Location,
    ObjectLocation, Report, ResourceRef, ScannedResource, SeverityCounts, Totals,
};
pub use severity::Severity;
