//! A Kubernetes audit event and the extraction of its `k8s_audit` fields.
//!
//! An event keeps its JSON text and, decoded once, where the attributes rules read
//! most (verb, user, target, stage, decision...) are in that text, so extracting them
//! is a slice of the text: no tree, no lookup by key, no allocation. The request and
//! response bodies are parsed the first time a rule reads `ka.req.*` or `ka.resp.*`,
//! and the whole event only for `jevt.value` pointers outside the known attributes
//! and for `jevt.obj`.

use std::borrow::Cow;
use std::sync::OnceLock;

use serde_json::value::RawValue;
use serde_json::Value;
use vigie_rules::{glob_match, Event, Extracted, FieldArg, FieldRef, Single, Val};

use super::decode::{check_event, DecodeError};
use super::fields::KaField;
use super::time::parse_rfc3339_nanos;
use super::wire::{nested, WireAnnotations, WireEvent, WireObjectRef, WireStatus, WireUser};

/// Where a scalar attribute's text is: in [`AuditEvent::text`], or in the attribute's
/// [`Scalar::vocabulary`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Slot {
    #[default]
    Missing,
    /// Present with the value `null`: missing for `ka.*` fields, `null` for `jevt.value`.
    Null,
    /// The value as text (strings unescaped, other values as JSON).
    Text { start: u32, len: u32 },
    /// The value's text copied into the event's [`HotCopies`].
    Hot { start: u8, len: u8 },
    /// A value of the attribute's vocabulary, by its position there.
    Known(u8),
}

/// A raw JSON value (an object or a list): in [`AuditEvent::text`], or copied into
/// the event's [`HotCopies`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RawSpan {
    Text { start: u32, len: u32 },
    Hot { start: u8, len: u8 },
}

/// Copies of the user name and of the user's groups (their JSON list text), kept in
/// the event itself rather than only in its JSON text. Nearly every event meets rules
/// that compare its user and groups, and the JSON text, a kilobyte spread over many
/// cache lines, is mostly out of the CPU caches when events are evaluated in batches:
/// reading the user from it was a cache miss per event. The events of a batch are
/// read in order, so the memory holding them is fetched ahead of use.
#[derive(Clone, Debug)]
struct HotCopies {
    bytes: [u8; HOT_BYTES],
    used: u8,
}

/// Enough for a service account's name and its three groups in most clusters
/// (`system:serviceaccount:kube-system:endpointslice-controller` and its groups take
/// 141 bytes); longer values stay where they are in the text.
const HOT_BYTES: usize = 160;

impl HotCopies {
    /// Copies `text` if it fits; its position and length.
    fn copy(&mut self, text: &str) -> Option<(u8, u8)> {
        let start = self.used as usize;
        let end = start + text.len();
        if end > HOT_BYTES {
            return None;
        }
        self.bytes[start..end].copy_from_slice(text.as_bytes());
        self.used = end as u8;
        Some((start as u8, text.len() as u8))
    }

    fn get(&self, start: u8, len: u8) -> &str {
        let bytes = &self.bytes[start as usize..start as usize + len as usize];
        std::str::from_utf8(bytes).expect("a copy of a whole string")
    }
}

/// The scalar attributes decoded with every event, indexes of [`AuditEvent::scalars`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scalar {
    AuditId,
    Stage,
    Verb,
    RequestUri,
    UserName,
    ImpUserName,
    UserAgent,
    TargetName,
    TargetNamespace,
    TargetResource,
    TargetSubresource,
    AuthDecision,
    AuthReason,
    OpenshiftDecision,
    OpenshiftUsername,
    ResponseCode,
    ResponseReason,
    StageTimestamp,
    Timestamp,
    RequestReceivedTimestamp,
}

const SCALARS: usize = Scalar::RequestReceivedTimestamp as usize + 1;

impl Scalar {
    /// The attribute a `jevt.value` pointer names, when it is one of these.
    fn at_pointer(tokens: &[Box<str>]) -> Option<Scalar> {
        use Scalar as S;
        Some(match tokens {
            [a] => match &**a {
                "auditID" => S::AuditId,
                "stage" => S::Stage,
                "verb" => S::Verb,
                "requestURI" => S::RequestUri,
                "userAgent" => S::UserAgent,
                "stageTimestamp" => S::StageTimestamp,
                "timestamp" => S::Timestamp,
                "requestReceivedTimestamp" => S::RequestReceivedTimestamp,
                _ => return None,
            },
            [a, b] => match (&**a, &**b) {
                ("user", "username") => S::UserName,
                ("impersonatedUser", "username") => S::ImpUserName,
                ("objectRef", "name") => S::TargetName,
                ("objectRef", "namespace") => S::TargetNamespace,
                ("objectRef", "resource") => S::TargetResource,
                ("objectRef", "subresource") => S::TargetSubresource,
                ("annotations", "authorization.k8s.io/decision") => S::AuthDecision,
                ("annotations", "authorization.k8s.io/reason") => S::AuthReason,
                ("annotations", "authorization.openshift.io/decision") => S::OpenshiftDecision,
                ("annotations", "authorization.openshift.io/username") => S::OpenshiftUsername,
                ("responseStatus", "code") => S::ResponseCode,
                ("responseStatus", "reason") => S::ResponseReason,
                _ => return None,
            },
            _ => return None,
        })
    }
}

impl Scalar {
    /// The values an attribute nearly always takes, sorted: an event keeps these as
    /// references to static text. The verb, stage, resource and decision of each event
    /// are what the rule index and most conditions read, and so reading them touches
    /// no memory of the event's own text (spread over a kilobyte or more of JSON, it
    /// is mostly out of the CPU caches when a batch of events is evaluated).
    fn vocabulary(self) -> &'static [&'static str] {
        match self {
            Scalar::Stage => &[
                "Panic",
                "RequestReceived",
                "ResponseComplete",
                "ResponseStarted",
            ],
            Scalar::Verb => &[
                "create",
                "delete",
                "deletecollection",
                "get",
                "list",
                "patch",
                "update",
                "watch",
            ],
            Scalar::AuthDecision => &["allow", "forbid"],
            Scalar::TargetResource => &[
                "apiservices",
                "certificatesigningrequests",
                "clusterrolebindings",
                "clusterroles",
                "configmaps",
                "controllerrevisions",
                "cronjobs",
                "csidrivers",
                "csinodes",
                "customresourcedefinitions",
                "daemonsets",
                "deployments",
                "endpoints",
                "endpointslices",
                "events",
                "horizontalpodautoscalers",
                "ingresses",
                "jobs",
                "leases",
                "limitranges",
                "mutatingwebhookconfigurations",
                "namespaces",
                "networkpolicies",
                "nodes",
                "persistentvolumeclaims",
                "persistentvolumes",
                "poddisruptionbudgets",
                "pods",
                "podsecuritypolicies",
                "priorityclasses",
                "replicasets",
                "replicationcontrollers",
                "resourcequotas",
                "rolebindings",
                "roles",
                "runtimeclasses",
                "secrets",
                "selfsubjectaccessreviews",
                "selfsubjectreviews",
                "serviceaccounts",
                "services",
                "statefulsets",
                "storageclasses",
                "subjectaccessreviews",
                "tokenreviews",
                "validatingwebhookconfigurations",
                "volumeattachments",
            ],
            Scalar::TargetSubresource => &[
                "approval",
                "attach",
                "binding",
                "ephemeralcontainers",
                "eviction",
                "exec",
                "log",
                "portforward",
                "proxy",
                "scale",
                "status",
                "token",
            ],
            _ => &[],
        }
    }

    /// The attribute a field is, for the fields that are one decoded attribute.
    fn of_field(field: KaField) -> Option<Scalar> {
        use KaField as F;
        use Scalar as S;
        Some(match field {
            F::AuditId => S::AuditId,
            F::Stage => S::Stage,
            F::AuthDecision => S::AuthDecision,
            F::AuthReason => S::AuthReason,
            F::AuthOpenshiftDecision => S::OpenshiftDecision,
            F::AuthOpenshiftUsername => S::OpenshiftUsername,
            F::UserName => S::UserName,
            F::ImpUserName => S::ImpUserName,
            F::Verb => S::Verb,
            F::Uri => S::RequestUri,
            F::TargetName => S::TargetName,
            F::TargetNamespace => S::TargetNamespace,
            F::TargetResource => S::TargetResource,
            F::TargetSubresource => S::TargetSubresource,
            F::ResponseCode => S::ResponseCode,
            F::ResponseReason => S::ResponseReason,
            F::UserAgent => S::UserAgent,
            _ => return None,
        })
    }
}

/// What [`AuditEvent::attribute_text`] found.
enum AttributeText<'e> {
    Text(&'e str),
    Missing,
    /// The field is not a decoded attribute.
    Other,
}

fn text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Null => None,
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        other => Some(Cow::Owned(other.to_string())),
    }
}

fn one(v: Option<&Value>) -> Extracted<'_> {
    match v.and_then(text) {
        Some(s) => Extracted::One(Val::Str(s)),
        None => Extracted::Missing,
    }
}

fn bool_text(v: Option<&Value>, default: &'static str) -> Val<'static> {
    Val::Str(Cow::Borrowed(match v {
        Some(Value::Bool(true)) => "true",
        Some(Value::Bool(false)) => "false",
        _ => default,
    }))
}

/// The repository part of an image reference: no digest, no tag.
pub fn image_repository(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or(image);
    match image.rfind(':') {
        Some(colon) if !image[colon..].contains('/') => &image[..colon],
        _ => image,
    }
}

fn path<'v>(root: &'v Value, keys: &[&str]) -> Option<&'v Value> {
    let mut v = root;
    for k in keys {
        v = v.get(k)?;
    }
    Some(v)
}

fn pointer<'v>(root: &'v Value, tokens: &[Box<str>]) -> Option<&'v Value> {
    let mut v = root;
    for t in tokens {
        v = match v {
            Value::Object(m) => m.get(&**t)?,
            Value::Array(a) => a.get(t.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

fn percent_decode(s: &str) -> Cow<'_, str> {
    if !s.contains(['%', '+']) {
        return Cow::Borrowed(s);
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 3 <= bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

fn hostname() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_string())
            .or_else(|_| std::env::var("HOSTNAME"))
            .unwrap_or_default()
    })
}

/// How [`walk_plain_strings`] ended.
#[derive(Debug, PartialEq, Eq)]
enum Walk {
    /// The visitor asked to stop.
    Stopped,
    /// Every item was visited.
    Finished,
}

/// Visits the strings of a JSON list (its text, which starts with `[`) as slices of
/// that text, skipping `null` items, until `visit` returns true. `None` when an item
/// is something else or a string with escapes, which need decoding.
fn walk_plain_strings<'t>(list: &'t str, mut visit: impl FnMut(&'t str) -> bool) -> Option<Walk> {
    const JSON_SPACE: [char; 4] = [' ', '\t', '\n', '\r'];
    let mut rest = list.strip_prefix('[')?.trim_start_matches(JSON_SPACE);
    if rest.starts_with(']') {
        return Some(Walk::Finished);
    }
    loop {
        if let Some(string) = rest.strip_prefix('"') {
            // Bytes, not chars: both are ASCII, so where they are is a char boundary.
            let end = string.bytes().position(|b| b == b'"' || b == b'\\')?;
            if string.as_bytes()[end] == b'\\' {
                return None;
            }
            if visit(&string[..end]) {
                return Some(Walk::Stopped);
            }
            rest = &string[end + 1..];
        } else {
            rest = rest.strip_prefix("null")?;
        }
        rest = rest.trim_start_matches(JSON_SPACE);
        match rest.as_bytes().first() {
            Some(b',') => rest = rest[1..].trim_start_matches(JSON_SPACE),
            Some(b']') => return Some(Walk::Finished),
            _ => return None,
        }
    }
}

/// Which container list of the pod spec a field reads.
#[derive(Clone, Copy)]
enum Group {
    Containers,
    Init,
    Ephemeral,
}

/// What a per-container field reads from each container.
#[derive(Clone, Copy)]
enum Attr {
    Image,
    Repository,
    Privileged,
    AllowPrivilegeEscalation,
    ReadOnlyFs,
    EffRunAsUser,
    EffRunAsGroup,
    ProcMount,
    HostPorts,
    AddCapabilities,
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

/// Builds the text of an event: the JSON as written, then the values that need a
/// form of their own.
struct TextBuilder<'j> {
    json: &'j str,
    extra: String,
}

impl<'j> TextBuilder<'j> {
    fn offset(&self, raw: &str) -> u32 {
        (raw.as_ptr() as usize - self.json.as_ptr() as usize) as u32
    }

    fn extra(&mut self, value: &str) -> Slot {
        let start = (self.json.len() + self.extra.len()) as u32;
        self.extra.push_str(value);
        Slot::Text {
            start,
            len: value.len() as u32,
        }
    }

    /// A scalar attribute's text: strings without escapes, booleans and integers are
    /// used where they are; objects and lists print as compact JSON.
    fn scalar(&mut self, raw: Option<&'j RawValue>) -> Slot {
        let Some(raw) = raw else {
            return Slot::Missing;
        };
        let s = raw.get();
        let verbatim = |start: u32, len: usize| Slot::Text {
            start,
            len: len as u32,
        };
        match s.as_bytes()[0] {
            b'"' if !s.contains('\\') => verbatim(self.offset(s) + 1, s.len() - 2),
            b'"' => match serde_json::from_str::<String>(s) {
                Ok(unescaped) => self.extra(&unescaped),
                Err(_) => Slot::Missing,
            },
            b'n' => Slot::Null,
            b't' | b'f' => verbatim(self.offset(s), s.len()),
            b'-' | b'0'..=b'9' if !s.contains(['.', 'e', 'E']) => verbatim(self.offset(s), s.len()),
            _ => match serde_json::from_str::<Value>(s) {
                Ok(v) => self.extra(&v.to_string()),
                Err(_) => Slot::Missing,
            },
        }
    }

    /// `slot` as [`Slot::Known`] when its text is a value of the attribute's vocabulary.
    fn known(&self, scalar: Scalar, slot: Slot) -> Slot {
        let Slot::Text { start, len } = slot else {
            return slot;
        };
        let (start, end) = (start as usize, start as usize + len as usize);
        let json_len = self.json.len();
        let text = if end <= json_len {
            &self.json[start..end]
        } else {
            &self.extra[start - json_len..end - json_len]
        };
        match scalar.vocabulary().binary_search(&text) {
            Ok(i) => Slot::Known(i as u8),
            Err(_) => slot,
        }
    }

    fn span(&self, raw: Option<&'j RawValue>) -> Option<RawSpan> {
        raw.map(|r| RawSpan::Text {
            start: self.offset(r.get()),
            len: r.get().len() as u32,
        })
    }
}

fn is_json_string(raw: Option<&RawValue>) -> bool {
    raw.is_none_or(|r| r.get().starts_with('"'))
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
        self.request
            .get_or_init(|| {
                self.raw(self.request_object)
                    .and_then(|t| serde_json::from_str(t).ok())
            })
            .as_ref()
    }

    fn response(&self) -> Option<&Value> {
        self.response
            .get_or_init(|| {
                self.raw(self.response_object)
                    .and_then(|t| serde_json::from_str(t).ok())
            })
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
    fn test_raw_list(
        &self,
        span: Option<RawSpan>,
        every: bool,
        test: &mut dyn FnMut(&Val<'_>) -> bool,
    ) -> bool {
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

    fn request_spec(&self) -> Option<&Value> {
        self.get(&["requestObject", "spec"])
    }

    fn containers(&self, group: Group) -> &[Value] {
        let key = match group {
            Group::Containers => "containers",
            Group::Init => "initContainers",
            Group::Ephemeral => "ephemeralContainers",
        };
        self.request_spec()
            .and_then(|s| s.get(key))
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    fn container_values<'e>(&'e self, c: &'e Value, attr: Attr, out: &mut Vec<Val<'e>>) {
        let sc = c.get("securityContext");
        let sc_get = |k: &str| sc.and_then(|s| s.get(k));
        let pod_sc = |k: &str| {
            self.request_spec()
                .and_then(|s| s.get("securityContext"))
                .and_then(|s| s.get(k))
        };
        match attr {
            Attr::Image => {
                if let Some(s) = c.get("image").and_then(text) {
                    out.push(Val::Str(s));
                }
            }
            Attr::Repository => {
                if let Some(s) = c.get("image").and_then(Value::as_str) {
                    out.push(Val::Str(Cow::Borrowed(image_repository(s))));
                }
            }
            Attr::Privileged => out.push(bool_text(sc_get("privileged"), "false")),
            Attr::AllowPrivilegeEscalation => {
                out.push(bool_text(sc_get("allowPrivilegeEscalation"), "true"))
            }
            Attr::ReadOnlyFs => out.push(bool_text(sc_get("readOnlyRootFilesystem"), "false")),
            Attr::EffRunAsUser | Attr::EffRunAsGroup => {
                let key = if matches!(attr, Attr::EffRunAsUser) {
                    "runAsUser"
                } else {
                    "runAsGroup"
                };
                let v = sc_get(key).or_else(|| pod_sc(key)).and_then(text);
                out.push(Val::Str(v.unwrap_or(Cow::Borrowed("0"))));
            }
            Attr::ProcMount => {
                let v = sc_get("procMount").and_then(text);
                out.push(Val::Str(v.unwrap_or(Cow::Borrowed("Default"))));
            }
            Attr::HostPorts => {
                for p in c
                    .get("ports")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(hp) = p.get("hostPort").and_then(text) {
                        out.push(Val::Str(hp));
                    }
                }
            }
            Attr::AddCapabilities => {
                let caps = sc_get("capabilities")
                    .and_then(|c| c.get("add"))
                    .and_then(Value::as_array);
                out.extend(caps.into_iter().flatten().filter_map(text).map(Val::Str));
            }
        }
    }

    /// A per-container list field; with an index argument, that container only.
    fn per_container(&self, group: Group, attr: Attr, arg: Option<&FieldArg>) -> Extracted<'_> {
        let containers = self.containers(group);
        let mut out = Vec::new();
        match arg.and_then(|a| a.index) {
            Some(i) => {
                let Some(c) = usize::try_from(i).ok().and_then(|i| containers.get(i)) else {
                    return Extracted::Missing;
                };
                self.container_values(c, attr, &mut out);
                if out.len() == 1 {
                    return Extracted::One(out.pop().unwrap());
                }
            }
            None => {
                for c in containers {
                    self.container_values(c, attr, &mut out);
                }
            }
        }
        Extracted::from_list(out)
    }

    /// The first container's value (or the indexed one's): the deprecated
    /// `ka.req.container.*` fields.
    fn first_container(&self, attr: Attr, arg: Option<&FieldArg>) -> Extracted<'_> {
        let index = arg.and_then(|a| a.index).unwrap_or(0);
        let Some(c) = usize::try_from(index)
            .ok()
            .and_then(|i| self.containers(Group::Containers).get(i))
        else {
            return Extracted::Missing;
        };
        let mut out = Vec::new();
        self.container_values(c, attr, &mut out);
        match out.pop() {
            Some(v) => Extracted::One(v),
            None => Extracted::Missing,
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

impl Event for AuditEvent {
    fn single(&self, field: &FieldRef) -> Option<Single<'_>> {
        let f = KaField::from_id(field.id)?;
        if field.arg.is_none() {
            if let Some(scalar) = Scalar::of_field(f) {
                return Some(match self.scalars[scalar as usize] {
                    Slot::Known(i) => Single::Word(i, scalar.vocabulary()[i as usize]),
                    _ => self.scalar(scalar).map_or(Single::Missing, Single::Text),
                });
            }
        }
        match self.attribute_text(f, field.arg.as_ref()) {
            AttributeText::Text(text) => Some(Single::Text(text)),
            AttributeText::Missing => Some(Single::Missing),
            AttributeText::Other => match f {
                KaField::JevtRawtime | KaField::JsonRawtime | KaField::EvtRawtime => {
                    Some(Single::Num(self.time_ns))
                }
                _ => None,
            },
        }
    }

    fn test_values(
        &self,
        field: &FieldRef,
        every: bool,
        test: &mut dyn FnMut(&Val<'_>) -> bool,
    ) -> bool {
        let Some(f) = KaField::from_id(field.id) else {
            return false;
        };
        match self.attribute_text(f, field.arg.as_ref()) {
            AttributeText::Text(text) => return test(&Val::Str(Cow::Borrowed(text))),
            AttributeText::Missing => return false,
            AttributeText::Other => {}
        }
        let whole_list = field.arg.as_ref().is_none_or(|a| a.index.is_none());
        match f {
            KaField::UserGroups => self.test_raw_list(self.user_groups, every, test),
            KaField::SourceIps if whole_list => self.test_raw_list(self.source_ips, every, test),
            _ => vigie_rules::test_extracted(&self.extract(field), every, test),
        }
    }

    fn extract(&self, field: &FieldRef) -> Extracted<'_> {
        use KaField as F;
        let Some(f) = KaField::from_id(field.id) else {
            return Extracted::Missing;
        };
        let arg = field.arg.as_ref();
        match f {
            F::AuditId => self.one_scalar(Scalar::AuditId),
            F::Stage => self.one_scalar(Scalar::Stage),
            F::AuthDecision => self.one_scalar(Scalar::AuthDecision),
            F::AuthReason => self.one_scalar(Scalar::AuthReason),
            F::AuthOpenshiftDecision => self.one_scalar(Scalar::OpenshiftDecision),
            F::AuthOpenshiftUsername => self.one_scalar(Scalar::OpenshiftUsername),
            F::UserName => self.one_scalar(Scalar::UserName),
            F::UserGroups => self.raw_list(self.user_groups),
            F::ImpUserName => self.one_scalar(Scalar::ImpUserName),
            F::Verb => self.one_scalar(Scalar::Verb),
            F::Uri => self.one_scalar(Scalar::RequestUri),
            F::UriParam => arg.map_or(Extracted::Missing, |a| self.uri_param(&a.raw)),
            F::TargetName => self.one_scalar(Scalar::TargetName),
            F::TargetNamespace => self.one_scalar(Scalar::TargetNamespace),
            F::TargetResource => self.one_scalar(Scalar::TargetResource),
            F::TargetSubresource => self.one_scalar(Scalar::TargetSubresource),
            F::TargetPodName => match self.scalar(Scalar::TargetResource) {
                Some("pods") => self.one_scalar(Scalar::TargetName),
                _ => Extracted::Missing,
            },
            F::BindingSubjects => self
                .list_of(self.array_at(&["requestObject", "subjects"]), |s| {
                    s.get("name")
                }),
            F::BindingSubjectHasName => {
                let subjects = self.array_at(&["requestObject", "subjects"]);
                if subjects.is_empty() {
                    return Extracted::Missing;
                }
                let name = arg.map(|a| &*a.raw).unwrap_or_default();
                let has = subjects
                    .iter()
                    .any(|s| s.get("name").and_then(Value::as_str) == Some(name));
                Extracted::One(Val::Str(Cow::Borrowed(if has { "true" } else { "false" })))
            }
            F::BindingRole => one(self.get(&["requestObject", "roleRef", "name"])),
            F::ConfigmapName => match self.get(&["requestObject", "metadata", "name"]) {
                Some(name) => one(Some(name)),
                None => self.one_scalar(Scalar::TargetName),
            },
            F::ConfigmapObj => one(self.get(&["requestObject", "data"])),
            F::ContainersImage => self.per_container(Group::Containers, Attr::Image, arg),
            F::ContainerImage => self.first_container(Attr::Image, arg),
            F::ContainersImageRepository => {
                self.per_container(Group::Containers, Attr::Repository, arg)
            }
            F::ContainerImageRepository => self.first_container(Attr::Repository, arg),
            F::HostIpc => one(self.request_spec().and_then(|s| s.get("hostIPC"))),
            F::HostNetwork | F::ContainerHostNetwork => {
                one(self.request_spec().and_then(|s| s.get("hostNetwork")))
            }
            F::HostPid => one(self.request_spec().and_then(|s| s.get("hostPID"))),
            F::ContainersHostPort => self.per_container(Group::Containers, Attr::HostPorts, arg),
            F::ContainersPrivileged => self.per_container(Group::Containers, Attr::Privileged, arg),
            F::ContainerPrivileged => {
                if arg.is_some() {
                    return self.first_container(Attr::Privileged, arg);
                }
                let containers = self.containers(Group::Containers);
                if containers.is_empty() {
                    return Extracted::Missing;
                }
                let any = containers.iter().any(|c| {
                    c.get("securityContext").and_then(|s| s.get("privileged"))
                        == Some(&Value::Bool(true))
                });
                Extracted::One(Val::Str(Cow::Borrowed(if any { "true" } else { "false" })))
            }
            F::ContainersAllowPrivilegeEscalation => {
                self.per_container(Group::Containers, Attr::AllowPrivilegeEscalation, arg)
            }
            F::ContainersReadOnlyFs => self.per_container(Group::Containers, Attr::ReadOnlyFs, arg),
            F::RunAsUser => one(self
                .request_spec()
                .and_then(|s| path(s, &["securityContext", "runAsUser"]))),
            F::ContainersEffRunAsUser => {
                self.per_container(Group::Containers, Attr::EffRunAsUser, arg)
            }
            F::RunAsGroup => one(self
                .request_spec()
                .and_then(|s| path(s, &["securityContext", "runAsGroup"]))),
            F::ContainersEffRunAsGroup => {
                self.per_container(Group::Containers, Attr::EffRunAsGroup, arg)
            }
            F::ContainersProcMount => self.per_container(Group::Containers, Attr::ProcMount, arg),
            F::RoleRules => {
                let all = self.list_of(self.array_at(&["requestObject", "rules"]), Some);
                self.indexed(all, arg)
            }
            F::RoleRulesApiGroups => self.indexed(self.role_rules_flat("apiGroups"), arg),
            F::RoleRulesNonResourceUrls => {
                self.indexed(self.role_rules_flat("nonResourceURLs"), arg)
            }
            F::RoleRulesVerbs => self.indexed(self.role_rules_flat("verbs"), arg),
            F::RoleRulesResources => self.indexed(self.role_rules_flat("resources"), arg),
            F::FsGroup => one(self
                .request_spec()
                .and_then(|s| path(s, &["securityContext", "fsGroup"]))),
            F::SupplementalGroups => {
                let groups = self
                    .request_spec()
                    .and_then(|s| path(s, &["securityContext", "supplementalGroups"]))
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                self.list_of(groups, Some)
            }
            F::ContainersAddCapabilities => {
                self.per_container(Group::Containers, Attr::AddCapabilities, arg)
            }
            F::ServiceType => one(self.request_spec().and_then(|s| s.get("type"))),
            F::ServicePorts => {
                let ports = self.list_of(self.array_at(&["requestObject", "spec", "ports"]), Some);
                self.indexed(ports, arg)
            }
            F::VolumesHostpath => {
                let all = self.list_of(self.array_at(&["requestObject", "spec", "volumes"]), |v| {
                    path(v, &["hostPath", "path"])
                });
                self.indexed(all, arg)
            }
            F::VolumeHostpath => {
                let pattern = arg.map(|a| &*a.raw).unwrap_or_default();
                let any = self
                    .array_at(&["requestObject", "spec", "volumes"])
                    .iter()
                    .any(|v| {
                        path(v, &["hostPath", "path"])
                            .and_then(Value::as_str)
                            .is_some_and(|p| glob_match(pattern, p))
                    });
                Extracted::One(Val::Str(Cow::Borrowed(if any { "true" } else { "false" })))
            }
            F::VolumesFlexvolumeDriver => {
                let all = self.list_of(self.array_at(&["requestObject", "spec", "volumes"]), |v| {
                    path(v, &["flexVolume", "driver"])
                });
                self.indexed(all, arg)
            }
            F::VolumesVolumeType => {
                let volumes = self.array_at(&["requestObject", "spec", "volumes"]);
                let types = volumes
                    .iter()
                    .filter_map(|v| v.as_object()?.keys().find(|k| *k != "name"))
                    .map(|k| Val::Str(Cow::Borrowed(k.as_str())))
                    .collect();
                self.indexed(Extracted::from_list(types), arg)
            }
            F::RespName => one(self.get(&["responseObject", "metadata", "name"])),
            F::ResponseCode => self.one_scalar(Scalar::ResponseCode),
            F::ResponseReason => self.one_scalar(Scalar::ResponseReason),
            F::UserAgent => self.one_scalar(Scalar::UserAgent),
            F::SourceIps => {
                let all = self.raw_list(self.source_ips);
                self.indexed(all, arg)
            }
            F::ClusterName => Extracted::Missing,
            F::InitContainersImage => self.per_container(Group::Init, Attr::Image, arg),
            F::InitContainersImageRepository => {
                self.per_container(Group::Init, Attr::Repository, arg)
            }
            F::InitContainersPrivileged => self.per_container(Group::Init, Attr::Privileged, arg),
            F::InitContainersHostPort => self.per_container(Group::Init, Attr::HostPorts, arg),
            F::InitContainersAddCapabilities => {
                self.per_container(Group::Init, Attr::AddCapabilities, arg)
            }
            F::EphemeralContainersImage => self.per_container(Group::Ephemeral, Attr::Image, arg),
            F::EphemeralContainersImageRepository => {
                self.per_container(Group::Ephemeral, Attr::Repository, arg)
            }
            F::EphemeralContainersPrivileged => {
                self.per_container(Group::Ephemeral, Attr::Privileged, arg)
            }
            F::EphemeralContainersAddCapabilities => {
                self.per_container(Group::Ephemeral, Attr::AddCapabilities, arg)
            }
            F::JevtTime | F::JevtTimeIso | F::JsonTime | F::JsonTimeIso | F::EvtTime => {
                self.time_text()
            }
            F::JevtRawtime | F::JsonRawtime | F::EvtRawtime => {
                Extracted::One(Val::Num(self.time_ns))
            }
            F::JevtValue | F::JsonValue => self.json_value(arg),
            F::JevtObj | F::JsonObj => {
                Extracted::One(Val::Str(Cow::Owned(self.json().to_string())))
            }
            F::EvtNum => Extracted::One(Val::Num(self.number as i64)),
            F::EvtSource => Extracted::One(Val::Str(Cow::Borrowed("k8s_audit"))),
            F::EvtHostname => Extracted::One(Val::Str(Cow::Borrowed(hostname()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::k8s_audit::k8s_audit_table;

    fn walked(list: &str) -> Option<Vec<&str>> {
        let mut items = Vec::new();
        walk_plain_strings(list, |item| {
            items.push(item);
            false
        })
        .map(|_| items)
    }

    #[test]
    fn vocabularies_are_sorted_and_small() {
        for scalar in [
            Scalar::Stage,
            Scalar::Verb,
            Scalar::AuthDecision,
            Scalar::TargetResource,
            Scalar::TargetSubresource,
        ] {
            let vocabulary = scalar.vocabulary();
            assert!(vocabulary.is_sorted(), "{scalar:?}");
            assert!(vocabulary.len() <= u8::MAX as usize, "{scalar:?}");
        }
    }

    #[test]
    fn known_and_unknown_values_read_alike() {
        let mut events = Vec::new();
        crate::k8s_audit::decode(
            br#"{"kind": "Event", "stage": "ResponseComplete", "verb": "escalate",
                "objectRef": {"resource": "pods", "subresource": "ex\u0065c"},
                "annotations": {"authorization.k8s.io/decision": null}}"#,
            usize::MAX,
            &mut events,
        )
        .unwrap();
        let event = &events[0];
        let table = k8s_audit_table();
        let text = |name: &str, arg: Option<&str>| {
            event
                .extract(&table.resolve(name, arg).unwrap())
                .values()
                .first()
                .map(|v| v.as_text().into_owned())
        };
        assert_eq!(event.scalars[Scalar::Stage as usize], Slot::Known(2));
        assert_eq!(text("ka.stage", None).as_deref(), Some("ResponseComplete"));
        assert_eq!(
            text("jevt.value", Some("/stage")).as_deref(),
            Some("ResponseComplete")
        );
        assert_eq!(text("ka.verb", None).as_deref(), Some("escalate"));
        assert_eq!(text("ka.target.resource", None).as_deref(), Some("pods"));
        // Unescaped first, then found in the vocabulary.
        assert!(matches!(
            event.scalars[Scalar::TargetSubresource as usize],
            Slot::Known(_)
        ));
        assert_eq!(text("ka.target.subresource", None).as_deref(), Some("exec"));
        assert_eq!(text("ka.auth.decision", None), None);
        assert_eq!(
            text(
                "jevt.value",
                Some("/annotations/authorization.k8s.io~1decision")
            )
            .as_deref(),
            Some("null")
        );
    }

    #[test]
    fn user_name_and_groups_read_alike_copied_or_not() {
        let table = k8s_audit_table();
        let name = table.resolve("ka.user.name", None).unwrap();
        let groups = table.resolve("ka.user.groups", None).unwrap();
        // Too long to be copied, even alone.
        let long = "x".repeat(HOT_BYTES + 1);
        for (user, name_copied, groups_copied) in [
            (
                json!({"username": "alice", "groups": ["g1", "g\"2"]}),
                true,
                true,
            ),
            (json!({"username": long, "groups": ["g1"]}), false, true),
            (json!({"username": "bob", "groups": [long]}), true, false),
        ] {
            let event = AuditEvent::new(json!({"kind": "Event", "verb": "get", "user": user}));
            let name_slot = event.scalars[Scalar::UserName as usize];
            assert_eq!(matches!(name_slot, Slot::Hot { .. }), name_copied);
            let groups_span = event.user_groups;
            assert_eq!(
                matches!(groups_span, Some(RawSpan::Hot { .. })),
                groups_copied
            );
            let expected_groups: Vec<Val> = user["groups"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| Val::Str(Cow::Owned(g.as_str().unwrap().to_string())))
                .collect();
            assert_eq!(event.extract(&groups).values(), expected_groups, "{user}");
            assert_eq!(
                event.single(&name),
                Some(Single::Text(user["username"].as_str().unwrap()))
            );
        }
    }

    #[test]
    fn walks_lists_of_plain_strings_only() {
        assert_eq!(walked("[]"), Some(vec![]));
        assert_eq!(walked("[ ]"), Some(vec![]));
        assert_eq!(walked(r#"["a","b"]"#), Some(vec!["a", "b"]));
        assert_eq!(walked("[ \"a\" ,\n null , \"\" ]"), Some(vec!["a", ""]));
        assert_eq!(walked(r#"["a\"b"]"#), None);
        assert_eq!(walked(r#"["a",1]"#), None);
        assert_eq!(walked(r#"[{"a":1}]"#), None);
        let mut seen = 0;
        let stop_at_b = walk_plain_strings(r#"["a","b","c"]"#, |item| {
            seen += 1;
            item == "b"
        });
        assert_eq!((stop_at_b, seen), (Some(Walk::Stopped), 2));
    }

    /// Testing any field in place answers as testing its extracted values does.
    #[test]
    fn fields_test_as_their_extracted_values() {
        let table = k8s_audit_table();
        let event = AuditEvent::new(json!({
            "kind": "Event", "auditID": "a1", "stage": "ResponseComplete", "verb": "create",
            "requestURI": "/api/v1/namespaces/ns/pods?dryRun=All",
            "user": {"username": "alice", "groups": ["g1", "g2"]},
            "impersonatedUser": null, "sourceIPs": ["10.0.0.1"], "userAgent": "kubectl",
            "objectRef": {"resource": "pods", "namespace": "ns", "name": "p", "subresource": null},
            "responseStatus": {"code": 201},
            "annotations": {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": "x\"y"},
            "requestObject": {"spec": {"containers": [{"image": "nginx:1", "securityContext": {"privileged": true}}]}},
            "stageTimestamp": "2024-05-14T09:00:00.000001Z",
        }));
        let args = |name: &str| -> Vec<Option<&str>> {
            match name {
                "jevt.value" | "json.value" => vec![
                    Some("/stage"),
                    Some("/user/username"),
                    Some("/impersonatedUser/username"),
                    Some("/objectRef/subresource"),
                    Some("/requestObject/spec"),
                    Some("/nope"),
                ],
                "ka.uri.param" => vec![Some("dryRun"), Some("nope")],
                "ka.sourceips" | "ka.req.pod.containers.image" => vec![None, Some("0"), Some("3")],
                _ => vec![None],
            }
        };
        for def in table.defs() {
            for arg in args(def.name) {
                let Ok(field) = table.resolve(def.name, arg) else {
                    continue;
                };
                let extracted = event.extract(&field);
                // A single value, which the engine memoizes, is the extracted value.
                if let Some(single) = event.single(&field) {
                    let expected = match single {
                        Single::Missing => Extracted::Missing,
                        Single::Text(text) => Extracted::One(Val::Str(Cow::Borrowed(text))),
                        Single::Word(i, text) => {
                            // Numbered as the table says.
                            let words = table.vocabulary(&field);
                            assert_eq!(words.get(i as usize), Some(&text), "{}", def.name);
                            Extracted::One(Val::Str(Cow::Borrowed(text)))
                        }
                        Single::Num(n) => Extracted::One(Val::Num(n)),
                    };
                    assert_eq!(extracted, expected, "{} {arg:?}", def.name);
                }
                for every in [false, true] {
                    let mut seen = Vec::new();
                    let mut record = |v: &Val<'_>| {
                        seen.push(v.as_text().into_owned());
                        false
                    };
                    let tested = event.test_values(&field, every, &mut record);
                    assert!(!tested, "{} {arg:?}", def.name);
                    let first: Vec<String> = extracted
                        .values()
                        .iter()
                        .take(1)
                        .map(|v| v.as_text().into_owned())
                        .collect();
                    let expected = if every {
                        first
                    } else {
                        extracted
                            .values()
                            .iter()
                            .map(|v| v.as_text().into_owned())
                            .collect()
                    };
                    assert_eq!(seen, expected, "{} {arg:?} every={every}", def.name);
                }
            }
        }
    }

    /// Testing list fields in place answers as testing their extracted values does.
    #[test]
    fn list_fields_test_as_their_extracted_values() {
        let table = k8s_audit_table();
        let groups = table.resolve("ka.user.groups", None).unwrap();
        let ips = table.resolve("ka.sourceips", None).unwrap();
        let first_ip = table.resolve("ka.sourceips", Some("0")).unwrap();
        let lists = [
            json!(["system:authenticated", "system:unauthenticated"]),
            json!(["a\"quoted", "system:unauthenticated"]),
            json!([null, "x", 3]),
            json!([null]),
            json!([]),
            json!("not a list"),
        ];
        type TextTest = fn(&str) -> bool;
        let tests: [(&str, TextTest); 3] = [
            ("unauthenticated", |s| s == "system:unauthenticated"),
            ("anything", |_| true),
            ("starts with a letter", |s| {
                s.starts_with(char::is_alphabetic)
            }),
        ];
        for list in lists {
            let event = AuditEvent::new(json!({
                "kind": "Event", "verb": "get", "stage": "ResponseComplete",
                "user": {"username": "u", "groups": list}, "sourceIPs": list,
            }));
            for field in [&groups, &ips, &first_ip] {
                let extracted = event.extract(field);
                for (name, test) in &tests {
                    for every in [false, true] {
                        let mut test_val = |v: &Val<'_>| test(&v.as_text());
                        assert_eq!(
                            event.test_values(field, every, &mut test_val),
                            vigie_rules::test_extracted(&extracted, every, &mut test_val),
                            "{name}, every={every}, list {list}, field {field:?}"
                        );
                    }
                }
            }
        }
    }
}
