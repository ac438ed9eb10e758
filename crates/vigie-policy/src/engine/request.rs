//! What a policy is evaluated against: the object ([`Target`]) and everything
//! about the request that is not the object ([`Request`]).

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value as Json};

use crate::jmes::{self, Rcvar};
use crate::matching::RequestUser;

/// Values given offline (the `cli.kyverno.io/v1alpha1` Values format, `--set`).
#[derive(Clone, Debug, Default)]
pub struct Values {
    /// `globalValues`: variables every policy and rule sees.
    pub global: Map<String, Json>,
    /// policy name -> rule name -> values
    pub rules: HashMap<String, HashMap<String, Map<String, Json>>>,
    /// policy name -> resource name -> values
    pub resources: HashMap<String, HashMap<String, Map<String, Json>>>,
    /// namespace name -> labels
    pub namespace_labels: HashMap<String, BTreeMap<String, String>>,
    /// namespace name -> the Namespace object given in `namespaces` (CEL's
    /// `namespaceObject` sees its annotations too).
    pub namespace_objects: HashMap<String, Json>,
    /// The Values `subresources`: objects of these kinds stand for a subresource
    /// of their parent kind (a `Scale` for `Deployment/scale`).
    pub subresources: Vec<Subresource>,
}

/// One `subresources` entry of a Values file: objects of `kind` (and
/// `api_version`, when given) are the `name` subresource of `parent_kind`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Subresource {
    /// The subresource object's kind (`Scale`, `PodExecOptions`).
    pub kind: String,
    /// Its `group/version` (`autoscaling/v1`; `v1` for the core group); empty for any.
    pub api_version: String,
    /// The subresource's name (`scale`, `exec`, `ephemeralcontainers`).
    pub name: String,
    /// The parent's kind (`Deployment`, `Pod`).
    pub parent_kind: String,
    /// The parent's `group/version`.
    pub parent_api_version: String,
}

/// A resource ready for evaluation: its JSON, converted once.
#[derive(Clone, Debug)]
pub struct Target {
    /// The object as JSON.
    pub object: Json,
    /// The same object as a JMESPath value, converted on first use (see
    /// [`Target::var`]).
    var: std::sync::OnceLock<Rcvar>,
    /// The `images` variable of the object, made on first use (see
    /// [`Target::images`]).
    images: std::sync::OnceLock<Json>,
    /// `apiVersion`; empty when absent.
    pub api_version: String,
    /// `kind`; empty when absent.
    pub kind: String,
    /// `metadata.name`; empty when absent.
    pub name: String,
    /// `metadata.namespace`; empty for cluster-wide objects.
    pub namespace: String,
    /// `metadata.labels`, as [`labels_of`] reads them.
    pub labels: BTreeMap<String, String>,
    /// `metadata.annotations`, read the same way.
    pub annotations: BTreeMap<String, String>,
    /// The loaded resource, for checks that work on positioned trees (podSecurity).
    pub resource: Option<vigie_resource::Resource>,
}

/// The `metadata.labels` of an object as the engine reads them (values that are
/// not strings as their JSON text); empty when absent.
pub fn labels_of(object: &Json) -> BTreeMap<String, String> {
    string_map(object.pointer("/metadata/labels"))
}

fn string_map(v: Option<&Json>) -> BTreeMap<String, String> {
    v.and_then(Json::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_string),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

impl Target {
    /// A target of a plain JSON object (an admission request's object, a test's).
    pub fn from_json(object: Json) -> Target {
        // Fields read by key rather than by JSON pointer, which allocates for
        // each path token: this runs for every admission request.
        let text =
            |value: Option<&Json>| value.and_then(Json::as_str).unwrap_or_default().to_string();
        let metadata = object.get("metadata");
        Target {
            api_version: text(object.get("apiVersion")),
            kind: text(object.get("kind")),
            name: text(metadata.and_then(|m| m.get("name"))),
            namespace: text(metadata.and_then(|m| m.get("namespace"))),
            labels: string_map(metadata.and_then(|m| m.get("labels"))),
            annotations: string_map(metadata.and_then(|m| m.get("annotations"))),
            var: std::sync::OnceLock::new(),
            images: std::sync::OnceLock::new(),
            object,
            resource: None,
        }
    }

    /// The object as a JMESPath value, converted once, for the `target`
    /// variable of `mutate.targets` (expressions read `request.object` in
    /// place). `object` is not to be changed once this is read.
    pub fn var(&self) -> &Rcvar {
        self.var.get_or_init(|| jmes::to_var(&self.object))
    }

    /// The `images` variable: the object's container images, parsed. Made
    /// when first read: most policies never read it. `object` and `kind` are
    /// not to be changed once this is read.
    pub fn images(&self) -> &Json {
        self.images
            .get_or_init(|| crate::images::images_variable(&self.object, &self.kind))
    }

    /// A target of a loaded resource, kept so that podSecurity can point at lines.
    pub fn from_resource(resource: vigie_resource::Resource) -> Target {
        let mut t = Target::from_json(crate::json::node_to_json(&resource.root));
        t.resource = Some(resource);
        t
    }
}

/// The admission operation of a request (`request.operation`).

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Operation {
    /// An object is created (the default of the CLI, as in `kyverno apply`).
    #[default]
    Create,
    /// An object is changed: `request.oldObject` holds it before the change.
    Update,
    /// An object is deleted: `request.oldObject` holds it, `request.object` is null.
    Delete,
    /// A connection to a subresource (`pods/exec`, `pods/attach`, `pods/portforward`).
    Connect,
}

impl Operation {
    /// The name the API server uses: `CREATE`, `UPDATE`, `DELETE`, `CONNECT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "CREATE",
            Operation::Update => "UPDATE",
            Operation::Delete => "DELETE",
            Operation::Connect => "CONNECT",
        }
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An operation name that is none of `CREATE`, `UPDATE`, `DELETE`, `CONNECT`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown operation {0:?} (expected CREATE, UPDATE, DELETE or CONNECT)")]
pub struct UnknownOperation(pub String);

impl std::str::FromStr for Operation {
    type Err = UnknownOperation;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "CREATE" => Ok(Operation::Create),
            "UPDATE" => Ok(Operation::Update),
            "DELETE" => Ok(Operation::Delete),
            "CONNECT" => Ok(Operation::Connect),
            other => Err(UnknownOperation(other.to_string())),
        }
    }
}

/// Everything about the request that is not the object itself.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// What is being done to the object.
    pub operation: Operation,
    /// The object before the change, on UPDATE and DELETE (`request.oldObject`).
    pub old_object: Option<Json>,
    /// The subresource asked for (`exec` for `pods/exec`, `status`, `scale`...), which
    /// `match` kinds such as `Pod/exec` select.
    pub subresource: Option<String>,
    /// `request.dryRun`: the API server will not persist the object.
    pub dry_run: bool,
    /// Who sends the request.
    pub user: RequestUser,
    /// Values given offline (values files, `--set`).
    pub values: Values,
    /// ConfigMaps that `configMap` context entries can read.
    pub config_maps: Vec<Json>,
    /// What Kyverno's CEL resource and image-data libraries (`resource.Get`,
    /// `resource.List`, `image.GetMetadata`) answer from: in `vigie policy
    /// test`, the suite's resources and its Context file.
    pub cel_lookup: std::sync::Arc<vigie_cel::kyverno::Offline>,
    /// What CEL's `authorizer` checks are answered from (in `vigie policy
    /// test`, the RBAC objects among the suite's resources); none: every
    /// check is an errored decision.
    pub cel_authorizer: Option<std::sync::Arc<dyn vigie_cel::k8s::authz::Authorize>>,
}
