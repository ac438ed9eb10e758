//! The webhook configurations, and their `rules` computed from the policies: the
//! API server calls vigie only for the kinds and operations some rule can act on.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhook, MutatingWebhookConfiguration, RuleWithOperations, ServiceReference,
    ValidatingWebhook, ValidatingWebhookConfiguration, WebhookClientConfig,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use k8s_openapi::ByteString;
use vigie_policy::Policy;
use vigie_policy::{KindSelector, ResourceFilter, Rule, RuleAction};

use super::kinds::resource_of;
use super::{AdmissionOptions, NAME};

/// Which webhook a rule needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Webhook {
    /// `validate` rules: the ValidatingWebhookConfiguration.
    Validating,
    /// `mutate` rules: the MutatingWebhookConfiguration.
    Mutating,
}

/// The webhook a rule is served by; `None` for rules vigie does not run in
/// admission (generate, verifyImages and the other kinds reported unsupported).
/// The match is exhaustive on purpose: a new kind of rule must say its webhook.
fn webhook_of(rule: &Rule) -> Option<Webhook> {
    match &rule.action {
        RuleAction::Validate(_) => Some(Webhook::Validating),
        RuleAction::Mutate(_) => Some(Webhook::Mutating),
        // Generating needs a cluster to create in, cleanup a schedule: the
        // webhook runs neither.
        RuleAction::Generate(_) | RuleAction::Delete(_) | RuleAction::Unsupported(_) => None,
    }
}

/// Operations a filter without `operations` applies to, as the engine matches them.
const DEFAULT_OPERATIONS: [&str; 2] = ["CREATE", "UPDATE"];
const OPERATIONS: [&str; 4] = ["CREATE", "UPDATE", "DELETE", "CONNECT"];

/// Where one webhook rule applies: group, version and operations.
type RuleKey = (String, String, Vec<String>);

/// The webhook rules that cover every kind and operation the `webhook`'s rules of
/// `policies` match (autogen rules for pod controllers included: the policies
/// hold them once loaded). Sorted, so the output is stable.
pub fn webhook_rules(policies: &[Policy], webhook: Webhook) -> Vec<RuleWithOperations> {
    let mut by_key: BTreeMap<RuleKey, BTreeSet<String>> = BTreeMap::new();
    let filters = policies
        .iter()
        .flat_map(|p| &p.rules)
        .filter(|rule| webhook_of(rule) == Some(webhook))
        .flat_map(|rule| rule.match_resources.filters());
    for filter in filters {
        let operations = operations_of(filter);
        let any_kind = [KindSelector::parse("*")];
        let kinds = match filter.resources.kinds.as_slice() {
            [] => &any_kind[..],
            kinds => kinds,
        };
        for kind in kinds {
            let (group, version, resource) = api_resource(kind);
            by_key
                .entry((group, version, operations.clone()))
                .or_default()
                .insert(resource);
        }
    }
    by_key
        .into_iter()
        .map(|((group, version, operations), resources)| {
            // `*` already covers every other resource of its group and version
            // (subresources are listed apart: `*/scale`).
            let resources: Vec<String> = if resources.contains("*") {
                resources
                    .into_iter()
                    .filter(|r| r == "*" || r.contains('/'))
                    .collect()
            } else {
                resources.into_iter().collect()
            };
            RuleWithOperations {
                api_groups: Some(vec![group]),
                api_versions: Some(vec![version]),
                operations: Some(operations),
                resources: Some(resources),
                scope: Some("*".to_string()),
            }
        })
        .collect()
}

fn operations_of(filter: &ResourceFilter) -> Vec<String> {
    let asked = &filter.resources.operations;
    let mut operations: Vec<String> = if asked.is_empty() {
        DEFAULT_OPERATIONS.iter().map(|o| o.to_string()).collect()
    } else {
        OPERATIONS
            .iter()
            .filter(|o| asked.iter().any(|a| a == *o || a == "*"))
            .map(|o| o.to_string())
            .collect()
    };
    operations.sort();
    operations
}

/// A wildcard a webhook rule cannot hold (only `*` alone is allowed there) widens
/// to `*`.
fn exact_or_any(text: &str) -> String {
    if text.contains(['*', '?']) {
        "*".to_string()
    } else {
        text.to_string()
    }
}

/// (API group, version, resource) of a kind selector.
fn api_resource(kind: &KindSelector) -> (String, String, String) {
    let version = kind.version.as_deref().map_or("*".into(), exact_or_any);
    let (known_group, plural) = if kind.kind.contains(['*', '?']) {
        (None, "*".to_string())
    } else {
        resource_of(&kind.kind)
    };
    let group = match (&kind.group, known_group) {
        (Some(group), _) => exact_or_any(group),
        // `v1/Pod`: the core group; a bare kind: its known group, else any.
        (None, Some(group)) => group.to_string(),
        (None, None) if kind.version.is_some() => String::new(),
        (None, None) => "*".to_string(),
    };
    let resource = match &kind.subresource {
        Some(sub) => format!("{plural}/{}", exact_or_any(sub)),
        None => plural,
    };
    (group, version, resource)
}

/// Namespaces whose requests never reach vigie: the control plane's and vigie's
/// own (so that vigie can always be repaired, whatever a policy says).
fn namespace_selector(options: &AdmissionOptions) -> LabelSelector {
    let mut excluded = vec!["kube-system".to_string(), options.namespace.clone()];
    excluded.dedup();
    LabelSelector {
        match_expressions: Some(vec![LabelSelectorRequirement {
            key: "kubernetes.io/metadata.name".into(),
            operator: "NotIn".into(),
            values: Some(excluded),
        }]),
        match_labels: None,
    }
}

fn client_config(options: &AdmissionOptions, path: &str) -> WebhookClientConfig {
    WebhookClientConfig {
        ca_bundle: options
            .certs
            .as_ref()
            .map(|c| ByteString(c.ca_pem.clone().into_bytes())),
        service: Some(ServiceReference {
            name: NAME.into(),
            namespace: options.namespace.clone(),
            path: Some(path.into()),
            port: Some(443),
        }),
        url: None,
    }
}

/// The policies served by one webhook: those with the same failure policy and
/// timeout, as Kyverno splits its webhooks, so that a policy that says
/// `failurePolicy: Ignore` or `webhookTimeoutSeconds` gets what it says rather
/// than the install's defaults.
struct Group {
    /// `failurePolicy`: the policy's `spec.failurePolicy` when written, else
    /// `--failure-policy`.
    failure_policy: &'static str,
    /// `timeoutSeconds`: the policy's `webhookTimeoutSeconds`, else `--timeout-seconds`.
    timeout_seconds: i32,
    policies: Vec<Policy>,
    /// Suffix of the webhook's name: empty for the install's defaults (the name
    /// it always had), else `-fail`/`-ignore` and the timeout.
    suffix: String,
}

fn groups(options: &AdmissionOptions, policies: &[Policy]) -> Vec<Group> {
    let default_policy = options.failure_policy.as_str();
    let mut by_key: BTreeMap<(&'static str, i32), Vec<Policy>> = BTreeMap::new();
    for policy in policies {
        let settings = &policy.admission;
        let failure_policy = if settings.failure_policy_set {
            match settings.failure_policy {
                vigie_policy::FailurePolicy::Fail => "Fail",
                vigie_policy::FailurePolicy::Ignore => "Ignore",
            }
        } else {
            default_policy
        };
        let timeout = settings
            .webhook_timeout_seconds
            .unwrap_or(options.timeout_seconds);
        by_key
            .entry((failure_policy, timeout))
            .or_default()
            .push(policy.clone());
    }
    by_key
        .into_iter()
        .map(|((failure_policy, timeout_seconds), policies)| {
            let suffix =
                if failure_policy == default_policy && timeout_seconds == options.timeout_seconds {
                    String::new()
                } else if timeout_seconds == options.timeout_seconds {
                    format!("-{}", failure_policy.to_lowercase())
                } else {
                    format!("-{}-{timeout_seconds}s", failure_policy.to_lowercase())
                };
            Group {
                failure_policy,
                timeout_seconds,
                policies,
                suffix,
            }
        })
        .collect()
}

/// The webhooks of one kind, one per failure policy and timeout the policies
/// ask for (none where no policy has a rule the kind serves). Written once as
/// ValidatingWebhooks: a MutatingWebhook has the same fields and one more.
fn webhooks(
    options: &AdmissionOptions,
    policies: &[Policy],
    kind: Webhook,
) -> Vec<ValidatingWebhook> {
    let (verb, path) = match kind {
        Webhook::Validating => ("validate", "/validate"),
        Webhook::Mutating => ("mutate", "/mutate"),
    };
    groups(options, policies)
        .into_iter()
        .filter_map(|group| {
            let rules = webhook_rules(&group.policies, kind);
            (!rules.is_empty()).then(|| ValidatingWebhook {
                name: format!("{verb}{}.{NAME}.vigie.dev", group.suffix),
                admission_review_versions: vec!["v1".into()],
                client_config: client_config(options, path),
                failure_policy: Some(group.failure_policy.into()),
                match_policy: Some("Equivalent".into()),
                namespace_selector: Some(namespace_selector(options)),
                rules: Some(rules),
                side_effects: "None".into(),
                timeout_seconds: Some(group.timeout_seconds),
                ..Default::default()
            })
        })
        .collect()
}

/// The ValidatingWebhookConfiguration, or `None` when no policy has a rule it
/// serves.
pub(super) fn validating(
    options: &AdmissionOptions,
    policies: &[Policy],
) -> Option<ValidatingWebhookConfiguration> {
    let webhooks = webhooks(options, policies, Webhook::Validating);
    (!webhooks.is_empty()).then(|| ValidatingWebhookConfiguration {
        metadata: super::metadata(NAME, None, options),
        webhooks: Some(webhooks),
    })
}

/// The MutatingWebhookConfiguration, or `None` when no policy has a mutate rule.
pub(super) fn mutating(
    options: &AdmissionOptions,
    policies: &[Policy],
) -> Option<MutatingWebhookConfiguration> {
    let webhooks: Vec<MutatingWebhook> = webhooks(options, policies, Webhook::Mutating)
        .into_iter()
        .map(|w| MutatingWebhook {
            admission_review_versions: w.admission_review_versions,
            client_config: w.client_config,
            failure_policy: w.failure_policy,
            match_conditions: w.match_conditions,
            match_policy: w.match_policy,
            name: w.name,
            namespace_selector: w.namespace_selector,
            object_selector: w.object_selector,
            // A later mutation (another webhook's) may change what a policy sees.
            reinvocation_policy: Some("IfNeeded".into()),
            rules: w.rules,
            side_effects: w.side_effects,
            timeout_seconds: w.timeout_seconds,
        })
        .collect();
    (!webhooks.is_empty()).then(|| MutatingWebhookConfiguration {
        metadata: super::metadata(NAME, None, options),
        webhooks: Some(webhooks),
    })
}
