//! The Kubernetes Pod Security Standards, `baseline` and `restricted`, for every
//! version from v1.0 to [`Version::LATEST`], as pod-security-admission enforces them.
//!
//! A level at a version is a set of checks: those of the level and below that exist
//! at that version, minus the baseline checks a restricted check replaces there.

mod check;
mod checks;
mod version;

pub use crate::pod::{Pod, Violation};
pub use check::Check;
pub use version::{Level, Version, VersionError};

use vigie_resource::PodTemplate;

use crate::control::{push_section_body, section_link};

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
    /// The check.
    pub check: &'static Check,
    /// Every offending field.
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

/// The reference page for every check (docs/pss-checks.md), generated from the
/// checks themselves so that it is never written twice.
pub fn reference_markdown() -> String {
    let mut out = String::from(
        "# Pod Security Standards checks\n\n\
         <!-- Generated from crates/vigie-controls/src/pss/checks/*.rs by \
         `VIGIE_BLESS=1 cargo test -p vigie-controls --test docs`. Do not edit. -->\n\n\
         vigie implements the `baseline` and `restricted` levels of the Kubernetes Pod \
         Security Standards for every version from v1.0 to v1.37 (`--pss-version`). \
         `restricted` includes every baseline check, except where a restricted check \
         replaces a baseline one.\n\n\
         | ID | Check | Level | Since | Severity | Kubernetes ID |\n\
         |----|-------|-------|-------|----------|---------------|\n",
    );
    for c in all_checks() {
        out.push_str(&format!(
            "| {link} | {title} | {level} | {since} | {severity} | `{k8s}` |\n",
            link = section_link(c.id),
            title = c.title,
            level = c.level,
            since = c.since,
            severity = c.severity,
            k8s = c.k8s_id,
        ));
    }
    for c in all_checks() {
        out.push_str(&format!(
            "\n## {}\n\n**{}**: {} level since {}, severity {}. Pod Security control: {}.{}\n\n",
            c.id,
            c.title,
            c.level,
            c.since,
            c.severity,
            c.control_name,
            c.overrides
                .map(|o| format!(" Replaces the baseline check `{o}` at this level."))
                .unwrap_or_default()
        ));
        push_section_body(&mut out, &c.explanation(), c.remediation);
    }
    out
}
