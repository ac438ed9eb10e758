//! The generate handler, as `kyverno apply` and `kyverno test` run it: each generate
//! rule that matches a trigger resource produces the resources it would create,
//! built from `data`, or copied (`clone`, `cloneList`) from sources given offline
//! (the suite's or apply's resources, `cloneSourceResource` files, Context files).
//! Nothing is created anywhere; `synchronize` changes nothing the CLI sees.

use std::borrow::Borrow;

use serde_json::{Map, Value as Json};

use super::policy_context::PolicyContext;
use super::{matching_rules, Request, RuleResult, Status, Target};
use crate::engine::request::labels_of;
use std::cell::Cell;

use super::policy_context::preconditions_hold;
use super::{foreach_list, with_element, MAX_FOREACH_ELEMENTS};
use crate::context;
use crate::jmes::Document;
use crate::policy::{GenerateForeach, GenerateSource, Generation, Policy, Rule, RuleAction};
use crate::variables::{self, Missing};

/// The most resources one `cloneList` rule generates for one trigger.
pub const MAX_CLONED: usize = 10_000;

/// What one generate rule did for one trigger resource.
#[derive(Clone, Debug)]
pub struct GenerateOutcome {
    /// The index of the rule's policy in the slice given.
    pub policy: usize,
    /// The rule's result: `pass` when it generated, `skip` when its
    /// preconditions do not hold, `error` when it could not run (a clone source
    /// that was not given, a variable that does not resolve).
    pub result: RuleResult,
    /// The resources it would create.
    pub resources: Vec<Json>,
}

/// Runs the generate rules of `policies` that match `target`; `sources` are the
/// resources `clone` and `cloneList` may copy.
pub fn generate<P: Borrow<Policy>>(
    policies: &[P],
    target: &Target,
    request: &Request,
    sources: &[Json],
) -> Vec<GenerateOutcome> {
    let context = PolicyContext::new(target, request);
    let mut out = Vec::new();
    let generates = |a: &RuleAction| matches!(a, RuleAction::Generate(_));
    for (index, policy, rule) in matching_rules(&context, policies, generates) {
        let RuleAction::Generate(generation) = &rule.action else {
            continue;
        };
        // What PolicyExceptions grant the policy, bound as `exceptions`.
        let own = context.for_policy(policy);
        let context = own.as_ref().unwrap_or(&context);
        let (status, message, resources) = match run(context, policy, rule, generation, sources) {
            Ok(resources) => (Status::Pass, message_for(&resources), resources),
            Err((status, message)) => (status, message, Vec::new()),
        };
        out.push(GenerateOutcome {
            policy: index,
            result: RuleResult {
                rule: rule.name.clone(),
                status,
                message,
            },
            resources,
        });
    }
    out
}

fn message_for(resources: &[Json]) -> String {
    let names: Vec<String> = resources.iter().map(describe).collect();
    if names.is_empty() {
        "no resource to generate (cloneList selected no source)".into()
    } else {
        format!("generated {}", names.join(", "))
    }
}

/// `Kind/name` or `Kind/namespace/name`.
fn describe(object: &Json) -> String {
    let t = |p: &str| object.pointer(p).and_then(Json::as_str).unwrap_or_default();
    let ns = t("/metadata/namespace");
    if ns.is_empty() {
        format!("{}/{}", t("/kind"), t("/metadata/name"))
    } else {
        format!("{}/{ns}/{}", t("/kind"), t("/metadata/name"))
    }
}

fn run(
    context: &PolicyContext<'_>,
    policy: &Policy,
    rule: &Rule,
    generation: &Generation,
    sources: &[Json],
) -> Result<Vec<Json>, (Status, String)> {
    let rule_data = context.rule_data(policy, rule)?;
    let run = Run {
        context,
        provided: &rule_data.provided,
        sources,
        elements: Cell::new(0),
    };
    run.build(generation, &rule_data.data)
}

/// What building the resources of one rule needs besides the variables.
struct Run<'a, 'c> {
    context: &'a PolicyContext<'c>,
    provided: &'a [&'a Map<String, Json>; 3],
    sources: &'a [Json],
    /// Elements visited so far by the rule's `foreach` entries.
    elements: Cell<usize>,
}

impl Run<'_, '_> {
    /// A resource per element of each `foreach` entry's list, in order.
    fn foreach(
        &self,
        entries: &[GenerateForeach],
        data: &Document<'_>,
    ) -> Result<Vec<Json>, (Status, String)> {
        let error = |e: String| (Status::Error, e);
        let mut out = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            for (index, element) in foreach_list(&entry.list, data)
                .map_err(error)?
                .iter()
                .enumerate()
            {
                let visited = self.elements.get() + 1;
                self.elements.set(visited);
                if visited > MAX_FOREACH_ELEMENTS {
                    return Err(error(format!(
                        "foreach stopped: more than the limit of {MAX_FOREACH_ELEMENTS} elements in one rule"
                    )));
                }
                let mut element_data = with_element(data, element, index, 0);
                context::load(
                    &entry.context,
                    &mut element_data,
                    self.provided,
                    &self.context.request.config_maps,
                )
                .map_err(|e| error(format!("failed to load generate.foreach[{i}].context: {e}")))?;
                match preconditions_hold(entry.preconditions.as_ref(), &element_data) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(e) => {
                        return Err(error(format!(
                            "failed to evaluate generate.foreach[{i}].preconditions: {e}"
                        )))
                    }
                }
                out.extend(self.build(&entry.generation, &element_data)?);
                if out.len() > MAX_CLONED {
                    return Err(error(format!(
                        "generate stopped: more than the limit of {MAX_CLONED} resources"
                    )));
                }
            }
        }
        Ok(out)
    }

    /// The resources one generate block creates with the variables of `data`.
    fn build(
        &self,
        generation: &Generation,
        data: &Document<'_>,
    ) -> Result<Vec<Json>, (Status, String)> {
        let (context, sources) = (self.context, self.sources);
        let error = |e: String| (Status::Error, e);
        let text = |s: &str, what: &str| -> Result<String, (Status, String)> {
            match variables::substitute_str(s, data, Missing::Error) {
                Ok(Json::String(s)) => Ok(s),
                Ok(Json::Null) => Ok(String::new()),
                Ok(other) => Ok(other.to_string()),
                Err(e) => Err(error(format!(
                    "failed to substitute variables in generate.{what}: {e}"
                ))),
            }
        };
        let api_version = text(&generation.api_version, "apiVersion")?;
        let kind = text(&generation.kind, "kind")?;
        let name = text(&generation.name, "name")?;
        let namespace = text(&generation.namespace, "namespace")?;
        match &generation.source {
            GenerateSource::Data(content) => {
                let content =
                    variables::substitute(content, data, Missing::Error).map_err(|e| {
                        error(format!(
                            "failed to substitute variables in generate.data: {e}"
                        ))
                    })?;
                let Json::Object(content) = content else {
                    return Err(error("generate.data must be a map".into()));
                };
                Ok(vec![identify(
                    content,
                    &api_version,
                    &kind,
                    &name,
                    &namespace,
                )])
            }
            GenerateSource::Clone {
                namespace: source_ns,
                name: source_name,
            } => {
                let source_ns = text(source_ns, "clone.namespace")?;
                let source_name = text(source_name, "clone.name")?;
                let source = sources
                    .iter()
                    .find(|s| {
                        kind_matches(s, &api_version, &kind)
                            && field(s, "/metadata/name") == source_name
                            && field(s, "/metadata/namespace") == source_ns
                    })
                    .ok_or_else(|| {
                        error(format!(
                            "clone source {kind} {} not found: give it among the resources, \
                         in a cloneSourceResource file or a Context file",
                            qualified(&source_ns, &source_name)
                        ))
                    })?;
                Ok(vec![copy(source, &name, &namespace)])
            }
            GenerateSource::CloneList {
                namespace: source_ns,
                kinds,
                selector,
            } => {
                let source_ns = text(source_ns, "cloneList.namespace")?;
                let mut out = Vec::new();
                for source in sources.iter().filter(|s| {
                    field(s, "/metadata/namespace") == source_ns
                        && kinds.iter().any(|k| listed_kind_matches(s, k))
                        && selector
                            .as_ref()
                            .is_none_or(|sel| sel.matches(&labels_of(s)))
                }) {
                    if out.len() == MAX_CLONED {
                        return Err(error(format!(
                            "cloneList stopped: more than the limit of {MAX_CLONED} sources"
                        )));
                    }
                    out.push(copy(source, field(source, "/metadata/name"), &namespace));
                }
                Ok(out)
            }
            GenerateSource::Cel(cel) => cel.generate(&crate::cel::CelInputs::of(context)),
            GenerateSource::Foreach(entries) => self.foreach(entries, data),
        }
    }
}

fn qualified(namespace: &str, name: &str) -> String {
    if namespace.is_empty() {
        name.to_string()
    } else {
        format!("{namespace}/{name}")
    }
}

fn field<'a>(object: &'a Json, pointer: &str) -> &'a str {
    object
        .pointer(pointer)
        .and_then(Json::as_str)
        .unwrap_or_default()
}

/// Whether `object` is of `kind` (and of `api_version` when one is given).
fn kind_matches(object: &Json, api_version: &str, kind: &str) -> bool {
    field(object, "/kind") == kind
        && (api_version.is_empty() || field(object, "/apiVersion") == api_version)
}

/// `cloneList.kinds` entries: `Secret`, `v1/Secret`, `apps/v1/Deployment`.
fn listed_kind_matches(object: &Json, listed: &str) -> bool {
    match listed.rsplit_once('/') {
        Some((api_version, kind)) => kind_matches(object, api_version, kind),
        None => kind_matches(object, "", listed),
    }
}

/// `data` made into an object: its apiVersion, kind, name and namespace are the rule's.
fn identify(
    mut content: Map<String, Json>,
    api_version: &str,
    kind: &str,
    name: &str,
    namespace: &str,
) -> Json {
    if !api_version.is_empty() {
        content.insert("apiVersion".into(), Json::String(api_version.into()));
    }
    content.insert("kind".into(), Json::String(kind.into()));
    let metadata = content
        .entry("metadata")
        .or_insert_with(|| Json::Object(Map::new()));
    if !metadata.is_object() {
        *metadata = Json::Object(Map::new());
    }
    let metadata = metadata.as_object_mut().expect("made a map above");
    metadata.insert("name".into(), Json::String(name.into()));
    if namespace.is_empty() {
        metadata.remove("namespace");
    } else {
        metadata.insert("namespace".into(), Json::String(namespace.into()));
    }
    // Move apiVersion and kind first, where readers expect them.
    let mut ordered = Map::new();
    for key in ["apiVersion", "kind", "metadata"] {
        if let Some(v) = content.remove(key) {
            ordered.insert(key.into(), v);
        }
    }
    ordered.extend(content);
    Json::Object(ordered)
}

/// A copy of `source` named `name` in `namespace`, without what the API server
/// gave the source (uid, resourceVersion, timestamps, owners, status).
fn copy(source: &Json, name: &str, namespace: &str) -> Json {
    let mut object = source.clone();
    if let Some(o) = object.as_object_mut() {
        o.remove("status");
    }
    if let Some(metadata) = object.get_mut("metadata").and_then(Json::as_object_mut) {
        for key in [
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "generation",
            "managedFields",
            "ownerReferences",
            "selfLink",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
        ] {
            metadata.remove(key);
        }
        metadata.insert("name".into(), Json::String(name.into()));
        if namespace.is_empty() {
            metadata.remove("namespace");
        } else {
            metadata.insert("namespace".into(), Json::String(namespace.into()));
        }
    }
    object
}
