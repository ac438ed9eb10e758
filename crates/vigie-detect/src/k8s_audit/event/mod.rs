//! A Kubernetes audit event and the extraction of its `k8s_audit` fields.
//!
//! An event keeps its JSON text and, decoded once, where the attributes rules read
//! most (verb, user, target, stage, decision...) are in that text, so extracting them
//! is a slice of the text: no tree, no lookup by key, no allocation. The request and
//! response bodies are parsed the first time a rule reads `ka.req.*` or `ka.resp.*`,
//! and the whole event only for `jevt.value` pointers outside the known attributes
//! and for `jevt.obj`.

mod containers;
mod extract;
mod json_text;
mod layout;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::sync::OnceLock;

use serde_json::value::RawValue;
use serde_json::Value;
use vigie_rules::{Extracted, FieldArg, Val, ValueTest};

use super::decode::{check_event, DecodeError};
use super::fields::KaField;
use super::time::parse_rfc3339_nanos;
use super::wire::{nested, WireAnnotations, WireEvent, WireObjectRef, WireStatus, WireUser};
use json_text::*;
use layout::*;

pub use json_text::image_repository;

/// What [`AuditEvent::attribute_text`] found.
enum AttributeText<'e> {
    Text(&'e str),
    Missing,
    /// The field is not a decoded attribute.
    Other,
}

/// One audit event as the API server wrote it (`audit.k8s.io/v1` `Event`).
#[derive(Clone, Debug)]
pub struct AuditEvent {
    /// The event's JSON text, followed by the attribute values that are not verbatim
    /// in it (strings with escapes, numbers written in another form).
    text: String,
    /// Where the JSON text ends in `text`.
    json_len: u32,
    scalars: [Slot; SCALARS],
    hot: HotCopies,
    user_groups: Option<RawSpan>,
    source_ips: Option<RawSpan>,
    request_object: Option<RawSpan>,
    response_object: Option<RawSpan>,
    /// Parsed on first use.
    request: OnceLock<Option<Value>>,
    response: OnceLock<Option<Value>>,
    tree: OnceLock<Value>,
    /// Event time in nanoseconds since the epoch (`stageTimestamp`, else `timestamp`,
    /// else `requestReceivedTimestamp`; 0 when none parses).
    pub time_ns: i64,
    /// Position of the event in its stream, from 1; 0 until a source numbers it.
    pub number: u64,
}

/// What a JSON object turned out to be.
pub(super) enum Document<'t> {
    Event(Box<AuditEvent>),
    /// An `EventList` and its `items`, as written.
    List(Option<&'t RawValue>),
}

impl AuditEvent {
    /// Builds an event from a parsed JSON value (tests, callers holding a tree).
    pub fn new(json: Value) -> Self {
        match Self::read(&json.to_string()) {
            Ok(Document::Event(event)) => *event,
            // Not an audit event: kept as it is, every attribute missing.
            _ => Self::from_wire(&json.to_string(), &WireEvent::default()),
        }
    }

    /// Reads one JSON object: an event, or an `EventList` whose items the caller reads.
    pub(super) fn read(json: &str) -> Result<Document<'_>, DecodeError> {
        let wire: WireEvent = match serde_json::from_str(json) {
            Ok(wire) => wire,
            Err(e) => return Self::read_slowly(json, e),
        };
        match wire.kind.map(RawValue::get) {
            Some("\"Event\"") => {}
            Some("\"EventList\"") => return Ok(Document::List(wire.items)),
            Some(other) => {
                let shown = serde_json::from_str::<Value>(other)
                    .map_or_else(|_| other.to_string(), |v| v.to_string());
                return Err(DecodeError::NotAuditEvent(format!(
                    "kind is {shown}, not \"Event\""
                )));
            }
            None if wire.audit_id.is_some() || wire.verb.is_some() => {}
            None => {
                return Err(DecodeError::NotAuditEvent(
                    "no kind, auditID or verb".into(),
                ))
            }
        }
        if !is_json_string(wire.stage) || !is_json_string(wire.verb) {
            return Err(DecodeError::NotAuditEvent(
                "stage and verb must be strings".into(),
            ));
        }
        Ok(Document::Event(Box::new(Self::from_wire(json, &wire))))
    }

    /// The typed reading failed: find out why from a full parse, and read objects
    /// that are events after all (repeated keys, which a tree keeps once) from the
    /// tree's own text.
    fn read_slowly(json: &str, typed: serde_json::Error) -> Result<Document<'_>, DecodeError> {
        let value: Value =
            serde_json::from_str(json).map_err(|e| DecodeError::Json(e.to_string()))?;
        if value.get("kind").and_then(Value::as_str) == Some("EventList") {
            return Err(DecodeError::NotAuditEvent(format!(
                "EventList not readable: {typed}"
            )));
        }
        check_event(&value).map_err(DecodeError::NotAuditEvent)?;
        let text = value.to_string();
        match Self::read(&text) {
            Ok(Document::Event(event)) => Ok(Document::Event(event)),
            Ok(Document::List(_)) => unreachable!("kind checked above"),
            Err(e) => Err(e),
        }
    }

    fn from_wire<'j>(json: &'j str, wire: &WireEvent<'j>) -> Self {
        let mut b = TextBuilder {
            json,
            extra: String::new(),
        };
        let user: WireUser = nested(wire.user);
        let imp: WireUser = nested(wire.impersonated_user);
        let target: WireObjectRef = nested(wire.object_ref);
        let annotations: WireAnnotations = nested(wire.annotations);
        let status: WireStatus = nested(wire.response_status);
        let mut scalars = [Slot::Missing; SCALARS];
        for (scalar, raw) in [
            (Scalar::AuditId, wire.audit_id),
            (Scalar::Stage, wire.stage),
            (Scalar::Verb, wire.verb),
            (Scalar::RequestUri, wire.request_uri),
            (Scalar::UserName, user.username),
            (Scalar::ImpUserName, imp.username),
            (Scalar::UserAgent, wire.user_agent),
            (Scalar::TargetName, target.name),
            (Scalar::TargetNamespace, target.namespace),
            (Scalar::TargetResource, target.resource),
            (Scalar::TargetSubresource, target.subresource),
            (Scalar::AuthDecision, annotations.decision),
            (Scalar::AuthReason, annotations.reason),
            (Scalar::OpenshiftDecision, annotations.openshift_decision),
            (Scalar::OpenshiftUsername, annotations.openshift_username),
            (Scalar::ResponseCode, status.code),
            (Scalar::ResponseReason, status.reason),
            (Scalar::StageTimestamp, wire.stage_timestamp),
            (Scalar::Timestamp, wire.timestamp),
            (
                Scalar::RequestReceivedTimestamp,
                wire.request_received_timestamp,
            ),
        ] {
            let slot = b.scalar(raw);
            scalars[scalar as usize] = b.known(scalar, slot);
        }
        let user_groups = b.span(user.groups);
        let source_ips = b.span(wire.source_ips);
        let request_object = b.span(wire.request_object);
        let response_object = b.span(wire.response_object);
        let mut text = String::with_capacity(json.len() + b.extra.len());
        text.push_str(json);
        text.push_str(&b.extra);
        let mut event = Self {
            text,
            json_len: json.len() as u32,
            scalars,
            hot: HotCopies {
                bytes: [0; HOT_BYTES],
                used: 0,
            },
            user_groups,
            source_ips,
            request_object,
            response_object,
            request: OnceLock::new(),
            response: OnceLock::new(),
            tree: OnceLock::new(),
            time_ns: 0,
            number: 0,
        };
        event.copy_hot_attributes();
        // Only strings are times; `find_map` keeps the first that parses.
        event.time_ns = [
            Scalar::StageTimestamp,
            Scalar::Timestamp,
            Scalar::RequestReceivedTimestamp,
        ]
        .iter()
        .filter(|s| {
            let raw = match s {
                Scalar::StageTimestamp => wire.stage_timestamp,
                Scalar::Timestamp => wire.timestamp,
                _ => wire.request_received_timestamp,
            };
            raw.is_some_and(|r| r.get().starts_with('"'))
        })
        .find_map(|s| event.scalar(*s).and_then(parse_rfc3339_nanos))
        .unwrap_or(0);
        event
    }

    /// Copies the user name and groups into [`HotCopies`] when they fit.
    fn copy_hot_attributes(&mut self) {
        let name = &mut self.scalars[Scalar::UserName as usize];
        if let Slot::Text { start, len } = *name {
            let text = &self.text[start as usize..(start + len) as usize];
            if let Some((start, len)) = self.hot.copy(text) {
                *name = Slot::Hot { start, len };
            }
        }
        if let Some(RawSpan::Text { start, len }) = self.user_groups {
            let text = &self.text[start as usize..(start + len) as usize];
            if let Some((start, len)) = self.hot.copy(text) {
                self.user_groups = Some(RawSpan::Hot { start, len });
            }
        }
    }

    /// The event's JSON text, as it was read.
    pub fn json_text(&self) -> &str {
        &self.text[..self.json_len as usize]
    }

    /// The whole event as a JSON tree, parsed on first use.
    pub fn json(&self) -> &Value {
        self.tree
            .get_or_init(|| serde_json::from_str(self.json_text()).unwrap_or(Value::Null))
    }

    /// An attribute's text; `None` when it is missing or null.
    fn scalar(&self, scalar: Scalar) -> Option<&str> {
        match self.scalars[scalar as usize] {
            Slot::Text { start, len } => {
                Some(&self.text[start as usize..start as usize + len as usize])
            }
            Slot::Hot { start, len } => Some(self.hot.get(start, len)),
            Slot::Known(i) => Some(scalar.vocabulary()[i as usize]),
            Slot::Missing | Slot::Null => None,
        }
    }

    /// An attribute's text as a JSON pointer reads it (`jevt.value`): null is `null`.
    fn scalar_at_pointer(&self, scalar: Scalar) -> Option<&str> {
        match self.scalars[scalar as usize] {
            Slot::Null => Some("null"),
            _ => self.scalar(scalar),
        }
    }

    fn one_scalar(&self, scalar: Scalar) -> Extracted<'_> {
        match self.scalar(scalar) {
            Some(s) => Extracted::One(Val::Str(Cow::Borrowed(s))),
            None => Extracted::Missing,
        }
    }

    fn raw(&self, span: Option<RawSpan>) -> Option<&str> {
        Some(match span? {
            RawSpan::Text { start, len } => &self.text[start as usize..(start + len) as usize],
            RawSpan::Hot { start, len } => self.hot.get(start, len),
        })
    }

    fn request(&self) -> Option<&Value> {
        self.parsed_once(&self.request, self.request_object)
    }

    fn response(&self) -> Option<&Value> {
        self.parsed_once(&self.response, self.response_object)
    }

    /// The JSON object at `span`, parsed on first use and kept in `cell`.
    fn parsed_once<'s>(
        &'s self,
        cell: &'s OnceLock<Option<Value>>,
        span: Option<RawSpan>,
    ) -> Option<&'s Value> {
        cell.get_or_init(|| self.raw(span).and_then(|t| serde_json::from_str(t).ok()))
            .as_ref()
    }

    /// The texts of a list attribute (`user.groups`, `sourceIPs`); nulls are skipped.
    fn raw_list(&self, span: Option<RawSpan>) -> Extracted<'_> {
        let Some(list) = self.raw(span).filter(|t| t.starts_with('[')) else {
            return Extracted::Missing;
        };
        let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(list) else {
            return Extracted::Missing;
        };
        let values = items
            .into_iter()
            .filter_map(|item| {
                let s = item.get();
                match s.as_bytes()[0] {
                    b'"' if !s.contains('\\') => Some(Cow::Borrowed(&s[1..s.len() - 1])),
                    b'n' => None,
                    _ => serde_json::from_str::<Value>(s)
                        .ok()
                        .as_ref()
                        .and_then(text)
                        .map(|t| Cow::Owned(t.into_owned())),
                }
            })
            .map(Val::Str)
            .collect();
        Extracted::from_list(values)
    }

    /// The text of a field that is one decoded attribute (`ka.verb`, `ka.user.name`,
    /// `jevt.value[/stage]`...), as [`Event::extract`] gives it but without building
    /// an [`Extracted`]: conditions and the rule index read these fields most.
    fn attribute_text(&self, field: KaField, arg: Option<&FieldArg>) -> AttributeText<'_> {
        fn found(text: Option<&str>) -> AttributeText<'_> {
            text.map_or(AttributeText::Missing, AttributeText::Text)
        }
        if let Some(scalar) = Scalar::of_field(field) {
            return found(self.scalar(scalar));
        }
        let pointer = arg.and_then(|a| a.pointer.as_deref());
        match (field, pointer.and_then(Scalar::at_pointer)) {
            (KaField::JevtValue | KaField::JsonValue, Some(scalar)) => {
                found(self.scalar_at_pointer(scalar))
            }
            _ => AttributeText::Other,
        }
    }

    /// [`Event::test_values`] on a list attribute (`user.groups`, `sourceIPs`), read
    /// in place when its items are strings without escapes (or nulls, skipped as
    /// [`Self::raw_list`] skips them): the anonymous-request rules test the groups of
    /// nearly every request, and collecting them each time cost more than the test.
    fn test_raw_list(&self, span: Option<RawSpan>, every: bool, test: &mut ValueTest<'_>) -> bool {
        let Some(list) = self.raw(span).filter(|t| t.starts_with('[')) else {
            return false;
        };
        let mut tested = false;
        // Stops at the first item that decides: one that passes for "some", one that
        // fails for "every".
        let walked = walk_plain_strings(list, |item| {
            tested = true;
            test(&Val::Str(Cow::Borrowed(item))) != every
        });
        match walked {
            Some(Walk::Stopped) => !every,
            Some(Walk::Finished) => every && tested,
            // Items tested before the walk gave up are tested again: tests have no
            // side effects, so only the answer of this complete pass counts.
            None => vigie_rules::test_extracted(&self.raw_list(span), every, test),
        }
    }

    /// A value under the request or response body, or anywhere in the event.
    fn get(&self, keys: &[&str]) -> Option<&Value> {
        match keys.split_first() {
            Some((&"requestObject", rest)) => path(self.request()?, rest),
            Some((&"responseObject", rest)) => path(self.response()?, rest),
            _ => path(self.json(), keys),
        }
    }

    fn array_at(&self, keys: &[&str]) -> &[Value] {
        self.get(keys)
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    fn list_of<'e>(
        &'e self,
        items: &'e [Value],
        f: impl Fn(&'e Value) -> Option<&'e Value>,
    ) -> Extracted<'e> {
        Extracted::from_list(
            items
                .iter()
                .filter_map(f)
                .filter_map(text)
                .map(Val::Str)
                .collect(),
        )
    }

    fn indexed<'e>(&self, all: Extracted<'e>, arg: Option<&FieldArg>) -> Extracted<'e> {
        match (all, arg.and_then(|a| a.index)) {
            (Extracted::Many(mut v), Some(i)) => match usize::try_from(i) {
                Ok(i) if i < v.len() => Extracted::One(v.swap_remove(i)),
                _ => Extracted::Missing,
            },
            (all, _) => all,
        }
    }

    fn role_rules_flat(&self, key: &str) -> Extracted<'_> {
        let mut out = Vec::new();
        for rule in self.array_at(&["requestObject", "rules"]) {
            for v in rule
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(t) = text(v) {
                    out.push(Val::Str(t));
                }
            }
        }
        Extracted::from_list(out)
    }

    fn uri_param(&self, name: &str) -> Extracted<'_> {
        let Some(uri) = self.scalar(Scalar::RequestUri) else {
            return Extracted::Missing;
        };
        let Some((_, query)) = uri.split_once('?') else {
            return Extracted::Missing;
        };
        for pair in query.split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            if percent_decode(k) == name {
                return Extracted::One(Val::Str(percent_decode(v)));
            }
        }
        Extracted::Missing
    }

    fn json_value(&self, arg: Option<&FieldArg>) -> Extracted<'_> {
        let Some(tokens) = arg.and_then(|a| a.pointer.as_deref()) else {
            return Extracted::Missing;
        };
        // The attributes decoded with the event (`/stage` for Falco's `kevt`) and the
        // request and response bodies are read without parsing the whole event.
        if let Some(scalar) = Scalar::at_pointer(tokens) {
            return match self.scalar_at_pointer(scalar) {
                Some(s) => Extracted::One(Val::Str(Cow::Borrowed(s))),
                None => Extracted::Missing,
            };
        }
        let found = match tokens.split_first() {
            Some((first, rest)) if &**first == "requestObject" => {
                self.request().and_then(|r| pointer(r, rest))
            }
            Some((first, rest)) if &**first == "responseObject" => {
                self.response().and_then(|r| pointer(r, rest))
            }
            _ => pointer(self.json(), tokens),
        };
        match found {
            Some(Value::Null) => Extracted::One(Val::Str(Cow::Borrowed("null"))),
            v => one(v),
        }
    }

    fn time_text(&self) -> Extracted<'_> {
        // The first of these present, even if null, as a key lookup would find it.
        [
            Scalar::StageTimestamp,
            Scalar::Timestamp,
            Scalar::RequestReceivedTimestamp,
        ]
        .into_iter()
        .find(|s| self.scalars[*s as usize] != Slot::Missing)
        .map_or(Extracted::Missing, |s| self.one_scalar(s))
    }
}

/// The values of a field that events number ([`Single::Word`]): its attribute's
/// vocabulary, for the fields that are one decoded attribute.
pub(super) fn vocabulary(field: KaField) -> &'static [&'static str] {
    Scalar::of_field(field).map_or(&[], Scalar::vocabulary)
}
