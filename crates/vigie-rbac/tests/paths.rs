//! Escalation paths on the fixture: each subject's shortest chain to admin power.

use vigie_rbac::{escalation_paths, Rbac};

fn paths() -> Vec<(String, Vec<String>)> {
    let text = include_str!("fixtures/cluster.yaml");
    let loaded = vigie_resource::load_text(text, "cluster.yaml", &Default::default());
    let rbac = Rbac::from_resources(&loaded.resources);
    escalation_paths(&rbac)
        .into_iter()
        .map(|p| {
            (
                p.subject.to_string(),
                p.steps
                    .iter()
                    .map(|s| format!("{}: {} -> {}", s.subject, s.permission, s.leads_to))
                    .collect(),
            )
        })
        .collect()
}

fn path_of(subject: &str) -> Option<Vec<String>> {
    paths()
        .into_iter()
        .find(|(s, _)| s == subject)
        .map(|(_, steps)| steps)
}

#[test]
fn direct_admins_take_one_step() {
    assert_eq!(
        path_of("Group ops").unwrap(),
        ["Group ops: use every verb on every resource cluster-wide -> cluster-admin power"]
    );
    assert_eq!(
        path_of("User mallory").unwrap(),
        ["User mallory: impersonate groups cluster-wide -> acting as the system:masters group"]
    );
}

#[test]
fn creating_pods_next_to_a_powerful_account_is_a_path() {
    assert_eq!(
        path_of("User alice").unwrap(),
        [
            "User alice: create pods in namespace ci -> running a pod as ServiceAccount ci/deployer",
            "ServiceAccount ci/deployer: use every verb on every resource cluster-wide -> cluster-admin power",
        ]
    );
    assert_eq!(path_of("Group ci-team").unwrap().len(), 2);
}

#[test]
fn exec_reaches_accounts_that_pods_run_as() {
    let steps = path_of("ServiceAccount ci/debugger").unwrap();
    assert_eq!(
        steps[0],
        "ServiceAccount ci/debugger: create pods/exec in namespace ci -> running commands in a pod of ServiceAccount ci/deployer"
    );
}

#[test]
fn harmless_grants_lead_nowhere() {
    // One named Secret, scaling, a ClusterRoleBinding to a Role, metrics.
    for subject in ["User bob", "User carol", "User eve", "Group observers"] {
        assert_eq!(path_of(subject), None, "{subject}");
    }
}

#[test]
fn shortest_paths_come_first() {
    let lengths: Vec<usize> = paths().iter().map(|(_, s)| s.len()).collect();
    let mut sorted = lengths.clone();
    sorted.sort();
    assert_eq!(lengths, sorted);
}
