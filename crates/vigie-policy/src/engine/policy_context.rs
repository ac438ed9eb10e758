//! The policy context: what every rule evaluated on one resource shares, built once
//! per resource (the JMESPath document of `request.*`, `images` and the values given
//! offline), and what one rule adds to it (its values, its `context` entries).

use std::cell::OnceCell;

use serde_json::{Map, Value as Json};

use super::{Request, Status, Target};
use crate::conditions::{self, Conditions};
use crate::context;
use crate::jmes::{Document, Rcvar, Variable};
use crate::matching::MatchTarget;
use crate::policy::{Policy, Rule};
use crate::variables::Missing;

/// One resource under evaluation, with the variables document built on first use.
pub struct PolicyContext<'a> {
    /// The object.
    pub target: &'a Target,
    /// The request around it.
    pub request: &'a Request,
    /// `request.operation`, which values may override.
    operation: String,
    base: OnceCell<Document<'a>>,
    /// The shared document with its old object defaulted (`default_old_object`):
    /// the document of every rule that no values are given for, made once
    /// rather than for each rule.
    rule_base: OnceCell<Document<'a>>,
    /// What CEL rules share, made by the first one.
    cel: OnceCell<crate::cel::CelResource<'a>>,
    /// `exceptions` for CEL expressions: what the PolicyExceptions matching
    /// one policy grant ([`PolicyContext::for_policy`]); empty lists otherwise.
    exception_values: Option<std::sync::Arc<Json>>,
    /// What podSecurity rules share: the checks' failures by level and version.
    pub(crate) pod_security: crate::pod_security::Evaluations,
    /// What the ImageValidatingPolicies evaluated on this resource verified,
    /// shared by every policy of the request (and the contexts of their own
    /// that [`PolicyContext::for_policy`] makes), for `required`.
    image_verifications: std::rc::Rc<std::cell::RefCell<ImageVerifications>>,
}

/// The image verifications of one request, across ImageValidatingPolicies:
/// Kyverno keeps them for the whole request and settles `required` once
/// every policy has run, so that an image one policy selects may be
/// verified by another.
#[derive(Debug, Default)]
pub struct ImageVerifications {
    /// Image -> whether a signature or attestation check verified it (any
    /// one suffices); an image no check looked at is absent.
    outcomes: std::collections::BTreeMap<String, bool>,
    /// Policies whose validations passed but whose selected images were not
    /// all verified when they ran: settled by
    /// [`PolicyContext::settle_image_requirements`].
    deferred: Vec<DeferredRequirement>,
}

/// A `required` check waiting for the policies after it.
#[derive(Debug)]
struct DeferredRequirement {
    policy: String,
    rule: String,
    images: Vec<String>,
    /// The result if every image turns out verified.
    pass_message: String,
    /// `validationActions: [Warn]` alone: a failure is a warning.
    warn: bool,
}

/// The final result of a `required` check that had to wait.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettledRequirement {
    /// The policy's name.
    pub policy: String,
    /// The rule's name (the policy's, for ImageValidatingPolicies).
    pub rule: String,
    /// `pass` once another policy verified every image, else as it was.
    pub status: Status,
    /// The message to report.
    pub message: String,
}

impl ImageVerifications {
    /// Adds what one evaluation's checks concluded.
    pub(crate) fn record(&mut self, outcomes: &std::collections::BTreeMap<String, bool>) {
        for (image, verified) in outcomes {
            *self.outcomes.entry(image.clone()).or_insert(false) |= verified;
        }
    }

    /// `Err` with Kyverno's message for the first of `images` that no check
    /// of the request verified (so far).
    pub(crate) fn require(&self, images: &[String]) -> Result<(), String> {
        for image in images {
            match self.outcomes.get(image) {
                Some(true) => {}
                Some(false) => {
                    return Err(format!(
                        "image {image} failed signature or attestation verification"
                    ))
                }
                None => {
                    return Err(format!(
                        "image {image} is not verified: no policy performed a signature or \
                         attestation check on it"
                    ))
                }
            }
        }
        Ok(())
    }

    /// Remembers a `required` check to settle when every policy has run.
    pub(crate) fn defer(
        &mut self,
        policy: &str,
        rule: &str,
        images: Vec<String>,
        pass_message: String,
        warn: bool,
    ) {
        self.deferred.push(DeferredRequirement {
            policy: policy.to_string(),
            rule: rule.to_string(),
            images,
            pass_message,
            warn,
        });
    }
}

/// The variables of one rule and the values maps that answer its context entries.
pub struct RuleData<'a> {
    /// The document variables resolve against.
    pub data: Document<'a>,
    /// Global, rule and resource values: context entries they name are not loaded.
    pub provided: [&'a Map<String, Json>; 3],
}

impl<'a> PolicyContext<'a> {
    /// The context of `target` under `request`.
    pub fn new(target: &'a Target, request: &'a Request) -> Self {
        let operation = request
            .values
            .global
            .get("request.operation")
            .and_then(Json::as_str)
            .unwrap_or(request.operation.as_str())
            .to_string();
        PolicyContext {
            target,
            request,
            operation,
            base: OnceCell::new(),
            rule_base: OnceCell::new(),
            cel: OnceCell::new(),
            exception_values: None,
            pod_security: Default::default(),
            image_verifications: Default::default(),
        }
    }

    /// A context of its own to run `policy` in when PolicyExceptions grant
    /// it values (`exceptions.allowedValues`...), binding them (what this
    /// one shares is made again there); `None`: run it in this one.
    pub fn for_policy(&self, policy: &Policy) -> Option<PolicyContext<'a>> {
        let values = policy.exception_values.as_ref()?;
        Some(PolicyContext {
            target: self.target,
            request: self.request,
            operation: self.operation.clone(),
            base: OnceCell::new(),
            rule_base: OnceCell::new(),
            cel: OnceCell::new(),
            exception_values: Some(values.clone()),
            pod_security: Default::default(),
            image_verifications: self.image_verifications.clone(),
        })
    }

    /// The image verifications of the request so far.
    pub(crate) fn image_verifications(&self) -> &std::cell::RefCell<ImageVerifications> {
        &self.image_verifications
    }

    /// Settles the `required` checks of ImageValidatingPolicies that ran in
    /// this context (directly or through [`PolicyContext::for_policy`]) and
    /// found images no check had verified yet: with every policy evaluated,
    /// each becomes `pass` when some policy of the request verified all its
    /// images, and stays a failure (its message naming the first image that
    /// was not) otherwise. Callers replace the policy's result with these;
    /// until then it is the failure, never a pass. Each is settled once.
    pub fn settle_image_requirements(&self) -> Vec<SettledRequirement> {
        let mut shared = self.image_verifications.borrow_mut();
        let deferred = std::mem::take(&mut shared.deferred);
        deferred
            .into_iter()
            .map(|d| {
                let (status, message) = match shared.require(&d.images) {
                    Ok(()) => (Status::Pass, d.pass_message),
                    Err(m) if d.warn => (Status::Warn, m),
                    Err(m) => (Status::Fail, m),
                };
                SettledRequirement {
                    policy: d.policy,
                    rule: d.rule,
                    status,
                    message,
                }
            })
            .collect()
    }

    /// What CEL expressions see as `exceptions` (null: no exception granted
    /// anything, bound as empty lists).
    pub fn exception_values(&self) -> Option<&Json> {
        self.exception_values.as_deref()
    }

    /// [`PolicyContext::exception_values`], shared.
    pub(crate) fn exception_values_shared(&self) -> Option<std::sync::Arc<Json>> {
        self.exception_values.clone()
    }

    /// `request.operation` (values may override the request's).
    pub fn operation(&self) -> &str {
        &self.operation
    }

    /// What `match` and `exclude` blocks look at.
    pub fn match_target(&self) -> MatchTarget<'_> {
        let target = self.target;
        // An object of a subresource kind (a Scale given with a Values
        // `subresources` entry) is matched as its parent's subresource.
        let sub = self.request.values.subresources.iter().find(|s| {
            s.kind == target.kind
                && (s.api_version.is_empty() || s.api_version == target.api_version)
        });
        let (api_version, kind, subresource) = match sub {
            Some(s) => (
                s.parent_api_version.as_str(),
                s.parent_kind.as_str(),
                Some(s.name.as_str()),
            ),
            None => (
                target.api_version.as_str(),
                target.kind.as_str(),
                self.request.subresource.as_deref(),
            ),
        };
        MatchTarget {
            api_version,
            kind,
            subresource,
            name: &target.name,
            namespace: &target.namespace,
            labels: &target.labels,
            annotations: &target.annotations,
            namespace_labels: self.request.values.namespace_labels.get(&target.namespace),
            operation: &self.operation,
            user: &self.request.user,
        }
    }

    /// Whether a policy applies at all: a namespaced Policy only in its namespace.
    pub fn policy_applies(&self, policy: &Policy) -> bool {
        policy
            .namespace
            .as_ref()
            .is_none_or(|ns| &self.target.namespace == ns)
    }

    /// The shared document: `request.*`, `images`, service account, global values.
    pub fn base(&self) -> Document<'a> {
        self.base
            .get_or_init(|| base_document(self.target, self.request, &self.operation))
            .clone()
    }

    /// The CEL inputs and activation of the resource, shared by its CEL rules.
    pub fn cel(&self) -> &crate::cel::CelResource<'a> {
        self.cel.get_or_init(|| crate::cel::CelResource::of(self))
    }

    /// The document of one rule: the shared one, the values given for the rule and
    /// the resource, and the rule's context entries. An error is the rule's result.
    pub fn rule_data(
        &self,
        policy: &Policy,
        rule: &Rule,
    ) -> Result<RuleData<'a>, (Status, String)> {
        static EMPTY: std::sync::LazyLock<Map<String, Json>> = std::sync::LazyLock::new(Map::new);
        let request = self.request;
        let rule_values = request
            .values
            .rules
            .get(&policy.name)
            .and_then(|r| {
                r.get(&rule.name)
                    .or_else(|| r.get(super::base_rule_name(&rule.name)))
            })
            .unwrap_or(&EMPTY);
        let resource_values = request
            .values
            .resources
            .get(&policy.name)
            .and_then(|r| r.get(&self.target.name))
            .unwrap_or(&EMPTY);
        let mut data = if rule_values.is_empty() && resource_values.is_empty() {
            self.rule_base
                .get_or_init(|| {
                    let mut data = self.base();
                    self.default_old_object(&mut data);
                    data
                })
                .clone()
        } else {
            let mut data = self.base();
            data.apply_values(rule_values);
            data.apply_values(resource_values);
            self.default_old_object(&mut data);
            data
        };
        let provided = [&request.values.global, rule_values, resource_values];
        if let Err(e) = context::load(&rule.context, &mut data, &provided, &request.config_maps) {
            return Err((Status::Error, format!("failed to load context: {e}")));
        }
        match preconditions_hold(rule.preconditions.as_ref(), &data) {
            Ok(true) => Ok(RuleData { data, provided }),
            Ok(false) => Err((Status::Skip, "preconditions not met".into())),
            Err(e) => Err((
                Status::Error,
                format!("failed to evaluate preconditions: {e}"),
            )),
        }
    }

    /// An UPDATE without an old object compares the object with itself, as Kyverno's
    /// CLI does. A DELETE without one deletes the object given: it is the old
    /// object, and there is no new one (`request.object` is null), as in an
    /// admission request.
    fn default_old_object(&self, data: &mut Document<'a>) {
        let delete = match data.string_at(&["request", "operation"]) {
            Some("UPDATE") => false,
            Some("DELETE") => true,
            _ => return,
        };
        if !data.is_null_at(&["request", "oldObject"]) {
            return;
        }
        data.set_in_place("oldObject", &self.target.object);
        if delete {
            data.set_path("request.object", Rcvar::new(Variable::Null));
        }
    }
}

/// Whether preconditions hold; a path that leads nowhere reads as an empty string.
pub(crate) fn preconditions_hold(
    conditions: Option<&Conditions>,
    data: &Document<'_>,
) -> Result<bool, String> {
    match conditions {
        None => Ok(true),
        Some(c) => conditions::evaluate(c, data, Missing::EmptyString).map_err(|e| e.to_string()),
    }
}

/// The document of `target` under `request`. The target and the request's old
/// object are read in place (see [`Document`]), not converted.
pub(crate) fn base_document<'a>(
    target: &'a Target,
    request: &'a Request,
    operation: &str,
) -> Document<'a> {
    let user = &request.user;
    let (sa_namespace, sa_name) = user
        .username
        .strip_prefix("system:serviceaccount:")
        .and_then(|r| r.split_once(':'))
        .unwrap_or(("", ""));
    let (group, version) = target
        .api_version
        .rsplit_once('/')
        .unwrap_or(("", &target.api_version));
    // Built as JMESPath values directly (not as JSON, then converted): this runs
    // for every admission request.
    let text = |v: &str| Rcvar::new(Variable::String(v.to_string()));
    let texts = |v: &[String]| Rcvar::new(Variable::Array(v.iter().map(|x| text(x)).collect()));
    let object = |entries: Vec<(&str, Rcvar)>| {
        Rcvar::new(Variable::Object(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        ))
    };
    // Only what the user-info file gives is set: an absent field stays absent.
    let mut user_info = Vec::new();
    if !user.username.is_empty() {
        user_info.push(("username", text(&user.username)));
    }
    if !user.groups.is_empty() {
        user_info.push(("groups", texts(&user.groups)));
    }
    let mut request_fields = vec![
        ("operation", text(operation)),
        ("userInfo", object(user_info)),
        ("roles", texts(&user.roles)),
        ("clusterRoles", texts(&user.cluster_roles)),
        ("namespace", text(&target.namespace)),
        ("name", text(&target.name)),
        (
            "kind",
            object(vec![
                ("group", text(group)),
                ("version", text(version)),
                ("kind", text(&target.kind)),
            ]),
        ),
    ];
    if request.old_object.is_none() {
        request_fields.push(("oldObject", Rcvar::new(Variable::Null)));
    }
    if request.dry_run {
        request_fields.push(("dryRun", Rcvar::new(Variable::Bool(true))));
    }
    let root = object(vec![
        ("request", object(request_fields)),
        ("serviceAccountName", text(sa_name)),
        ("serviceAccountNamespace", text(sa_namespace)),
    ]);
    let mut document =
        Document::with_objects(root, Some(&target.object), request.old_object.as_ref());
    document.bind_images(target);
    document.apply_values(&request.values.global);
    document
}
