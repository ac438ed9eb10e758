//! Kyverno's `policies.kyverno.io` ImageValidatingPolicy and
//! NamespacedImageValidatingPolicy (v1alpha1, v1beta1, v1), answered from
//! files: vigie contacts no registry and verifies no cryptography.
//!
//! The policy is read as a ValidatingPolicy is ([`super::vpol`]: one rule
//! named after the policy, `matchConstraints` as `match`, autogen for pod
//! controllers), its image part compiled here into an [`ImageValidation`]:
//!
//! - images: `containers`, `initContainers` and `ephemeralContainers` of a
//!   Pod, of a pod controller's template or of a CronJob's job template
//!   (Kyverno's default extractors, chosen by kind), and the lists the
//!   policy's `images` expressions give; each list keeps only the images
//!   `matchImageReferences` (globs or CEL on `ref`) select, and is bound as
//!   `images.<name>`;
//! - `attestors.<name>` is the attestor as written, `attestations.<name>`
//!   the attestation's name, as in Kyverno;
//! - `verifyImageSignatures`, `verifyAttestationSignatures`,
//!   `extractPayload` and `getImageData` answer from the image's entry in
//!   the Context file's `spec.images` ([`OfflineVerifier`]): its
//!   `signatures` (the names of the attestors that verify the image) and
//!   `attestations` (`type`, the `attestors` that verify it, `payload`).
//!   An image without an entry, or an entry that does not say, is an
//!   evaluation error naming what is missing, never a pass;
//! - validations run in order and the first false one fails the policy
//!   (its `messageExpression`, `message`, else Kyverno's "CEL expression
//!   validation failed at index N"); an expression that cannot be evaluated
//!   is an `error`; `validationConfigurations.verifyDigest` (default true)
//!   fails a selected image without a digest, `required` (default true)
//!   fails a passing policy when a selected image was not verified by a
//!   signature or attestation check of any ImageValidatingPolicy of the
//!   request (settled once all have run:
//!   [`PolicyContext::settle_image_requirements`]);
//! - `mutateDigest` (default true) pins selected images to their digest at
//!   the admission webhook ([`ImageValidation::pin_digests`]).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{json, Map, Value as Json};
use vigie_cel::kyverno::{
    image_verifier, ImageVerification, Offline, VerificationError, IMAGE_VERIFICATION_FUNCTIONS,
};
use vigie_cel::{Activation, Env, Program, Value};
use vigie_resource::parse_image;

use super::{
    compile_checks_in, compile_in, compile_named_in, env, string_of, CelCheck, CelProblem,
    CelResource, Named, Scope,
};
use crate::engine::{PolicyContext, Status};
use crate::policy::{Check, Parse, RuleAction, Validation};

/// The kinds this module reads.
pub const KINDS: &[&str] = &["ImageValidatingPolicy", "NamespacedImageValidatingPolicy"];

/// Whether `api_version`/`kind` is a Kyverno ImageValidatingPolicy.
pub fn is_image_validating_policy(api_version: &str, kind: &str) -> bool {
    api_version.starts_with("policies.kyverno.io/") && KINDS.contains(&kind)
}

/// The key that marks the `validate.cel` block of the equivalent
/// ClusterPolicy as an ImageValidatingPolicy's (a name no policy writes).
pub(crate) const MARKER: &str = "vigie.imageValidatingPolicy";

/// The variable the image verification functions are methods of.
const VERIFIER: &str = "__vigie_image_verifier";

/// The keys of the ImageValidatingPolicy spec carried into the rule.
pub(crate) const CARRIED: &[&str] = &[
    "validations",
    "matchConditions",
    "variables",
    "auditAnnotations",
    "images",
    "matchImageReferences",
    "attestors",
    "attestations",
    "validationConfigurations",
    "evaluation",
];

/// The environment of the policy's expressions: admission CEL's, with
/// `images`, `attestors`, `attestations` and the verification functions.
fn ivpol_env() -> Env {
    IMAGE_VERIFICATION_FUNCTIONS.iter().fold(
        env()
            .variable("images")
            .variable("attestors")
            .variable("attestations"),
        |env, f| env.receiver_function(*f, VERIFIER),
    )
}

/// Reads an ImageValidatingPolicy or NamespacedImageValidatingPolicy document.
pub(crate) fn parse(
    doc: &Json,
    source: &str,
) -> Result<(crate::policy::Policy, Vec<crate::policy::RuleProblem>), crate::policy::Problem> {
    super::vpol::parse_with(doc, source, true, super::vpol::CelAction::ImageVerify)
}

/// One `matchImageReferences` entry.
#[derive(Debug)]
enum Reference {
    /// `glob`: `*` any text (`/` included), `?` one character, `[...]`
    /// a class (`[!...]` negated), `{a,b}` alternatives.
    Glob(regex::Regex),
    /// `expression`: CEL on `ref`, the image reference (boxed: a program is
    /// eight times the size of a regex).
    Expression(Box<Program>),
}

/// The images a policy considers: those one of its references selects (all
/// when it has none).
#[derive(Debug, Default)]
pub struct ImageReferences(Vec<Reference>);

impl ImageReferences {
    /// Whether the policy considers `image`.
    fn matches(&self, image: &str) -> Result<bool, String> {
        if self.0.is_empty() {
            return Ok(true);
        }
        for r in &self.0 {
            let hit = match r {
                Reference::Glob(g) => g.is_match(image),
                Reference::Expression(p) => {
                    let mut act = Activation::new();
                    act.bind_json("ref", &Json::String(image.to_string()));
                    match p.eval(&act) {
                        Ok(Value::Bool(b)) => b,
                        Ok(other) => {
                            return Err(format!(
                                "matchImageReferences expression '{}' gave {other:?}, not a bool",
                                p.source().trim()
                            ))
                        }
                        Err(e) => {
                            return Err(format!(
                                "matchImageReferences expression '{}' resulted in error: {e}",
                                p.source().trim()
                            ))
                        }
                    }
                }
            };
            if hit {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// A glob as an anchored regular expression (the glob syntax Kyverno's
/// `matchImageReferences` use, without separators: `*` crosses `/`).
fn glob_regex(glob: &str) -> Result<regex::Regex, String> {
    let mut out = String::from("^");
    let mut chars = glob.chars().peekable();
    let mut braces = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '*' => {
                while chars.peek() == Some(&'*') {
                    chars.next();
                }
                out.push_str(".*");
            }
            '?' => out.push('.'),
            '\\' => match chars.next() {
                Some(n) => out.push_str(&regex::escape(&n.to_string())),
                None => return Err("the glob ends with an escape".into()),
            },
            '[' => {
                out.push('[');
                if matches!(chars.peek(), Some('!') | Some('^')) {
                    chars.next();
                    out.push('^');
                }
                let mut closed = false;
                for n in chars.by_ref() {
                    if n == ']' {
                        closed = true;
                        break;
                    }
                    if matches!(n, '\\' | '[' | '&' | '~') {
                        out.push('\\');
                    }
                    out.push(n);
                }
                if !closed {
                    return Err("unclosed [ in the glob".into());
                }
                out.push(']');
            }
            '{' => {
                braces += 1;
                out.push_str("(?:");
            }
            ',' if braces > 0 => out.push('|'),
            '}' if braces > 0 => {
                braces -= 1;
                out.push(')');
            }
            other => out.push_str(&regex::escape(&other.to_string())),
        }
    }
    if braces > 0 {
        return Err("unclosed { in the glob".into());
    }
    out.push('$');
    regex::Regex::new(&out).map_err(|e| e.to_string())
}

/// One `attestations` entry: its name and the type of what it verifies.
#[derive(Clone, Debug)]
struct Attestation {
    name: String,
    /// `intoto` (an in-toto statement attached by cosign), else `referrer`
    /// (an OCI 1.1 referrer).
    intoto: bool,
    /// The predicate type (`intoto.type`) or artifact type (`referrer.type`).
    kind: String,
}

/// A compiled ImageValidatingPolicy.
#[derive(Debug)]
pub struct ImageValidation {
    match_conditions: Vec<Named>,
    variables: Vec<Named>,
    /// `images`: named expressions giving lists of image references.
    extractors: Vec<Named>,
    references: Arc<ImageReferences>,
    /// `attestors`, by name, as written.
    attestors: Json,
    attestations: Arc<Vec<Attestation>>,
    checks: Vec<CelCheck>,
    audit_annotations: Vec<Named>,
    /// `validationConfigurations.verifyDigest`.
    verify_digest: bool,
    /// `validationConfigurations.required`.
    required: bool,
    /// `validationConfigurations.mutateDigest`.
    mutate_digest: bool,
    /// `failurePolicy: Ignore`: a match condition that cannot be evaluated
    /// leaves the resource out instead of giving an error.
    pub ignore_errors: bool,
    /// `validationActions` is `Warn` alone: failures are warnings.
    pub warn: bool,
}

/// The action of the rule holding an ImageValidatingPolicy's `validate.cel`
/// block (`cel`, at `path`).
pub(crate) fn action(cel: &Json, path: &str) -> Parse<RuleAction> {
    let mode = cel
        .pointer("/evaluation/mode")
        .and_then(Json::as_str)
        .unwrap_or("Kubernetes");
    if mode != "Kubernetes" {
        return Ok(RuleAction::Unsupported(
            "ImageValidatingPolicy evaluation.mode other than Kubernetes (JSON, HTTP, Envoy payloads)",
        ));
    }
    match compile(cel, path) {
        Ok(v) => Ok(RuleAction::Validate(Validation {
            message: None,
            failure_action: None,
            check: Check::Image(Arc::new(v)),
        })),
        Err(CelProblem::Unsupported(feature)) => Ok(RuleAction::Unsupported(feature)),
        Err(CelProblem::Invalid(p, reason)) => Err((p, reason)),
    }
}

fn invalid(path: String, reason: impl Into<String>) -> CelProblem {
    CelProblem::Invalid(path, reason.into())
}

fn list<'a>(cel: &'a Json, key: &str) -> &'a [Json] {
    cel.get(key)
        .and_then(Json::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// The items of the list `key` at `path`, each with its own path and its
/// `name`, or the error of an item without one (`"{what} needs a name"`), in
/// list order so that the first problem of the list is the one reported.
fn named_items<'a>(
    cel: &'a Json,
    path: &'a str,
    key: &'a str,
    what: &'a str,
) -> impl Iterator<Item = Result<(String, &'a str, &'a Json), CelProblem>> + 'a {
    list(cel, key).iter().enumerate().map(move |(i, item)| {
        let p = format!("{path}.{key}[{i}]");
        let name = item.get("name").and_then(Json::as_str).unwrap_or_default();
        if name.is_empty() {
            return Err(invalid(format!("{p}.name"), format!("{what} needs a name")));
        }
        Ok((p, name, item))
    })
}

fn compile(cel: &Json, path: &str) -> Result<ImageValidation, CelProblem> {
    let env = ivpol_env();
    let named = |key: &str, name_key: &str, expr_key: &str| {
        compile_named_in(
            &env,
            cel.get(key),
            &format!("{path}.{key}"),
            name_key,
            expr_key,
        )
    };
    let checks = compile_checks_in(&env, cel.get("validations"), &format!("{path}.validations"))?;
    if checks.is_empty() {
        return Err(invalid(
            format!("{path}.validations"),
            "an ImageValidatingPolicy needs at least one validation",
        ));
    }
    let reference_env = Env::new().variable("ref");
    let mut references = Vec::new();
    for (i, r) in list(cel, "matchImageReferences").iter().enumerate() {
        let p = format!("{path}.matchImageReferences[{i}]");
        let text = |k: &str| r.get(k).and_then(Json::as_str).filter(|s| !s.is_empty());
        references.push(match (text("glob"), text("expression")) {
            (Some(g), _) => Reference::Glob(
                glob_regex(g)
                    .map_err(|e| invalid(format!("{p}.glob"), format!("bad glob: {e}")))?,
            ),
            (None, Some(e)) => Reference::Expression(Box::new(compile_in(
                &reference_env,
                e,
                &format!("{p}.expression"),
            )?)),
            (None, None) => return Err(invalid(p, "either glob or expression must be set")),
        });
    }
    let mut attestors = Map::new();
    for item in named_items(cel, path, "attestors", "an attestor") {
        let (p, name, a) = item?;
        let kinds = ["cosign", "notary"]
            .iter()
            .filter(|k| a.get(**k).is_some_and(|v| !v.is_null()))
            .count();
        if kinds != 1 {
            return Err(invalid(
                p,
                "an attestor needs exactly one of cosign or notary",
            ));
        }
        attestors.insert(name.to_string(), a.clone());
    }
    let mut attestations = Vec::new();
    for item in named_items(cel, path, "attestations", "an attestation") {
        let (p, name, a) = item?;
        let of = |k: &str| a.pointer(&format!("/{k}/type")).and_then(Json::as_str);
        let (intoto, kind) = match (of("intoto"), of("referrer")) {
            (Some(t), None) => (true, t),
            (None, Some(t)) => (false, t),
            _ => {
                return Err(invalid(
                    p,
                    "an attestation needs exactly one of intoto.type or referrer.type",
                ))
            }
        };
        attestations.push(Attestation {
            name: name.to_string(),
            intoto,
            kind: kind.to_string(),
        });
    }
    let setting = |k: &str| {
        cel.pointer(&format!("/validationConfigurations/{k}"))
            .and_then(Json::as_bool)
            .unwrap_or(true)
    };
    Ok(ImageValidation {
        match_conditions: named("matchConditions", "name", "expression")?,
        variables: named("variables", "name", "expression")?,
        extractors: named("images", "name", "expression")?,
        references: Arc::new(ImageReferences(references)),
        attestors: Json::Object(attestors),
        attestations: Arc::new(attestations),
        checks,
        audit_annotations: named("auditAnnotations", "key", "valueExpression")?,
        verify_digest: setting("verifyDigest"),
        required: setting("required"),
        mutate_digest: setting("mutateDigest"),
        ignore_errors: false,
        warn: false,
    })
}

/// The pod spec of an object of `kind` (Kyverno's default image
/// extractors choose by the kind of resource).
fn pod_spec_pointer(kind: &str) -> Option<&'static str> {
    match kind {
        "Pod" => Some("/spec"),
        "Deployment" | "DaemonSet" | "StatefulSet" | "ReplicaSet" | "Job" => {
            Some("/spec/template/spec")
        }
        "CronJob" => Some("/spec/jobTemplate/spec/template/spec"),
        _ => None,
    }
}

/// How one evaluation ended: a result, or validations that passed with a
/// `required` check to decide on the request's record.
enum Evaluated {
    Done(Status, String),
    Required { images: Vec<String>, pass: String },
}

/// What `mutateDigest` did to one object for one policy.
#[derive(Debug, Default)]
pub struct DigestPins {
    /// The object with the digests added; `None` when nothing changed.
    pub patched: Option<Json>,
    /// Why some images could not be pinned (the others still are), as the
    /// error result Kyverno records against the policy; `None` when all were.
    pub error: Option<String>,
}

impl ImageValidation {
    /// `validationConfigurations.mutateDigest` (default true).
    pub fn mutates_digest(&self) -> bool {
        self.mutate_digest
    }

    /// Pins to their digest the images of the resource of `context` that
    /// `matchImageReferences` selects and that carry no digest, as Kyverno's
    /// admission webhook does for `mutateDigest`: only the containers, init
    /// and ephemeral containers of a Pod, pod template or CronJob job
    /// template (the fields a patch can point at), each image named as
    /// Kyverno names it (`nginx:1` is `docker.io/nginx:1`) and rewritten to
    /// `NAME@DIGEST` with the digest the Context file's `spec.images` entry
    /// gives. An image without one is an error naming it; the others are
    /// still pinned. Nothing happens when the policy's match conditions do
    /// not hold. No signature is checked here: that is the validation's work.
    pub fn pin_digests(&self, context: &PolicyContext<'_>) -> DigestPins {
        let shared = context.cel();
        let scope = Scope {
            match_conditions: &self.match_conditions,
            variables: &[],
            params: None,
            ignore_errors: self.ignore_errors,
            reads_request: super::reads_request(self.match_conditions.iter().map(|n| &n.program)),
        };
        match scope.bind(shared) {
            Ok(_) => {}
            Err((Status::Skip, _)) => return DigestPins::default(),
            Err((_, m)) => {
                return DigestPins {
                    patched: None,
                    error: Some(format!("failed to update digest: {m}")),
                }
            }
        }
        let Some(spec) = pod_spec_pointer(&context.target.kind) else {
            return DigestPins::default();
        };
        let mut object = context.target.object.clone();
        let mut errors = Vec::new();
        let verifier = OfflineVerifier {
            lookup: shared.inputs.lookup.clone(),
            references: self.references.clone(),
            attestations: self.attestations.clone(),
            outcomes: Mutex::new(BTreeMap::new()),
        };
        for list in ["initContainers", "containers", "ephemeralContainers"] {
            let pointer = format!("{spec}/{list}");
            let count = object
                .pointer(&pointer)
                .and_then(Json::as_array)
                .map_or(0, Vec::len);
            for i in 0..count {
                let field = format!("{pointer}/{i}/image");
                let Some(written) = object.pointer(&field).and_then(Json::as_str) else {
                    continue;
                };
                let Some(info) = parse_image(written) else {
                    errors.push(format!("failed to parse image reference {written}"));
                    continue;
                };
                if !info.digest.is_empty() {
                    continue;
                }
                let name = info.normalized();
                match self.references.matches(&name) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(m) => {
                        errors.push(m);
                        continue;
                    }
                }
                let digest = verifier.entry(&name).and_then(|e| {
                    e.get("digest")
                        .and_then(Json::as_str)
                        .filter(|d| !d.is_empty())
                        .map(str::to_string)
                        .ok_or_else(|| {
                            format!("the spec.images entry of '{name}' gives no digest ({OFFLINE})")
                        })
                });
                match digest {
                    Ok(d) => {
                        if let Some(slot) = object.pointer_mut(&field) {
                            *slot = Json::String(format!("{name}@{d}"));
                        }
                    }
                    Err(m) => {
                        errors.push(format!("failed to resolve digest for image {name}: {m}"))
                    }
                }
            }
        }
        DigestPins {
            patched: (object != context.target.object).then_some(object),
            error: (!errors.is_empty())
                .then(|| format!("failed to update digest: {}", errors.join("; "))),
        }
    }

    /// Runs the policy on the resource of `context`.
    pub fn evaluate(&self, context: &PolicyContext<'_>) -> (Status, String) {
        self.evaluate_named(context, "", "")
    }

    /// [`ImageValidation::evaluate`] for the rule `rule` of policy `policy`:
    /// what its checks verified joins the request's record, and `required`
    /// is decided on that record. An image no check of the request verified
    /// yet fails the policy for now, and the check is kept to be settled
    /// once every policy has run
    /// ([`PolicyContext::settle_image_requirements`]).
    pub fn evaluate_named(
        &self,
        context: &PolicyContext<'_>,
        policy: &str,
        rule: &str,
    ) -> (Status, String) {
        let shared = context.cel();
        let record = context.image_verifications();
        match self.evaluate_in(shared, &context.target.kind, record) {
            Evaluated::Done(status, m) => match status {
                Status::Fail if self.warn => (Status::Warn, m),
                other => (other, m),
            },
            Evaluated::Required { images, pass } => {
                let mut record = record.borrow_mut();
                match record.require(&images) {
                    Ok(()) => (Status::Pass, pass),
                    Err(m) => {
                        record.defer(policy, rule, images, pass, self.warn);
                        (
                            if self.warn {
                                Status::Warn
                            } else {
                                Status::Fail
                            },
                            m,
                        )
                    }
                }
            }
        }
    }

    fn evaluate_in(
        &self,
        shared: &CelResource<'_>,
        kind: &str,
        record: &std::cell::RefCell<crate::engine::policy_context::ImageVerifications>,
    ) -> Evaluated {
        let verifier = Arc::new(OfflineVerifier {
            lookup: shared.inputs.lookup.clone(),
            references: self.references.clone(),
            attestations: self.attestations.clone(),
            outcomes: Mutex::new(BTreeMap::new()),
        });
        let outcome = self.evaluate_with(shared, kind, &verifier);
        // Every check the policy made counts for the request, whatever its
        // own result (as Kyverno records them).
        record.borrow_mut().record(&verifier.outcomes());
        outcome
    }

    fn evaluate_with(
        &self,
        shared: &CelResource<'_>,
        kind: &str,
        verifier: &Arc<OfflineVerifier>,
    ) -> Evaluated {
        let scope = Scope {
            match_conditions: &self.match_conditions,
            variables: &[],
            params: None,
            ignore_errors: self.ignore_errors,
            // The image rules run in the activation too.
            reads_request: true,
        };
        let mut act = match scope.bind(shared) {
            Ok((act, _)) => act,
            // A match condition that cannot be evaluated under
            // `failurePolicy: Fail` is an error, as in Kyverno.
            Err((Status::Fail, m)) => return Evaluated::Done(Status::Error, m),
            Err((status, m)) => return Evaluated::Done(status, m),
        };
        let images = match self.images(shared, kind, &act) {
            Ok(i) => i,
            Err(m) => return Evaluated::Done(Status::Error, m),
        };
        let mut selected: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut considered = Vec::new();
        for (category, list) in images {
            let kept = selected.entry(category).or_default();
            for image in list {
                match self.references.matches(&image) {
                    Ok(true) => {
                        kept.push(image.clone());
                        considered.push(image);
                    }
                    Ok(false) => {}
                    Err(m) => return Evaluated::Done(Status::Error, m),
                }
            }
        }
        if self.verify_digest {
            for image in &considered {
                match parse_image(image) {
                    None => {
                        return Evaluated::Done(
                            Status::Error,
                            format!("failed to parse image reference {image}"),
                        )
                    }
                    Some(i) if i.digest.is_empty() => {
                        return Evaluated::Done(
                            Status::Fail,
                            format!("image {image} does not have a digest"),
                        )
                    }
                    Some(_) => {}
                }
            }
        }
        // Binding an opaque value cannot fail.
        let _ = act.bind(VERIFIER, image_verifier(verifier.clone()));
        act.bind_json("images", &json!(selected));
        let names: Map<String, Json> = self
            .attestations
            .iter()
            .map(|a| (a.name.clone(), Json::String(a.name.clone())))
            .collect();
        act.bind_json("attestations", &Json::Object(names));
        act.bind_json("attestors", &self.attestors);
        let mut variable_errors = Vec::new();
        for v in &self.variables {
            match v.program.eval_shared(&act) {
                Ok(value) => {
                    act.bind_field("variables", &v.name, &value);
                }
                Err(e) => variable_errors.push(format!("variable {}: {e}", v.name)),
            }
        }
        for (i, check) in self.checks.iter().enumerate() {
            let problem = match check.holds(&act) {
                Ok(true) => continue,
                Ok(false) => return Evaluated::Done(Status::Fail, message(check, &act, i)),
                Err(problem) => problem,
            };
            let mut m = problem;
            if !variable_errors.is_empty() {
                m.push_str(&format!(" ({})", variable_errors.join("; ")));
            }
            return Evaluated::Done(Status::Error, m);
        }
        let annotations = match self.annotations(&act) {
            Ok(a) => a,
            Err(m) => return Evaluated::Done(Status::Error, m),
        };
        if self.required {
            return Evaluated::Required {
                images: considered,
                pass: annotations,
            };
        }
        Evaluated::Done(Status::Pass, annotations)
    }

    /// The image lists by name: the kind's containers, then the policy's
    /// `images` expressions (a name given twice takes the later list).
    fn images(
        &self,
        shared: &CelResource<'_>,
        kind: &str,
        act: &Activation,
    ) -> Result<BTreeMap<String, Vec<String>>, String> {
        let mut out = BTreeMap::new();
        let inputs = &shared.inputs;
        let object = match inputs.object {
            Json::Null => inputs.old_object.unwrap_or(&Json::Null),
            o => o,
        };
        if let Some(spec) = pod_spec_pointer(kind) {
            for list in ["containers", "initContainers", "ephemeralContainers"] {
                let images = object
                    .pointer(&format!("{spec}/{list}"))
                    .and_then(Json::as_array)
                    .map(|items| {
                        items
                            .iter()
                            .filter_map(|c| c.get("image").and_then(Json::as_str))
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                out.insert(list.to_string(), images);
            }
        }
        for e in &self.extractors {
            let value = e.program.eval(act).map_err(|err| {
                format!(
                    "images {}: expression '{}' resulted in error: {err}",
                    e.name,
                    e.program.source().trim()
                )
            })?;
            let list = vigie_cel::to_json(&value)
                .ok()
                .and_then(|j| match j {
                    Json::Array(items) => items
                        .into_iter()
                        .map(|i| i.as_str().map(str::to_string))
                        .collect::<Option<Vec<_>>>(),
                    _ => None,
                })
                .ok_or_else(|| {
                    format!(
                        "images {}: the expression must give a list of strings",
                        e.name
                    )
                })?;
            out.insert(e.name.clone(), list);
        }
        Ok(out)
    }

    /// `auditAnnotations` as `key=value` text (empty values left out).
    fn annotations(&self, act: &Activation) -> Result<String, String> {
        let mut out = Vec::new();
        for a in &self.audit_annotations {
            match a.program.eval(act) {
                Ok(Value::Null) => {}
                Ok(v) => match string_of(&v) {
                    Some(s) if s.is_empty() => {}
                    Some(s) => out.push(format!("{}={s}", a.name)),
                    None => {
                        return Err(format!(
                            "auditAnnotation '{}' did not give a string",
                            a.name
                        ))
                    }
                },
                Err(e) => {
                    return Err(format!(
                        "failed to evaluate auditAnnotation '{}': {e}",
                        a.name
                    ))
                }
            }
        }
        Ok(out.join(", "))
    }
}

/// The message of a false validation: `messageExpression` when it gives a
/// string, else `message`, else Kyverno's default naming the index.
fn message(check: &CelCheck, act: &Activation, index: usize) -> String {
    if let Some(m) = &check.message_expression {
        return match m.eval(act) {
            Ok(text) => match string_of(&text) {
                Some(s) => s,
                None => "failed to convert message expression to string".into(),
            },
            Err(e) => format!("failed to evaluate message expression: {e}"),
        };
    }
    match &check.message {
        Some(m) if !m.is_empty() => m.clone(),
        _ => format!("CEL expression validation failed at index {index}"),
    }
}

/// Answers the image verification functions of one evaluation from the
/// Context file's `spec.images` entries, and records which selected
/// images a signature or attestation check verified (for `required`).
#[derive(Debug)]
struct OfflineVerifier {
    lookup: Arc<Offline>,
    references: Arc<ImageReferences>,
    attestations: Arc<Vec<Attestation>>,
    /// Image -> whether a check of it verified it (any one suffices).
    outcomes: Mutex<BTreeMap<String, bool>>,
}

/// Where vigie reads what registries would say, for error messages (also
/// ClusterPolicy verifyImages', which reads the same facts).
pub(crate) const OFFLINE: &str =
    "vigie answers image verification from the Context file's spec.images \
                       and never contacts a registry";

/// A list field of the Context entry of `image`, which must be there: an
/// absent list is an error, never an empty answer (also ClusterPolicy
/// verifyImages').
pub(crate) fn said<'a>(entry: &'a Json, image: &str, field: &str) -> Result<&'a [Json], String> {
    entry
        .get(field)
        .and_then(Json::as_array)
        .map(Vec::as_slice)
        .ok_or_else(|| {
            format!(
                "the spec.images entry of '{image}' has no `{field}` list, so vigie cannot \
                 tell what verifies it ({OFFLINE})"
            )
        })
}

impl OfflineVerifier {
    fn outcomes(&self) -> BTreeMap<String, bool> {
        self.outcomes.lock().map(|o| o.clone()).unwrap_or_default()
    }

    fn record(&self, image: &str, verified: bool) {
        if let Ok(mut o) = self.outcomes.lock() {
            let entry = o.entry(image.to_string()).or_insert(false);
            *entry |= verified;
        }
    }

    /// The Context entry of `image` (as written, or once normalized).
    fn entry(&self, image: &str) -> Result<&Json, String> {
        let wanted = parse_image(image).map(|i| i.normalized());
        self.lookup
            .images
            .iter()
            .find(|m| {
                let given = m.get("image").and_then(Json::as_str).unwrap_or_default();
                given == image
                    || wanted.is_some() && parse_image(given).map(|i| i.normalized()) == wanted
            })
            .ok_or_else(|| format!("no data for image '{image}' ({OFFLINE})"))
    }

    fn attestation(&self, name: &str) -> Result<&Attestation, String> {
        self.attestations
            .iter()
            .find(|a| a.name == name)
            .ok_or_else(|| format!("attestation not found in policy: {name}"))
    }

    /// The attestors' names, and whether one is a notary attestor.
    fn attestor_names(attestors: &[Json]) -> Result<(Vec<&str>, bool), String> {
        let mut names = Vec::new();
        let mut notary = false;
        for a in attestors {
            let name = a.get("name").and_then(Json::as_str).ok_or_else(|| {
                "each attestor must be one of the policy's (attestors.<name>)".to_string()
            })?;
            notary |= a.get("notary").is_some_and(|n| !n.is_null());
            names.push(name);
        }
        Ok((names, notary))
    }

    /// How many of `names` a list of attestor names holds.
    fn count(names: &[&str], verified_by: &[Json]) -> i64 {
        let by: Vec<&str> = verified_by.iter().filter_map(Json::as_str).collect();
        names.iter().filter(|n| by.contains(n)).count() as i64
    }

    fn matched(&self, image: &str) -> Result<bool, String> {
        self.references.matches(image)
    }
}

impl ImageVerification for OfflineVerifier {
    fn verify_signatures(&self, image: &str, attestors: &[Json]) -> Result<i64, VerificationError> {
        if !self.matched(image)? {
            return Ok(0);
        }
        let (names, _) = Self::attestor_names(attestors)?;
        let entry = self.entry(image)?;
        let count = Self::count(&names, said(entry, image, "signatures")?);
        if !names.is_empty() {
            self.record(image, count > 0);
        }
        Ok(count)
    }

    fn verify_attestation(
        &self,
        image: &str,
        attestation: &str,
        attestors: &[Json],
    ) -> Result<i64, VerificationError> {
        if !self.matched(image)? {
            return Ok(0);
        }
        let wanted = self.attestation(attestation)?;
        let (names, notary) = Self::attestor_names(attestors)?;
        if notary && wanted.intoto {
            return Err("notary verifier only supports oci 1.1 referrers as attestations".into());
        }
        let entry = self.entry(image)?;
        let found = said(entry, image, "attestations")?
            .iter()
            .find(|a| a.get("type").and_then(Json::as_str) == Some(wanted.kind.as_str()));
        let count = match found {
            Some(a) => Self::count(
                &names,
                a.get("attestors")
                    .and_then(Json::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or_default(),
            ),
            None => 0,
        };
        if !names.is_empty() {
            self.record(image, count > 0);
        }
        Ok(count)
    }

    fn payload(&self, image: &str, attestation: &str) -> Result<Json, VerificationError> {
        let wanted = self.attestation(attestation)?;
        let entry = self.entry(image)?;
        let found = said(entry, image, "attestations")?
            .iter()
            .find(|a| a.get("type").and_then(Json::as_str) == Some(wanted.kind.as_str()))
            .ok_or_else(|| {
                VerificationError(format!(
                    "failed to get payload: image {image} has no attestation of type {}",
                    wanted.kind
                ))
            })?;
        found.get("payload").cloned().ok_or_else(|| {
            VerificationError(format!(
                "failed to get payload: the {} attestation of image {image} gives no payload",
                wanted.kind
            ))
        })
    }

    fn image_data(&self, image: &str) -> Result<Json, VerificationError> {
        let mut data = self.entry(image)?.clone();
        if let Json::Object(m) = &mut data {
            m.remove("signatures");
            m.remove("attestations");
        }
        Ok(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_cross_slashes_and_take_classes_and_alternatives() {
        let g = |p: &str, s: &str| glob_regex(p).expect("valid glob").is_match(s);
        assert!(g("ghcr.io/*", "ghcr.io/kyverno/kyverno:v1"));
        assert!(!g("ghcr.io/*/foo", "ghcr.io/kyverno/kyverno"));
        assert!(g("docker.io/{nginx,redis}:*", "docker.io/redis:7"));
        assert!(!g("docker.io/{nginx,redis}:*", "docker.io/mysql:8"));
        assert!(g("app:v[0-9]", "app:v3"));
        assert!(!g("app:v[!0-9]", "app:v3"));
        assert!(g("a?c.io/x", "abc.io/x"));
        assert!(g("a.b", "a.b") && !g("a.b", "axb"));
        assert!(glob_regex("x[ab").is_err());
        assert!(glob_regex("x{a,b").is_err());
    }
}
