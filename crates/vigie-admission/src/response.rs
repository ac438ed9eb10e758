//! AdmissionReview responses, as the API server expects them.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{json, Map, Value as Json};

use vigie_resource::write_json_string;

use crate::review::API_VERSION;

/// The status code of a denial by policy. Kyverno leaves the code out and the API
/// server then reports 403 Forbidden; vigie says 403 itself.
pub const DENIED_CODE: u16 = 403;
/// The status code of a request vigie could not read (with a uid to answer to).
pub const BAD_REQUEST_CODE: u16 = 400;

/// The `response` of an AdmissionReview.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdmissionResponse {
    /// `request.uid`, echoed.
    pub uid: String,
    /// Whether the request may proceed.
    pub allowed: bool,
    /// `status.code` and `status.message`, on denial.
    pub status: Option<(u16, String)>,
    /// Shown to the client (`kubectl` prints them).
    pub warnings: Vec<String>,
    /// Added to the API server's audit event.
    pub audit_annotations: BTreeMap<String, String>,
    /// An RFC 6902 JSON Patch (JSON text), sent base64-encoded with
    /// `patchType: JSONPatch`.
    pub patch: Option<Vec<u8>>,
}

impl AdmissionResponse {
    /// Allowed, with nothing else.
    pub fn allow(uid: impl Into<String>) -> Self {
        Self {
            uid: uid.into(),
            allowed: true,
            ..Self::default()
        }
    }

    /// Denied with `code` and `message`.
    pub fn deny(uid: impl Into<String>, code: u16, message: impl Into<String>) -> Self {
        Self {
            uid: uid.into(),
            allowed: false,
            status: Some((code, message.into())),
            ..Self::default()
        }
    }

    /// The whole AdmissionReview, as JSON.
    pub fn to_review(&self) -> Json {
        let mut response = Map::new();
        response.insert("uid".into(), json!(self.uid));
        response.insert("allowed".into(), json!(self.allowed));
        if let Some((code, message)) = &self.status {
            let status = if self.allowed { "Success" } else { "Failure" };
            response.insert(
                "status".into(),
                json!({"code": code, "message": message, "status": status}),
            );
        }
        if !self.warnings.is_empty() {
            response.insert("warnings".into(), json!(self.warnings));
        }
        if !self.audit_annotations.is_empty() {
            response.insert("auditAnnotations".into(), json!(self.audit_annotations));
        }
        if let Some(patch) = &self.patch {
            response.insert("patchType".into(), json!("JSONPatch"));
            let encoded = base64::engine::general_purpose::STANDARD.encode(patch);
            response.insert("patch".into(), json!(encoded));
        }
        json!({"apiVersion": API_VERSION, "kind": "AdmissionReview", "response": response})
    }

    /// The AdmissionReview as the bytes of an HTTP body: the same document as
    /// [`AdmissionResponse::to_review`], written straight out rather than built as
    /// a tree first (this is on every request's path; a denial message is several
    /// KB).
    pub fn to_bytes(&self) -> Vec<u8> {
        let message_bytes = self.status.as_ref().map_or(0, |(_, m)| m.len());
        let mut out = Vec::with_capacity(256 + message_bytes + message_bytes / 8);
        out.extend_from_slice(br#"{"apiVersion":""#);
        out.extend_from_slice(API_VERSION.as_bytes());
        out.extend_from_slice(br#"","kind":"AdmissionReview","response":{"uid":"#);
        write_json_string(&mut out, &self.uid);
        out.extend_from_slice(if self.allowed {
            br#","allowed":true"#
        } else {
            br#","allowed":false"#
        });
        if let Some((code, message)) = &self.status {
            out.extend_from_slice(br#","status":{"code":"#);
            out.extend_from_slice(code.to_string().as_bytes());
            out.extend_from_slice(br#","message":"#);
            write_json_string(&mut out, message);
            out.extend_from_slice(if self.allowed {
                br#","status":"Success"}"#
            } else {
                br#","status":"Failure"}"#
            });
        }
        if !self.warnings.is_empty() {
            out.extend_from_slice(br#","warnings":["#);
            for (i, warning) in self.warnings.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json_string(&mut out, warning);
            }
            out.push(b']');
        }
        if !self.audit_annotations.is_empty() {
            out.extend_from_slice(br#","auditAnnotations":{"#);
            for (i, (key, value)) in self.audit_annotations.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json_string(&mut out, key);
                out.push(b':');
                write_json_string(&mut out, value);
            }
            out.push(b'}');
        }
        if let Some(patch) = &self.patch {
            out.extend_from_slice(br#","patchType":"JSONPatch","patch":""#);
            let encoded = base64::engine::general_purpose::STANDARD.encode(patch);
            out.extend_from_slice(encoded.as_bytes());
            out.push(b'"');
        }
        out.extend_from_slice(b"}}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes sent are the document `to_review` describes, for every field.
    #[test]
    fn the_bytes_are_the_review() {
        let mut full = AdmissionResponse::deny("u-1", DENIED_CODE, "no \"quotes\"\n\u{1}é");
        full.warnings = vec!["first".into(), "second \\ one".into()];
        full.audit_annotations
            .insert("policy/rule".into(), "fail\t".into());
        full.patch = Some(br#"[{"op":"add","path":"/a","value":1}]"#.to_vec());
        let mut allowed_with_status = AdmissionResponse::allow("u-2");
        allowed_with_status.status = Some((200, "fine".into()));
        for response in [full, allowed_with_status, AdmissionResponse::allow("u-3")] {
            let sent: Json = serde_json::from_slice(&response.to_bytes()).unwrap();
            assert_eq!(sent, response.to_review(), "{response:?}");
        }
    }
}
