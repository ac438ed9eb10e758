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
    assert_eq!(page.matches("<svg").count(), 2, "two charts");
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
    let page = render(&report, Format::Html);
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
