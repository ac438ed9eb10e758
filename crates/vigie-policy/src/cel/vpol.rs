//! Kyverno's `policies.kyverno.io` ValidatingPolicy and
//! NamespacedValidatingPolicy (v1alpha1, v1beta1, v1).
//!
//! Such a policy is one CEL validation with admission-style matching. It is
//! read by rewriting it into the equivalent ClusterPolicy (or Policy) with a
//! single `validate.cel` rule named after the policy, so that matching,
//! autogen, reports and the admission webhook treat both kinds alike:
//!
//! - `matchConstraints.resourceRules` (apiGroups x apiVersions x resources,
//!   operations) become `match.any[].resources.kinds`/`operations`;
//!   `excludeResourceRules` become `exclude`; `namespaceSelector` and
//!   `objectSelector` carry over;
//! - `matchConditions` become `celPreconditions`; `validations`,
//!   `variables` and `auditAnnotations` the rule's `validate.cel`;
//! - `validationActions` containing `Deny` is Enforce, else Audit; with
//!   `Warn` alone, failures are warnings;
//!   `failurePolicy: Ignore` passes over expressions that cannot be evaluated;
//! - autogen: a policy matching only `pods` (core group, v1, no selector)
//!   also guards Deployments, DaemonSets, StatefulSets, ReplicaSets, Jobs and
//!   CronJobs, or the controllers `autogen.podControllers.controllers` names.

use serde_json::{json, Map, Value as Json};

use crate::autogen::ANNOTATION;
use crate::policy::{parse_policy, FailurePolicy, Policy, Problem, RuleAction, RuleProblem};

/// The kinds this module reads.
pub const KINDS: &[&str] = &["ValidatingPolicy", "NamespacedValidatingPolicy"];

/// Whether `api_version`/`kind` is a Kyverno CEL validating policy.
pub fn is_validating_policy(api_version: &str, kind: &str) -> bool {
    api_version.starts_with("policies.kyverno.io/") && KINDS.contains(&kind)
}

/// The controllers Kyverno's autogen covers for a ValidatingPolicy.
const AUTOGEN_CONTROLLERS: &str = "DaemonSet,Deployment,Job,StatefulSet,ReplicaSet,CronJob";

/// The Kind of a resource (plural, lower case) of the built-in API, or a
/// guess from its plural for other groups (`applications` -> `Application`);
/// the guess may have the wrong case (`flowschemas` -> `Flowschema`), so the
/// selectors made from it compare kinds without case (`KindSelector::ignore_case`).
pub fn kind_of_resource(resource: &str) -> String {
    const TABLE: &[(&str, &str)] = &[
        ("pods", "Pod"),
        ("deployments", "Deployment"),
        ("daemonsets", "DaemonSet"),
        ("statefulsets", "StatefulSet"),
        ("replicasets", "ReplicaSet"),
        ("replicationcontrollers", "ReplicationController"),
        ("jobs", "Job"),
        ("cronjobs", "CronJob"),
        ("services", "Service"),
        ("serviceaccounts", "ServiceAccount"),
        ("configmaps", "ConfigMap"),
        ("secrets", "Secret"),
        ("namespaces", "Namespace"),
        ("nodes", "Node"),
        ("ingresses", "Ingress"),
        ("ingressclasses", "IngressClass"),
        ("networkpolicies", "NetworkPolicy"),
        ("persistentvolumes", "PersistentVolume"),
        ("persistentvolumeclaims", "PersistentVolumeClaim"),
        ("storageclasses", "StorageClass"),
        ("roles", "Role"),
        ("rolebindings", "RoleBinding"),
        ("clusterroles", "ClusterRole"),
        ("clusterrolebindings", "ClusterRoleBinding"),
        ("poddisruptionbudgets", "PodDisruptionBudget"),
        ("horizontalpodautoscalers", "HorizontalPodAutoscaler"),
        ("limitranges", "LimitRange"),
        ("resourcequotas", "ResourceQuota"),
        ("endpoints", "Endpoints"),
        ("endpointslices", "EndpointSlice"),
        ("events", "Event"),
        ("priorityclasses", "PriorityClass"),
        ("runtimeclasses", "RuntimeClass"),
        ("customresourcedefinitions", "CustomResourceDefinition"),
        (
            "validatingwebhookconfigurations",
            "ValidatingWebhookConfiguration",
        ),
        (
            "mutatingwebhookconfigurations",
            "MutatingWebhookConfiguration",
        ),
        ("validatingadmissionpolicies", "ValidatingAdmissionPolicy"),
        (
            "validatingadmissionpolicybindings",
            "ValidatingAdmissionPolicyBinding",
        ),
        ("certificatesigningrequests", "CertificateSigningRequest"),
        ("gateways", "Gateway"),
        ("httproutes", "HTTPRoute"),
        ("virtualservices", "VirtualService"),
        ("destinationrules", "DestinationRule"),
        ("peerauthentications", "PeerAuthentication"),
        ("authorizationpolicies", "AuthorizationPolicy"),
        ("serviceentries", "ServiceEntry"),
        ("appprojects", "AppProject"),
        ("applicationsets", "ApplicationSet"),
        ("kustomizations", "Kustomization"),
        ("helmreleases", "HelmRelease"),
        ("gitrepositories", "GitRepository"),
        ("helmrepositories", "HelmRepository"),
        ("ocirepositories", "OCIRepository"),
        ("imagerepositories", "ImageRepository"),
        ("virtualmachines", "VirtualMachine"),
        ("nodepools", "NodePool"),
        ("ec2nodeclasses", "EC2NodeClass"),
        ("externalsecrets", "ExternalSecret"),
        ("secretstores", "SecretStore"),
        ("clustersecretstores", "ClusterSecretStore"),
        ("certificates", "Certificate"),
        ("issuers", "Issuer"),
        ("clusterissuers", "ClusterIssuer"),
        ("servicemonitors", "ServiceMonitor"),
        ("podmonitors", "PodMonitor"),
        ("scaledobjects", "ScaledObject"),
        ("workflows", "Workflow"),
        ("workflowtemplates", "WorkflowTemplate"),
        ("clusterworkflowtemplates", "ClusterWorkflowTemplate"),
        ("cronworkflows", "CronWorkflow"),
        ("policyexceptions", "PolicyException"),
        ("clusterpolicies", "ClusterPolicy"),
        ("policies", "Policy"),
        ("*", "*"),
    ];
    if let Some((_, k)) = TABLE.iter().find(|(r, _)| *r == resource) {
        return k.to_string();
    }
    let singular = if let Some(stem) = resource.strip_suffix("ies") {
        format!("{stem}y")
    } else if resource.ends_with("sses")
        || resource.ends_with("xes")
        || resource.ends_with("ches")
        || resource.ends_with("shes")
    {
        resource[..resource.len() - 2].to_string()
    } else {
        resource.strip_suffix('s').unwrap_or(resource).to_string()
    };
    let mut chars = singular.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `group/version/Kind[/subresource]` selectors for one resource rule.
fn kinds_of_rule(rule: &Json) -> Vec<Json> {
    let list = |k: &str| crate::json::string_items(rule.get(k));
    let groups = list("apiGroups");
    let versions = list("apiVersions");
    let mut out = Vec::new();
    for resource in list("resources") {
        let (plural, sub) = match resource.split_once('/') {
            Some((p, s)) => (p.to_string(), Some(s.to_string())),
            None => (resource.clone(), None),
        };
        let kind = kind_of_resource(&plural);
        let kind = match &sub {
            Some(s) => format!("{kind}/{s}"),
            None => kind,
        };
        for g in groups
            .iter()
            .map(String::as_str)
            .chain(groups.is_empty().then_some("*"))
        {
            for v in versions
                .iter()
                .map(String::as_str)
                .chain(versions.is_empty().then_some("*"))
            {
                let selector = match (g, v) {
                    ("*", "*") => kind.clone(),
                    ("", v) => format!("{v}/{kind}"),
                    (g, v) => format!("{g}/{v}/{kind}"),
                };
                if !out.contains(&Json::String(selector.clone())) {
                    out.push(Json::String(selector));
                }
            }
        }
    }
    out
}

/// The `resources` filters of `resourceRules` (or `excludeResourceRules`).
fn filters(constraints: &Json, key: &str) -> Vec<Json> {
    let mut out = Vec::new();
    for rule in constraints
        .get(key)
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let mut resources = Map::new();
        resources.insert("kinds".into(), Json::Array(kinds_of_rule(rule)));
        let operations: Vec<Json> = rule
            .get("operations")
            .and_then(Json::as_array)
            .map(|ops| {
                if ops.iter().any(|o| o == "*") {
                    ["CREATE", "UPDATE", "DELETE", "CONNECT"]
                        .iter()
                        .map(|o| json!(o))
                        .collect()
                } else {
                    ops.clone()
                }
            })
            .unwrap_or_default();
        if !operations.is_empty() {
            resources.insert("operations".into(), Json::Array(operations));
        }
        if let Some(names) = rule.get("resourceNames").filter(|n| !n.is_null()) {
            resources.insert("names".into(), names.clone());
        }
        for (from, to) in [
            ("namespaceSelector", "namespaceSelector"),
            ("objectSelector", "selector"),
        ] {
            if let Some(s) = constraints.get(from).filter(|s| is_set(s)) {
                resources.insert(to.into(), s.clone());
            }
        }
        out.push(json!({"resources": resources}));
    }
    out
}

fn is_set(selector: &Json) -> bool {
    ["matchLabels", "matchExpressions"].iter().any(|k| {
        selector.get(*k).is_some_and(|v| match v {
            Json::Object(m) => !m.is_empty(),
            Json::Array(a) => !a.is_empty(),
            _ => false,
        })
    })
}

/// Whether Kyverno autogens this policy: it matches only core v1 `pods`,
/// without selectors or names.
fn can_autogen(constraints: &Json) -> bool {
    if ["namespaceSelector", "objectSelector"]
        .iter()
        .any(|k| constraints.get(*k).is_some_and(is_set))
    {
        return false;
    }
    let Some(rules) = constraints.get("resourceRules").and_then(Json::as_array) else {
        return false;
    };
    let [rule] = rules.as_slice() else {
        return false;
    };
    let one = |k: &str, want: &str| {
        rule.get(k)
            .and_then(Json::as_array)
            .is_some_and(|a| a.len() == 1 && a[0] == want)
    };
    rule.get("resourceNames")
        .and_then(Json::as_array)
        .is_none_or(|n| n.is_empty())
        && one("apiGroups", "")
        && one("apiVersions", "v1")
        && one("resources", "pods")
}

/// What the rule of a CEL policy kind does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CelAction {
    /// `validations` (ValidatingPolicy, ValidatingAdmissionPolicy).
    Validate,
    /// `mutations` (MutatingPolicy, MutatingAdmissionPolicy).
    Mutate,
    /// `generate` (GeneratingPolicy).
    Generate,
    /// `conditions` of the resources to delete (DeletingPolicy).
    Delete,
    /// Image verification (ImageValidatingPolicy).
    ImageVerify,
}

/// A policy document's `spec` (which must be a map) and `metadata.name`.
pub(crate) fn spec_and_name(doc: &Json) -> Result<(&Json, &str), Problem> {
    let spec = doc
        .get("spec")
        .filter(|s| s.is_object())
        .ok_or(("spec".to_string(), "a policy needs a spec".to_string()))?;
    let name = doc
        .pointer("/metadata/name")
        .and_then(Json::as_str)
        .unwrap_or_default();
    Ok((spec, name))
}

/// The ClusterPolicy (or Policy) equivalent of a CEL policy document, and
/// whether its failures are warnings (`validationActions: [Warn]` alone).
fn equivalent(
    doc: &Json,
    autogen_allowed: bool,
    action: CelAction,
) -> Result<(Json, bool), Problem> {
    let kind = doc.get("kind").and_then(Json::as_str).unwrap_or_default();
    let (spec, name) = spec_and_name(doc)?;
    let constraints = spec.get("matchConstraints").cloned().unwrap_or(Json::Null);
    let any = filters(&constraints, "resourceRules");
    if any.is_empty() {
        return Err((
            "spec.matchConstraints.resourceRules".into(),
            format!("a {kind} needs matchConstraints.resourceRules"),
        ));
    }
    let mut rule = json!({"name": name, "match": {"any": any}});
    let exclude = filters(&constraints, "excludeResourceRules");
    if !exclude.is_empty() {
        rule["exclude"] = json!({"any": exclude});
    }
    let mut cel = Map::new();
    let carried: &[&str] = match action {
        CelAction::Validate => {
            if let Some(c) = spec.get("matchConditions").filter(|c| !c.is_null()) {
                rule["celPreconditions"] = c.clone();
            }
            cel.insert(
                "expressions".into(),
                spec.get("validations").cloned().unwrap_or(json!([])),
            );
            &["variables", "auditAnnotations", "paramKind", "paramRef"]
        }
        // The match conditions stay with the mutations: an autogenerated
        // rule runs all of them on the pod template seen as a Pod.
        CelAction::Mutate => &[
            "mutations",
            "matchConditions",
            "variables",
            "paramKind",
            "paramRef",
        ],
        CelAction::Generate => {
            if let Some(sync) = spec.pointer("/evaluation/synchronize/enabled") {
                cel.insert("synchronize".into(), sync.clone());
            }
            &["generate", "matchConditions", "variables"]
        }
        CelAction::Delete => &["conditions", "variables"],
        CelAction::ImageVerify => {
            cel.insert(super::ivpol::MARKER.into(), Json::Bool(true));
            super::ivpol::CARRIED
        }
    };
    for key in carried {
        if let Some(v) = spec.get(*key).filter(|v| !v.is_null()) {
            cel.insert(key.to_string(), v.clone());
        }
    }
    match action {
        CelAction::Validate | CelAction::ImageVerify => rule["validate"] = json!({"cel": cel}),
        CelAction::Mutate => rule["mutate"] = json!({"cel": cel}),
        CelAction::Generate => rule["generate"] = json!({"cel": cel}),
        CelAction::Delete => {
            let schedule = spec.get("schedule").cloned().unwrap_or(Json::Null);
            rule["delete"] = json!({"cel": cel, "schedule": schedule});
        }
    }
    let mut rules = vec![rule];
    // A MutatingPolicy that mutates existing resources: the trigger is mutated
    // as by any MutatingPolicy (as Kyverno's CLI does), and a second rule of
    // the same name patches the existing resources its targetMatchConstraints
    // (else matchConstraints) select, whatever the operation.
    let mutate_existing = spec
        .pointer("/evaluation/mutateExisting/enabled")
        .and_then(Json::as_bool)
        == Some(true);
    if matches!(action, CelAction::Mutate) && mutate_existing {
        let mut existing = rules[0].clone();
        let target_constraints = spec
            .get("targetMatchConstraints")
            .filter(|t| t.is_object())
            .cloned()
            .unwrap_or(Json::Null);
        if let Some(expression) = target_constraints
            .get("expression")
            .and_then(Json::as_str)
            .filter(|e| !e.is_empty())
        {
            existing["mutate"]["targetExpression"] = json!(expression);
        } else {
            let from = if filters(&target_constraints, "resourceRules").is_empty() {
                &constraints
            } else {
                &target_constraints
            };
            let mut any = filters(from, "resourceRules");
            for filter in &mut any {
                if let Some(resources) = filter.get_mut("resources").and_then(Json::as_object_mut) {
                    resources.remove("operations");
                }
            }
            existing["mutate"]["targetMatch"] = json!({"any": any});
        }
        rules.push(existing);
    }
    let actions: Vec<&str> = spec
        .get("validationActions")
        .and_then(Json::as_array)
        .map(|a| a.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default();
    let enforce = actions.is_empty() || actions.contains(&"Deny");
    let flag = |path: &str| spec.pointer(path).and_then(Json::as_bool).unwrap_or(true);
    let mut annotations = doc
        .pointer("/metadata/annotations")
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default();
    let controllers = spec
        .pointer("/autogen/podControllers/controllers")
        .and_then(Json::as_array);
    let autogen = match controllers {
        Some(list) => list
            .iter()
            .filter_map(Json::as_str)
            .map(kind_of_resource)
            .collect::<Vec<_>>()
            .join(","),
        None if autogen_allowed && can_autogen(&constraints) => AUTOGEN_CONTROLLERS.to_string(),
        None => String::new(),
    };
    annotations.insert(
        ANNOTATION.into(),
        Json::String(if autogen.is_empty() {
            "none".into()
        } else {
            autogen
        }),
    );
    let mut policy_spec = json!({
        "validationFailureAction": if enforce { "Enforce" } else { "Audit" },
        "background": flag("/evaluation/background/enabled"),
        "admission": flag("/evaluation/admission/enabled"),
        "rules": rules,
    });
    if let Some(fp) = spec.get("failurePolicy").filter(|v| !v.is_null()) {
        policy_spec["failurePolicy"] = fp.clone();
    }
    let mut metadata = doc.get("metadata").cloned().unwrap_or(json!({}));
    metadata["annotations"] = Json::Object(annotations);
    let out = json!({
        "apiVersion": "kyverno.io/v1",
        "kind": if kind.starts_with("Namespaced") { "Policy" } else { "ClusterPolicy" },
        "metadata": metadata,
        "spec": policy_spec,
    });
    Ok((
        out,
        !enforce && actions.contains(&"Warn") && !actions.contains(&"Audit"),
    ))
}

/// A path in the equivalent ClusterPolicy, as a path in the ValidatingPolicy.
fn original_path(path: &str) -> String {
    const MAP: &[(&str, &str)] = &[
        ("spec.rules[0].validate.cel.expressions", "spec.validations"),
        ("spec.rules[0].validate.cel.", "spec."),
        ("spec.rules[0].mutate.cel.", "spec."),
        ("spec.rules[0].generate.cel.", "spec."),
        ("spec.rules[0].delete.cel.", "spec."),
        ("celPreconditions", "spec.matchConditions"),
        ("spec.rules[0].match", "spec.matchConstraints"),
        ("spec.validationFailureAction", "spec.validationActions"),
    ];
    for (from, to) in MAP {
        if let Some(rest) = path.strip_prefix(from) {
            return format!("{to}{rest}");
        }
    }
    path.to_string()
}

/// Reads a ValidatingPolicy or NamespacedValidatingPolicy document.
pub(crate) fn parse(doc: &Json, source: &str) -> Result<(Policy, Vec<RuleProblem>), Problem> {
    parse_with(doc, source, true, CelAction::Validate)
}

/// Reads a CEL policy document; `autogen` says whether the kind gets
/// Kyverno's pod-controller copies (Kubernetes' own kinds do not).
pub(crate) fn parse_with(
    doc: &Json,
    source: &str,
    autogen: bool,
    action: CelAction,
) -> Result<(Policy, Vec<RuleProblem>), Problem> {
    let (equivalent, warn) = equivalent(doc, autogen, action)?;
    let (mut policy, problems) =
        parse_policy(&equivalent, source).map_err(|(p, r)| (original_path(&p), r))?;
    policy.kind = doc
        .get("kind")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string();
    let ignore = policy.admission.failure_policy == FailurePolicy::Ignore;
    for rule in &mut policy.rules {
        // The kinds were read back from plural resource names (see
        // `KindSelector::ignore_case`).
        for block in std::iter::once(&mut rule.match_resources).chain(rule.exclude.as_mut()) {
            for filter in block.filters_mut() {
                for kind in &mut filter.resources.kinds {
                    kind.ignore_case = true;
                }
            }
        }
        match &mut rule.action {
            RuleAction::Validate(v) => {
                // Policies are not shared until loading ends.
                match &mut v.check {
                    crate::policy::Check::Cel(cel) => {
                        if let Some(cel) = std::sync::Arc::get_mut(cel) {
                            cel.ignore_errors = ignore;
                            cel.warn = warn;
                        }
                    }
                    crate::policy::Check::Image(image) => {
                        if let Some(image) = std::sync::Arc::get_mut(image) {
                            image.ignore_errors = ignore;
                            image.warn = warn;
                        }
                    }
                    _ => {}
                }
            }
            RuleAction::Mutate(crate::policy::Mutation::Cel(cel)) => {
                if let Some(cel) = std::sync::Arc::get_mut(cel) {
                    cel.ignore_errors = ignore;
                }
            }
            RuleAction::Mutate(crate::policy::Mutation::Existing(existing)) => {
                if let crate::policy::Mutation::Cel(cel) = &mut existing.patch {
                    if let Some(cel) = std::sync::Arc::get_mut(cel) {
                        cel.ignore_errors = ignore;
                    }
                }
            }
            _ => {}
        }
    }
    let problems = problems
        .into_iter()
        .map(|(rule, (p, r))| (rule, (original_path(&p), r)))
        .collect();
    Ok((policy, problems))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{evaluate, Request, Status, Target};

    fn vpol(extra: Json) -> Json {
        let mut doc = json!({
            "apiVersion": "policies.kyverno.io/v1",
            "kind": "ValidatingPolicy",
            "metadata": {"name": "replicas"},
            "spec": {
                "validationActions": ["Deny"],
                "matchConstraints": {"resourceRules": [{
                    "apiGroups": ["apps"], "apiVersions": ["v1"],
                    "operations": ["CREATE", "UPDATE"], "resources": ["deployments"]}]},
                "validations": [{"expression": "object.spec.replicas <= 5", "message": "at most 5"}]
            }
        });
        if let (Some(spec), Json::Object(extra)) = (doc["spec"].as_object_mut(), extra) {
            spec.extend(extra);
        }
        doc
    }

    fn deployment(replicas: i64) -> Target {
        Target::from_json(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop"}, "spec": {"replicas": replicas}}))
    }

    #[test]
    fn resource_and_image_libraries_answer_from_the_request() {
        let (policy, problems) = parse(
            &vpol(json!({
                "variables": [{"name": "limit", "expression":
                    "int(resource.Get('v1', 'configmaps', object.metadata.namespace, 'limits').data.max)"}],
                "validations": [
                    {"expression": "object.spec.replicas <= variables.limit", "message": "too many"},
                    {"expression": "object.spec.template.spec.containers.all(c, image.GetMetadata(c.image).config.user != 'root')",
                     "message": "runs as root"}
                ]
            })),
            "p.yaml",
        )
        .unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        let request = Request {
            cel_lookup: std::sync::Arc::new(vigie_cel::kyverno::Offline {
                resources: vec![json!({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "limits"}, "data": {"max": "4"}})],
                images: vec![
                    json!({"image": "app:1", "config": {"user": "app"}}),
                    json!({"image": "root:1", "config": {"user": "root"}}),
                ],
            }),
            ..Request::default()
        };
        // Written without a namespace: in `default`, where the ConfigMap is.
        let deploy = |replicas: i64, image: &str| {
            Target::from_json(json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "web"}, "spec": {"replicas": replicas,
                "template": {"spec": {"containers": [{"name": "c", "image": image}]}}}}))
        };
        let status = |t: &Target| evaluate(&policy, t, &request)[0].clone();
        assert_eq!(status(&deploy(4, "app:1")).status, Status::Pass);
        let r = status(&deploy(5, "root:1"));
        assert_eq!(
            (r.status, r.message.as_str()),
            (Status::Fail, "too many; runs as root")
        );
        let r = status(&deploy(1, "unknown:1"));
        assert_eq!(r.status, Status::Fail);
        assert!(r.message.contains("spec.images"), "{}", r.message);
    }

    #[test]
    fn resources_select_kinds_whose_case_the_plural_lost() {
        // `flowschemas` and a custom resource's `pipelineruns` are in no table:
        // their kinds (FlowSchema, PipelineRun) are matched without case.
        let (policy, problems) = parse(
            &vpol(json!({"matchConstraints": {"resourceRules": [
                {"apiGroups": ["flowcontrol.apiserver.k8s.io"], "apiVersions": ["v1beta2"],
                 "operations": ["CREATE"], "resources": ["flowschemas"]},
                {"apiGroups": ["tekton.dev"], "apiVersions": ["*"],
                 "operations": ["CREATE"], "resources": ["pipelineruns"]}]},
                "validations": [{"expression": "false", "message": "no"}]})),
            "p.yaml",
        )
        .unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        let status = |api_version: &str, kind: &str| {
            let target = Target::from_json(json!({"apiVersion": api_version, "kind": kind,
                "metadata": {"name": "x", "namespace": "shop"}}));
            evaluate(&policy, &target, &Request::default())
                .first()
                .map(|r| r.status)
        };
        assert_eq!(
            status("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema"),
            Some(Status::Fail)
        );
        assert_eq!(status("tekton.dev/v1", "PipelineRun"), Some(Status::Fail));
        // Another version, group or kind is still not selected.
        assert_eq!(
            status("flowcontrol.apiserver.k8s.io/v1", "FlowSchema"),
            None
        );
        assert_eq!(status("example.com/v1", "PipelineRun"), None);
        assert_eq!(status("tekton.dev/v1", "Pipeline"), None);
    }

    #[test]
    fn matches_by_resource_and_validates() {
        let (policy, problems) = parse(&vpol(json!({})), "p.yaml").unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(policy.kind, "ValidatingPolicy");
        let request = Request::default();
        let r = evaluate(&policy, &deployment(3), &request);
        assert_eq!(r[0].status, Status::Pass);
        let r = evaluate(&policy, &deployment(9), &request);
        assert_eq!(
            (r[0].status, r[0].message.as_str()),
            (Status::Fail, "at most 5")
        );
        let pod = Target::from_json(
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}}),
        );
        assert!(evaluate(&policy, &pod, &request).is_empty());
    }

    #[test]
    fn failure_policy_ignore_passes_over_errors() {
        let doc = vpol(json!({"validations": [{"expression": "object.spec.missing > 1"}]}));
        let (policy, _) = parse(&doc, "p.yaml").unwrap();
        assert_eq!(
            evaluate(&policy, &deployment(1), &Request::default())[0].status,
            Status::Fail
        );
        let doc = vpol(
            json!({"failurePolicy": "Ignore", "validations": [{"expression": "object.spec.missing > 1"}]}),
        );
        let (policy, _) = parse(&doc, "p.yaml").unwrap();
        assert_eq!(
            evaluate(&policy, &deployment(1), &Request::default())[0].status,
            Status::Pass
        );
    }

    #[test]
    fn pod_policies_autogen_and_bad_expressions_name_their_path() {
        let doc = vpol(json!({
            "matchConstraints": {"resourceRules": [{"apiGroups": [""], "apiVersions": ["v1"],
                "operations": ["CREATE"], "resources": ["pods"]}]},
            "validations": [{"expression": "object.spec.containers.all(c, c.image != 'bad')"}]}));
        let (policy, _) = parse(&doc, "p.yaml").unwrap();
        let names: Vec<&str> = policy.rules.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            ["replicas", "autogen-replicas", "autogen-cronjob-replicas"]
        );
        let bad = Target::from_json(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "d"}, "spec": {"template": {"spec": {"containers": [{"image": "bad"}]}}}}));
        let r = evaluate(&policy, &bad, &Request::default());
        assert_eq!(r[0].status, Status::Fail);
        let doc = vpol(json!({"validations": [{"expression": "objekt.spec != null"}]}));
        let (_, problems) = parse(&doc, "p.yaml").unwrap();
        assert_eq!(problems[0].1 .0, "spec.validations[0].expression");
    }

    #[test]
    fn kinds_from_resources() {
        assert_eq!(kind_of_resource("networkpolicies"), "NetworkPolicy");
        assert_eq!(kind_of_resource("widgets"), "Widget");
        assert_eq!(kind_of_resource("ingresses"), "Ingress");
        let rule =
            json!({"apiGroups": ["", "apps"], "apiVersions": ["v1"], "resources": ["pods/exec"]});
        assert_eq!(
            kinds_of_rule(&rule),
            vec![json!("v1/Pod/exec"), json!("apps/v1/Pod/exec")]
        );
    }
}
