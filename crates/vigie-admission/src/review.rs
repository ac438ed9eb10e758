//! Decoding `admission.k8s.io/v1` AdmissionReview requests, with a typed error for
//! each way a body can be wrong.

use serde_json::{Map, Value as Json};
use vigie_policy::{Operation, RequestUser, UnknownOperation};

/// The only AdmissionReview version served (the API server sends what the webhook
/// configuration's `admissionReviewVersions` lists: vigie's lists `v1` only).
pub const API_VERSION: &str = "admission.k8s.io/v1";

/// A group, version and kind (`request.kind`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupVersionKind {
    /// The API group; empty for the core group.
    pub group: String,
    /// The version (`v1`).
    pub version: String,
    /// The kind (`Pod`).
    pub kind: String,
}

impl GroupVersionKind {
    /// `group/version`, or `version` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

/// One admission request, decoded and checked.
#[derive(Clone, Debug)]
pub struct AdmissionRequest {
    /// `request.uid`, echoed in the response.
    pub uid: String,
    /// `request.kind`: what the object is.
    pub kind: GroupVersionKind,
    /// `request.resource.resource` (`pods`).
    pub resource: String,
    /// `request.resource`'s group and version, as an apiVersion (`v1`, `apps/v1`).
    pub resource_api_version: String,
    /// `request.subResource` (`exec`, `status`), when the request is for one.
    pub sub_resource: Option<String>,
    /// `request.name` (empty on CREATE with `generateName`).
    pub name: String,
    /// `request.namespace` (empty for cluster-scoped objects).
    pub namespace: String,
    /// `request.operation`.
    pub operation: Operation,
    /// `request.userInfo`: username and groups.
    pub user: RequestUser,
    /// `request.object`: absent on DELETE.
    pub object: Option<Json>,
    /// `request.oldObject`: on UPDATE and DELETE.
    pub old_object: Option<Json>,
    /// `request.dryRun`.
    pub dry_run: bool,
}

/// Kinds of the resources whose subresources policies most often name
/// (`Pod/exec`, `Deployment/scale`): the object of a subresource request is of
/// another kind (`PodExecOptions`, `Scale`), and policies match the parent.
const PARENT_KINDS: &[(&str, &str)] = &[
    ("pods", "Pod"),
    ("services", "Service"),
    ("nodes", "Node"),
    ("namespaces", "Namespace"),
    ("deployments", "Deployment"),
    ("replicasets", "ReplicaSet"),
    ("statefulsets", "StatefulSet"),
    ("daemonsets", "DaemonSet"),
    ("jobs", "Job"),
    ("cronjobs", "CronJob"),
    ("replicationcontrollers", "ReplicationController"),
    ("persistentvolumeclaims", "PersistentVolumeClaim"),
    ("serviceaccounts", "ServiceAccount"),
    ("horizontalpodautoscalers", "HorizontalPodAutoscaler"),
    ("certificatesigningrequests", "CertificateSigningRequest"),
];

impl AdmissionRequest {
    /// For a subresource request (`pods/exec`), the kind and apiVersion of the
    /// parent resource (`Pod`, `v1`), which `match` kinds such as `Pod/exec` name.
    pub fn parent_kind(&self) -> Option<(&'static str, &str)> {
        self.sub_resource.as_ref()?;
        PARENT_KINDS
            .iter()
            .find(|(resource, _)| *resource == self.resource)
            .map(|(_, kind)| (*kind, self.resource_api_version.as_str()))
    }

    /// The kind that selects the policies for `object` (the request's object or
    /// old object): a subresource's parent kind, else the object's own kind,
    /// else the kind the request names.
    pub fn policy_kind<'a>(&'a self, object: &'a Json) -> &'a str {
        match self.parent_kind() {
            Some((parent, _)) => parent,
            None => object
                .get("kind")
                .and_then(Json::as_str)
                .unwrap_or(&self.kind.kind),
        }
    }

    /// The object policies look at: the new object, or on DELETE the one deleted
    /// (Kyverno matches and reports DELETE requests on `oldObject`).
    pub fn subject(&self) -> Option<&Json> {
        match self.operation {
            Operation::Delete => self.old_object.as_ref().or(self.object.as_ref()),
            _ => self.object.as_ref(),
        }
    }
}

/// Why a body is not an admission request vigie can answer.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// Not JSON at all.
    #[error("the body is not JSON: line {line}, column {column}: {reason}")]
    NotJson {
        /// Line of the problem (1-based).
        line: usize,
        /// Column of the problem (1-based).
        column: usize,
        /// What the JSON parser said.
        reason: String,
    },
    /// JSON, but not an object.
    #[error("the body is not an AdmissionReview: expected a JSON object")]
    NotAnObject,
    /// Another `apiVersion` (`admission.k8s.io/v1beta1` included).
    #[error("apiVersion {found:?} is not served: only {API_VERSION} is{hint}")]
    WrongApiVersion {
        /// The apiVersion sent.
        found: String,
        /// An extra explanation for v1beta1.
        hint: &'static str,
    },
    /// Another `kind`.
    #[error("kind {found:?} is not AdmissionReview")]
    WrongKind {
        /// The kind sent.
        found: String,
    },
    /// No `request`.
    #[error("the AdmissionReview has no request")]
    MissingRequest,
    /// No `request.uid`, or an empty one.
    #[error("request.uid is missing or empty")]
    MissingUid,
    /// `request.operation` is not one of the four.
    #[error("request.operation: {0}")]
    Operation(UnknownOperation),
    /// A field of the request has the wrong type.
    #[error("{field}: {reason}")]
    BadField {
        /// Dotted path of the field.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The operation needs an object that is not there.
    #[error("request.{field} is missing, and a {operation} request needs it")]
    MissingObject {
        /// `object` or `oldObject`.
        field: &'static str,
        /// The operation.
        operation: Operation,
    },
    /// The object is not a Kubernetes object.
    #[error("request.{field} is not a Kubernetes object: {reason}")]
    ObjectShape {
        /// `object` or `oldObject`.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl DecodeError {
    /// A short stable name, for the `reason` label of the decode error counter.
    pub fn reason(&self) -> &'static str {
        match self {
            DecodeError::NotJson { .. } => "not_json",
            DecodeError::NotAnObject => "not_object",
            DecodeError::WrongApiVersion { .. } => "api_version",
            DecodeError::WrongKind { .. } => "kind",
            DecodeError::MissingRequest => "missing_request",
            DecodeError::MissingUid => "missing_uid",
            DecodeError::Operation(_) => "operation",
            DecodeError::BadField { .. } => "bad_field",
            DecodeError::MissingObject { .. } => "missing_object",
            DecodeError::ObjectShape { .. } => "object_shape",
        }
    }

    /// Every reason, for zero-valued counters.
    pub const REASONS: [&'static str; 10] = [
        "not_json",
        "not_object",
        "api_version",
        "kind",
        "missing_request",
        "missing_uid",
        "operation",
        "bad_field",
        "missing_object",
        "object_shape",
    ];
}

/// A body that could not be turned into an [`AdmissionRequest`]; `uid` is set when
/// the request had one, so that the answer can be an AdmissionReview.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct DecodeFailure {
    /// `request.uid`, when the body got that far.
    pub uid: Option<String>,
    /// What is wrong.
    pub error: DecodeError,
}

fn fail(uid: Option<&str>, error: DecodeError) -> DecodeFailure {
    DecodeFailure {
        uid: uid.map(str::to_string),
        error,
    }
}

/// Decodes an AdmissionReview body. JSON nesting is bounded by serde_json's
/// recursion limit (128 levels); the size by the server's body limit.
pub fn decode(body: &[u8]) -> Result<AdmissionRequest, DecodeFailure> {
    let mut review: Json = serde_json::from_slice(body).map_err(|e| {
        fail(
            None,
            DecodeError::NotJson {
                line: e.line(),
                column: e.column(),
                reason: e.to_string(),
            },
        )
    })?;
    let review = review
        .as_object_mut()
        .ok_or_else(|| fail(None, DecodeError::NotAnObject))?;
    let api_version = review
        .get("apiVersion")
        .and_then(Json::as_str)
        .unwrap_or("");
    if api_version != API_VERSION {
        let hint = if api_version == "admission.k8s.io/v1beta1" {
            " (set admissionReviewVersions: [\"v1\"] in the webhook configuration)"
        } else {
            ""
        };
        return Err(fail(
            None,
            DecodeError::WrongApiVersion {
                found: api_version.to_string(),
                hint,
            },
        ));
    }
    let kind = review.get("kind").and_then(Json::as_str).unwrap_or("");
    if kind != "AdmissionReview" {
        return Err(fail(
            None,
            DecodeError::WrongKind {
                found: kind.to_string(),
            },
        ));
    }
    let Some(Json::Object(mut request)) = review.remove("request") else {
        return Err(fail(None, DecodeError::MissingRequest));
    };
    let uid = match request.get("uid") {
        Some(Json::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(fail(None, DecodeError::MissingUid)),
    };
    decode_request(&uid, &mut request).map_err(|e| fail(Some(&uid), e))
}

fn text(request: &Map<String, Json>, key: &str) -> String {
    request
        .get(key)
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string()
}

fn decode_request(
    uid: &str,
    request: &mut Map<String, Json>,
) -> Result<AdmissionRequest, DecodeError> {
    let operation: Operation = match request.get("operation") {
        Some(Json::String(op)) => op.parse().map_err(DecodeError::Operation)?,
        _ => {
            return Err(DecodeError::BadField {
                field: "request.operation",
                reason: "missing, or not a string",
            })
        }
    };
    let kind = match request.get("kind") {
        Some(Json::Object(k)) => GroupVersionKind {
            group: text(k, "group"),
            version: text(k, "version"),
            kind: text(k, "kind"),
        },
        _ => {
            return Err(DecodeError::BadField {
                field: "request.kind",
                reason: "missing, or not a {group, version, kind} object",
            })
        }
    };
    if kind.kind.is_empty() || kind.version.is_empty() {
        return Err(DecodeError::BadField {
            field: "request.kind",
            reason: "kind and version must be set",
        });
    }
    let resource_field = |key: &str| {
        request
            .get("resource")
            .and_then(|r| r.get(key))
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let resource = resource_field("resource");
    let resource_api_version = GroupVersionKind {
        group: resource_field("group"),
        version: resource_field("version"),
        kind: String::new(),
    }
    .api_version();
    let sub_resource = request
        .get("subResource")
        .and_then(Json::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let user = match request.get("userInfo") {
        None | Some(Json::Null) => RequestUser::default(),
        Some(Json::Object(u)) => RequestUser {
            username: text(u, "username"),
            groups: match u.get("groups") {
                None | Some(Json::Null) => Vec::new(),
                Some(Json::Array(g)) => g
                    .iter()
                    .map(|g| {
                        g.as_str().map(str::to_string).ok_or(DecodeError::BadField {
                            field: "request.userInfo.groups",
                            reason: "expected a list of strings",
                        })
                    })
                    .collect::<Result<_, _>>()?,
                Some(_) => {
                    return Err(DecodeError::BadField {
                        field: "request.userInfo.groups",
                        reason: "expected a list of strings",
                    })
                }
            },
            ..RequestUser::default()
        },
        Some(_) => {
            return Err(DecodeError::BadField {
                field: "request.userInfo",
                reason: "expected an object",
            })
        }
    };
    let dry_run = match request.get("dryRun") {
        None | Some(Json::Null) => false,
        Some(Json::Bool(b)) => *b,
        Some(_) => {
            return Err(DecodeError::BadField {
                field: "request.dryRun",
                reason: "expected true or false",
            })
        }
    };
    let object = take_object(request, "object")?;
    let old_object = take_object(request, "oldObject")?;
    let needs = |field, present: bool| {
        if present {
            Ok(())
        } else {
            Err(DecodeError::MissingObject { field, operation })
        }
    };
    match operation {
        Operation::Create | Operation::Connect => needs("object", object.is_some())?,
        Operation::Update => {
            needs("object", object.is_some())?;
            needs("oldObject", old_object.is_some())?;
        }
        Operation::Delete => needs("oldObject", old_object.is_some())?,
    }
    Ok(AdmissionRequest {
        uid: uid.to_string(),
        kind,
        resource,
        resource_api_version,
        sub_resource,
        name: text(request, "name"),
        namespace: text(request, "namespace"),
        operation,
        user,
        object,
        old_object,
        dry_run,
    })
}

/// Takes `request.<field>` out of the request: absent or null is `None`; anything
/// else must be an object with a `kind` and an `apiVersion`.
fn take_object(
    request: &mut Map<String, Json>,
    field: &'static str,
) -> Result<Option<Json>, DecodeError> {
    let object = match request.remove(field) {
        None | Some(Json::Null) => return Ok(None),
        Some(o) => o,
    };
    let Some(map) = object.as_object() else {
        return Err(DecodeError::ObjectShape {
            field,
            reason: "expected a JSON object",
        });
    };
    for key in ["apiVersion", "kind"] {
        if map
            .get(key)
            .and_then(Json::as_str)
            .is_none_or(str::is_empty)
        {
            return Err(DecodeError::ObjectShape {
                field,
                reason: "apiVersion and kind must be non-empty strings",
            });
        }
    }
    if map.get("metadata").is_some_and(|m| !m.is_object()) {
        return Err(DecodeError::ObjectShape {
            field,
            reason: "metadata must be an object",
        });
    }
    Ok(Some(object))
}
