//! Which checks a scan runs, and the framework scores they add up to.

use std::collections::BTreeSet;

use vigie_finding::{ControlSummary, FrameworkSummary, Severity};

use super::ScanConfig;
use crate::control::{Control, Evaluator};
use crate::controls;
use crate::frameworks::Framework;
use crate::pss::{self, Level, Version};

/// A check as the scan sees it: a Pod Security check or a posture control.
#[derive(Clone, Copy)]
pub(super) enum Check {
    Pss(&'static pss::Check),
    Control(&'static Control),
}

impl Check {
    pub(super) fn id(self) -> &'static str {
        match self {
            Check::Pss(c) => c.id,
            Check::Control(c) => c.id,
        }
    }

    pub(super) fn title(self) -> &'static str {
        match self {
            Check::Pss(c) => c.title,
            Check::Control(c) => c.title,
        }
    }

    pub(super) fn severity(self) -> Severity {
        match self {
            Check::Pss(c) => c.severity,
            Check::Control(c) => c.severity,
        }
    }

    pub(super) fn remediation(self) -> &'static str {
        match self {
            Check::Pss(c) => c.remediation,
            Check::Control(c) => c.remediation,
        }
    }

    pub(super) fn summary(self) -> String {
        match self {
            Check::Pss(c) => c.summary(),
            Check::Control(c) => c.summary(),
        }
    }

    /// Whether the check reads several objects together.
    pub(super) fn is_cross_object(self) -> bool {
        matches!(
            self,
            Check::Control(Control {
                evaluator: Evaluator::Cluster { .. },
                ..
            })
        )
    }
}

/// Every control ID an exception may name.
pub fn known_control_ids() -> Vec<&'static str> {
    pss::all_checks()
        .iter()
        .map(|c| c.id)
        .chain(controls::all().iter().map(|c| c.id))
        .collect()
}

/// Which checks the frameworks select, in report order.
pub(super) fn select_checks(frameworks: &[Framework], version: Version) -> Vec<Check> {
    let mut checks = Vec::new();
    let mut pss_ids = BTreeSet::new();
    for (framework, level) in [
        (Framework::PssBaseline, Level::Baseline),
        (Framework::PssRestricted, Level::Restricted),
    ] {
        if frameworks.contains(&framework) {
            pss_ids.extend(pss::checks_for(level, version).iter().map(|c| c.id));
        }
    }
    checks.extend(
        pss::all_checks()
            .iter()
            .filter(|c| pss_ids.contains(c.id))
            .map(Check::Pss),
    );
    checks.extend(
        controls::all()
            .iter()
            .copied()
            .filter(|c| frameworks.iter().any(|f| f.includes(c)))
            .map(Check::Control),
    );
    checks
}

pub(super) fn profile(settings: &ScanConfig) -> String {
    let names: Vec<&str> = settings.frameworks.iter().map(|f| f.title()).collect();
    format!(
        "{} (Pod Security Standards {})",
        names.join(", "),
        settings.pss_version
    )
}

pub(super) fn framework_summaries(
    frameworks: &[Framework],
    checks: &[Check],
    summaries: &[ControlSummary],
    version: Version,
) -> Vec<FrameworkSummary> {
    frameworks
        .iter()
        .map(|&framework| {
            let members: Vec<usize> = checks
                .iter()
                .enumerate()
                .filter(|(_, c)| match (framework, c) {
                    (Framework::PssBaseline, Check::Pss(p)) => {
                        pss::checks_for(Level::Baseline, version)
                            .iter()
                            .any(|b| b.id == p.id)
                    }
                    (Framework::PssRestricted, Check::Pss(p)) => {
                        pss::checks_for(Level::Restricted, version)
                            .iter()
                            .any(|r| r.id == p.id)
                    }
                    (_, Check::Control(control)) => framework.includes(control),
                    _ => false,
                })
                .map(|(i, _)| i)
                .collect();
            let scores: Vec<f64> = members
                .iter()
                .filter_map(|&i| summaries[i].score())
                .collect();
            FrameworkSummary {
                id: framework.id().to_string(),
                title: framework.title().to_string(),
                controls: members.iter().map(|&i| summaries[i].id.clone()).collect(),
                score: if scores.is_empty() {
                    100.0
                } else {
                    scores.iter().sum::<f64>() / scores.len() as f64
                },
            }
        })
        .collect()
}
