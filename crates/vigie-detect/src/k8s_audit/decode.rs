//! Turning bytes into audit events: one JSON value holding an `Event`, an `EventList`
//! (what the API server's webhook backend POSTs), or a JSON array of events.

use std::fmt;

use serde_json::Value;

use super::event::AuditEvent;

/// Why a JSON value could not be read as audit events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Not valid JSON.
    Json(String),
    /// Valid JSON, but not an audit event.
    NotAuditEvent(String),
    /// Larger than the configured limit.
    TooLarge { size: usize, limit: usize },
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
/// the API server writes without `kind`) carrying the fields every event has.
fn check_event(v: &Value) -> Result<(), String> {
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
    let items = match value {
        Value::Array(items) => items,
        Value::Object(mut obj) if obj.get("kind").and_then(Value::as_str) == Some("EventList") => {
            match obj.remove("items") {
                Some(Value::Array(items)) => items,
                Some(Value::Null) | None => Vec::new(),
                Some(_) => {
                    return Err(DecodeError::NotAuditEvent(
                        "EventList items is not an array".into(),
                    ))
                }
            }
        }
        other => vec![other],
    };
    for item in &items {
        check_event(item).map_err(DecodeError::NotAuditEvent)?;
    }
    let n = items.len();
    out.extend(items.into_iter().map(AuditEvent::new));
    Ok(n)
}

/// Parses and reads one JSON document (a log line, a webhook body).
pub fn decode(bytes: &[u8], limit: usize, out: &mut Vec<AuditEvent>) -> Result<usize, DecodeError> {
    if bytes.len() > limit {
        return Err(DecodeError::TooLarge {
            size: bytes.len(),
            limit,
        });
    }
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| DecodeError::Json(e.to_string()))?;
    events_from_value(value, out)
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
}
