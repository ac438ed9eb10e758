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
