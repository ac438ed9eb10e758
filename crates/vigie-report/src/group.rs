//! Views of a report that several formats share: findings per resource, and
//! findings per (control, resource).

use std::collections::{BTreeMap, HashMap, HashSet};

use vigie_finding::{AppliedException, Finding, Location, Report, ResourceRef};

/// What identifies one scanned object. The same name can appear in two files, or
/// twice in one file, so the position of the document is part of the identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

/// Runs of consecutive findings about the same resource from controls of the
/// same scope, with where the resource starts: the batches a scan would have
/// written for a report held in memory.
pub(crate) fn resource_runs(report: &Report) -> Vec<(&Location, Vec<Finding>)> {
    let cross_object: HashSet<&str> = cross_object_controls(report).collect();
    let starts = resource_starts(report);
    let mut runs: Vec<(&Location, Vec<Finding>)> = Vec::new();
    let mut last: Option<(ResourceKey<'_>, bool)> = None;
    for finding in &report.findings {
        let key = (
            ResourceKey::of_finding(finding),
            cross_object.contains(&*finding.control_id),
        );
        match runs.last_mut() {
            Some((_, run)) if last == Some(key) => run.push(finding.clone()),
            _ => {
                let start = starts.get(&key.0).copied().unwrap_or(&finding.location);
                runs.push((start, vec![finding.clone()]));
            }
        }
        last = Some(key);
    }
    runs
}

/// IDs of the report's controls that relate several objects.
pub(crate) fn cross_object_controls(report: &Report) -> impl Iterator<Item = &str> {
    report
        .controls
        .iter()
        .filter(|c| c.cross_object)
        .map(|c| c.id.as_str())
}

/// Where each scanned resource starts. Indexed once: scans hold thousands of resources.
fn resource_starts(report: &Report) -> HashMap<ResourceKey<'_>, &Location> {
    report
        .resources
        .iter()
        .map(|scanned| {
            (
                ResourceKey::new(&scanned.resource, &scanned.location),
                &scanned.location,
            )
        })
        .collect()
}

/// Why and until when an exception applies, and where it was declared:
/// `reason (expires 2026-06-30; from annotation)`.
pub(crate) fn exception_note(exception: &AppliedException) -> String {
    match &exception.expires {
        Some(expires) => format!(
            "{} (expires {expires}; from {})",
            exception.reason, exception.source
        ),
        None => format!("{} (from {})", exception.reason, exception.source),
    }
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
    let starts = resource_starts(report);
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
            ResourceFindings {
                resource: key.resource,
                location: starts.get(&key).copied().unwrap_or(&findings[0].location),
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
    // Where each (control, resource) case is, so that attaching findings stays
    // linear on scans of thousands of resources.
    let mut case_of: HashMap<(usize, ResourceKey<'_>), usize> = HashMap::new();

    for scanned in &report.resources {
        for &index in &scanned.controls {
            let index = index as usize;
            if let Some(control) = controls.get_mut(index) {
                let key = ResourceKey::new(&scanned.resource, &scanned.location);
                case_of.insert((index, key), control.cases.len());
                control.cases.push(ControlCase {
                    resource: &scanned.resource,
                    location: &scanned.location,
                    findings: Vec::new(),
                });
            }
        }
    }

    let mut control_of: HashMap<&str, usize> = HashMap::new();
    for (index, control) in report.controls.iter().enumerate() {
        control_of.entry(control.id.as_str()).or_insert(index);
    }
    for finding in &report.findings {
        let control_index = *control_of.entry(&*finding.control_id).or_insert_with(|| {
            controls.push(ControlCases {
                id: &finding.control_id,
                title: &finding.title,
                cases: Vec::new(),
            });
            controls.len() - 1
        });
        let cases = &mut controls[control_index].cases;
        let case = *case_of
            .entry((control_index, ResourceKey::of_finding(finding)))
            .or_insert_with(|| {
                cases.push(ControlCase {
                    resource: &finding.resource,
                    location: &finding.location,
                    findings: Vec::new(),
                });
                cases.len() - 1
            });
        cases[case].findings.push(finding);
    }
    controls
}

/// `file:line` of a location, with the column when `with_column`.
pub(crate) fn position(location: &Location, with_column: bool) -> String {
    if let Some(object) = &location.object {
        format!(
            "{} uid {} resourceVersion {}",
            location.file, object.uid, object.resource_version
        )
    } else if with_column {
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
