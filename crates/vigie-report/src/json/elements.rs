//! The elements of the report's two long lists, findings and scanned resources,
//! written by hand.
//!
//! A large scan writes millions of findings and lists every resource with the
//! hundred controls run on it; going through serde cost a third of the whole
//! scan. The layout is the one the rest of the document has (serde_json's
//! pretty printer, elements at depth 2); the snapshot and schema tests of the
//! report hold both to it.

use vigie_finding::{
    AppliedException, ControlSummary, Finding, Location, ResourceRef, ScannedResource, Severity,
};

/// Writes a scanned resource as an element of the resources list, without the
/// line break before it. `control_ids` are the report's control IDs, as JSON
/// strings already.
pub(super) fn write_resource(
    scanned: &ScannedResource,
    control_ids: &[Vec<u8>],
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(b"{");
    field(out, 3, "resource", true);
    object(out, 3, &scanned.resource);
    field(out, 3, "location", false);
    location(out, 3, &scanned.location);
    field(out, 3, "controls", false);
    let mut ids = scanned
        .controls
        .iter()
        .filter_map(|&i| control_ids.get(i as usize))
        .peekable();
    if ids.peek().is_none() {
        out.extend_from_slice(b"[]");
    } else {
        out.push(b'[');
        for (i, id) in ids.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            new_line(out, 4);
            out.extend_from_slice(id);
        }
        new_line(out, 3);
        out.push(b']');
    }
    close(out, 2);
}

/// What every finding of a control writes the same, written once: the fields
/// before `resource` and the `remediation`.
pub(super) struct ControlTexts {
    title: String,
    severity: Severity,
    remediation: String,
    head: Vec<u8>,
    tail: Vec<u8>,
}

impl ControlTexts {
    pub(super) fn new(control: &ControlSummary) -> Self {
        let mut head = Vec::new();
        write_head(&control.id, &control.title, control.severity, &mut head);
        let mut tail = Vec::new();
        write_remediation(&control.remediation, &mut tail);
        ControlTexts {
            title: control.title.clone(),
            severity: control.severity,
            remediation: control.remediation.clone(),
            head,
            tail,
        }
    }

    /// Whether `finding` carries these texts (a report assembled by hand may not).
    fn fits(&self, finding: &Finding) -> bool {
        self.severity == finding.severity
            && *self.title == *finding.title
            && *self.remediation == *finding.remediation
    }
}

/// Writes `finding` as an element of the findings list, without the line break
/// before it. `control` holds its control's texts when known, and `resource`
/// its resource already written, `object` at depth 3.
pub(super) fn write_finding(
    finding: &Finding,
    control: Option<&ControlTexts>,
    resource: &[u8],
    out: &mut Vec<u8>,
) {
    let control = control.filter(|c| c.fits(finding));
    match control {
        Some(texts) => out.extend_from_slice(&texts.head),
        None => write_head(&finding.control_id, &finding.title, finding.severity, out),
    }
    out.extend_from_slice(resource);
    field(out, 3, "location", false);
    location(out, 3, &finding.location);
    field(out, 3, "fieldPath", false);
    string(out, &finding.field_path);
    field(out, 3, "message", false);
    string(out, &finding.message);
    match control {
        Some(texts) => out.extend_from_slice(&texts.tail),
        None => write_remediation(&finding.remediation, out),
    }
    if let Some(subject) = &finding.subject {
        field(out, 3, "subject", false);
        object(out, 3, subject);
    }
    if let Some(applied) = &finding.exception {
        field(out, 3, "exception", false);
        exception(out, 3, applied);
    }
    close(out, 2);
}

/// A finding from its opening brace to the `"resource": ` key.
fn write_head(id: &str, title: &str, severity: Severity, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{");
    field(out, 3, "controlId", true);
    string(out, id);
    field(out, 3, "title", false);
    string(out, title);
    field(out, 3, "severity", false);
    string(out, severity.as_str());
    field(out, 3, "resource", false);
}

fn write_remediation(remediation: &str, out: &mut Vec<u8>) {
    field(out, 3, "remediation", false);
    string(out, remediation);
}

/// The resource of a finding, as the value of its `resource` key.
pub(super) fn write_resource_value(resource: &ResourceRef, out: &mut Vec<u8>) {
    object(out, 3, resource);
}

/// A resource, as an object whose fields are at `depth`.
fn object(out: &mut Vec<u8>, depth: usize, resource: &ResourceRef) {
    out.push(b'{');
    name_fields(
        out,
        depth + 1,
        true,
        &resource.api_version,
        &resource.kind,
        resource.namespace.as_deref(),
        &resource.name,
    );
    close(out, depth);
}

/// The fields that name an object (`apiVersion`, `kind`, `namespace` when it
/// has one, `name`) at `depth`; `first` when they open their object.
fn name_fields(
    out: &mut Vec<u8>,
    depth: usize,
    first: bool,
    api_version: &str,
    kind: &str,
    namespace: Option<&str>,
    name: &str,
) {
    field(out, depth, "apiVersion", first);
    string(out, api_version);
    field(out, depth, "kind", false);
    string(out, kind);
    if let Some(namespace) = namespace {
        field(out, depth, "namespace", false);
        string(out, namespace);
    }
    field(out, depth, "name", false);
    string(out, name);
}

fn location(out: &mut Vec<u8>, depth: usize, location: &Location) {
    out.push(b'{');
    field(out, depth + 1, "file", true);
    string(out, &location.file);
    field(out, depth + 1, "line", false);
    number(out, location.line);
    field(out, depth + 1, "column", false);
    number(out, location.column);
    field(out, depth + 1, "document", false);
    number(out, location.document);
    if let Some(item) = location.item {
        field(out, depth + 1, "item", false);
        number(out, item);
    }
    if let Some(tool) = &location.rendered_by {
        field(out, depth + 1, "renderedBy", false);
        string(out, tool);
    }
    if let Some(object) = &location.object {
        let depth = depth + 1;
        field(out, depth, "object", false);
        out.push(b'{');
        field(out, depth + 1, "context", true);
        string(out, &object.context);
        name_fields(
            out,
            depth + 1,
            false,
            &object.api_version,
            &object.kind,
            object.namespace.as_deref(),
            &object.name,
        );
        field(out, depth + 1, "uid", false);
        string(out, &object.uid);
        field(out, depth + 1, "resourceVersion", false);
        string(out, &object.resource_version);
        close(out, depth);
    }
    close(out, depth);
}

fn exception(out: &mut Vec<u8>, depth: usize, exception: &AppliedException) {
    out.push(b'{');
    field(out, depth + 1, "reason", true);
    string(out, &exception.reason);
    if let Some(expires) = &exception.expires {
        field(out, depth + 1, "expires", false);
        string(out, expires);
    }
    field(out, depth + 1, "source", false);
    string(out, &exception.source);
    close(out, depth);
}

/// `,` (unless first), a new line indented to `depth`, and `"name": `.
fn field(out: &mut Vec<u8>, depth: usize, name: &str, first: bool) {
    if !first {
        out.push(b',');
    }
    new_line(out, depth);
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\": ");
}

/// The closing brace of an object at `depth` (its fields are one level deeper).
fn close(out: &mut Vec<u8>, depth: usize) {
    new_line(out, depth);
    out.push(b'}');
}

fn new_line(out: &mut Vec<u8>, depth: usize) {
    out.push(b'\n');
    out.resize(out.len() + 2 * depth, b' ');
}

fn number(out: &mut Vec<u8>, n: u32) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// A JSON string. Most strings need no escape: that is checked for the whole
/// string at once (a loop the compiler vectorizes), and only the others go
/// through serde_json's escaping.
pub(super) fn string(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    let needs_escape = bytes.iter().fold(false, |any, &b| {
        any | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if needs_escape {
        serde_json::to_writer(&mut *out, text).expect("writing to memory");
    } else {
        out.reserve(bytes.len() + 2);
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// The fields the report fixture leaves out: a `List` item, an exception
    /// without expiry, a resource without namespace.
    #[test]
    fn optional_fields_are_written_when_present() {
        let finding = Finding {
            control_id: "VG-W001".into(),
            title: "T".into(),
            severity: Severity::Low,
            resource: Arc::new(ResourceRef {
                api_version: "v1".into(),
                kind: "Namespace".into(),
                namespace: None,
                name: "n".into(),
            }),
            location: Location {
                file: "list.yaml".into(),
                line: 12,
                column: 5,
                document: 1,
                item: Some(3),
                rendered_by: None,
                object: None,
            },
            field_path: "metadata".into(),
            message: "m".into(),
            remediation: "r".into(),
            subject: None,
            exception: Some(Box::new(AppliedException {
                reason: "why".into(),
                expires: None,
                source: "annotation".into(),
            })),
        };
        let mut out = Vec::new();
        let mut resource = Vec::new();
        write_resource_value(&finding.resource, &mut resource);
        write_finding(&finding, None, &resource, &mut out);
        let text = String::from_utf8(out).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "controlId": "VG-W001", "title": "T", "severity": "low",
                "resource": {"apiVersion": "v1", "kind": "Namespace", "name": "n"},
                "location": {"file": "list.yaml", "line": 12, "column": 5, "document": 1, "item": 3},
                "fieldPath": "metadata", "message": "m", "remediation": "r",
                "exception": {"reason": "why", "source": "annotation"}
            })
        );
        assert!(text.contains("\n        \"item\": 3\n      },\n"), "{text}");
        assert!(text.ends_with("\n      }\n    }"), "{text}");
    }

    #[test]
    fn strings_are_escaped_as_serde_json_does() {
        let all_ascii: String = (0u8..128).map(char::from).collect();
        for text in [
            "plain",
            "",
            "quote \" and backslash \\",
            "tab\tnew line\n",
            "é ✓ \u{7f}",
            all_ascii.as_str(),
        ] {
            let mut out = Vec::new();
            string(&mut out, text);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(text).unwrap()
            );
        }
    }
}
