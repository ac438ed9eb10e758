//! Decoding `admission.k8s.io/v1` AdmissionReview requests, with a typed error for
//! each way a body can be wrong.

use std::borrow::Cow;

use serde::Deserialize;
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
        vigie_resource::api_version(&self.group, &self.version)
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
///
/// A well-formed review is read in one pass into the fields vigie uses, the
/// others skipped unread (`requestKind`, `requestResource`, `options`,
/// `userInfo.extra`): only the objects become JSON trees. Anything that pass does
/// not accept as a well-formed review is decoded again as a JSON tree and checked
/// field by field, which names what is wrong.
pub fn decode(body: &[u8]) -> Result<AdmissionRequest, DecodeFailure> {
    match decode_well_formed(body) {
        Some(request) => Ok(request),
        None => decode_tree(body),
    }
}

/// The fields of an AdmissionReview that vigie reads, borrowed from the body
/// where they hold no escapes; any other field is skipped without being built.
#[derive(Deserialize)]
struct Review<'a> {
    #[serde(rename = "apiVersion", borrow)]
    api_version: Cow<'a, str>,
    #[serde(borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    request: Request<'a>,
}

/// `request`, as [`Review`] reads it.
#[derive(Deserialize)]
struct Request<'a> {
    #[serde(borrow)]
    uid: Cow<'a, str>,
    #[serde(borrow)]
    kind: Gvk<'a>,
    #[serde(borrow)]
    resource: Option<Gvr<'a>>,
    #[serde(rename = "subResource", borrow)]
    sub_resource: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    namespace: Option<Cow<'a, str>>,
    #[serde(borrow)]
    operation: Cow<'a, str>,
    #[serde(rename = "userInfo", borrow)]
    user_info: Option<UserInfo<'a>>,
    object: Option<Json>,
    #[serde(rename = "oldObject")]
    old_object: Option<Json>,
    #[serde(rename = "dryRun")]
    dry_run: Option<bool>,
}

/// `request.kind`.
#[derive(Deserialize)]
struct Gvk<'a> {
    #[serde(borrow)]
    group: Option<Cow<'a, str>>,
    #[serde(borrow)]
    version: Option<Cow<'a, str>>,
    #[serde(borrow)]
    kind: Option<Cow<'a, str>>,
}

/// `request.resource`.
#[derive(Deserialize)]
struct Gvr<'a> {
    #[serde(borrow)]
    group: Option<Cow<'a, str>>,
    #[serde(borrow)]
    version: Option<Cow<'a, str>>,
    #[serde(borrow)]
    resource: Option<Cow<'a, str>>,
}

/// `request.userInfo`.
#[derive(Deserialize)]
struct UserInfo<'a> {
    #[serde(borrow)]
    username: Option<Cow<'a, str>>,
    #[serde(borrow)]
    groups: Option<Vec<Cow<'a, str>>>,
}

fn owned(text: Option<Cow<'_, str>>) -> String {
    text.map(Cow::into_owned).unwrap_or_default()
}

/// The request of a body that is a well-formed, valid review; `None` for any
/// other body, whatever is wrong with it (a field of another type, a duplicate
/// key, bytes that are not UTF-8 included), for [`decode_tree`] to say what.
/// Strictness is the point: every review this accepts, [`decode_tree`]
/// decodes to the same request.
fn decode_well_formed(body: &[u8]) -> Option<AdmissionRequest> {
    // UTF-8 checked once for the whole body, rather than string by string.
    let text = std::str::from_utf8(body).ok()?;
    let review: Review<'_> = serde_json::from_str(text).ok()?;
    if review.api_version != API_VERSION || review.kind != "AdmissionReview" {
        return None;
    }
    let request = review.request;
    if request.uid.is_empty() {
        return None;
    }
    let operation: Operation = request.operation.parse().ok()?;
    let kind = GroupVersionKind {
        group: owned(request.kind.group),
        version: owned(request.kind.version),
        kind: owned(request.kind.kind),
    };
    if kind.kind.is_empty() || kind.version.is_empty() {
        return None;
    }
    let (resource, resource_api_version) = match request.resource {
        Some(r) => {
            let api_version = GroupVersionKind {
                group: owned(r.group),
                version: owned(r.version),
                kind: String::new(),
            }
            .api_version();
            (owned(r.resource), api_version)
        }
        None => (String::new(), String::new()),
    };
    let user = match request.user_info {
        None => RequestUser::default(),
        Some(u) => RequestUser {
            username: owned(u.username),
            groups: u
                .groups
                .unwrap_or_default()
                .into_iter()
                .map(Cow::into_owned)
                .collect(),
            ..RequestUser::default()
        },
    };
    assemble(Parts {
        uid: request.uid.into_owned(),
        kind,
        resource,
        resource_api_version,
        sub_resource: request
            .sub_resource
            .filter(|s| !s.is_empty())
            .map(Cow::into_owned),
        name: owned(request.name),
        namespace: owned(request.namespace),
        operation,
        user,
        object: request.object,
        old_object: request.old_object,
        dry_run: request.dry_run.unwrap_or(false),
    })
    .ok()
}

/// Decodes a body as a JSON tree, checking each field: the way of bodies
/// [`decode_well_formed`] does not accept.
fn decode_tree(body: &[u8]) -> Result<AdmissionRequest, DecodeFailure> {
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

/// What [`assemble`] makes a request of.
struct Parts {
    uid: String,
    kind: GroupVersionKind,
    resource: String,
    resource_api_version: String,
    sub_resource: Option<String>,
    name: String,
    namespace: String,
    operation: Operation,
    user: RequestUser,
    object: Option<Json>,
    old_object: Option<Json>,
    dry_run: bool,
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
    let object = request.remove("object").filter(|o| !o.is_null());
    let old_object = request.remove("oldObject").filter(|o| !o.is_null());
    assemble(Parts {
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

/// The request, once its objects are checked: each must be a Kubernetes
/// object, and the operation must have the ones it needs.
fn assemble(parts: Parts) -> Result<AdmissionRequest, DecodeError> {
    let object = check_object(parts.object, "object")?;
    let old_object = check_object(parts.old_object, "oldObject")?;
    let operation = parts.operation;
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
        uid: parts.uid,
        kind: parts.kind,
        resource: parts.resource,
        resource_api_version: parts.resource_api_version,
        sub_resource: parts.sub_resource,
        name: parts.name,
        namespace: parts.namespace,
        operation,
        user: parts.user,
        object,
        old_object,
        dry_run: parts.dry_run,
    })
}

/// Checks `request.<field>` (absent or null is `None`): anything else must be
/// an object with a `kind` and an `apiVersion`.
fn check_object(object: Option<Json>, field: &'static str) -> Result<Option<Json>, DecodeError> {
    let Some(object) = object else {
        return Ok(None);
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn review(request: Json) -> Json {
        json!({"apiVersion": API_VERSION, "kind": "AdmissionReview", "request": request})
    }

    fn pod() -> Json {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "a"},
               "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    }

    fn create() -> Json {
        json!({
            "uid": "u-1",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
            "name": "p", "namespace": "a", "operation": "CREATE",
            "userInfo": {"username": "alice", "uid": "1", "groups": ["g1", "g2"],
                         "extra": {"k": ["v"]}},
            "object": pod(), "oldObject": null, "dryRun": false,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"}
        })
    }

    /// Both ways of decoding, as text (the request has no `PartialEq`).
    fn both(body: &str) -> (Option<String>, String) {
        let fast = decode_well_formed(body.as_bytes()).map(|r| format!("{r:?}"));
        let tree = match decode_tree(body.as_bytes()) {
            Ok(r) => format!("{r:?}"),
            Err(e) => format!("error: {e}"),
        };
        (fast, tree)
    }

    #[test]
    fn well_formed_reviews_decode_as_their_tree_does() {
        let mut update = create();
        update["operation"] = json!("UPDATE");
        update["oldObject"] = pod();
        let mut delete = create();
        delete["operation"] = json!("DELETE");
        delete["oldObject"] = delete["object"].take();
        let mut escaped = create();
        escaped["uid"] = json!("u-\"1\"\u{e9}");
        escaped["subResource"] = json!("exec");
        escaped["dryRun"] = json!(true);
        let mut sparse = create();
        for key in ["resource", "name", "namespace", "userInfo", "dryRun"] {
            sparse.as_object_mut().map(|r| r.remove(key));
        }
        // Unknown keys are passed over by both.
        let mut odd_resource = create();
        odd_resource["resource"] = json!({"group": "apps", "version": "v1", "kind": "Pod"});
        for request in [create(), update, delete, escaped, sparse, odd_resource] {
            let body = review(request).to_string();
            let (fast, tree) = both(&body);
            assert_eq!(fast.as_deref(), Some(tree.as_str()), "{body}");
        }
    }

    #[test]
    fn anything_else_is_left_to_the_tree() {
        let with = |key: &str, value: Json| {
            let mut request = create();
            request[key] = value;
            review(request).to_string()
        };
        let bodies = [
            // Fields of another type, which the tree reads leniently or refuses.
            with("name", json!(3)),
            with(
                "kind",
                json!({"group": "", "version": "v1", "resource": "pods"}),
            ),
            with("userInfo", json!({"groups": ["g", null]})),
            with("dryRun", json!("yes")),
            with("uid", json!("")),
            with("operation", json!("PATCH")),
            with("object", json!({"kind": "Pod"})),
            // A duplicate key: the tree keeps the last.
            review(create()).to_string().replace(
                "\"name\":\"p\",\"namespace\"",
                "\"name\":\"p\",\"name\":\"q\",\"namespace\"",
            ),
            json!({"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview",
                   "request": create()})
            .to_string(),
        ];
        for body in bodies {
            let (fast, tree) = both(&body);
            assert_eq!(fast, None, "{body}");
            assert_eq!(
                decode(body.as_bytes())
                    .map(|r| format!("{r:?}"))
                    .map_err(|e| format!("error: {e}")),
                if tree.starts_with("error: ") {
                    Err(tree.clone())
                } else {
                    Ok(tree.clone())
                },
                "{body}"
            );
        }
        let mut bytes = review(create()).to_string().into_bytes();
        let at = bytes.iter().position(|&b| b == b'p').unwrap_or(0);
        bytes[at] = 0xff;
        assert!(decode_well_formed(&bytes).is_none());
        assert_eq!(
            decode(&bytes).map_err(|e| e.error.reason()).err(),
            Some("not_json")
        );
    }
}
