//! AdmissionReview responses, as the API server expects them.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::{json, Map, Value as Json};

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

    /// The AdmissionReview as the bytes of an HTTP body.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising a Value cannot fail.
        serde_json::to_vec(&self.to_review()).unwrap_or_default()
    }
}
