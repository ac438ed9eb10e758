//! Turning bytes into audit events: one JSON value holding an `Event`, an `EventList`
//! (what the API server's webhook backend POSTs), or a JSON array of events.

use std::fmt;

use serde_json::value::RawValue;
use serde_json::Value;

use super::event::{AuditEvent, Document};

/// Why a JSON value could not be read as audit events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Not valid JSON.
    Json(String),
    /// Valid JSON, but not an audit event.
    NotAuditEvent(String),
    /// Larger than the configured limit.
    TooLarge {
        /// The input's size in bytes.
        size: usize,
        /// The configured limit in bytes.
        limit: usize,
    },
}

impl DecodeError {
    /// A short stable name, for counters.
    pub fn kind(&self) -> &'static str {
        match self {
            DecodeError::Json(_) => "invalid_json",
            DecodeError::NotAuditEvent(_) => "not_audit_event",
            DecodeError::TooLarge { .. } => "too_large",
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Json(e) => write!(f, "invalid JSON: {e}"),
            DecodeError::NotAuditEvent(why) => {
                write!(f, "data not recognized as a k8s audit event: {why}")
            }
            DecodeError::TooLarge { size, limit } => write!(
                f,
                "event of {size} bytes exceeds the limit of {limit} bytes"
            ),
        }
    }
}

/// Whether an object is an audit event: `kind: Event`, or an `EventList` item (which
/// the API server writes without `kind`) carrying the fields every event has. This is
/// the rule [`AuditEvent`]'s typed reading applies; it is used on trees only to explain
/// why an object the typed reading refused is not an event.
pub(super) fn check_event(v: &Value) -> Result<(), String> {
    let Some(obj) = v.as_object() else {
        return Err("not a JSON object".to_string());
    };
    match obj.get("kind") {
        Some(Value::String(k)) if k == "Event" => {}
        Some(other) => return Err(format!("kind is {other}, not \"Event\"")),
        None if obj.contains_key("auditID") || obj.contains_key("verb") => {}
        None => return Err("no kind, auditID or verb".to_string()),
    }
    if !obj.get("stage").is_none_or(Value::is_string)
        || !obj.get("verb").is_none_or(Value::is_string)
    {
        return Err("stage and verb must be strings".to_string());
    }
    Ok(())
}

/// Reads every event of a parsed JSON value, appending them to `out`.
pub fn events_from_value(value: Value, out: &mut Vec<AuditEvent>) -> Result<usize, DecodeError> {
    decode(value.to_string().as_bytes(), usize::MAX, out)
}

fn json_error(e: serde_json::Error) -> DecodeError {
    DecodeError::Json(e.to_string())
}

/// Reads the items of an array or an `EventList`: every item must be an event.
fn read_items(items: &[&RawValue], out: &mut Vec<AuditEvent>) -> Result<usize, DecodeError> {
    let first = out.len();
    for item in items {
        let text = item.get();
        let event = if text.starts_with('{') {
            match AuditEvent::read(text) {
                Ok(Document::Event(event)) => Ok(*event),
                Ok(Document::List(_)) => Err(DecodeError::NotAuditEvent(
                    "kind is \"EventList\", not \"Event\"".into(),
                )),
                Err(e) => Err(e),
            }
        } else {
            Err(DecodeError::NotAuditEvent("not a JSON object".into()))
        };
        match event {
            Ok(event) => out.push(event),
            Err(e) => {
                // All or nothing, as for a document that is not an event.
                out.truncate(first);
                return Err(e);
            }
        }
    }
    Ok(items.len())
}

/// Parses and reads one JSON document (a log line, a webhook body): an event, an
/// `EventList` or a JSON array of events.
pub fn decode(bytes: &[u8], limit: usize, out: &mut Vec<AuditEvent>) -> Result<usize, DecodeError> {
    if bytes.len() > limit {
        return Err(DecodeError::TooLarge {
            size: bytes.len(),
            limit,
        });
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.trim_matches([' ', '\t', '\n', '\r']),
        // serde_json says where the bad bytes are.
        Err(_) => {
            return Err(json_error(
                serde_json::from_slice::<Value>(bytes)
                    .expect_err("JSON text is UTF-8, and these bytes are not"),
            ))
        }
    };
    match text.as_bytes().first() {
        Some(b'{') => match AuditEvent::read(text)? {
            Document::Event(event) => {
                out.push(*event);
                Ok(1)
            }
            Document::List(None) => Ok(0),
            Document::List(Some(items)) => match items.get().as_bytes()[0] {
                b'n' => Ok(0),
                b'[' => read_items(
                    &serde_json::from_str::<Vec<&RawValue>>(items.get()).map_err(json_error)?,
                    out,
                ),
                _ => Err(DecodeError::NotAuditEvent(
                    "EventList items is not an array".into(),
                )),
            },
        },
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text).map_err(json_error)?;
            read_items(&items, out)
        }
        _ => {
            serde_json::from_str::<Value>(text).map_err(json_error)?;
            Err(DecodeError::NotAuditEvent("not a JSON object".into()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","stage":"ResponseComplete","verb":"get","auditID":"a1","user":{"username":"alice"}}"#;

    #[test]
    fn reads_single_events_lists_and_arrays() {
        let mut out = Vec::new();
        assert_eq!(decode(EVENT.as_bytes(), 1 << 20, &mut out), Ok(1));
        let list = format!(
            r#"{{"kind":"EventList","items":[{EVENT},{{"auditID":"b","verb":"list","stage":"ResponseComplete"}}]}}"#
        );
        assert_eq!(decode(list.as_bytes(), 1 << 20, &mut out), Ok(2));
        let array = format!("[{EVENT},{EVENT}]");
        assert_eq!(decode(array.as_bytes(), 1 << 20, &mut out), Ok(2));
        assert_eq!(out.len(), 5);
    }

    #[test]
    fn rejects_malformed_input_with_reasons() {
        let mut out = Vec::new();
        assert!(matches!(
            decode(b"{not json", 1 << 20, &mut out),
            Err(DecodeError::Json(_))
        ));
        let e = decode(br#"{"kind": 0}"#, 1 << 20, &mut out).unwrap_err();
        assert_eq!(e.kind(), "not_audit_event");
        assert!(e.to_string().contains("kind is 0"));
        assert!(matches!(
            decode(EVENT.as_bytes(), 10, &mut out),
            Err(DecodeError::TooLarge { limit: 10, .. })
        ));
        assert!(decode(br#"{"kind":"Pod"}"#, 1 << 20, &mut out).is_err());
        assert!(out.is_empty());
    }

    /// The typed reading gives what a key lookup in the tree gave: strings unescaped,
    /// other scalars as JSON, `null` and wrong shapes as missing.
    #[test]
    fn attributes_read_like_tree_lookups() {
        use crate::k8s_audit::k8s_audit_table;
        use vigie_rules::{Event, Extracted, Val};
        let line = r#"{"kind":"Event","stage":"ResponseComplete","verb":"get","auditID":7,
            "requestURI":"/api/v1/pods?limit=5\u0026watch=true","user":{"username":"a\"b","groups":["x",null,3]},
            "impersonatedUser":"nobody","objectRef":{"resource":"pods","name":null},
            "responseStatus":{"code":403},"requestObject":{"metadata":{"name":"cm"}},
            "annotations":{"authorization.k8s.io/decision":"allow"},"stageTimestamp":"2024-05-14T09:00:00.5Z"}"#;
        let mut out = Vec::new();
        decode(line.as_bytes(), 1 << 20, &mut out).unwrap();
        let event = &out[0];
        let table = k8s_audit_table();
        let get = |name: &str, arg: Option<&str>| event.extract(&table.resolve(name, arg).unwrap());
        let text = |s: &'static str| Extracted::One(Val::Str(s.into()));
        assert_eq!(get("ka.auditid", None), text("7"));
        assert_eq!(get("ka.uri", None), text("/api/v1/pods?limit=5&watch=true"));
        assert_eq!(get("ka.uri.param", Some("watch")), text("true"));
        assert_eq!(get("ka.user.name", None), text("a\"b"));
        assert_eq!(
            get("ka.user.groups", None),
            Extracted::Many(vec![Val::Str("x".into()), Val::Str("3".into())])
        );
        assert_eq!(get("ka.impuser.name", None), Extracted::Missing);
        assert_eq!(get("ka.target.name", None), Extracted::Missing);
        assert_eq!(get("jevt.value", Some("/objectRef/name")), text("null"));
        assert_eq!(get("jevt.value", Some("/objectRef/resource")), text("pods"));
        assert_eq!(get("ka.response.code", None), text("403"));
        assert_eq!(get("ka.req.configmap.name", None), text("cm"));
        assert_eq!(
            get("jevt.value", Some("/requestObject/metadata/name")),
            text("cm")
        );
        assert_eq!(get("jevt.value", Some("/user/groups/0")), text("x"));
        assert_eq!(get("ka.auth.decision", None), text("allow"));
        assert_eq!(event.time_ns, 1_715_677_200_500_000_000);
        assert_eq!(event.json()["verb"], "get");
    }

    #[test]
    fn repeated_keys_keep_the_last_value() {
        let mut out = Vec::new();
        let line = br#"{"kind":"Event","verb":"get","verb":"list","stage":"ResponseComplete"}"#;
        assert_eq!(decode(line, 1 << 20, &mut out), Ok(1));
        assert_eq!(out[0].json()["verb"], "list");
    }
}
