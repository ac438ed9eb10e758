//! Kyverno's CEL libraries that vigie answers without a cluster or a
//! registry: the resource library (`resource.Get`, `resource.List`), the
//! image library (`image()`, `isImage`, and an image's `registry()`,
//! `repository()`, `identifier()`, `tag()`, `digest()`,
//! `containsDigest()`), the image-data library (`image.GetMetadata`) and
//! the user library (`parseServiceAccount`).
//!
//! Kyverno's image verification library (`verifyImageSignatures`,
//! `verifyAttestationSignatures`, `extractPayload`, `getImageData`) is
//! declared here and answered by an [`ImageVerification`] the caller
//! supplies: the functions are called as methods of the value of
//! [`image_verifier`], which an environment built with
//! [`Env::receiver_function`](crate::Env::receiver_function) passes them to.
//!
//! `resource` and `image` are variables: the caller binds both to the
//! value of [`lookup`], which carries the objects and image metadata the
//! answers come from (in the CLI, a test suite's resources and its
//! `cli.kyverno.io/v1alpha1` Context file). The functions are methods of
//! that value, so that the engine's functions stay free of state.

use std::sync::Arc;

use cel::common::types::{CelBool, CelInt, CelString, Type, LIST_TYPE, STRING_TYPE};
use cel::common::value::CowVal;
use cel::{DeclarationError, Env, ExecutionError, Value};
use serde_json::{json, Value as Json};
use vigie_resource::{parse_image, plural_of_kind, ImageInfo};

use crate::library::{add_functions, add_methods, err, one, owned, string_arg, R};

/// The variables CEL expressions of admission policies may read: those
/// Kubernetes' admission CEL declares (`object`, `oldObject`, `request`,
/// `params`, `namespaceObject`, `variables`, `authorizer`), Kyverno's
/// resource and image-data libraries (`resource`, `image`, bound to the value
/// of [`lookup`]), and what PolicyExceptions grant a policy (`exceptions`:
/// `allowedValues`, `allowedImages`).
pub const ADMISSION_VARIABLES: &[&str] = &[
    "object",
    "oldObject",
    "request",
    "params",
    "namespaceObject",
    "variables",
    "authorizer",
    "resource",
    "image",
    "exceptions",
];

/// The environment CEL expressions of admission policies compile in: every
/// one of [`ADMISSION_VARIABLES`] declared.
///
/// ```
/// let env = vigie_cel::kyverno::admission_env();
/// assert!(vigie_cel::Program::compile("has(object.spec) && request.operation == 'CREATE'", &env).is_ok());
/// assert!(vigie_cel::Program::compile("undeclared.field", &env).is_err());
/// ```
pub fn admission_env() -> crate::Env {
    ADMISSION_VARIABLES
        .iter()
        .fold(crate::Env::new(), |env, v| env.variable(*v))
}

/// What the resource and image-data libraries answer from.
#[derive(Debug, Default, Clone)]
pub struct Offline {
    /// Objects `resource.Get` and `resource.List` can return.
    pub resources: Vec<Json>,
    /// Image metadata `image.GetMetadata` can return: one object per image,
    /// its reference in `image` (Kyverno's Context `spec.images` entries).
    pub images: Vec<Json>,
}

/// The value the variables `resource` and `image` are bound to.
#[derive(Debug, Clone)]
pub struct Lookup(pub Arc<Offline>);

/// The value to bind `resource` and `image` to, answering from `data`.
pub fn lookup(data: Arc<Offline>) -> Value {
    Value::Opaque(Arc::new(Lookup(data)))
}

impl PartialEq for Lookup {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}
impl Eq for Lookup {}

/// The CEL type of [`Lookup`] values.
const LOOKUP: Type = Type::new_unspecified_type("kyverno.Lookup");
static LOOKUP_TYPE: Type = LOOKUP;
/// The CEL type of image references, `image()`'s result.
const IMAGE: Type = Type::new_unspecified_type("kyverno.Image");
static IMAGE_TYPE: Type = IMAGE;

opaque_val!(Lookup, LOOKUP_TYPE, "kyverno.Lookup");

/// Why an [`ImageVerification`] could not answer (an image it knows nothing
/// of, an attestation type it cannot verify...): the expression gets this text
/// as the function's error, as Kyverno's would.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct VerificationError(pub String);

impl From<String> for VerificationError {
    fn from(text: String) -> Self {
        VerificationError(text)
    }
}

impl From<&str> for VerificationError {
    fn from(text: &str) -> Self {
        VerificationError(text.to_string())
    }
}

/// What answers Kyverno's image verification functions for one
/// evaluation (an ImageValidatingPolicy on one resource). Attestors are
/// given by name (the `name` of each attestor the expression passes).
pub trait ImageVerification: Send + Sync + std::fmt::Debug {
    /// `verifyImageSignatures(image, attestors)`: how many of the attestors
    /// verify a signature of the image.
    fn verify_signatures(&self, image: &str, attestors: &[Json]) -> Result<i64, VerificationError>;
    /// `verifyAttestationSignatures(image, attestation, attestors)`: how
    /// many of the attestors verify the signature of the image's attestation.
    fn verify_attestation(
        &self,
        image: &str,
        attestation: &str,
        attestors: &[Json],
    ) -> Result<i64, VerificationError>;
    /// `extractPayload(image, attestation)`: the attestation's payload.
    fn payload(&self, image: &str, attestation: &str) -> Result<Json, VerificationError>;
    /// `getImageData(image)`: what is known of the image (digest, manifest,
    /// config).
    fn image_data(&self, image: &str) -> Result<Json, VerificationError>;
}

/// The value image verification functions are methods of.
#[derive(Debug, Clone)]
pub struct ImageVerifier(pub Arc<dyn ImageVerification>);

impl PartialEq for ImageVerifier {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::addr_eq(Arc::as_ptr(&self.0), Arc::as_ptr(&other.0))
    }
}
impl Eq for ImageVerifier {}

/// The CEL type of [`ImageVerifier`] values.
const VERIFIER: Type = Type::new_unspecified_type("kyverno.ImageVerifier");
static VERIFIER_TYPE: Type = VERIFIER;

opaque_val!(ImageVerifier, VERIFIER_TYPE, "kyverno.ImageVerifier");

/// The names of Kyverno's image verification functions, which an
/// environment hands to the variable bound to [`image_verifier`].
pub const IMAGE_VERIFICATION_FUNCTIONS: &[&str] = &[
    "verifyImageSignatures",
    "verifyAttestationSignatures",
    "extractPayload",
    "getImageData",
];

/// The value to bind the receiver of the image verification functions to.
pub fn image_verifier(answers: Arc<dyn ImageVerification>) -> Value {
    Value::Opaque(Arc::new(ImageVerifier(answers)))
}

/// An image reference, the value of `image("...")`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image(pub ImageInfo);

opaque_val!(Image, IMAGE_TYPE, "kyverno.Image");

crate::library::opaque_conversions!(Lookup, ImageVerifier, Image);

/// Registers the libraries' functions on `env`.
pub fn register(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_type(LOOKUP)?;
    env.add_type(IMAGE)?;
    env.add_type(VERIFIER)?;
    env.add_member_overload(
        "verifyImageSignatures",
        "kyverno_verify_image_signatures",
        VERIFIER,
        vec![STRING_TYPE, LIST_TYPE],
        verify_image_signatures,
    )?;
    env.add_member_overload(
        "verifyAttestationSignatures",
        "kyverno_verify_attestation_signatures",
        VERIFIER,
        vec![STRING_TYPE, STRING_TYPE, LIST_TYPE],
        verify_attestation_signatures,
    )?;
    env.add_member_overload(
        "extractPayload",
        "kyverno_extract_payload",
        VERIFIER,
        vec![STRING_TYPE, STRING_TYPE],
        extract_payload,
    )?;
    env.add_member_overload(
        "getImageData",
        "kyverno_get_image_data",
        VERIFIER,
        vec![STRING_TYPE],
        get_image_data,
    )?;
    add_functions(
        env,
        &[STRING_TYPE],
        &[
            ("image", "string_to_kyverno_image", image_new),
            ("isImage", "kyverno_is_image_string", is_image),
            (
                "parseServiceAccount",
                "kyverno_parse_service_account",
                parse_service_account,
            ),
        ],
    )?;
    add_methods(
        env,
        &IMAGE,
        "kyverno.Image.",
        &[],
        &[
            ("registry", registry),
            ("repository", repository),
            ("identifier", identifier),
            ("tag", tag),
            ("digest", digest),
            ("containsDigest", contains_digest),
        ],
    )?;
    env.add_member_overload(
        "Get",
        "kyverno_resource_get",
        LOOKUP,
        vec![STRING_TYPE, STRING_TYPE, STRING_TYPE, STRING_TYPE],
        resource_get,
    )?;
    env.add_member_overload(
        "List",
        "kyverno_resource_list",
        LOOKUP,
        vec![STRING_TYPE, STRING_TYPE, STRING_TYPE],
        resource_list,
    )?;
    env.add_member_overload(
        "GetMetadata",
        "kyverno_image_get_metadata",
        LOOKUP,
        vec![STRING_TYPE],
        image_metadata,
    )?;
    Ok(())
}

fn image_arg(v: &CowVal<'_, '_>, function: &str) -> Result<ImageInfo, ExecutionError> {
    if let Some(i) = v.downcast_ref::<Image>() {
        return Ok(i.0.clone());
    }
    let s = string_arg(v, function)?;
    parse_image(s).ok_or_else(|| err(function, format!("could not parse image reference '{s}'")))
}

fn image_new<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    owned(Image(image_arg(one(&args)?, "image")?))
}

fn is_image<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let s = string_arg(one(&args)?, "isImage")?;
    owned(CelBool::from(parse_image(s).is_some()))
}

/// The repository as a registry reports it: Docker Hub's official images
/// live under `library/`.
fn repository_of(i: &ImageInfo) -> String {
    if i.registry == "docker.io" && !i.path.contains('/') {
        format!("library/{}", i.path)
    } else {
        i.path.clone()
    }
}

macro_rules! image_string {
    ($name:ident, $cel:literal, |$i:ident| $body:expr) => {
        fn $name<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
            let $i = image_arg(one(&args)?, $cel)?;
            owned(CelString::from($body))
        }
    };
}

image_string!(registry, "registry", |i| i.registry);
image_string!(repository, "repository", |i| repository_of(&i));
image_string!(identifier, "identifier", |i| if i.digest.is_empty() {
    i.tag
} else {
    i.digest
});
image_string!(tag, "tag", |i| i.tag);
image_string!(digest, "digest", |i| i.digest);

fn contains_digest<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let i = image_arg(one(&args)?, "containsDigest")?;
    owned(CelBool::from(!i.digest.is_empty()))
}

/// `parseServiceAccount(username)`: `{Namespace, Name}` of a
/// `system:serviceaccount:<namespace>:<name>` user, both empty for any
/// other user.
fn parse_service_account<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let user = string_arg(one(&args)?, "parseServiceAccount")?;
    let (namespace, name) = user
        .strip_prefix("system:serviceaccount:")
        .and_then(|rest| rest.split_once(':'))
        .filter(|(ns, n)| !ns.is_empty() && !n.is_empty() && !n.contains(':'))
        .unwrap_or(("", ""));
    json_result(&json!({"Namespace": namespace, "Name": name}))
}

fn json_result<'b, 'v>(v: &Json) -> R<'b, 'v> {
    crate::library::value_result(crate::from_json(v))
}

fn strings<'a, const N: usize>(
    args: &'a [CowVal<'_, '_>],
    function: &str,
) -> Result<(&'a Lookup, [&'a str; N]), ExecutionError> {
    if args.len() != N + 1 {
        return Err(ExecutionError::invalid_argument_count(N, args.len() - 1));
    }
    let lookup = args[0]
        .downcast_ref::<Lookup>()
        .ok_or_else(|| err(function, "called on something other than the library"))?;
    let mut out = [""; N];
    for (slot, a) in out.iter_mut().zip(&args[1..]) {
        *slot = string_arg(a, function)?;
    }
    Ok((lookup, out))
}

fn text<'a>(o: &'a Json, pointer: &str) -> &'a str {
    o.pointer(pointer)
        .and_then(Json::as_str)
        .unwrap_or_default()
}

/// Objects of `api_version` and `resource` in `namespace` (every
/// namespace when empty; an object written without one is in `default`).
fn matching<'a>(
    data: &'a Offline,
    api_version: &'a str,
    resource: &'a str,
    namespace: &'a str,
) -> impl Iterator<Item = &'a Json> + 'a {
    data.resources.iter().filter(move |o| {
        let ns = match text(o, "/metadata/namespace") {
            "" => "default",
            ns => ns,
        };
        text(o, "/apiVersion") == api_version
            && plural_of_kind(text(o, "/kind")) == resource
            && (namespace.is_empty() || ns == namespace)
    })
}

/// `resource.Get(apiVersion, resource, namespace, name)`: the object, or
/// the API server's not-found error.
fn resource_get<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let (lookup, [api_version, resource, namespace, name]) = strings(&args, "Get")?;
    let found = matching(&lookup.0, api_version, resource, namespace)
        .find(|o| text(o, "/metadata/name") == name)
        .ok_or_else(|| err("resource.Get", format!("{resource} \"{name}\" not found")))?;
    json_result(found)
}

/// `resource.List(apiVersion, resource, namespace)`: a list object whose
/// `items` are the matching objects.
fn resource_list<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let (lookup, [api_version, resource, namespace]) = strings(&args, "List")?;
    let items: Vec<Json> = matching(&lookup.0, api_version, resource, namespace)
        .cloned()
        .collect();
    json_result(&json!({"apiVersion": api_version, "kind": "List", "items": items}))
}

/// `image.GetMetadata(ref)`: the metadata given for the image (matched as
/// written or once normalized), with the parts of its reference filled in.
fn image_metadata<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let (lookup, [reference]) = strings(&args, "GetMetadata")?;
    let wanted = parse_image(reference).map(|i| i.normalized());
    let found = lookup
        .0
        .images
        .iter()
        .find(|m| {
            let given = text(m, "/image");
            given == reference
                || wanted.is_some() && parse_image(given).map(|i| i.normalized()) == wanted
        })
        .ok_or_else(|| {
            err(
                "image.GetMetadata",
                format!("no metadata for image '{reference}' (vigie reads image metadata from the Context file's spec.images, never from a registry)"),
            )
        })?;
    let mut out = found.clone();
    if let (Json::Object(map), Some(info)) = (&mut out, parse_image(reference)) {
        let identifier = if info.digest.is_empty() {
            info.tag.clone()
        } else {
            info.digest.clone()
        };
        for (k, v) in [
            ("image", reference.to_string()),
            ("resolvedImage", info.normalized()),
            ("registry", info.registry.clone()),
            ("repository", repository_of(&info)),
            ("identifier", identifier),
        ] {
            map.entry(k).or_insert(Json::String(v));
        }
    }
    json_result(&out)
}

/// The verifier and the image of an image verification call taking `count`
/// arguments, the image first.
fn verifier_and_image<'a>(
    args: &'a [CowVal<'_, '_>],
    function: &str,
    count: usize,
) -> Result<(&'a dyn ImageVerification, &'a str), ExecutionError> {
    if args.len() != count + 1 {
        return Err(ExecutionError::invalid_argument_count(
            count,
            args.len().saturating_sub(1),
        ));
    }
    let verifier = args[0].downcast_ref::<ImageVerifier>().ok_or_else(|| {
        err(
            function,
            "image verification is only available in an ImageValidatingPolicy",
        )
    })?;
    Ok((&*verifier.0, string_arg(&args[1], function)?))
}

/// The attestors a list argument holds, as JSON (maps with a `name`).
fn attestor_list(v: &CowVal<'_, '_>, function: &str) -> Result<Vec<Json>, ExecutionError> {
    let value = crate::result::to_value(v.as_ref())?;
    match crate::to_json(&value) {
        Ok(Json::Array(items)) => Ok(items),
        _ => Err(err(function, "expected a list of attestors")),
    }
}

/// A verifier's count as a CEL int, or its error as `function`'s.
fn count_answer<'b, 'v>(function: &str, answer: Result<i64, VerificationError>) -> R<'b, 'v> {
    owned(CelInt::from(answer.map_err(|e| err(function, e))?))
}

/// A verifier's JSON as a CEL value, or its error as `function`'s.
fn json_answer<'b, 'v>(function: &str, answer: Result<Json, VerificationError>) -> R<'b, 'v> {
    json_result(&answer.map_err(|e| err(function, e))?)
}

fn verify_image_signatures<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let f = "verifyImageSignatures";
    let (verifier, image) = verifier_and_image(&args, f, 2)?;
    let attestors = attestor_list(&args[2], f)?;
    count_answer(f, verifier.verify_signatures(image, &attestors))
}

fn verify_attestation_signatures<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let f = "verifyAttestationSignatures";
    let (verifier, image) = verifier_and_image(&args, f, 3)?;
    let attestation = string_arg(&args[2], f)?;
    let attestors = attestor_list(&args[3], f)?;
    count_answer(
        f,
        verifier.verify_attestation(image, attestation, &attestors),
    )
}

fn extract_payload<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let f = "extractPayload";
    let (verifier, image) = verifier_and_image(&args, f, 2)?;
    let attestation = string_arg(&args[2], f)?;
    json_answer(f, verifier.payload(image, attestation))
}

fn get_image_data<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let f = "getImageData";
    let (verifier, image) = verifier_and_image(&args, f, 1)?;
    json_answer(f, verifier.image_data(image))
}
