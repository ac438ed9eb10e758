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
        string(&mut out, &self.uid);
        out.extend_from_slice(if self.allowed {
            br#","allowed":true"#
        } else {
            br#","allowed":false"#
        });
        if let Some((code, message)) = &self.status {
            out.extend_from_slice(br#","status":{"code":"#);
            out.extend_from_slice(code.to_string().as_bytes());
            out.extend_from_slice(br#","message":"#);
            string(&mut out, message);
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
                string(&mut out, warning);
            }
            out.push(b']');
        }
        if !self.audit_annotations.is_empty() {
            out.extend_from_slice(br#","auditAnnotations":{"#);
            for (i, (key, value)) in self.audit_annotations.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                string(&mut out, key);
                out.push(b':');
                string(&mut out, value);
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

/// Writes `text` as a JSON string, quoted and escaped, byte for byte as
/// serde_json writes it. Denial messages run to kilobytes, and serde_json looks
/// at each byte in turn (4% of an answer's instructions): here eight bytes are
/// looked at together, a word with something to escape is resumed at that
/// byte, and runs without anything to escape are copied whole.
fn string(out: &mut Vec<u8>, text: &str) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte of `word` that is zero; a false mark appears
    // only above a true one, so the lowest mark is exact.
    let zeros = |word: u64| word.wrapping_sub(ONES) & !word & HIGH;
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    // Bytes before `start` are written; bytes before `i` are looked at.
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let at = match bytes.get(i..i + 8) {
            Some(chunk) => {
                let mut word = [0u8; 8];
                word.copy_from_slice(chunk);
                let word = u64::from_le_bytes(word);
                // Control characters (below 0x20: a borrow out of the byte),
                // quotes and backslashes, tested together: as each kind's
                // lowest mark is exact, so is the lowest of them all.
                let marks = (word.wrapping_sub(ONES * 0x20) & !word & HIGH)
                    | zeros(word ^ (ONES * u64::from(b'"')))
                    | zeros(word ^ (ONES * u64::from(b'\\')));
                if marks == 0 {
                    i += 8;
                    continue;
                }
                // Little-endian: the lowest mark is the first such byte.
                i + (marks.trailing_zeros() / 8) as usize
            }
            // One of the last seven bytes.
            None => i,
        };
        let byte = bytes[at];
        let escaped: &[u8] = match byte {
            b'"' => br#"\""#,
            b'\\' => br"\\",
            b'\n' => br"\n",
            b'\r' => br"\r",
            b'\t' => br"\t",
            0x08 => br"\b",
            0x0c => br"\f",
            0x00..=0x1f => &[],
            _ => {
                i = at + 1;
                continue;
            }
        };
        out.extend_from_slice(&bytes[start..at]);
        if escaped.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(br"\u00");
            out.push(HEX[usize::from(byte >> 4)]);
            out.push(HEX[usize::from(byte & 0xf)]);
        } else {
            out.extend_from_slice(escaped);
        }
        i = at + 1;
        start = i;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Strings are written exactly as serde_json writes them: every ASCII byte
    /// at every position of an eight-byte word, and multi-byte characters.
    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut texts: Vec<String> = Vec::new();
        for byte in 0u8..0x80 {
            let c = char::from(byte);
            for position in 0..17 {
                let mut text = "abcdefghijklmnopq".to_string();
                text.insert(position, c);
                texts.push(text);
            }
            texts.push(c.to_string());
        }
        // Two bytes to escape, in one word or across two, after any of
        // the bytes that mark a word.
        for first in ['"', '\\', '\n', '\u{1}'] {
            for second in ['"', '\u{1f}'] {
                for position in 0..17 {
                    let mut text: String = "abcdefghijklmnopq".into();
                    text.insert(position, second);
                    text.insert(position / 2, first);
                    texts.push(text);
                }
            }
        }
        texts.push(String::new());
        texts.push("é\u{7f}\u{80}日本語 \"x\" \\ \u{1f}\u{0}ü€😀 and then some more text".into());
        texts.push("\u{ff}\u{100}\u{7ff}\u{800}\u{ffff}\u{10000}\u{10ffff}12345678".into());
        for text in &texts {
            let mut ours = Vec::new();
            string(&mut ours, text);
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string(text).unwrap(),
                "{text:?}"
            );
        }
    }

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
