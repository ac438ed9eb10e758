//! How an event holds its attributes: slots into its JSON text, short copies kept
//! hot, and the text builder that records them while the event is decoded.

use serde_json::value::RawValue;
use serde_json::Value;

use crate::k8s_audit::fields::KaField;

/// Where a scalar attribute's text is: in [`AuditEvent::text`], or in the attribute's
/// [`Scalar::vocabulary`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum Slot {
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
pub(super) enum RawSpan {
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
pub(super) struct HotCopies {
    pub(super) bytes: [u8; HOT_BYTES],
    pub(super) used: u8,
}

/// Enough for a service account's name and its three groups in most clusters
/// (`system:serviceaccount:kube-system:endpointslice-controller` and its groups take
/// 141 bytes); longer values stay where they are in the text.
pub(super) const HOT_BYTES: usize = 160;

impl HotCopies {
    /// Copies `text` if it fits; its position and length.
    pub(super) fn copy(&mut self, text: &str) -> Option<(u8, u8)> {
        let start = self.used as usize;
        let end = start + text.len();
        if end > HOT_BYTES {
            return None;
        }
        self.bytes[start..end].copy_from_slice(text.as_bytes());
        self.used = end as u8;
        Some((start as u8, text.len() as u8))
    }

    pub(super) fn get(&self, start: u8, len: u8) -> &str {
        let bytes = &self.bytes[start as usize..start as usize + len as usize];
        std::str::from_utf8(bytes).expect("a copy of a whole string")
    }
}

/// The scalar attributes decoded with every event, indexes of [`AuditEvent::scalars`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Scalar {
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

pub(super) const SCALARS: usize = Scalar::RequestReceivedTimestamp as usize + 1;

impl Scalar {
    /// The attribute a `jevt.value` pointer names, when it is one of these.
    pub(super) fn at_pointer(tokens: &[Box<str>]) -> Option<Scalar> {
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
    pub(super) fn vocabulary(self) -> &'static [&'static str] {
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
    pub(super) fn of_field(field: KaField) -> Option<Scalar> {
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

/// Builds the text of an event: the JSON as written, then the values that need a
/// form of their own.
pub(super) struct TextBuilder<'j> {
    pub(super) json: &'j str,
    pub(super) extra: String,
}

impl<'j> TextBuilder<'j> {
    pub(super) fn offset(&self, raw: &str) -> u32 {
        (raw.as_ptr() as usize - self.json.as_ptr() as usize) as u32
    }

    pub(super) fn extra(&mut self, value: &str) -> Slot {
        let start = (self.json.len() + self.extra.len()) as u32;
        self.extra.push_str(value);
        Slot::Text {
            start,
            len: value.len() as u32,
        }
    }

    /// A scalar attribute's text: strings without escapes, booleans and integers are
    /// used where they are; objects and lists print as compact JSON.
    pub(super) fn scalar(&mut self, raw: Option<&'j RawValue>) -> Slot {
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
    pub(super) fn known(&self, scalar: Scalar, slot: Slot) -> Slot {
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

    pub(super) fn span(&self, raw: Option<&'j RawValue>) -> Option<RawSpan> {
        raw.map(|r| RawSpan::Text {
            start: self.offset(r.get()),
            len: r.get().len() as u32,
        })
    }
}

pub(super) fn is_json_string(raw: Option<&RawValue>) -> bool {
    raw.is_none_or(|r| r.get().starts_with('"'))
}
