//! The violations of loaded objects, for tools that change them (`vigie fix`):
//! the same checks as a scan, on objects held in memory, without a report.

use rayon::prelude::*;
use vigie_resource::{pod_template, Resource};

use super::checks::{select_checks, Check};
use super::ScanConfig;
use crate::control::{ClusterOutcome, Evaluator, Inventory, InventoryIndex};
use crate::exceptions::Lookup;
use crate::pod::{Pod, Violation};

/// One violation of one check on one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckViolation {
    /// Index of the object in the slice given to [`check_violations`].
    pub resource: usize,
    /// The check's ID (`VG-W008`, `PSS-R02`).
    pub check_id: &'static str,
    /// What is wrong, and where.
    pub violation: Violation,
}

/// Runs the checks the settings select over `resources` (object-scope checks on
/// each, cross-object controls on all together) and returns the violations that
/// no exception accepts, object by object in the order of the checks.
pub fn check_violations(resources: &[Resource], settings: &ScanConfig) -> Vec<CheckViolation> {
    let checks = select_checks(&settings.frameworks, settings.pss_version);
    // Objects are checked in parallel, their violations gathered in order.
    let mut found: Vec<CheckViolation> = resources
        .par_iter()
        .enumerate()
        .flat_map_iter(|(index, resource)| object_violations(&checks, settings, index, resource))
        .collect();
    let inventory_index = InventoryIndex::new(resources);
    let inventory = Inventory::new(resources, &inventory_index);
    for &check in &checks {
        let Check::Control(control) = check else {
            continue;
        };
        let Evaluator::Cluster { evaluate, .. } = control.evaluator else {
            continue;
        };
        let mut outcome = ClusterOutcome::default();
        evaluate(&inventory, &settings.config, &mut outcome);
        for (index, violation) in outcome.violations {
            let mut one = vec![violation];
            push_active(
                settings,
                &resources[index],
                index,
                control.id,
                &mut one,
                &mut found,
            );
        }
    }
    found
}

/// The violations of the object-scope checks on one object.
fn object_violations(
    checks: &[Check],
    settings: &ScanConfig,
    index: usize,
    resource: &Resource,
) -> Vec<CheckViolation> {
    let mut found = Vec::new();
    let mut violations = Vec::new();
    let template = pod_template(resource);
    for &check in checks {
        match check {
            Check::Pss(pss_check) => {
                let Some(template) = template else { continue };
                (pss_check.evaluate)(&Pod::new(template), settings.pss_version, &mut violations);
            }
            Check::Control(control) => match control.evaluator {
                Evaluator::Object { applies, evaluate } if applies(resource) => {
                    evaluate(resource, &settings.config, &mut violations);
                }
                _ => continue,
            },
        }
        push_active(
            settings,
            resource,
            index,
            check.id(),
            &mut violations,
            &mut found,
        );
    }
    found
}

/// Moves the violations no exception accepts from `violations` to `found`.
fn push_active(
    settings: &ScanConfig,
    resource: &Resource,
    index: usize,
    check_id: &'static str,
    violations: &mut Vec<Violation>,
    found: &mut Vec<CheckViolation>,
) {
    if violations.is_empty() {
        return;
    }
    let accepted = matches!(
        settings
            .exceptions
            .for_object(resource)
            .lookup(check_id, settings.today),
        Lookup::Applies(_)
    );
    for violation in violations.drain(..) {
        if !accepted {
            found.push(CheckViolation {
                resource: index,
                check_id,
                violation,
            });
        }
    }
}
