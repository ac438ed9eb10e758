//! A small report: three resources (one from a kustomize rendering, one RBAC
//! binding), four active findings of different severities (one about a subject),
//! one excepted finding, a control that applied to nothing, two frameworks, one
//! input error.

use vigie_finding::{
    AppliedException, ControlSummary, Finding, FrameworkSummary, InputError, Location, Report,
    ResourceRef, ScannedResource, Severity, Totals,
};
use vigie_report::{render_to_string, Format, RenderOptions};

pub fn render(report: &Report, format: Format) -> String {
    render_to_string(report, format, &RenderOptions { color: false }).expect("renders")
}

fn control(
    id: &str,
    title: &str,
    severity: Severity,
    evaluated: u32,
    failed: u32,
) -> ControlSummary {
    ControlSummary {
        id: id.into(),
        title: title.into(),
        severity,
        description: format!("Checks that workloads avoid: {}.", title.to_lowercase()),
        remediation: match id {
            "VG-001" => "Remove securityContext.privileged or set it to false.",
            "VG-002" => "Remove spec.hostNetwork.",
            "VG-003" => "Set readOnlyRootFilesystem: true and mount writable paths as emptyDir.",
            "VG-004" => "Set automountServiceAccountToken: false.",
            "VG-006" => "Bind a role that grants only what the subject needs.",
            _ => "",
        }
        .into(),
        // Bindings are judged with the roles they bind.
        cross_object: id == "VG-006",
        evaluated,
        failed,
    }
}

pub fn web() -> ResourceRef {
    ResourceRef {
        api_version: "apps/v1".into(),
        kind: "Deployment".into(),
        namespace: Some("default".into()),
        name: "web".into(),
    }
}

pub fn api() -> ResourceRef {
    ResourceRef {
        api_version: "v1".into(),
        kind: "Pod".into(),
        namespace: Some("prod".into()),
        name: "api".into(),
    }
}

pub fn admins_binding() -> ResourceRef {
    ResourceRef {
        api_version: "rbac.authorization.k8s.io/v1".into(),
        kind: "ClusterRoleBinding".into(),
        namespace: None,
        name: "dev-admins".into(),
    }
}

pub fn dev_group() -> ResourceRef {
    ResourceRef {
        api_version: "rbac.authorization.k8s.io/v1".into(),
        kind: "Group".into(),
        namespace: None,
        name: "dev".into(),
    }
}

/// Line `line`, column `column` of the first document of `file`.
fn location(file: &str, line: u32, column: u32) -> Location {
    Location {
        file: file.into(),
        line,
        column,
        document: 0,
        item: None,
        rendered_by: None,
        object: None,
    }
}

pub fn rbac_location(line: u32, column: u32) -> Location {
    location("rbac/bindings.yaml", line, column)
}

pub fn web_location(line: u32, column: u32) -> Location {
    location("deploy/web.yaml", line, column)
}

pub fn api_location(line: u32, column: u32) -> Location {
    Location {
        document: 2,
        rendered_by: Some("kubectl kustomize".into()),
        ..location("overlays/prod", line, column)
    }
}

pub fn report() -> Report {
    let mut report = Report {
        tool_name: "vigie".into(),
        tool_version: "0.0.0-test".into(),
        profile: "Test profile v1".into(),
        controls: vec![
            control("VG-001", "Privileged container", Severity::Critical, 2, 1),
            control("VG-002", "Host network", Severity::High, 2, 1),
            control("VG-003", "Writable root filesystem", Severity::Medium, 2, 1),
            control(
                "VG-004",
                "Default service account token",
                Severity::Low,
                2,
                0,
            ),
            control("VG-005", "Windows host process", Severity::Info, 0, 0),
            // The excepted finding of VG-004 does not count: no resource failed it.
            control("VG-006", "Cluster-admin binding", Severity::High, 1, 1),
        ],
        frameworks: vec![
            FrameworkSummary {
                id: "nsa".into(),
                title: "NSA-CISA Kubernetes Hardening Guidance".into(),
                controls: vec!["VG-001".into(), "VG-003".into(), "VG-004".into()],
                // (50 + 50 + 100) / 3
                score: 200.0 / 3.0,
            },
            FrameworkSummary {
                id: "pss-baseline".into(),
                title: "Pod Security Standards baseline".into(),
                controls: vec!["VG-001".into(), "VG-002".into(), "VG-005".into()],
                // (50 + 50) / 2: VG-005 applied to nothing.
                score: 50.0,
            },
        ],
        resources: vec![
            ScannedResource {
                resource: web().into(),
                location: web_location(1, 1),
                controls: vec![0, 1, 2, 3],
            },
            ScannedResource {
                resource: api().into(),
                location: api_location(40, 1),
                controls: vec![0, 1, 2, 3],
            },
            ScannedResource {
                resource: admins_binding().into(),
                location: rbac_location(1, 1),
                controls: vec![5],
            },
        ],
        findings: vec![
            Finding {
                control_id: "VG-003".into(),
                title: "Writable root filesystem".into(),
                severity: Severity::Medium,
                resource: web().into(),
                location: web_location(24, 13),
                field_path:
                    "spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem".into(),
                message: "readOnlyRootFilesystem is false".into(),
                remediation:
                    "Set readOnlyRootFilesystem: true and mount writable paths as emptyDir.".into(),
                subject: None,
                exception: None,
            },
            Finding {
                control_id: "VG-001".into(),
                title: "Privileged container".into(),
                severity: Severity::Critical,
                resource: web().into(),
                location: web_location(21, 13),
                field_path: "spec.template.spec.containers[0].securityContext.privileged".into(),
                message: "container \"app\" runs privileged: privileged is true".into(),
                remediation: "Remove securityContext.privileged or set it to false.".into(),
                subject: None,
                exception: None,
            },
            Finding {
                control_id: "VG-002".into(),
                title: "Host network".into(),
                severity: Severity::High,
                resource: api().into(),
                location: api_location(47, 3),
                field_path: "spec.hostNetwork".into(),
                message: "hostNetwork is true (shares the node's network <namespace> & ports)"
                    .into(),
                remediation: "Remove spec.hostNetwork.".into(),
                subject: None,
                exception: None,
            },
            Finding {
                control_id: "VG-004".into(),
                title: "Default service account token".into(),
                severity: Severity::Low,
                resource: api().into(),
                location: api_location(52, 3),
                field_path: "spec.automountServiceAccountToken".into(),
                message: "automountServiceAccountToken is not false".into(),
                remediation: "Set automountServiceAccountToken: false.".into(),
                subject: None,
                exception: Some(Box::new(AppliedException {
                    reason: "the API client reads its own token; see OPS-142".into(),
                    expires: Some("2026-06-30".into()),
                    source: "annotation".into(),
                })),
            },
            Finding {
                control_id: "VG-006".into(),
                title: "Cluster-admin binding".into(),
                severity: Severity::High,
                resource: admins_binding().into(),
                location: rbac_location(11, 3),
                field_path: "subjects[0]".into(),
                message: "binds ClusterRole cluster-admin to Group dev".into(),
                remediation: "Bind a role that grants only what the subject needs.".into(),
                subject: Some(dev_group().into()),
                exception: None,
            },
        ],
        errors: vec![InputError {
            file: "deploy/broken.yaml".into(),
            line: Some(3),
            column: Some(7),
            reason: "mapping values are not allowed in this context".into(),
            fatal: true,
        }],
        totals: Totals::default(),
    };
    report.totals = Totals::count(&report.findings);
    report
}

/// The same report with nothing found and no error.
pub fn clean_report() -> Report {
    let mut report = report();
    report.findings.clear();
    report.totals = Totals::default();
    report.errors.clear();
    for control in &mut report.controls {
        control.failed = 0;
    }
    for framework in &mut report.frameworks {
        framework.score = 100.0;
    }
    report
}
