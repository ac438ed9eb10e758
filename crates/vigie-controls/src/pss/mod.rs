//! The Kubernetes Pod Security Standards, `baseline` and `restricted`, for every
//! version from v1.0 to [`Version::LATEST`], as pod-security-admission enforces them.
//!
//! A level at a version is a set of checks: those of the level and below that exist
//! at that version, minus the baseline checks a restricted check replaces there.

mod check;
mod checks;
mod pod;
mod version;

pub use check::Check;
pub use pod::{Pod, Violation};
pub use version::{Level, Version};

use vigie_resource::PodTemplate;

/// Every check vigie knows, whatever the level or version.
pub fn all_checks() -> &'static [Check] {
    &checks::ALL
}

/// The checks that make up `level` at `version`.
pub fn checks_for(level: Level, version: Version) -> Vec<&'static Check> {
    let in_force = |c: &&Check| c.level <= level && c.since <= version;
    let replaced: Vec<&str> = checks::ALL
        .iter()
        .filter(in_force)
        .filter_map(|c| c.overrides)
        .collect();
    checks::ALL
        .iter()
        .filter(in_force)
        .filter(|c| !replaced.contains(&c.k8s_id))
        .collect()
}

/// A check that failed, with every offending field.
#[derive(Debug)]
pub struct CheckFailure {
    pub check: &'static Check,
    pub violations: Vec<Violation>,
}

/// Evaluates a pod template against a set of checks; returns the failed ones.
pub fn evaluate(
    template: PodTemplate<'_>,
    checks: &[&'static Check],
    version: Version,
) -> Vec<CheckFailure> {
    let pod = Pod::new(template);
    let mut failures = Vec::new();
    let mut violations = Vec::new();
    for &check in checks {
        (check.evaluate)(&pod, version, &mut violations);
        if !violations.is_empty() {
            failures.push(CheckFailure {
                check,
                violations: std::mem::take(&mut violations),
            });
        }
    }
    failures
}

/// Looks a check up by vigie ID, Kubernetes ID or (case-insensitive) title.
pub fn find_check(name: &str) -> Option<&'static Check> {
    checks::ALL
        .iter()
        .find(|c| c.id.eq_ignore_ascii_case(name) || c.k8s_id == name)
}
