//! Views of a report that several formats share: findings per resource, and
//! findings per (control, resource).

use std::collections::BTreeMap;

use vigie_finding::{Finding, Location, Report, ResourceRef};

/// What identifies one scanned object. The same name can appear in two files, or
/// twice in one file, so the position of the document is part of the identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ResourceKey<'a> {
    pub file: &'a str,
    pub document: u32,
    pub item: Option<u32>,
    pub resource: &'a ResourceRef,
}

impl<'a> ResourceKey<'a> {
    pub fn new(resource: &'a ResourceRef, location: &'a Location) -> Self {
        ResourceKey {
            file: &location.file,
            document: location.document,
            item: location.item,
            resource,
        }
    }

    pub fn of_finding(finding: &'a Finding) -> Self {
        ResourceKey::new(&finding.resource, &finding.location)
    }
}

/// The findings of one resource, in the order of their position in the file.
pub(crate) struct ResourceFindings<'a> {
    pub resource: &'a ResourceRef,
    /// Where the resource starts when the scan recorded it, else its first finding.
    pub location: &'a Location,
    pub findings: Vec<&'a Finding>,
}

/// Findings grouped by resource, resources ordered by file and position, so that
/// the output does not depend on the order in which checks ran.
pub(crate) fn findings_by_resource(report: &Report) -> Vec<ResourceFindings<'_>> {
    let mut groups: BTreeMap<ResourceKey<'_>, Vec<&Finding>> = BTreeMap::new();
    for finding in &report.findings {
        groups
            .entry(ResourceKey::of_finding(finding))
            .or_default()
            .push(finding);
    }
    groups
        .into_iter()
        .map(|(key, mut findings)| {
            findings.sort_by(|a, b| {
                (a.location.line, a.location.column, &a.control_id).cmp(&(
                    b.location.line,
                    b.location.column,
                    &b.control_id,
                ))
            });
            let scanned = report
                .resources
                .iter()
                .find(|scanned| ResourceKey::new(&scanned.resource, &scanned.location) == key);
            ResourceFindings {
                resource: key.resource,
                location: scanned.map_or(&findings[0].location, |s| &s.location),
                findings,
            }
        })
        .collect()
}

/// One row of a per-control view: a resource a control was evaluated on, and what
/// it found there (empty when the resource passed).
pub(crate) struct ControlCase<'a> {
    pub resource: &'a ResourceRef,
    pub location: &'a Location,
    pub findings: Vec<&'a Finding>,
}

/// A control and the resources it was evaluated on.
pub(crate) struct ControlCases<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub cases: Vec<ControlCase<'a>>,
}

/// For each control of the report, the resources it was evaluated on with their
/// findings. Findings whose resource or control the report does not list (a
/// checker that forgot to record them) are still shown, never dropped.
pub(crate) fn cases_by_control(report: &Report) -> Vec<ControlCases<'_>> {
    let mut controls: Vec<ControlCases<'_>> = report
        .controls
        .iter()
        .map(|control| ControlCases {
            id: &control.id,
            title: &control.title,
            cases: Vec::new(),
        })
        .collect();

    for scanned in &report.resources {
        for &index in &scanned.controls {
            if let Some(control) = controls.get_mut(index as usize) {
                control.cases.push(ControlCase {
                    resource: &scanned.resource,
                    location: &scanned.location,
                    findings: Vec::new(),
                });
            }
        }
    }

    for finding in &report.findings {
        let control_index = match controls.iter().position(|c| c.id == finding.control_id) {
            Some(index) => index,
            None => {
                controls.push(ControlCases {
                    id: &finding.control_id,
                    title: &finding.title,
                    cases: Vec::new(),
                });
                controls.len() - 1
            }
        };
        let key = ResourceKey::of_finding(finding);
        let cases = &mut controls[control_index].cases;
        match cases
            .iter_mut()
            .find(|case| ResourceKey::new(case.resource, case.location) == key)
        {
            Some(case) => case.findings.push(finding),
            None => cases.push(ControlCase {
                resource: &finding.resource,
                location: &finding.location,
                findings: vec![finding],
            }),
        }
    }
    controls
}

/// `file:line` of a location, with the column when `with_column`.
pub(crate) fn position(location: &Location, with_column: bool) -> String {
    if with_column {
        format!("{}:{}:{}", location.file, location.line, location.column)
    } else {
        format!("{}:{}", location.file, location.line)
    }
}

/// `file:line:column` of an input error, with whatever part of the position is known.
pub(crate) fn error_position(error: &vigie_finding::InputError) -> String {
    match (error.line, error.column) {
        (Some(line), Some(column)) => format!("{}:{line}:{column}", error.file),
        (Some(line), None) => format!("{}:{line}", error.file),
        _ => error.file.clone(),
    }
}

/// The note that tells a reader the line numbers are not those of a file on disk.
pub(crate) fn rendered_note(location: &Location) -> Option<String> {
    location
        .rendered_by
        .as_ref()
        .map(|tool| format!("(lines of `{tool}` output)"))
}
