//! Kinds to API resources: what a webhook rule names (`apps`, `v1`,
//! `deployments`) for what a policy names (`Deployment`). Kyverno asks the API
//! server (discovery); manifests are made offline, so the built-in kinds come
//! from this table and any other kind (a custom resource) is pluralized the way
//! CRDs conventionally are, which the docs say to check.

use vigie_resource::plural_of_kind;

/// (kind, API group, plural resource) of the built-in kinds policies name.
const BUILT_IN: &[(&str, &str, &str)] = &[
    ("Binding", "", "bindings"),
    ("ConfigMap", "", "configmaps"),
    ("Endpoints", "", "endpoints"),
    ("Event", "", "events"),
    ("LimitRange", "", "limitranges"),
    ("Namespace", "", "namespaces"),
    ("Node", "", "nodes"),
    ("PersistentVolume", "", "persistentvolumes"),
    ("PersistentVolumeClaim", "", "persistentvolumeclaims"),
    ("Pod", "", "pods"),
    ("PodTemplate", "", "podtemplates"),
    ("ReplicationController", "", "replicationcontrollers"),
    ("ResourceQuota", "", "resourcequotas"),
    ("Secret", "", "secrets"),
    ("Service", "", "services"),
    ("ServiceAccount", "", "serviceaccounts"),
    (
        "MutatingWebhookConfiguration",
        "admissionregistration.k8s.io",
        "mutatingwebhookconfigurations",
    ),
    (
        "ValidatingWebhookConfiguration",
        "admissionregistration.k8s.io",
        "validatingwebhookconfigurations",
    ),
    (
        "ValidatingAdmissionPolicy",
        "admissionregistration.k8s.io",
        "validatingadmissionpolicies",
    ),
    (
        "ValidatingAdmissionPolicyBinding",
        "admissionregistration.k8s.io",
        "validatingadmissionpolicybindings",
    ),
    (
        "CustomResourceDefinition",
        "apiextensions.k8s.io",
        "customresourcedefinitions",
    ),
    ("ControllerRevision", "apps", "controllerrevisions"),
    ("DaemonSet", "apps", "daemonsets"),
    ("Deployment", "apps", "deployments"),
    ("ReplicaSet", "apps", "replicasets"),
    ("StatefulSet", "apps", "statefulsets"),
    ("TokenReview", "authentication.k8s.io", "tokenreviews"),
    (
        "HorizontalPodAutoscaler",
        "autoscaling",
        "horizontalpodautoscalers",
    ),
    ("CronJob", "batch", "cronjobs"),
    ("Job", "batch", "jobs"),
    (
        "CertificateSigningRequest",
        "certificates.k8s.io",
        "certificatesigningrequests",
    ),
    ("Lease", "coordination.k8s.io", "leases"),
    ("EndpointSlice", "discovery.k8s.io", "endpointslices"),
    ("Ingress", "networking.k8s.io", "ingresses"),
    ("IngressClass", "networking.k8s.io", "ingressclasses"),
    ("NetworkPolicy", "networking.k8s.io", "networkpolicies"),
    ("RuntimeClass", "node.k8s.io", "runtimeclasses"),
    ("PodDisruptionBudget", "policy", "poddisruptionbudgets"),
    ("ClusterRole", "rbac.authorization.k8s.io", "clusterroles"),
    (
        "ClusterRoleBinding",
        "rbac.authorization.k8s.io",
        "clusterrolebindings",
    ),
    ("Role", "rbac.authorization.k8s.io", "roles"),
    ("RoleBinding", "rbac.authorization.k8s.io", "rolebindings"),
    ("PriorityClass", "scheduling.k8s.io", "priorityclasses"),
    ("CSIDriver", "storage.k8s.io", "csidrivers"),
    ("StorageClass", "storage.k8s.io", "storageclasses"),
    ("VolumeAttachment", "storage.k8s.io", "volumeattachments"),
    ("ClusterPolicy", "kyverno.io", "clusterpolicies"),
    ("Policy", "kyverno.io", "policies"),
];

/// The API group and plural resource of a kind; `None` for the group when the
/// kind is not built in (the policy must say it, or any group is meant).
pub(super) fn resource_of(kind: &str) -> (Option<&'static str>, String) {
    match BUILT_IN.iter().find(|(k, _, _)| *k == kind) {
        Some((_, group, plural)) => (Some(group), plural.to_string()),
        None => (None, plural_of_kind(kind)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_kinds_have_their_group_and_custom_kinds_a_conventional_plural() {
        assert_eq!(
            resource_of("Deployment"),
            (Some("apps"), "deployments".into())
        );
        assert_eq!(resource_of("Pod"), (Some(""), "pods".into()));
        assert_eq!(resource_of("Ingress").1, "ingresses");
        assert_eq!(resource_of("Certificate"), (None, "certificates".into()));
        assert_eq!(resource_of("Gateway").1, "gateways");
        assert_eq!(resource_of("Policy").1, "policies");
        assert_eq!(
            resource_of("VirtualServiceEntry").1,
            "virtualserviceentries"
        );
        assert_eq!(resource_of("Mesh").1, "meshes");
    }
}
