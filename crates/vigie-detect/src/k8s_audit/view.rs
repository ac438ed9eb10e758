//! A per-event cache of the fields nearly every audit rule reads (verb, user, target,
//! stage, decision), looked up once per event instead of once per rule.

use std::borrow::Cow;

use serde_json::Value;
use vigie_rules::{Event, Extracted, FieldRef, Val};

use super::event::AuditEvent;
use super::fields::KaField;

/// The cached fields and where they are in the event.
const HOT: [(KaField, &[&str]); 9] = [
    (KaField::Stage, &["stage"]),
    (KaField::Verb, &["verb"]),
    (KaField::UserName, &["user", "username"]),
    (KaField::TargetResource, &["objectRef", "resource"]),
    (KaField::TargetSubresource, &["objectRef", "subresource"]),
    (KaField::TargetNamespace, &["objectRef", "namespace"]),
    (KaField::TargetName, &["objectRef", "name"]),
    (
        KaField::AuthDecision,
        &["annotations", "authorization.k8s.io/decision"],
    ),
    (KaField::Uri, &["requestURI"]),
];

fn slot(field: KaField) -> Option<usize> {
    HOT.iter().position(|(f, _)| *f == field)
}

/// An audit event with its most used fields extracted; evaluate rules on this.
pub struct AuditView<'a> {
    event: &'a AuditEvent,
    hot: [Option<&'a str>; HOT.len()],
}

impl<'a> AuditView<'a> {
    pub fn new(event: &'a AuditEvent) -> Self {
        let mut hot = [None; HOT.len()];
        for (i, (_, path)) in HOT.iter().enumerate() {
            let mut v = Some(&event.json);
            for key in *path {
                v = v.and_then(|v| v.get(key));
            }
            hot[i] = v.and_then(Value::as_str);
        }
        Self { event, hot }
    }

    pub fn event(&self) -> &'a AuditEvent {
        self.event
    }
}

impl Event for AuditView<'_> {
    fn extract(&self, field: &FieldRef) -> Extracted<'_> {
        if field.arg.is_none() {
            if let Some(i) = KaField::from_id(field.id).and_then(slot) {
                // Non-string values (rare, malformed) fall back to the full extractor.
                if let Some(s) = self.hot[i] {
                    return Extracted::One(Val::Str(Cow::Borrowed(s)));
                }
            }
        }
        self.event.extract(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s_audit::k8s_audit_table;

    #[test]
    fn cached_fields_equal_the_full_extraction() {
        let event = AuditEvent::new(serde_json::json!({
            "kind": "Event", "stage": "ResponseComplete", "verb": "get", "requestURI": "/api",
            "user": {"username": "alice"}, "objectRef": {"resource": "pods", "name": "p"},
            "annotations": {"authorization.k8s.io/decision": "allow"}
        }));
        let view = AuditView::new(&event);
        let table = k8s_audit_table();
        for (field, _) in HOT {
            let name = table.defs()[field as usize].name;
            let r = table.resolve(name, None).unwrap();
            assert_eq!(view.extract(&r), event.extract(&r), "{name}");
        }
    }
}
