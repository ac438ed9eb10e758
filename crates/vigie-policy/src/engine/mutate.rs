//! The mutate handler: `patchStrategicMerge`, `patchesJson6902` and `foreach`, with
//! Kyverno's semantics. Rules run in policy order and policies in the order given,
//! each rule seeing the object as the rules before it left it.

use std::borrow::{Borrow, Cow};
use std::cell::Cell;

use serde_json::Value as Json;

use super::policy_context::{preconditions_hold, PolicyContext};
use super::validate::depth_exceeds;
use super::{
    rule_matches, Request, RuleResult, Status, Target, MAX_FOREACH_ELEMENTS, MAX_FOREACH_NESTING,
    MAX_PATTERN_DEPTH,
};
use crate::context;
use crate::jmes::{self, Document, Found};
use crate::patch::{self, json6902};
use crate::policy::{ForeachOrder, MutateForeach, Mutation, Policy, Rule, RuleAction};
use crate::variables::{self, Missing};

/// What the mutate rules of a set of policies did to one object.
#[derive(Clone, Debug)]
pub struct MutationOutcome {
    /// The object after every mutation (the object given when nothing changed).
    pub object: Json,
    /// The result of each mutate rule that matched, with the index of its policy in
    /// the slice given: `pass` when it patched the object, `skip` when it changed
    /// nothing (preconditions, conditions, nothing to do), `error` when it could not
    /// run (the object is then left as the rules before it made it).
    pub results: Vec<(usize, RuleResult)>,
    /// Whether `object` differs from the object given.
    pub changed: bool,
}

/// Runs the mutate rules of `policies`, in order, on `target`. Validating the
/// mutated object is the caller's job (admission: mutate, then validate).
pub fn mutate<P: Borrow<Policy>>(
    policies: &[P],
    target: &Target,
    request: &Request,
) -> MutationOutcome {
    let mut current: Cow<'_, Target> = Cow::Borrowed(target);
    let mut results = Vec::new();
    for (index, policy) in policies.iter().enumerate() {
        let policy = policy.borrow();
        // The context (and its variables document) is rebuilt only when a rule
        // changes the object: the rules after it see the new object.
        let mut context: Option<PolicyContext<'_>> = None;
        for rule in &policy.rules {
            let RuleAction::Mutate(mutation) = &rule.action else {
                continue;
            };
            // Targets are mutated by `mutate_existing`, never the trigger: in a
            // cluster the background controller does it after admission.
            if matches!(mutation, Mutation::Existing(_)) {
                continue;
            }
            let ctx = context.get_or_insert_with(|| {
                let fresh = PolicyContext::new(&current, request);
                // What PolicyExceptions grant the policy, bound as `exceptions`.
                fresh.for_policy(policy).unwrap_or(fresh)
            });
            if !ctx.policy_applies(policy) {
                break;
            }
            if !rule_matches(rule, &ctx.match_target()) {
                continue;
            }
            let (status, message, patched) = run(ctx, policy, rule, mutation);
            if let Some(object) = patched {
                context = None;
                current = Cow::Owned(Target::from_json(object));
            }
            results.push((
                index,
                RuleResult {
                    rule: rule.name.clone(),
                    status,
                    message,
                },
            ));
        }
    }
    let changed = current.object != target.object;
    MutationOutcome {
        object: current.into_owned().object,
        results,
        changed,
    }
}

/// ImageValidatingPolicies' `mutateDigest` (default true) on `target`, in
/// policy order, as Kyverno's admission webhook applies it before validation:
/// each policy that matches pins the images its `matchImageReferences`
/// selects to the digest the Context file gives
/// (`ImageValidation::pin_digests`),
/// and the policies after it see the pinned images. Only errors give a
/// result (as in Kyverno, a pinned image is no rule result of its own); they
/// never stop the other policies. Kyverno's `apply` and `test` compute these
/// patches and throw them away, so vigie's CLI does not call this.
pub fn pin_image_digests<P: Borrow<Policy>>(
    policies: &[P],
    target: &Target,
    request: &Request,
) -> MutationOutcome {
    let mut current: Cow<'_, Target> = Cow::Borrowed(target);
    let mut results = Vec::new();
    for (index, policy) in policies.iter().enumerate() {
        let policy = policy.borrow();
        for rule in &policy.rules {
            let RuleAction::Validate(validation) = &rule.action else {
                continue;
            };
            let crate::policy::Check::Image(image) = &validation.check else {
                continue;
            };
            if !image.mutates_digest() {
                continue;
            }
            let fresh = PolicyContext::new(&current, request);
            let context = fresh.for_policy(policy).unwrap_or(fresh);
            if !context.policy_applies(policy) || !rule_matches(rule, &context.match_target()) {
                continue;
            }
            let pins = image.pin_digests(&context);
            if let Some(message) = pins.error {
                results.push((
                    index,
                    RuleResult {
                        rule: rule.name.clone(),
                        status: Status::Error,
                        message,
                    },
                ));
            }
            if let Some(object) = pins.patched {
                current = Cow::Owned(Target::from_json(object));
            }
        }
    }
    let changed = current.object != target.object;
    MutationOutcome {
        object: current.into_owned().object,
        results,
        changed,
    }
}

/// The RFC 6902 operations that turn `before` into `after`, as a JSON array (what
/// an admission response carries, base64-encoded, as `patchType: JSONPatch`).
pub fn json_patch(before: &Json, after: &Json) -> Json {
    patch::json_patch(before, after)
}

/// Runs one mutate rule that matched: its status, message and the patched object
/// when it changed anything.
pub fn run(
    context: &PolicyContext<'_>,
    policy: &Policy,
    rule: &Rule,
    mutation: &Mutation,
) -> (Status, String, Option<Json>) {
    let rule_data = match context.rule_data(policy, rule) {
        Ok(d) => d,
        Err((status, message)) => return (status, message, None),
    };
    if let Mutation::VerifyImages(verify) = mutation {
        return verify.run(context, &rule_data.data);
    }
    if let Mutation::Cel(cel) = mutation {
        return match cel.apply(&crate::cel::CelInputs::of(context)) {
            Ok(Some(patched)) => (Status::Pass, success_message(&patched), Some(patched)),
            // Kyverno reports a MutatingPolicy whose mutations all ran as a
            // pass, whether or not they changed the object; only a false
            // match condition skips it.
            Ok(None) => (
                Status::Pass,
                "the mutations ran and left the object unchanged".into(),
                None,
            ),
            Err((status, message)) => (status, message, None),
        };
    }
    let object = &context.target.object;
    match patch_object(
        mutation,
        object,
        rule_data.data,
        &rule_data.provided,
        context.request,
    ) {
        Ok(Some(patched)) => {
            let message = success_message(&patched);
            (Status::Pass, message, Some(patched))
        }
        Ok(None) => (Status::Skip, "no patches applied".into(), None),
        Err(e) => (Status::Error, e, None),
    }
}

/// Applies a patch or a `foreach` to `object` with the variables of `data`: the
/// patched object when it changed anything. The one way both the trigger and
/// the targets of mutate-existing rules are patched.
pub(crate) fn patch_object(
    mutation: &Mutation,
    object: &Json,
    data: Document<'_>,
    provided: &[&serde_json::Map<String, Json>],
    request: &Request,
) -> Result<Option<Json>, String> {
    match mutation {
        Mutation::Foreach(list) => {
            let mut run = ForeachRun {
                provided,
                request,
                elements: Cell::new(0),
            };
            run.foreach(list, object, data, 0)
        }
        single => apply(single, object.clone(), &data)
            .map(|patched| (patched != *object).then_some(patched)),
    }
}

pub(crate) fn success_message(object: &Json) -> String {
    let text = |p: &str| object.pointer(p).and_then(Json::as_str).unwrap_or_default();
    let (kind, name, namespace) = (
        text("/kind"),
        text("/metadata/name"),
        text("/metadata/namespace"),
    );
    if namespace.is_empty() {
        format!("mutated {kind}/{name}")
    } else {
        format!("mutated {kind}/{name} in namespace {namespace}")
    }
}

/// Applies one patch (variables substituted first) to `object`.
fn apply(mutation: &Mutation, object: Json, data: &Document<'_>) -> Result<Json, String> {
    match mutation {
        Mutation::StrategicMerge(overlay) => {
            let overlay = if variables::tree_has_variables(overlay) {
                Cow::Owned(
                    variables::substitute(overlay, data, Missing::Error)
                        .map_err(|e| format!("variable substitution failed: {e}"))?,
                )
            } else {
                Cow::Borrowed(overlay)
            };
            if depth_exceeds(&overlay, MAX_PATTERN_DEPTH) {
                return Err(format!(
                    "the patch nests deeper than the limit of {MAX_PATTERN_DEPTH} levels"
                ));
            }
            patch::strategic_merge(object, &overlay)
                .map_err(|e| format!("failed to apply patchStrategicMerge: {e}"))
        }
        Mutation::Json6902(text) => {
            let text = variables::substitute_str(text, data, Missing::Error)
                .map_err(|e| format!("variable substitution failed: {e}"))?;
            let ops = match &text {
                Json::String(s) => json6902::parse(s),
                other => json6902::parse(&other.to_string()),
            }
            .map_err(|e| e.to_string())?;
            json6902::apply(object, &ops)
                .map_err(|e| format!("failed to apply patchesJson6902: {e}"))
        }
        Mutation::Foreach(_) => Err("a foreach cannot be applied as one patch".into()),
        Mutation::Cel(_) => Err("CEL mutations are applied by their own runner".into()),
        Mutation::VerifyImages(_) => Err("verifyImages rules are run by their own runner".into()),
        Mutation::Existing(_) => {
            Err("mutate.targets patches existing resources, not the trigger".into())
        }
    }
}

/// What every `foreach` of one rule shares.
struct ForeachRun<'a> {
    provided: &'a [&'a serde_json::Map<String, Json>],
    request: &'a Request,
    /// Elements visited so far by every `foreach` of the rule, nested ones included.
    elements: Cell<usize>,
}

impl ForeachRun<'_> {
    /// Runs each `foreach` of a list in turn; the patched object when any changed it.
    fn foreach(
        &mut self,
        list: &[MutateForeach],
        object: &Json,
        mut data: Document<'_>,
        nesting: usize,
    ) -> Result<Option<Json>, String> {
        if nesting >= MAX_FOREACH_NESTING {
            return Err(format!(
                "foreach nests deeper than the limit of {MAX_FOREACH_NESTING} levels"
            ));
        }
        let mut current: Option<Json> = None;
        for foreach in list {
            let elements = super::foreach_list(&foreach.list, &data)?;
            let base = current.as_ref().unwrap_or(object);
            if let Some(patched) = self.elements(foreach, &elements, base, &data, nesting)? {
                // Later entries see the object as this one left it.
                data.set_path("request.object", jmes::to_var(&patched));
                current = Some(patched);
            }
        }
        Ok(current)
    }

    fn elements(
        &mut self,
        foreach: &MutateForeach,
        elements: &[Found<'_>],
        object: &Json,
        data: &Document<'_>,
        nesting: usize,
    ) -> Result<Option<Json>, String> {
        let descending = match foreach.order {
            Some(order) => order == ForeachOrder::Descending,
            None => matches!(foreach.mutation, Mutation::StrategicMerge(_)),
        };
        let mut indexes: Vec<usize> = (0..elements.len()).collect();
        if descending {
            indexes.reverse();
        }
        let mut patched = object.clone();
        for index in indexes {
            let element = &elements[index];
            if element.is_null() {
                continue;
            }
            let visited = self.elements.get() + 1;
            self.elements.set(visited);
            if visited > MAX_FOREACH_ELEMENTS {
                return Err(format!(
                    "foreach stopped: more than the limit of {MAX_FOREACH_ELEMENTS} elements in one rule"
                ));
            }
            let mut element_data = super::with_element(data, element, index, nesting);
            context::load(
                &foreach.context,
                &mut element_data,
                self.provided,
                &self.request.config_maps,
            )
            .map_err(|e| format!("failed to load mutate.foreach[{index}].context: {e}"))?;
            match preconditions_hold(foreach.preconditions.as_ref(), &element_data) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    return Err(format!(
                        "failed to evaluate mutate.foreach[{index}].preconditions: {e}"
                    ))
                }
            }
            match &foreach.mutation {
                Mutation::Foreach(nested) => {
                    if let Some(result) =
                        self.foreach(nested, &patched, element_data, nesting + 1)?
                    {
                        patched = result;
                    }
                }
                // The object is patched in place: no copy per element.
                single => patched = apply(single, patched, &element_data)?,
            }
        }
        Ok((patched != *object).then_some(patched))
    }
}
