//! Running the controls over loaded resources and gathering a report.

use vigie_finding::{
    ControlSummary, Finding, InputError, Location, Report, ResourceRef, ScannedResource,
};
use vigie_resource::{load_each, pod_template, Diagnostic, LoadOptions, Pos, Resource};

use crate::pss::{self, Level, Version};

/// What a scan checks.
#[derive(Clone, Copy, Debug)]
pub struct ScanConfig {
    pub level: Level,
    pub version: Version,
}

impl Default for ScanConfig {
    fn default() -> Self {
        Self {
            level: Level::Restricted,
            version: Version::LATEST,
        }
    }
}

/// Loads the inputs and scans every resource as it is parsed (no object is kept
/// once checked), then builds the report, input errors included.
pub fn scan(inputs: &[String], options: &LoadOptions, config: &ScanConfig) -> Report {
    let checks = pss::checks_for(config.level, config.version);
    let streamed = load_each(inputs, options, |resource| {
        scan_resource(&resource, &checks, config.version)
    });
    let per_resource = streamed.results;

    let mut controls: Vec<ControlSummary> = checks
        .iter()
        .map(|c| ControlSummary {
            id: c.id.to_string(),
            title: c.title.to_string(),
            severity: c.severity,
            description: c.summary(),
            evaluated: 0,
            failed: 0,
        })
        .collect();
    let mut resources = Vec::with_capacity(per_resource.len());
    let mut findings = Vec::new();
    for (scanned, resource_findings, failed) in per_resource {
        for &i in &scanned.controls {
            controls[i as usize].evaluated += 1;
        }
        for i in failed {
            controls[i as usize].failed += 1;
        }
        resources.push(scanned);
        findings.extend(resource_findings);
    }
    Report {
        tool_name: "vigie".into(),
        tool_version: env!("CARGO_PKG_VERSION").into(),
        profile: format!("Pod Security Standards {} {}", config.level, config.version),
        controls,
        frameworks: Vec::new(),
        resources,
        findings,
        errors: streamed.diagnostics.iter().map(input_error).collect(),
    }
}

fn scan_resource(
    resource: &Resource,
    checks: &[&'static pss::Check],
    version: Version,
) -> (ScannedResource, Vec<Finding>, Vec<u32>) {
    let reference = ResourceRef {
        api_version: resource.api_version.clone(),
        kind: resource.kind.clone(),
        namespace: resource.namespace.clone(),
        name: resource.name.clone(),
    };
    let mut scanned = ScannedResource {
        resource: reference,
        location: location(resource, resource.pos),
        controls: Vec::new(),
    };
    let Some(template) = pod_template(resource) else {
        return (scanned, Vec::new(), Vec::new());
    };
    scanned.controls = (0..checks.len() as u32).collect();
    let mut findings = Vec::new();
    let mut failed = Vec::new();
    for failure in pss::evaluate(template, checks, version) {
        let index = checks
            .iter()
            .position(|c| std::ptr::eq(*c, failure.check))
            .expect("failures come from the given checks") as u32;
        failed.push(index);
        for violation in failure.violations {
            findings.push(Finding {
                control_id: failure.check.id.to_string(),
                title: failure.check.title.to_string(),
                severity: failure.check.severity,
                resource: scanned.resource.clone(),
                location: location(resource, violation.pos),
                field_path: violation.path,
                message: violation.message,
                remediation: failure.check.remediation.to_string(),
                subject: None,
                exception: None,
            });
        }
    }
    (scanned, findings, failed)
}

fn location(resource: &Resource, pos: Pos) -> Location {
    let pos = if pos.line == 0 { resource.pos } else { pos };
    Location {
        file: resource.origin.file.path.clone(),
        line: pos.line,
        column: pos.column,
        document: resource.origin.document,
        item: resource.origin.item,
        rendered_by: resource.origin.file.rendered_by.clone(),
    }
}

fn input_error(diagnostic: &Diagnostic) -> InputError {
    InputError {
        file: diagnostic.file.clone(),
        line: diagnostic.pos.map(|p| p.line),
        column: diagnostic.pos.map(|p| p.column),
        reason: diagnostic.reason.clone(),
        fatal: diagnostic.is_error(),
    }
}
