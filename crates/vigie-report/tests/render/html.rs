use vigie_finding::Totals;
use vigie_report::Format;

use crate::fixture::{clean_report, render, report};

#[test]
fn html_snapshot() {
    insta::assert_snapshot!(render(&report(), Format::Html));
}

#[test]
fn page_is_self_contained() {
    let page = render(&report(), Format::Html);
    assert!(page.starts_with("<!DOCTYPE html>"));
    for external in ["<script", "<link", "src=", "href=", "@import", "url("] {
        assert!(
            !page.contains(external),
            "page refers to something outside: {external}"
        );
    }
    assert_eq!(
        page.matches("<svg").count(),
        3,
        "severities, controls, frameworks"
    );
    assert!(page.contains("<strong>50.0%</strong>"));
    assert!(page.contains("(lines of `kubectl kustomize` output)"));
    assert!(page.contains("deploy/broken.yaml:3:7"));
}

#[test]
fn input_text_is_escaped() {
    let mut report = report();
    report.findings[0].message = "<script>alert('x')</script> & \"more\"".into();
    report.controls[0].title = "<img onerror=x>".into();
    report.profile = "</title><b>".into();
    report.findings[3].exception.as_mut().unwrap().reason = "<i>trusted</i>".into();
    std::sync::Arc::make_mut(report.findings[4].subject.as_mut().unwrap()).name =
        "<u>dev</u>".into();
    report.frameworks[0].title = "<em>NSA</em>".into();
    let page = render(&report, Format::Html);
    for markup in ["<i>", "<u>", "<em>"] {
        assert!(!page.contains(markup), "unescaped {markup}");
    }
    assert!(!page.contains("<script>"));
    assert!(!page.contains("<img"));
    assert!(!page.contains("</title><b>"));
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;more&quot;"));
}

#[test]
fn clean_page_says_so() {
    let page = render(&clean_report(), Format::Html);
    assert!(page.contains("No findings"));
    assert!(page.contains("<strong>100.0%</strong>"));
}

#[test]
fn excepted_findings_are_greyed_with_their_exception_and_not_counted() {
    let page = render(&report(), Format::Html);
    assert_eq!(page.matches("<tr class=\"excepted\">").count(), 1);
    let row_start = page.find("<tr class=\"excepted\">").unwrap();
    let row = &page[row_start..row_start + page[row_start..].find("</tr>").unwrap()];
    assert!(row.contains("<strong>VG-004</strong>"));
    assert!(row.contains("<span class=\"tag\">excepted</span>"));
    assert!(row.contains(
        "Excepted: the API client reads its own token; see OPS-142 (expires 2026-06-30; from annotation)"
    ));
    assert!(!row.contains("Fix:"));
    assert!(page.contains("<div><strong>4</strong><span>findings</span></div>"));
    assert!(page.contains("<div><strong>1</strong><span>excepted</span></div>"));
    // The severity chart counts active findings only: no low one.
    assert!(page.contains("<title>low: 0</title>"));

    let mut none_excepted = report();
    none_excepted.findings.retain(|f| f.exception.is_none());
    none_excepted.totals = Totals::count(&none_excepted.findings);
    let page = render(&none_excepted, Format::Html);
    assert!(!page.contains("<span>excepted</span>"));
}

#[test]
fn subjects_are_shown_on_their_finding() {
    let page = render(&report(), Format::Html);
    assert!(page.contains(
        "binds ClusterRole cluster-admin to Group dev<br>Subject: <strong>Group dev</strong>"
    ));
}

#[test]
fn frameworks_get_a_chart_and_a_table_when_present() {
    let page = render(&report(), Format::Html);
    assert!(page.contains("aria-label=\"Score per framework\""));
    assert!(page.contains(
        "<tr><td><strong>nsa</strong></td><td>NSA-CISA Kubernetes Hardening Guidance</td>\
         <td class=\"num\">3</td><td class=\"num\">66.7%</td></tr>"
    ));
    let frameworks = page.find("<h2>Frameworks</h2>").unwrap();
    assert!(frameworks < page.find("<h2>Findings</h2>").unwrap());

    let mut report = report();
    report.frameworks.clear();
    let page = render(&report, Format::Html);
    assert!(!page.contains("Frameworks"));
    assert_eq!(page.matches("<svg").count(), 2);
}
