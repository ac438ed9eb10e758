//! ClusterPolicy and Policy `verifyImages` rules, answered offline from the
//! same facts as ImageValidatingPolicies ([`crate::cel::ivpol`]): the Context
//! file's `spec.images` entries say what a registry, cosign or notary would.
//! **Nothing is verified cryptographically and no registry is contacted**; a
//! fact that is missing is an `error` result naming it, never a pass.
//!
//! An entry's `signatures` and each attestation's `attestors` list who signed:
//! attestor names (what ImageValidatingPolicies name), or, for these rules,
//! signers described as a policy's attestor entries describe them:
//! `{key: <PEM public key>}` for `keys`, `{subject: ..., issuer: ...}` for
//! `keyless`, `{certificate: <PEM>}` for `certificates`.
//!
//! For each image of the resource (containers, init and ephemeral containers
//! of a Pod, of a controller's pod template, of a CronJob's job template)
//! that an `imageReferences` pattern selects and no `skipImageReferences`
//! pattern leaves out, in Kyverno's order: every attestor set must verify
//! (`count` of its `entries`, all of them by default; a nested `attestor` is
//! a set of its own), then every attestation (`type`, or the older
//! `predicateType`) must be in the facts, signed by its attestor sets, with
//! its `conditions` holding on the statement's `predicate`. Then
//! `mutateDigest` (default true) rewrites an image without a digest to
//! `NAME@digest` (Kyverno's name for the image) with the digest the facts give, as a JSON patch replacing
//! the container's `image`; otherwise `verifyDigest` (default true) fails an
//! image without one. An image verified by a signature or attestation check
//! is recorded in the `kyverno.io/verify-images` annotation
//! (`{"<image>":"pass"}`), as Kyverno records it. `required` (default true)
//! asks that every selected image was verified by such a check; offline the
//! checks run with the rule, so a failed check already fails it.
//!
//! Entries holding variables are substituted with the rule's data and read
//! again for each resource; attestation conditions are substituted with the
//! predicate's fields added to that data. A rule's `imageExtractors` replace
//! the container lists for the kinds they name. The annotation names images
//! as Kyverno's `ImageInfo.String()` does ([`annotation_name`]).

use std::sync::Arc;

use serde_json::{Map, Value as Json};
use vigie_cel::kyverno::Offline;
use vigie_resource::{parse_image, wildcard_match};

use crate::cel::ivpol::{said, OFFLINE};
use crate::conditions::{self, Conditions};
use crate::engine::{PolicyContext, Status};
use crate::jmes::Document;
use crate::json::array_items;
use crate::policy::{parse_conditions_opt, problem, strings, Parse};
use crate::variables::Missing;

/// The annotation Kyverno records verified images in.
pub const ANNOTATION: &str = "kyverno.io/verify-images";

/// A `verifyImages` rule: its image verifications, in order.
#[derive(Debug)]
pub struct VerifyImages {
    /// The `verifyImages` entries.
    pub checks: Vec<ImageVerification>,
    /// The entries as written, kept when they hold variables (`{{ }}`) outside
    /// attestation conditions: they are substituted with the rule's data and
    /// parsed again for each resource, as Kyverno substitutes the rule.
    pub templated: Option<Json>,
    /// Where the entries are in the policy (for messages).
    pub path: String,
    /// The rule's `imageExtractors`, by kind: for a kind listed, they replace
    /// the built-in container extractors, as in Kyverno.
    pub extractors: std::collections::BTreeMap<String, Vec<ImageExtractor>>,
}

/// One `imageExtractors` entry: where a kind keeps image references.
#[derive(Debug)]
pub struct ImageExtractor {
    /// The path's fields (`*` iterates a list or a map), without the value field.
    pub fields: Vec<String>,
    /// `value`: the field holding the image (the path's last field by default).
    pub value: String,
    /// `key`: the field naming the image (its JSON pointer by default).
    pub key: String,
    /// `name`: the group the images are listed under (`custom` by default).
    pub name: String,
    /// `jmesPath`: turns the value into the image reference.
    pub jmes_path: Option<std::sync::Arc<crate::jmes::Expr>>,
}

/// One `verifyImages` entry.
#[derive(Debug)]
pub struct ImageVerification {
    /// `imageReferences` (wildcards), the images it applies to.
    pub references: Vec<String>,
    /// `skipImageReferences`, images it leaves out.
    pub skip: Vec<String>,
    /// `attestors`: every set must verify the image's signatures.
    pub attestors: Vec<AttestorSet>,
    /// `attestations`: statements the image must carry.
    pub attestations: Vec<AttestationCheck>,
    /// `mutateDigest` (default true).
    pub mutate_digest: bool,
    /// `verifyDigest` (default true).
    pub verify_digest: bool,
    /// `required` (default true).
    pub required: bool,
}

/// An attestor set: `count` of its `entries` must verify (all by default).
#[derive(Debug)]
pub struct AttestorSet {
    /// `count` (None or 0: every entry).
    pub count: Option<usize>,
    /// `entries`.
    pub entries: Vec<Attestor>,
}

/// One attestor entry, as the facts are matched against it.
#[derive(Debug)]
pub enum Attestor {
    /// `keys.publicKeys`: the PEM text (several keys: one entry each).
    Key(String),
    /// `keyless`: `subject` and `issuer` (wildcards allowed).
    Keyless {
        /// The certificate subject.
        subject: String,
        /// The OIDC issuer (empty: any).
        issuer: String,
    },
    /// `certificates.cert`: the PEM certificate.
    Certificate(String),
    /// `attestor`: a nested set.
    Nested(AttestorSet),
}

/// One `attestations` entry.
#[derive(Debug)]
pub struct AttestationCheck {
    /// `type` (or `predicateType`).
    pub predicate_type: String,
    /// `attestors` that must have signed the statement.
    pub attestors: Vec<AttestorSet>,
    /// `conditions`, evaluated on the statement's predicate.
    pub conditions: Vec<Conditions>,
}

/// Parses a rule's `verifyImages` list (and its `imageExtractors`).
pub(crate) fn parse(v: &Json, extractors: Option<&Json>, path: &str) -> Parse<VerifyImages> {
    let checks = parse_checks(v, path)?;
    let templated = outside_conditions(v, crate::variables::tree_has_variables).then(|| v.clone());
    let extractors = parse_extractors(
        extractors,
        &path.replace(".verifyImages", ".imageExtractors"),
    )?;
    Ok(VerifyImages {
        checks,
        templated,
        path: path.to_string(),
        extractors,
    })
}

/// Whether `test` holds for the entries with their attestation `conditions`
/// left out (conditions are substituted later, with the predicate's fields).
fn outside_conditions(v: &Json, test: impl Fn(&Json) -> bool) -> bool {
    test(&without_conditions(v))
}

/// The entries without their attestation `conditions`.
fn without_conditions(v: &Json) -> Json {
    let mut v = v.clone();
    for item in v.as_array_mut().into_iter().flatten() {
        for a in item
            .get_mut("attestations")
            .and_then(Json::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(a) = a.as_object_mut() {
                a.remove("conditions");
            }
        }
    }
    v
}

/// Substitutes the variables of `raw` outside attestation conditions, which
/// keep their text.
fn substitute_entries(raw: &Json, data: &Document<'_>) -> Result<Json, String> {
    let mut out = crate::variables::substitute(&without_conditions(raw), data, Missing::Error)
        .map_err(|e| e.to_string())?;
    for (item, original) in out
        .as_array_mut()
        .into_iter()
        .flatten()
        .zip(raw.as_array().into_iter().flatten())
    {
        for (a, original) in item
            .get_mut("attestations")
            .and_then(Json::as_array_mut)
            .into_iter()
            .flatten()
            .zip(array_items(original.get("attestations")).iter())
        {
            if let (Some(a), Some(c)) = (a.as_object_mut(), original.get("conditions")) {
                a.insert("conditions".into(), c.clone());
            }
        }
    }
    Ok(out)
}

fn parse_extractors(
    v: Option<&Json>,
    path: &str,
) -> Parse<std::collections::BTreeMap<String, Vec<ImageExtractor>>> {
    let mut out = std::collections::BTreeMap::new();
    let map = match v {
        None | Some(Json::Null) => return Ok(out),
        Some(Json::Object(map)) => map,
        Some(_) => return problem(path, "expected a map from kind to a list of extractors"),
    };
    for (kind, list) in map {
        let kp = format!("{path}.{kind}");
        let Some(items) = list.as_array() else {
            return problem(&kp, "expected a list of extractors");
        };
        let mut extractors = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let p = format!("{kp}[{i}]");
            let text = |k: &str| -> Parse<String> {
                match item.get(k) {
                    None | Some(Json::Null) => Ok(String::new()),
                    Some(Json::String(s)) => Ok(s.clone()),
                    Some(_) => problem(&format!("{p}.{k}"), "expected a string"),
                }
            };
            let mut fields: Vec<String> = text("path")?
                .split('/')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .map(str::to_string)
                .collect();
            let mut value = text("value")?;
            if value.is_empty() {
                match fields.pop() {
                    Some(last) if last != "*" => value = last,
                    _ => {
                        return problem(
                            &format!("{p}.path"),
                            "an extractor needs a path ending in the image field, or a value",
                        )
                    }
                }
            }
            let name = match text("name")? {
                n if n.is_empty() => "custom".to_string(),
                n => n,
            };
            let jmes_path = match text("jmesPath")? {
                j if j.is_empty() => None,
                j => Some(crate::variables::compile_cached(&j).map_err(|e| {
                    (
                        format!("{p}.jmesPath"),
                        format!("invalid JMESPath {j:?}: {e}"),
                    )
                })?),
            };
            extractors.push(ImageExtractor {
                fields,
                value,
                key: text("key")?,
                name,
                jmes_path,
            });
        }
        out.insert(kind.clone(), extractors);
    }
    Ok(out)
}

/// Parses the `verifyImages` entries.
fn parse_checks(v: &Json, path: &str) -> Parse<Vec<ImageVerification>> {
    let Some(items) = v.as_array().filter(|i| !i.is_empty()) else {
        return problem(path, "expected a non-empty list of image verifications");
    };
    let mut checks = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = format!("{path}[{i}]");
        if !item.is_object() {
            return problem(&p, "expected a map");
        }
        let flag = |k: &str| -> Parse<bool> {
            match item.get(k) {
                None | Some(Json::Null) => Ok(true),
                Some(Json::Bool(b)) => Ok(*b),
                Some(_) => problem(&format!("{p}.{k}"), "expected true or false"),
            }
        };
        // The older single-reference form.
        let mut references = strings(item.get("imageReferences"), &format!("{p}.imageReferences"))?;
        if let Some(image) = item.get("image").and_then(Json::as_str) {
            references.push(image.to_string());
        }
        if references.is_empty() {
            return problem(
                &format!("{p}.imageReferences"),
                "an image verification needs the images it applies to",
            );
        }
        let mut attestations = Vec::new();
        for (j, a) in array_items(item.get("attestations")).iter().enumerate() {
            let ap = format!("{p}.attestations[{j}]");
            let predicate_type = a
                .get("type")
                .or_else(|| a.get("predicateType"))
                .and_then(Json::as_str)
                .filter(|t| !t.is_empty())
                .ok_or((
                    format!("{ap}.type"),
                    "an attestation needs its type".to_string(),
                ))?
                .to_string();
            let mut conditions = Vec::new();
            for (k, c) in array_items(a.get("conditions")).iter().enumerate() {
                if let Some(c) = parse_conditions_opt(Some(c), &format!("{ap}.conditions[{k}]"))? {
                    conditions.push(c);
                }
            }
            attestations.push(AttestationCheck {
                predicate_type,
                attestors: attestor_sets(a.get("attestors"), &format!("{ap}.attestors"))?,
                conditions,
            });
        }
        checks.push(ImageVerification {
            references,
            skip: strings(
                item.get("skipImageReferences"),
                &format!("{p}.skipImageReferences"),
            )?,
            attestors: attestor_sets(item.get("attestors"), &format!("{p}.attestors"))?,
            attestations,
            mutate_digest: flag("mutateDigest")?,
            verify_digest: flag("verifyDigest")?,
            required: flag("required")?,
        });
    }
    Ok(checks)
}

fn attestor_sets(v: Option<&Json>, path: &str) -> Parse<Vec<AttestorSet>> {
    let mut out = Vec::new();
    let items = match v {
        None | Some(Json::Null) => return Ok(out),
        Some(Json::Array(items)) => items,
        Some(_) => return problem(path, "expected a list of attestor sets"),
    };
    for (i, set) in items.iter().enumerate() {
        out.push(attestor_set(set, &format!("{path}[{i}]"))?);
    }
    Ok(out)
}

fn attestor_set(set: &Json, path: &str) -> Parse<AttestorSet> {
    let count = match set.get("count") {
        None | Some(Json::Null) => None,
        Some(c) => match c.as_u64() {
            Some(n) => Some(n as usize),
            None => return problem(&format!("{path}.count"), "expected a number"),
        },
    };
    let Some(items) = set.get("entries").and_then(Json::as_array) else {
        return problem(&format!("{path}.entries"), "an attestor set needs entries");
    };
    let mut entries = Vec::new();
    for (i, e) in items.iter().enumerate() {
        let p = format!("{path}.entries[{i}]");
        let text = |v: Option<&Json>| v.and_then(Json::as_str).unwrap_or_default().to_string();
        if let Some(keys) = e.get("keys") {
            let pem = text(keys.get("publicKeys"));
            if pem.trim().is_empty() {
                return problem(&format!("{p}.keys.publicKeys"), "expected a public key");
            }
            // Several keys in one entry are one attestor each, as in Kyverno.
            let keys: Vec<String> = pem
                .split_inclusive("-----END PUBLIC KEY-----")
                .map(str::to_string)
                .filter(|k| !k.trim().is_empty())
                .collect();
            if keys.len() > 1 {
                entries.extend(keys.into_iter().map(Attestor::Key));
            } else {
                entries.push(Attestor::Key(pem));
            }
        } else if let Some(k) = e.get("keyless") {
            entries.push(Attestor::Keyless {
                subject: text(k.get("subject")),
                issuer: text(k.get("issuer")),
            });
        } else if let Some(c) = e.get("certificates") {
            entries.push(Attestor::Certificate(text(c.get("cert"))));
        } else if let Some(nested) = e.get("attestor") {
            entries.push(Attestor::Nested(attestor_set(
                nested,
                &format!("{p}.attestor"),
            )?));
        } else {
            return problem(
                &p,
                "an attestor entry needs keys, keyless, certificates or attestor",
            );
        }
    }
    Ok(AttestorSet { count, entries })
}

/// PEM text without its whitespace, so that line breaks do not matter.
fn squeezed(pem: &str) -> String {
    pem.chars().filter(|c| !c.is_whitespace()).collect()
}

impl Attestor {
    /// Whether one of the signers the facts list is this attestor.
    fn signed_by(&self, signers: &[Json]) -> bool {
        signers.iter().any(|s| match self {
            Attestor::Key(pem) => s
                .get("key")
                .and_then(Json::as_str)
                .is_some_and(|k| squeezed(k) == squeezed(pem)),
            Attestor::Certificate(pem) => s
                .get("certificate")
                .and_then(Json::as_str)
                .is_some_and(|c| squeezed(c) == squeezed(pem)),
            Attestor::Keyless { subject, issuer } => {
                let field = |k: &str| s.get(k).and_then(Json::as_str);
                field("subject").is_some_and(|given| wildcard_match(subject, given))
                    && (issuer.is_empty()
                        || field("issuer").is_some_and(|given| wildcard_match(issuer, given)))
            }
            Attestor::Nested(_) => false,
        })
    }

    /// The path suffix Kyverno's messages give the entry.
    fn kind(&self) -> &'static str {
        match self {
            Attestor::Key(_) => ".keys",
            Attestor::Keyless { .. } => ".keyless",
            Attestor::Certificate(_) => ".certificates",
            Attestor::Nested(_) => ".attestor",
        }
    }
}

impl AttestorSet {
    /// `Ok` when enough entries signed, else the reasons of those that did not.
    fn verify(&self, signers: &[Json], path: &str) -> Result<(), String> {
        let required = match self.count {
            Some(n) if n > 0 => n,
            _ => self.entries.len(),
        };
        let mut verified = 0;
        let mut errors = Vec::new();
        for (i, entry) in self.entries.iter().enumerate() {
            let p = format!("{path}.entries[{i}]{}", entry.kind());
            let outcome = match entry {
                Attestor::Nested(set) => set.verify(signers, &p),
                other if other.signed_by(signers) => Ok(()),
                _ => Err(format!("{p}: no matching signatures")),
            };
            match outcome {
                Ok(()) => {
                    verified += 1;
                    if verified >= required {
                        return Ok(());
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            errors.push(format!(
                "{path}: {verified} of the {required} signatures required"
            ));
        }
        Err(errors.join("; "))
    }
}

/// The Context entry of `image`, as written or once normalized; an image
/// with a digest is also the entry of its tag that gives that digest (so the
/// rules after a `mutateDigest` find it).
fn entry<'a>(lookup: &'a Offline, image: &str) -> Result<&'a Json, String> {
    let parsed = parse_image(image);
    let wanted = parsed.as_ref().map(|i| i.normalized());
    let without_digest = |i: &vigie_resource::ImageInfo| {
        let mut i = i.clone();
        i.digest.clear();
        i.normalized()
    };
    lookup
        .images
        .iter()
        .find(|m| {
            let given = m.get("image").and_then(Json::as_str).unwrap_or_default();
            let given_info = parse_image(given);
            if given == image
                || wanted.is_some() && given_info.as_ref().map(|i| i.normalized()) == wanted
            {
                return true;
            }
            let (Some(p), Some(g)) = (parsed.as_ref(), given_info.as_ref()) else {
                return false;
            };
            let digest = m.get("digest").and_then(Json::as_str).unwrap_or_default();
            !p.digest.is_empty()
                && g.digest.is_empty()
                && without_digest(p) == without_digest(g)
                && digest == p.digest
        })
        .ok_or_else(|| format!("no data for image '{image}' ({OFFLINE})"))
}

/// Each container image of `object` with the JSON pointer of its `image` field.
fn images_of(object: &Json, kind: &str) -> Vec<(String, String)> {
    let spec = match kind {
        "Pod" => "/spec",
        "CronJob" => "/spec/jobTemplate/spec/template/spec",
        "Deployment"
        | "DaemonSet"
        | "StatefulSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => "/spec/template/spec",
        _ => return Vec::new(),
    };
    let mut out = Vec::new();
    for list in ["initContainers", "containers", "ephemeralContainers"] {
        let pointer = format!("{spec}/{list}");
        for (i, c) in array_items(object.pointer(&pointer)).iter().enumerate() {
            if let Some(image) = c.get("image").and_then(Json::as_str) {
                out.push((image.to_string(), format!("{pointer}/{i}/image")));
            }
        }
    }
    out
}

/// Each image the extractors find in `object`, with the JSON pointer of its
/// field, in document order. As in Kyverno: `*` goes through a list or a map,
/// a missing field or an empty value is no image, anything else that is not
/// a map where one is needed is an error, and `jmesPath` must give a string.
fn extracted_images(
    object: &Json,
    extractors: &[ImageExtractor],
) -> Result<Vec<(String, String)>, String> {
    fn walk(
        node: &Json,
        path: &mut Vec<String>,
        fields: &[String],
        extractor: &ImageExtractor,
        out: &mut Vec<(String, String)>,
    ) -> Result<(), String> {
        if node.is_null() {
            return Ok(());
        }
        if let Some(("*", rest)) = fields.split_first().map(|(f, r)| (f.as_str(), r)) {
            match node {
                Json::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        path.push(i.to_string());
                        walk(item, path, rest, extractor, out)?;
                        path.pop();
                    }
                }
                Json::Object(map) => {
                    for (k, item) in map {
                        path.push(k.clone());
                        walk(item, path, rest, extractor, out)?;
                        path.pop();
                    }
                }
                _ => return Err(format!("/{}: `*` needs a list or a map", path.join("/"))),
            }
            return Ok(());
        }
        let Some(map) = node.as_object() else {
            return Err(format!("/{}: expected a map", path.join("/")));
        };
        let Some((field, rest)) = fields.split_first() else {
            let pointer = format!("/{}/{}", path.join("/"), extractor.value).replace("//", "/");
            if !extractor.key.is_empty() && !map.get(&extractor.key).is_some_and(Json::is_string) {
                return Err(format!(
                    "{pointer}: the key field `{}` is not a string",
                    extractor.key
                ));
            }
            let Some(value) = map
                .get(&extractor.value)
                .and_then(Json::as_str)
                .filter(|v| !v.trim().is_empty())
            else {
                return Ok(());
            };
            let image = match &extractor.jmes_path {
                None => value.to_string(),
                Some(expr) => {
                    let result = expr
                        .search(&crate::jmes::Document::new(crate::jmes::to_var(
                            &Json::String(value.to_string()),
                        )))
                        .map_err(|e| format!("{pointer}: failed to apply jmesPath: {e}"))?;
                    match crate::jmes::to_json(&result) {
                        Json::String(s) => s,
                        other => {
                            return Err(format!(
                                "{pointer}: jmesPath must produce a string, but produced {other}"
                            ))
                        }
                    }
                }
            };
            if parse_image(&image).is_none() {
                return Err(format!("{pointer}: invalid image '{image}'"));
            }
            out.push((image, pointer));
            return Ok(());
        };
        let Some(next) = map.get(field) else {
            return Ok(());
        };
        path.push(field.clone());
        walk(next, path, rest, extractor, out)?;
        path.pop();
        Ok(())
    }
    let mut out = Vec::new();
    for extractor in extractors {
        walk(
            object,
            &mut Vec::new(),
            &extractor.fields,
            extractor,
            &mut out,
        )
        .map_err(|e| format!("imageExtractors {}: {e}", extractor.name))?;
    }
    Ok(out)
}

/// The name Kyverno records an image under in the `kyverno.io/verify-images`
/// annotation (its `ImageInfo.String()`): registry written out (`docker.io`
/// for Docker Hub), then the tag, or the digest alone when there is one.
pub fn annotation_name(image: &str) -> String {
    parse_image(image).map_or_else(|| image.to_string(), |i| i.normalized())
}

/// Whether one of `patterns` matches the image as written or normalized.
fn selects(patterns: &[String], image: &str) -> bool {
    let normalized = parse_image(image).map(|i| i.normalized());
    patterns.iter().any(|p| {
        wildcard_match(p, image) || normalized.as_deref().is_some_and(|n| wildcard_match(p, n))
    })
}

/// What one rule concluded, worst first.
fn worse(a: Status, b: Status) -> Status {
    let rank = |s: Status| match s {
        Status::Skip => 0,
        Status::Pass => 1,
        Status::Warn => 2,
        Status::Fail => 3,
        Status::Error => 4,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

impl VerifyImages {
    /// Runs the rule on the resource of `context`: its status, its message
    /// (one part per image), and the object with digests and the
    /// `kyverno.io/verify-images` annotation when it changed.
    pub fn run(
        &self,
        context: &PolicyContext<'_>,
        data: &Document<'_>,
    ) -> (Status, String, Option<Json>) {
        let target = context.target;
        let lookup = &context.request.cel_lookup;
        let substituted;
        let checks = match &self.templated {
            None => &self.checks,
            Some(raw) => {
                let parsed = substitute_entries(raw, data)
                    .map_err(|e| format!("failed to substitute variables in {}: {e}", self.path))
                    .and_then(|v| {
                        parse_checks(&v, &self.path).map_err(|(p, r)| {
                            format!("{p}: {r} (after variables were substituted)")
                        })
                    });
                match parsed {
                    Ok(c) => {
                        substituted = c;
                        &substituted
                    }
                    Err(e) => return (Status::Error, e, None),
                }
            }
        };
        let images = match self.extractors.get(&target.kind) {
            Some(extractors) => match extracted_images(&target.object, extractors) {
                Ok(images) => images,
                Err(e) => {
                    return (
                        Status::Error,
                        format!("failed to extract images: {e}"),
                        None,
                    )
                }
            },
            None => images_of(&target.object, &target.kind),
        };
        let mut status: Option<Status> = None;
        let mut messages = Vec::new();
        let mut object = target.object.clone();
        let mut annotation: Map<String, Json> = Map::new();
        for (image, pointer) in &images {
            for check in checks
                .iter()
                .filter(|c| selects(&c.references, image) && !selects(&c.skip, image))
            {
                let (s, m, patched_image) = check.run(lookup, image, data);
                status = Some(status.map_or(s, |w| worse(w, s)));
                messages.push(m);
                let shown = patched_image.clone().unwrap_or_else(|| image.clone());
                if let Some(value) = patched_image {
                    if let Some(slot) = object.pointer_mut(pointer) {
                        *slot = Json::String(value);
                    }
                }
                if !check.attestors.is_empty() || !check.attestations.is_empty() {
                    let verdict = if s == Status::Pass { "pass" } else { "fail" };
                    annotation.insert(annotation_name(&shown), Json::String(verdict.into()));
                }
            }
        }
        let Some(status) = status else {
            let refs: Vec<&str> = checks
                .iter()
                .flat_map(|c| c.references.iter().map(String::as_str))
                .collect();
            return (
                Status::Skip,
                format!(
                    "skip run verification as image in resource not found in imageRefs '{}'",
                    refs.join(",")
                ),
                None,
            );
        };
        if !annotation.is_empty() && status == Status::Pass {
            if let Some(meta) = object.get_mut("metadata").and_then(Json::as_object_mut) {
                let annotations = meta
                    .entry("annotations")
                    .or_insert_with(|| Json::Object(Map::new()));
                if let Some(a) = annotations.as_object_mut() {
                    // The images earlier rules verified stay recorded.
                    let mut recorded: Map<String, Json> = a
                        .get(ANNOTATION)
                        .and_then(Json::as_str)
                        .and_then(|t| serde_json::from_str(t).ok())
                        .unwrap_or_default();
                    recorded.extend(annotation);
                    let text = Json::Object(recorded).to_string();
                    a.insert(ANNOTATION.to_string(), Json::String(text));
                }
            }
        }
        let patched = (status == Status::Pass && object != target.object).then_some(object);
        (status, messages.join("; "), patched)
    }
}

impl ImageVerification {
    /// Verifies one image: its status, message, and the image rewritten with
    /// its digest when `mutateDigest` adds one.
    fn run(
        &self,
        lookup: &Offline,
        image: &str,
        data: &Document<'_>,
    ) -> (Status, String, Option<String>) {
        let has_checks = !self.attestors.is_empty() || !self.attestations.is_empty();
        let info = parse_image(image);
        let has_digest = info.as_ref().is_some_and(|i| !i.digest.is_empty());
        let needs_facts = has_checks || self.mutate_digest && !has_digest;
        let entry = if needs_facts {
            match entry(lookup, image) {
                Ok(e) => Some(e),
                Err(m) => {
                    return (
                        Status::Error,
                        format!("failed to verify image {image}: {m}"),
                        None,
                    )
                }
            }
        } else {
            None
        };
        let mut message = String::new();
        if let (true, Some(entry)) = (has_checks, entry) {
            if !self.attestors.is_empty() {
                let signers = match said(entry, image, "signatures") {
                    Ok(s) => s,
                    Err(m) => {
                        return (
                            Status::Error,
                            format!("failed to verify image {image}: {m}"),
                            None,
                        )
                    }
                };
                for (i, set) in self.attestors.iter().enumerate() {
                    if let Err(e) = set.verify(signers, &format!(".attestors[{i}]")) {
                        return (
                            Status::Fail,
                            format!("failed to verify image {image}: {e}"),
                            None,
                        );
                    }
                }
            }
            if let Err((status, m)) = self.verify_attestations(entry, image, data) {
                return (status, m, None);
            }
            message = format!("verified image signatures for {image}");
        }
        let mut patched = None;
        if !has_digest && self.mutate_digest {
            let digest = entry
                .and_then(|e| e.get("digest"))
                .and_then(Json::as_str)
                .filter(|d| !d.is_empty());
            match digest {
                Some(d) => {
                    // Kyverno writes its name for the image (registry
                    // written out), then the digest.
                    patched = Some(format!("{}@{d}", annotation_name(image)));
                    if message.is_empty() {
                        message = format!("mutated image digest of {image}");
                    }
                }
                None => {
                    return (
                        Status::Error,
                        format!(
                            "failed to update digest: the spec.images entry of '{image}' gives \
                             no digest ({OFFLINE})"
                        ),
                        None,
                    )
                }
            }
        } else if !has_digest && self.verify_digest {
            return (Status::Fail, format!("missing digest for {image}"), None);
        }
        if message.is_empty() {
            message = format!("image {image} checked");
        }
        (Status::Pass, message, patched)
    }

    fn verify_attestations(
        &self,
        entry: &Json,
        image: &str,
        rule_data: &Document<'_>,
    ) -> Result<(), (Status, String)> {
        if self.attestations.is_empty() {
            return Ok(());
        }
        let statements = said(entry, image, "attestations").map_err(|m| {
            (
                Status::Error,
                format!("failed to verify image {image}: {m}"),
            )
        })?;
        for (i, check) in self.attestations.iter().enumerate() {
            let path = format!(".attestations[{i}]");
            let found = statements.iter().find(|s| {
                s.get("type").and_then(Json::as_str) == Some(check.predicate_type.as_str())
            });
            let Some(statement) = found else {
                return Err((
                    Status::Fail,
                    format!(
                        "failed to verify image {image}: {path}: no attestation of type {} \
                         for the image",
                        check.predicate_type
                    ),
                ));
            };
            let signers = array_items(statement.get("attestors"));
            for (j, set) in check.attestors.iter().enumerate() {
                set.verify(signers, &format!("{path}.attestors[{j}]"))
                    .map_err(|e| (Status::Fail, format!("failed to verify image {image}: {e}")))?;
            }
            if check.conditions.is_empty() {
                continue;
            }
            let payload = statement.get("payload").ok_or_else(|| {
                (
                    Status::Error,
                    format!(
                        "failed to verify image {image}: the {} attestation gives no payload \
                         ({OFFLINE})",
                        check.predicate_type
                    ),
                )
            })?;
            let predicate = payload.get("predicate").unwrap_or(payload);
            // The predicate's fields join the rule's data at the top, as
            // Kyverno adds them to its context: `{{ builder.id }}` and
            // `{{ request.object.metadata.name }}` both resolve.
            let mut data = rule_data.clone();
            for (k, v) in predicate.as_object().into_iter().flatten() {
                data.set_field(k, crate::jmes::to_var(v));
            }
            for c in &check.conditions {
                match conditions::evaluate(c, &data, Missing::Error) {
                    Ok(true) => {}
                    Ok(false) => {
                        return Err((
                            Status::Fail,
                            format!(
                                "failed to verify image {image}: {path}: attestation checks \
                                 failed for {image} and predicate {}",
                                check.predicate_type
                            ),
                        ))
                    }
                    Err(e) => {
                        return Err((
                            Status::Error,
                            format!("failed to evaluate the conditions of {path} for {image}: {e}"),
                        ))
                    }
                }
            }
        }
        Ok(())
    }
}

/// A rule's `verifyImages`, shared by the rule and its autogen copies.
pub(crate) fn action(
    v: &Json,
    extractors: Option<&Json>,
    path: &str,
) -> Parse<crate::policy::RuleAction> {
    Ok(crate::policy::RuleAction::Mutate(
        crate::policy::Mutation::VerifyImages(Arc::new(parse(v, extractors, path)?)),
    ))
}
