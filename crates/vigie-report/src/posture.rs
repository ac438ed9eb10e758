//! A scan's result as Prometheus metrics: the compliance posture that the
//! continuous scan (`vigie scan --cluster --watch`) exports.
//!
//! [`FindingTally`] counts findings as a scan hands them over (by severity,
//! namespace and control: the findings themselves are not kept);
//! [`PostureMetrics::record`] takes that tally and the scan's report, and
//! [`PostureMetrics::render`] writes the Prometheus text exposition.

use crate::prometheus::{write_header, write_sample};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use vigie_finding::{Finding, Report};

/// Active (not excepted) findings by (severity, namespace, control).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FindingTally {
    counts: BTreeMap<(&'static str, String, String), u64>,
}

impl FindingTally {
    /// Counts one finding; excepted findings are not counted (they do not
    /// count against the score either).
    pub fn add(&mut self, finding: &Finding) {
        if finding.exception.is_some() {
            return;
        }
        let key = (
            finding.severity.as_str(),
            finding.resource.namespace.clone().unwrap_or_default(),
            finding.control_id.to_string(),
        );
        *self.counts.entry(key).or_default() += 1;
    }

    /// The count for one (severity, namespace, control); `""` is the namespace
    /// of cluster-scoped objects.
    pub fn get(&self, severity: &str, namespace: &str, control: &str) -> u64 {
        self.counts
            .iter()
            .find(|((s, n, c), _)| *s == severity && n == namespace && c == control)
            .map_or(0, |(_, n)| *n)
    }
}

/// The posture of the last scan, and counters over every scan.
#[derive(Clone, Debug, Default)]
pub struct PostureMetrics {
    frameworks: Vec<(String, f64)>,
    /// (control, severity, evaluated, failed).
    controls: Vec<(String, &'static str, u32, u32)>,
    findings: FindingTally,
    severities: [u64; 5],
    last_duration: f64,
    last_timestamp: f64,
    scans: u64,
    input_errors: u64,
    scan_errors: BTreeMap<String, u64>,
}

impl PostureMetrics {
    /// The metrics [`PostureMetrics::render`] writes: name, type, help.
    pub const METRICS: &'static [(&'static str, &'static str, &'static str)] = &[
        ("vigie_compliance_score", "gauge", "Compliance score of the last scan in percent, by framework (the mean over its controls of 100 x passed / evaluated resources)."),
        ("vigie_control_compliance_score", "gauge", "100 x passed / evaluated resources of each control in the last scan, by control and severity (controls that applied to nothing are left out)."),
        ("vigie_control_resources_evaluated", "gauge", "Resources each control applied to in the last scan."),
        ("vigie_control_resources_failed", "gauge", "Resources with at least one finding of each control in the last scan."),
        ("vigie_findings", "gauge", "Active (not excepted) findings of the last scan, by severity, namespace (empty: cluster-scoped) and control."),
        ("vigie_findings_by_severity", "gauge", "Active findings of the last scan, by severity."),
        ("vigie_scan_duration_seconds", "gauge", "How long the last scan took (evaluation and report writing)."),
        ("vigie_scan_timestamp_seconds", "gauge", "Unix time the last scan ended."),
        ("vigie_scans_total", "counter", "Scans made since the start."),
        ("vigie_scan_input_errors", "gauge", "Objects or types the last scan could not read (warnings included)."),
        ("vigie_scan_errors_total", "counter", "Failures of the continuous scan, by stage (reports: writing policy reports to the cluster)."),
    ];

    /// Takes the result of a scan: its report (scores, controls, errors), the
    /// findings it counted, and how long it took.
    pub fn record(&mut self, report: &Report, findings: FindingTally, duration: Duration) {
        self.frameworks = report
            .frameworks
            .iter()
            .map(|f| (f.id.clone(), f.score))
            .collect();
        self.controls = report
            .controls
            .iter()
            .map(|c| (c.id.clone(), c.severity.as_str(), c.evaluated, c.failed))
            .collect();
        let counts = report.severity_counts();
        self.severities = [
            counts.critical as u64,
            counts.high as u64,
            counts.medium as u64,
            counts.low as u64,
            counts.info as u64,
        ];
        self.findings = findings;
        self.last_duration = duration.as_secs_f64();
        self.last_timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        self.scans += 1;
        self.input_errors = report.errors.len() as u64;
    }

    /// Counts a failure of the continuous scan at `stage` (`reports`, `scan`).
    pub fn failed(&mut self, stage: &str) {
        *self.scan_errors.entry(stage.to_string()).or_default() += 1;
    }

    /// Appends the Prometheus text exposition.
    pub fn render(&self, out: &mut String) {
        let header = |out: &mut String, index: usize| {
            let (name, kind, help) = Self::METRICS[index];
            write_header(out, name, kind, help);
        };
        header(out, 0);
        for (framework, score) in &self.frameworks {
            let labels = [("framework", framework.as_str())];
            write_sample(
                out,
                "vigie_compliance_score",
                &labels,
                format_args!("{score:.2}"),
            );
        }
        header(out, 1);
        for (control, severity, evaluated, failed) in &self.controls {
            if *evaluated > 0 {
                let score = 100.0 * f64::from(evaluated - failed) / f64::from(*evaluated);
                let labels = [("control", control.as_str()), ("severity", severity)];
                write_sample(
                    out,
                    "vigie_control_compliance_score",
                    &labels,
                    format_args!("{score:.2}"),
                );
            }
        }
        header(out, 2);
        for (control, _, evaluated, _) in &self.controls {
            let labels = [("control", control.as_str())];
            write_sample(out, "vigie_control_resources_evaluated", &labels, evaluated);
        }
        header(out, 3);
        for (control, _, _, failed) in &self.controls {
            let labels = [("control", control.as_str())];
            write_sample(out, "vigie_control_resources_failed", &labels, failed);
        }
        header(out, 4);
        for ((severity, namespace, control), n) in &self.findings.counts {
            let labels = [
                ("severity", *severity),
                ("namespace", namespace),
                ("control", control),
            ];
            write_sample(out, "vigie_findings", &labels, n);
        }
        header(out, 5);
        for (severity, n) in ["critical", "high", "medium", "low", "info"]
            .iter()
            .zip(self.severities)
        {
            write_sample(
                out,
                "vigie_findings_by_severity",
                &[("severity", severity)],
                n,
            );
        }
        header(out, 6);
        let duration = self.last_duration;
        write_sample(
            out,
            "vigie_scan_duration_seconds",
            &[],
            format_args!("{duration:.3}"),
        );
        header(out, 7);
        let timestamp = self.last_timestamp;
        write_sample(
            out,
            "vigie_scan_timestamp_seconds",
            &[],
            format_args!("{timestamp:.0}"),
        );
        header(out, 8);
        write_sample(out, "vigie_scans_total", &[], self.scans);
        header(out, 9);
        write_sample(out, "vigie_scan_input_errors", &[], self.input_errors);
        header(out, 10);
        for (stage, n) in &self.scan_errors {
            write_sample(out, "vigie_scan_errors_total", &[("stage", stage)], n);
        }
    }
}
