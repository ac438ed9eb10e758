//! `who_can` on a fixture whose answers follow the Kubernetes RBAC documentation:
//! wildcards, aggregation, resourceNames, subresources and binding scope.

use vigie_rbac::{who_can, Action, Rbac, Scope};

fn rbac() -> Rbac {
    let text = include_str!("fixtures/cluster.yaml");
    let loaded = vigie_resource::load_text(text, "cluster.yaml", &Default::default());
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    Rbac::from_resources(&loaded.resources)
}

/// The subjects allowed, as `Kind name` (`Kind ns/name` for service accounts), sorted.
fn who(verb: &str, resource: &str, name: Option<&str>, scope: Scope) -> Vec<String> {
    let action = Action::parse(verb, resource, None, name);
    let mut out: Vec<String> = who_can(&rbac(), &action, &scope)
        .into_iter()
        .map(|g| g.subject.to_string())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn ns(name: &str) -> Scope {
    Scope::Namespace(name.into())
}

#[test]
fn role_binding_grants_only_in_its_namespace() {
    assert_eq!(
        who("create", "pods", None, ns("ci")),
        [
            "Group ci-team",
            "Group ops",
            "Group system:masters",
            "ServiceAccount ci/deployer",
            "User alice"
        ]
    );
    assert_eq!(
        who("create", "pods", None, ns("apps")),
        [
            "Group ops",
            "Group system:masters",
            "ServiceAccount ci/deployer"
        ]
    );
    // Cluster-wide, only ClusterRoleBindings count.
    assert_eq!(
        who("create", "pods", None, Scope::Cluster),
        [
            "Group ops",
            "Group system:masters",
            "ServiceAccount ci/deployer"
        ]
    );
    // In some namespace: the RoleBinding's subjects come back.
    assert!(who("create", "pods", None, Scope::AnyNamespace).contains(&"User alice".to_string()));
}

#[test]
fn subresources_are_not_the_resource() {
    let exec = who("create", "pods/exec", None, ns("ci"));
    assert!(exec.contains(&"ServiceAccount ci/debugger".to_string()));
    assert!(!exec.contains(&"User alice".to_string()));
    let pods = who("create", "pods", None, ns("ci"));
    assert!(!pods.contains(&"ServiceAccount ci/debugger".to_string()));
}

#[test]
fn star_subresource_and_cluster_role_in_a_role_binding() {
    let scale = who("update", "deployments.apps/scale", None, ns("apps"));
    assert!(scale.contains(&"User carol".to_string()));
    assert!(!who("update", "deployments.apps/scale", None, ns("ci"))
        .contains(&"User carol".to_string()));
    assert!(
        !who("update", "deployments.apps", None, ns("apps")).contains(&"User carol".to_string())
    );
}

#[test]
fn resource_names_limit_to_named_requests() {
    assert!(
        who("get", "secrets", Some("db-password"), ns("apps")).contains(&"User bob".to_string())
    );
    assert!(!who("get", "secrets", Some("other"), ns("apps")).contains(&"User bob".to_string()));
    assert!(!who("list", "secrets", None, ns("apps")).contains(&"User bob".to_string()));
}

#[test]
fn aggregated_roles_hold_the_selected_rules() {
    let metrics = who("get", "/metrics/cadvisor", None, Scope::Cluster);
    assert!(
        metrics.contains(&"Group observers".to_string()),
        "{metrics:?}"
    );
    assert!(!who("get", "/healthz", None, Scope::Cluster).contains(&"Group observers".to_string()));
}

#[test]
fn a_cluster_role_binding_to_a_role_grants_nothing() {
    assert!(!who("create", "pods", None, ns("ci")).contains(&"User eve".to_string()));
}

#[test]
fn grants_name_binding_role_rule_and_workloads() {
    let action = Action::parse("create", "pods", None, None);
    let grants = who_can(&rbac(), &action, &ns("ci"));
    let deployer = grants
        .iter()
        .find(|g| g.subject.name == "deployer")
        .expect("deployer can create pods");
    assert_eq!(deployer.binding, "ClusterRoleBinding root-ops");
    assert_eq!(deployer.role, "ClusterRole all-powerful");
    assert_eq!(deployer.rule_index, 0);
    assert_eq!(deployer.scope, "cluster-wide");
    assert_eq!(deployer.workloads, ["Deployment ci/web"]);
    assert!(deployer.binding_location.starts_with("cluster.yaml:"));
}
