use vigie_finding::Totals;
use vigie_report::{render_to_string, Format, RenderOptions};

use crate::fixture::{clean_report, render, report};

#[test]
fn pretty_snapshot() {
    insta::assert_snapshot!(render(&report(), Format::Pretty));
}

#[test]
fn findings_are_grouped_by_resource_and_ordered_by_line() {
    let text = render(&report(), Format::Pretty);
    let web = text
        .find("Deployment default/web  deploy/web.yaml:1")
        .unwrap();
    let privileged = text.find("VG-001").unwrap();
    let writable = text.find("VG-003").unwrap();
    let api = text
        .find("Pod prod/api  overlays/prod:40 (lines of `kubectl kustomize` output)")
        .unwrap();
    assert!(web < privileged && privileged < writable && writable < api);
    assert!(text.contains("21:13  spec.template.spec.containers[0].securityContext.privileged"));
    assert!(text.contains("Compliance score: 50.0%"));
    assert!(text.contains("Input errors (1)"));
    assert!(text.contains("deploy/broken.yaml:3:7: error: mapping values"));
}

#[test]
fn colour_only_when_asked() {
    let plain = render(&report(), Format::Pretty);
    assert!(!plain.contains('\u{1b}'), "escape code in plain output");
    let coloured =
        render_to_string(&report(), Format::Pretty, &RenderOptions { color: true }).unwrap();
    assert!(coloured.contains("\u{1b}["));
    // Colour must not shift the table columns: without the escapes, the text is the same.
    let stripped = strip_ansi(&coloured);
    assert_eq!(stripped, plain);
}

#[test]
fn clean_run_says_so_in_one_line() {
    let text = render(&clean_report(), Format::Pretty);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.starts_with("No findings: 3 resources checked against 6 controls"));
}

#[test]
fn excepted_findings_are_shown_but_not_counted() {
    let text = render(&report(), Format::Pretty);
    let excepted = text
        .find("  EXCEPTED  VG-004  Default service account token (low)")
        .unwrap();
    let api = text.find("Pod prod/api").unwrap();
    let binding = text.find("ClusterRoleBinding dev-admins").unwrap();
    assert!(
        api < excepted && excepted < binding,
        "listed under its resource"
    );
    let block: Vec<&str> = text[excepted..binding].lines().collect();
    assert_eq!(
        block[3].trim(),
        "Excepted: the API client reads its own token; see OPS-142 (expires 2026-06-30; from annotation)"
    );
    assert!(
        !text[excepted..binding].contains("Fix:"),
        "no fix for an excepted finding"
    );
    assert!(text.contains("  low              0\n"));
    assert!(text.contains("  total            4\n  excepted         1\n"));
    assert!(text.contains("(4 findings on 3 of 3 scanned resources, 1 excepted)"));
}

#[test]
fn excepted_label_is_dim_not_a_severity_colour() {
    let coloured =
        render_to_string(&report(), Format::Pretty, &RenderOptions { color: true }).unwrap();
    let dim = anstyle::Style::new().effects(anstyle::Effects::DIMMED);
    assert!(coloured.contains(&format!("{}EXCEPTED{}", dim.render(), dim.render_reset())));
}

#[test]
fn a_report_whose_findings_are_all_excepted_still_lists_them() {
    let mut report = report();
    report.findings.retain(|f| f.exception.is_some());
    report.totals = Totals::count(&report.findings);
    let text = render(&report, Format::Pretty);
    assert!(!text.contains("No findings"), "{text}");
    assert!(text.contains("EXCEPTED  VG-004"));
    assert!(text.contains("  total            0\n  excepted         1\n"));
    assert!(text.contains("(0 findings on 0 of 3 scanned resources, 1 excepted)"));
}

#[test]
fn no_excepted_line_without_excepted_findings() {
    let mut report = report();
    report.findings.retain(|f| f.exception.is_none());
    report.totals = Totals::count(&report.findings);
    let text = render(&report, Format::Pretty);
    assert!(!text.contains("excepted"), "{text}");
}

#[test]
fn subjects_are_shown_on_their_finding() {
    let text = render(&report(), Format::Pretty);
    let binding = text.find("VG-006  Cluster-admin binding").unwrap();
    let subject = text.find("            subject: Group dev\n").unwrap();
    assert!(binding < subject);
}

#[test]
fn frameworks_are_tabled_before_controls_and_scored_on_the_last_line() {
    let text = render(&report(), Format::Pretty);
    let frameworks = text.find("  Framework     Title").unwrap();
    let controls = text.find("  Control  Title").unwrap();
    assert!(frameworks < controls);
    assert!(
        text.contains("  nsa           NSA-CISA Kubernetes Hardening Guidance         3  66.7%\n")
    );
    assert!(text.contains("Frameworks: nsa 66.7%, pss-baseline 50.0%\n"));

    let mut no_frameworks = report();
    no_frameworks.frameworks.clear();
    let text = render(&no_frameworks, Format::Pretty);
    assert!(!text.contains("Framework"), "{text}");
}

#[test]
fn clean_run_lists_framework_scores() {
    let text = render(&clean_report(), Format::Pretty);
    assert!(
        text.ends_with("compliance score 100.0%; nsa 100.0%, pss-baseline 100.0%.\n"),
        "{text}"
    );
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters final-byte
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
