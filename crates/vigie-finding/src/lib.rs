//! What a check found, and the report that gathers it.
//!
//! Every checker (Pod Security Standards, posture controls, policies) produces
//! [`Finding`]s; every output format renders a [`Report`]. Neither side knows the other.

mod report;
mod severity;

pub use report::{
    AppliedException, ControlSummary, Finding, FrameworkSummary, InputError, Location,
    ObjectLocation, Report, ResourceRef, ScannedResource, SeverityCounts, Totals,
};
pub use severity::Severity;
