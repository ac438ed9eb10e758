//! vigie's posture controls and the scan that runs them over loaded resources.

pub mod pss;
mod scan;

pub use scan::{scan, ScanConfig};
