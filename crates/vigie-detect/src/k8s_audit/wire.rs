//! An audit event as it arrives, seen through serde: only the attributes the `ka.*`
//! fields read, each captured as the raw JSON text it has in the event (borrowed, not
//! copied). Nested objects are captured whole and read with a second, small pass;
//! the request and response bodies, the bulk of most events, are only delimited and
//! are parsed later if a rule reads them.

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// A key that is present, even with `null`: `Option<&RawValue>` alone would read
/// `null` as absent, and `kind: null` must not pass for a missing kind.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

/// Declares structs of optional raw values, one per JSON key.
macro_rules! raw_fields {
    ($($(#[$meta:meta])* $name:ident { $($field:ident = $key:literal),* $(,)? })*) => {
        $(
            $(#[$meta])*
            #[derive(Deserialize, Default)]
            pub(super) struct $name<'a> {
                $(
                    #[serde(rename = $key, borrow, default, deserialize_with = "present")]
                    pub $field: Option<&'a RawValue>,
                )*
            }
        )*
    };
}

raw_fields! {
    /// The top level of an event (or of an `EventList`, for `kind` and `items`).
    WireEvent {
        kind = "kind",
        audit_id = "auditID",
        stage = "stage",
        verb = "verb",
        request_uri = "requestURI",
        user = "user",
        impersonated_user = "impersonatedUser",
        user_agent = "userAgent",
        source_ips = "sourceIPs",
        object_ref = "objectRef",
        response_status = "responseStatus",
        request_object = "requestObject",
        response_object = "responseObject",
        annotations = "annotations",
        stage_timestamp = "stageTimestamp",
        timestamp = "timestamp",
        request_received_timestamp = "requestReceivedTimestamp",
        items = "items",
    }

    WireUser { username = "username", groups = "groups" }

    WireObjectRef {
        name = "name",
        namespace = "namespace",
        resource = "resource",
        subresource = "subresource",
    }

    WireAnnotations {
        decision = "authorization.k8s.io/decision",
        reason = "authorization.k8s.io/reason",
        openshift_decision = "authorization.openshift.io/decision",
        openshift_username = "authorization.openshift.io/username",
    }

    WireStatus { code = "code", reason = "reason" }
}

/// Reads a nested object; anything that is not one (a string, a list) reads as an
/// empty object, as a key lookup on it would find nothing.
pub(super) fn nested<'a, T: Deserialize<'a> + Default>(raw: Option<&'a RawValue>) -> T {
    raw.filter(|r| r.get().starts_with('{'))
        .and_then(|r| serde_json::from_str(r.get()).ok())
        .unwrap_or_default()
}
