//! The Prometheus text exposition format, one copy for vigie: metric headers,
//! samples, the label-value escaper and a duration [`Histogram`].
//!
//! Every `/metrics` producer (the posture of `scan --watch`, the cluster
//! inventory, the HTTP listeners, the admission webhook, the detection pipeline)
//! writes label values through [`escape_label_value`]. It lives here, with vigie's other text formats,
//! rather than in `vigie-server` (which serves `/metrics`): `vigie-report` must
//! stay free of the HTTP and TLS stack, and every producer can depend on it cheaply.

use std::borrow::Cow;
use std::fmt::{self, Write};

mod histogram;

pub use histogram::Histogram;

/// Appends the `# HELP` and `# TYPE` lines that open the metric `name` of the
/// type `kind` (`counter`, `gauge`...).
pub fn write_header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// Appends a metric that has one sample and no labels: its header
/// ([`write_header`]), then `name value`.
///
/// ```
/// use vigie_report::prometheus::write_single;
///
/// let mut out = String::new();
/// write_single(&mut out, "vigie_up", "gauge", "Whether vigie runs.", 1);
/// assert_eq!(out, "# HELP vigie_up Whether vigie runs.\n# TYPE vigie_up gauge\nvigie_up 1\n");
/// ```
pub fn write_single(
    out: &mut String,
    name: &str,
    kind: &str,
    help: &str,
    value: impl fmt::Display,
) {
    write_header(out, name, kind, help);
    write_sample(out, name, &[], value);
}

/// Appends one sample, `name{label="value",...} value`, each label value
/// escaped with [`escape_label_value`]; without labels, `name value`.
///
/// ```
/// use vigie_report::prometheus::write_sample;
///
/// let mut out = String::new();
/// write_sample(&mut out, "vigie_findings", &[("severity", "high"), ("namespace", "a\"b")], 3);
/// write_sample(&mut out, "vigie_scans_total", &[], format_args!("{:.1}", 2.0));
/// assert_eq!(out, "vigie_findings{severity=\"high\",namespace=\"a\\\"b\"} 3\nvigie_scans_total 2.0\n");
/// ```
pub fn write_sample(
    out: &mut String,
    name: &str,
    labels: &[(&str, &str)],
    value: impl fmt::Display,
) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (label, label_value)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{label}=\"{}\"", escape_label_value(label_value));
        }
        out.push('}');
    }
    let _ = writeln!(out, " {value}");
}

/// `value` escaped to sit between the double quotes of a label in the Prometheus
/// text format: backslash, double quote and line feed become `\\`, `\"` and `\n`,
/// the format's three escapes; everything else is written as is. A value needing
/// no escape is returned borrowed.
///
/// ```
/// use vigie_report::prometheus::escape_label_value;
///
/// assert_eq!(escape_label_value("kube-system"), "kube-system");
/// assert_eq!(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
/// ```
pub fn escape_label_value(value: &str) -> Cow<'_, str> {
    if !value.contains(['\\', '"', '\n']) {
        return Cow::Borrowed(value);
    }
    let mut escaped = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push_str("\\n"),
            other => escaped.push(other),
        }
    }
    Cow::Owned(escaped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_escapes_of_the_format() {
        for (value, escaped) in [
            ("back\\slash", "back\\\\slash"),
            ("double\"quote", "double\\\"quote"),
            ("line\nfeed", "line\\nfeed"),
            ("\\\"\n", "\\\\\\\"\\n"),
            ("é\t\r", "é\t\r"),
        ] {
            assert_eq!(escape_label_value(value), escaped);
        }
        assert!(matches!(
            escape_label_value("plain"),
            Cow::Borrowed("plain")
        ));
    }

    /// Reads the value of a label that opens at the start of `text` (just after
    /// its opening quote) as a Prometheus parser does; returns the value and what
    /// follows its closing quote.
    fn parse_label_value(text: &str) -> (String, &str) {
        let mut value = String::new();
        let mut chars = text.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => return (value, &text[i + 1..]),
                '\\' => match chars.next() {
                    Some((_, '\\')) => value.push('\\'),
                    Some((_, '"')) => value.push('"'),
                    Some((_, 'n')) => value.push('\n'),
                    other => panic!("not an escape of the format: {other:?}"),
                },
                other => value.push(other),
            }
        }
        panic!("label value never closed in {text:?}");
    }

    #[test]
    fn a_hostile_label_value_stays_inside_its_line() {
        let hostile = "x\"} 1\nvigie_forged_total{stage=\"y\\\"} 99\n# TYPE forged counter\\";
        let line = format!(
            "vigie_scan_errors_total{{stage=\"{}\"}} 1\n",
            escape_label_value(hostile)
        );
        assert_eq!(line.lines().count(), 1, "{line}");
        let opening = "vigie_scan_errors_total{stage=\"";
        let (value, rest) = parse_label_value(&line[opening.len()..]);
        assert_eq!(value, hostile);
        assert_eq!(rest, "} 1\n");
    }
}
