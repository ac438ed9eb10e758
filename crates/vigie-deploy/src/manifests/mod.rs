//! `vigie admission manifests`: every object that installs the admission webhook,
//! in the order `kubectl apply` needs them (the namespace first, the webhook
//! configurations last, once something can answer them).

mod kinds;
mod policies;
mod webhooks;
mod workload;

pub(crate) use workload::{
    bind_to_service_account, open_port, quantities, read_only_mount, restricted_container_context,
    rule, runtime_default_seccomp, strings, writable_mount,
};

pub use policies::{policy_files, MAX_POLICY_BYTES};
pub use webhooks::{webhook_rules, Webhook};

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;
use vigie_policy::Policy;

use crate::certs::CertBundle;
use crate::error::ManifestsError;
use crate::names::label_problem;

/// The name of every object of the install (Deployment, Service, ServiceAccount,
/// webhook configurations...), and the Service's name in the certificates.
pub const NAME: &str = "vigie-admission";

/// What the API server does when vigie does not answer in time or cannot be
/// reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailurePolicy {
    /// The request is refused: nothing unchecked gets in, and nothing gets in at
    /// all while vigie is down.
    Fail,
    /// The request goes on unchecked.
    Ignore,
}

impl FailurePolicy {
    /// Both policies.
    pub const ALL: [FailurePolicy; 2] = [FailurePolicy::Fail, FailurePolicy::Ignore];

    /// The value of a webhook's `failurePolicy`.
    pub fn as_str(self) -> &'static str {
        match self {
            FailurePolicy::Fail => "Fail",
            FailurePolicy::Ignore => "Ignore",
        }
    }
}

vigie_finding::impl_names! {
    FailurePolicy named by as_str, Exact;
    "failure policy", expected "Fail or Ignore"
}

/// What the install is made of, besides the policies.
#[derive(Clone, Debug)]
pub struct AdmissionOptions {
    /// The namespace vigie runs in (created by the manifests).
    pub namespace: String,
    /// Replicas of the Deployment; at least 2, so that one can restart while the
    /// others answer.
    pub replicas: i32,
    /// The webhooks' `failurePolicy`.
    pub failure_policy: FailurePolicy,
    /// The webhooks' `timeoutSeconds` (1 to 30, the API server's bounds).
    pub timeout_seconds: i32,
    /// The container image of vigie.
    pub image: String,
    /// The certificates: put in a Secret, and the CA in the webhooks' `caBundle`.
    /// Without them the Secret is expected to exist (cert-manager's, say) and the
    /// `caBundle` to be injected (cert-manager's CA injector reads the annotation
    /// the configurations then carry).
    pub certs: Option<CertBundle>,
}

impl AdmissionOptions {
    /// The image used when none is given: this version of vigie.
    pub fn default_image() -> String {
        format!("vigie:{}", env!("CARGO_PKG_VERSION"))
    }

    fn check(&self) -> Result<(), ManifestsError> {
        if let Some(reason) = label_problem(&self.namespace) {
            return Err(ManifestsError::InvalidName {
                what: "namespace",
                value: self.namespace.clone(),
                reason,
            });
        }
        if self.replicas < 2 {
            return Err(ManifestsError::Option(format!(
                "--replicas {}: at least 2 are needed, so that a restarting replica does not stop admission",
                self.replicas
            )));
        }
        if !(1..=30).contains(&self.timeout_seconds) {
            return Err(ManifestsError::Option(format!(
                "--timeout-seconds {}: the API server accepts 1 to 30",
                self.timeout_seconds
            )));
        }
        if self.image.is_empty() || self.image.contains(char::is_whitespace) {
            return Err(ManifestsError::Option(format!(
                "--image `{}`: not an image reference",
                self.image
            )));
        }
        Ok(())
    }
}

/// The objects to apply, and notes for the person applying them.
#[derive(Clone, Debug, Default)]
pub struct Manifests {
    /// The objects, as JSON values, in apply order.
    pub objects: Vec<Value>,
    /// What is worth knowing about them (a webhook left out, say).
    pub notes: Vec<String>,
}

/// Builds every object of the install. `policy_files` are the policy files'
/// names and texts (from [`policy_files`]), mounted from a ConfigMap.
pub fn admission_manifests(
    options: &AdmissionOptions,
    policies: &[Policy],
    policy_files: &BTreeMap<String, String>,
) -> Result<Manifests, ManifestsError> {
    options.check()?;
    let mut out = Manifests::default();
    let mut push = |object: Result<Value, serde_json::Error>| {
        // k8s-openapi types always serialize.
        out.objects
            .push(object.expect("k8s-openapi objects serialize"));
    };
    push(serde_json::to_value(workload::namespace(options)));
    push(serde_json::to_value(workload::service_account(options)));
    push(serde_json::to_value(workload::cluster_role(options)));
    push(serde_json::to_value(workload::cluster_role_binding(
        options,
    )));
    push(serde_json::to_value(workload::policies_config_map(
        options,
        policy_files,
    )));
    if let Some(secret) = workload::tls_secret(options) {
        push(serde_json::to_value(secret));
    }
    push(serde_json::to_value(workload::deployment(options)));
    push(serde_json::to_value(workload::pod_disruption_budget(
        options,
    )));
    push(serde_json::to_value(workload::service(options)));
    push(serde_json::to_value(workload::default_deny(options)));
    push(serde_json::to_value(workload::network_policy(options)));
    match webhooks::validating(options, policies) {
        Some(config) => push(serde_json::to_value(config)),
        None => out
            .notes
            .push("no policy has a validate rule: no ValidatingWebhookConfiguration".to_string()),
    }
    if let Some(config) = webhooks::mutating(options, policies) {
        push(serde_json::to_value(config));
    }
    if options.certs.is_none() {
        out.notes.push(format!(
            "no --certs: the Secret {NAME}-tls must exist in {} and the webhooks' caBundle \
             be injected (cert-manager: a Certificate named {NAME} writing that Secret)",
            options.namespace
        ));
    }
    Ok(out)
}

/// The labels every object of the install carries, and the Pods are selected by.
fn labels() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app".to_string(), NAME.to_string()),
        ("app.kubernetes.io/name".to_string(), NAME.to_string()),
        ("app.kubernetes.io/part-of".to_string(), "vigie".to_string()),
    ])
}

fn metadata(name: &str, namespace: Option<&str>, options: &AdmissionOptions) -> ObjectMeta {
    let mut labels = labels();
    labels.insert(
        "app.kubernetes.io/component".into(),
        "admission-controller".into(),
    );
    let cluster_scoped_webhook = namespace.is_none() && name == NAME;
    let annotations = (cluster_scoped_webhook && options.certs.is_none()).then(|| {
        BTreeMap::from([(
            "cert-manager.io/inject-ca-from".to_string(),
            format!("{}/{NAME}", options.namespace),
        )])
    });
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: namespace.map(str::to_string),
        labels: Some(labels),
        annotations,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests;
