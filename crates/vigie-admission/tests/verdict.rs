//! Verdicts with Kyverno's semantics, through the webhook's whole answer (decode,
//! evaluate, respond) without HTTP.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde_json::json;
use vigie_admission::ClusterData;

use common::{
    assert_denied, assert_warned, cluster_policy, mutate, pod, pod_create, pod_rule, review,
    team_policy, validate, webhook, webhook_with, ENFORCE, TEAM_RULE,
};

#[test]
fn enforce_failure_denies_with_kyvernos_message_and_403() {
    let webhook = webhook(&team_policy("Enforce", ""));
    let response = validate(&webhook, &pod_create("web", "shop", json!({})));
    assert_eq!(response["allowed"], false);
    assert_eq!(response["status"]["code"], 403);
    let message = response["status"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("\n\nresource Pod/shop/web was blocked due to the following policies\n\nrequire-team:\n  team-label: 'validation error: the label team is required. rule team-label failed"),
        "{message}"
    );
    assert_eq!(
        webhook
            .metrics
            .results("require-team", "team-label", "fail"),
        1
    );
    assert_eq!(
        webhook
            .metrics
            .requests("/validate", "CREATE", "Pod", "denied"),
        1
    );
}

#[test]
fn a_passing_object_is_allowed() {
    let webhook = webhook(&team_policy("Enforce", ""));
    let object = pod("web", "shop", json!({"team": "checkout"}));
    let response = validate(&webhook, &review("CREATE", Some(&object), None));
    assert_eq!(response["allowed"], true);
    assert!(response.get("status").is_none());
    assert_eq!(response["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
}

#[test]
fn audit_failure_allows_and_warns_only_with_emit_warning() {
    let quiet = webhook(&team_policy("Audit", ""));
    let body = pod_create("web", "shop", json!({}));
    let response = validate(&quiet, &body);
    assert_eq!(response["allowed"], true);
    assert!(response.get("warnings").is_none());
    assert_eq!(
        quiet.metrics.results("require-team", "team-label", "fail"),
        1
    );

    let loud = webhook(&team_policy("Audit", "  emitWarning: true"));
    let response = validate(&loud, &body);
    let warning = assert_warned(&response, "the label team is required");
    assert!(
        warning.starts_with(
            "policy require-team.team-label: validation error: the label team is required"
        ),
        "{warning}"
    );
}

#[test]
fn overrides_change_the_action_by_namespace_name_and_labels() {
    let spec = r#"  validationFailureActionOverrides:
  - action: Audit
    namespaces: ["dev-*"]
  - action: Audit
    namespaceSelector:
      matchLabels:
        stage: sandbox"#;
    let mut labels = HashMap::new();
    labels.insert(
        "play".to_string(),
        BTreeMap::from([("stage".to_string(), "sandbox".to_string())]),
    );
    let cluster = ClusterData {
        namespace_labels: labels,
        ..ClusterData::default()
    };
    let webhook = webhook_with(
        &team_policy("Enforce", spec),
        cluster,
        Duration::from_secs(8),
    );
    for (namespace, allowed) in [("dev-1", true), ("play", true), ("prod", false)] {
        let response = validate(&webhook, &pod_create("web", namespace, json!({})));
        assert_eq!(response["allowed"], allowed, "{namespace}");
    }
}

#[test]
fn the_rules_own_failure_action_wins_over_the_policys() {
    let yaml = team_policy("Audit", "").replace(
        "      message: \"the label team is required\"",
        "      failureAction: Enforce\n      message: \"the label team is required\"",
    );
    let webhook = webhook(&yaml);
    let response = validate(&webhook, &pod_create("web", "shop", json!({})));
    assert_eq!(response["allowed"], false);
}

#[test]
fn a_rule_level_audit_in_an_enforce_policy_allows() {
    let yaml = team_policy("Enforce", "").replace(
        "      message: \"the label team is required\"",
        "      failureAction: Audit\n      message: \"the label team is required\"",
    );
    assert!(yaml.contains("failureAction: Audit"), "{yaml}");
    let webhook = webhook(&yaml);
    let response = validate(&webhook, &pod_create("web", "shop", json!({})));
    assert_eq!(response["allowed"], true, "{response}");
    assert_eq!(
        webhook
            .metrics
            .results("require-team", "team-label", "fail"),
        1
    );
}

/// Deny rules on DELETE and UPDATE around the team-label rule.
fn deny_policy() -> String {
    let keep_protected = pod_rule(
        "keep-protected",
        "DELETE",
        r#"    validate:
      message: "protected Pods cannot be deleted"
      deny:
        conditions:
          any:
          - key: "{{ request.oldObject.metadata.labels.protected || '' }}"
            operator: Equals
            value: "true"
"#,
    );
    let no_relabel = pod_rule(
        "no-relabel",
        "UPDATE",
        r#"    validate:
      message: "the team label cannot change"
      deny:
        conditions:
          any:
          - key: "{{ request.object.metadata.labels.team }}"
            operator: NotEquals
            value: "{{ request.oldObject.metadata.labels.team }}"
"#,
    );
    cluster_policy(
        "guard",
        ENFORCE,
        &format!("{keep_protected}{TEAM_RULE}{no_relabel}"),
    )
}

#[test]
fn delete_matches_the_old_object_runs_deny_rules_and_skips_patterns() {
    let webhook = webhook(&deny_policy());
    // No team label: the pattern rule would fail, but Kyverno skips patterns on DELETE.
    let plain = pod("web", "shop", json!({}));
    let response = validate(&webhook, &review("DELETE", None, Some(&plain)));
    assert_eq!(response["allowed"], true, "{response}");
    let protected = pod("db", "shop", json!({"protected": "true"}));
    let response = validate(&webhook, &review("DELETE", None, Some(&protected)));
    let message = assert_denied(&response, "resource Pod/shop/db was blocked");
    assert!(
        message.contains("keep-protected: 'validation error: protected Pods cannot be deleted"),
        "{message}"
    );
    assert!(!message.contains("team-label"), "{message}");
}

#[test]
fn update_sees_the_old_object() {
    let webhook = webhook(&deny_policy());
    let old = pod("web", "shop", json!({"team": "a"}));
    let same = pod("web", "shop", json!({"team": "a", "tier": "front"}));
    let moved = pod("web", "shop", json!({"team": "b"}));
    assert_eq!(
        validate(&webhook, &review("UPDATE", Some(&same), Some(&old)))["allowed"],
        true
    );
    let response = validate(&webhook, &review("UPDATE", Some(&moved), Some(&old)));
    assert_denied(&response, "no-relabel");
}

#[test]
fn user_info_and_dry_run_reach_matching_and_variables() {
    let yaml = cluster_policy(
        "who",
        ENFORCE,
        r#"  - name: no-bob
    match:
      any:
      - resources:
          kinds: [ConfigMap]
        subjects:
        - kind: User
          name: bob
    validate:
      message: "bob may not touch ConfigMaps"
      deny: {}
  - name: no-dry-run
    match:
      any:
      - resources:
          kinds: [ConfigMap]
    validate:
      message: "no dry runs"
      deny:
        conditions:
          any:
          - key: "{{ request.dryRun }}"
            operator: Equals
            value: true
"#,
    );
    let webhook = webhook(&yaml);
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "a"}});
    let mut body = review("CREATE", Some(&cm), None);
    let response = validate(&webhook, &body);
    assert_eq!(response["allowed"], true, "{response}");
    body["request"]["userInfo"]["username"] = json!("bob");
    let response = validate(&webhook, &body);
    assert_denied(&response, "no-bob");
    body["request"]["userInfo"]["username"] = json!("alice");
    body["request"]["dryRun"] = json!(true);
    let response = validate(&webhook, &body);
    assert_denied(&response, "no-dry-run");
}

#[test]
fn namespace_selector_reads_the_namespaces_file() {
    let (_dir, paths) = scratch_file("ns.yaml", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: prod\n    labels:\n      env: production\n- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: dev\n");
    let cluster = ClusterData::from_files(&paths, &[], 1 << 20).unwrap();
    let yaml = team_policy("Enforce", "").replace(
        "          kinds: [Pod]",
        "          kinds: [Pod]\n          namespaceSelector:\n            matchLabels:\n              env: production",
    );
    let webhook = webhook_with(&yaml, cluster, Duration::from_secs(8));
    let body = |ns| pod_create("web", ns, json!({}));
    assert_eq!(validate(&webhook, &body("prod"))["allowed"], false);
    assert_eq!(validate(&webhook, &body("dev"))["allowed"], true);
}

/// The error `read` gives on a file that holds a Pod named `oops`.
fn error_reading_a_pod<T, E: std::fmt::Display>(
    read: impl FnOnce(&[String]) -> Result<T, E>,
) -> String {
    let (_dir, paths) = scratch_file(
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: oops\n",
    );
    match read(&paths) {
        Ok(_) => panic!("a file holding a Pod was read"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn a_namespaces_file_with_other_kinds_is_refused_naming_them() {
    let error = error_reading_a_pod(|paths| ClusterData::from_files(paths, &[], 1 << 20));
    assert!(error.contains("Pod oops is not a Namespace"), "{error}");
}

#[test]
fn admission_false_policies_and_other_namespaces_policies_do_not_run() {
    let yaml = format!(
        "{}---\n{}",
        team_policy("Enforce", "  admission: false"),
        team_policy("Enforce", "")
            .replace("kind: ClusterPolicy", "kind: Policy")
            .replace(
                "  name: require-team",
                "  name: require-team\n  namespace: shop"
            )
    );
    let webhook = webhook(&yaml);
    assert_eq!(webhook.store.current().background_only(), 1);
    let body = |ns| pod_create("web", ns, json!({}));
    let response = validate(&webhook, &body("shop"));
    assert_denied(&response, "shop/require-team:");
    assert_eq!(validate(&webhook, &body("other"))["allowed"], true);
}

/// A policy whose rule errs, under the failure policy `failure_policy`.
fn error_policy(failure_policy: &str) -> String {
    let spec = format!("{ENFORCE}  failurePolicy: {failure_policy}\n");
    let rule = pod_rule(
        "missing-variable",
        "",
        r#"    validate:
      message: "x"
      deny:
        conditions:
          any:
          - key: "{{ request.object.spec.nothing.here }}"
            operator: Equals
            value: "1"
"#,
    );
    cluster_policy("broken", &spec, &rule)
}

#[test]
fn rule_errors_follow_the_failure_policy() {
    let body = pod_create("web", "shop", json!({}));
    let fail = webhook(&error_policy("Fail"));
    let response = validate(&fail, &body);
    assert_eq!(response["allowed"], false, "{response}");
    assert_eq!(
        fail.metrics.results("broken", "missing-variable", "error"),
        1
    );
    let ignore = webhook(&error_policy("Ignore"));
    let response = validate(&ignore, &body);
    assert_warned(&response, "error ignored (failurePolicy Ignore)");
}

#[test]
fn a_spent_time_budget_answers_by_failure_policy_and_is_counted() {
    let body = pod_create("web", "shop", json!({"team": "a"}));
    // A webhook with no time to evaluate the team policy, `extra_spec` added.
    let spent = |extra_spec| {
        webhook_with(
            &team_policy("Enforce", extra_spec),
            ClusterData::default(),
            Duration::ZERO,
        )
    };
    let fail = spent("");
    let response = validate(&fail, &body);
    assert_denied(&response, "time budget");
    assert_eq!(fail.metrics.deadline_answers("/validate", false), 1);
    let ignore = spent("  failurePolicy: Ignore");
    let response = validate(&ignore, &body);
    assert_warned(&response, "time budget");
    assert_eq!(ignore.metrics.deadline_answers("/validate", true), 1);
}

#[test]
fn only_policies_for_the_kind_are_candidates() {
    let yaml = format!(
        "{}---\n{}",
        team_policy("Enforce", ""),
        team_policy("Enforce", "")
            .replace("name: require-team", "name: any-kind")
            .replace("kinds: [Pod]", "kinds: [\"*\"]")
    );
    let set = common::set_of(&yaml);
    let names = |kind| -> Vec<String> {
        set.candidates(kind)
            .iter()
            .map(|p| p.policy.name.clone())
            .collect()
    };
    assert_eq!(names("Pod"), ["require-team", "any-kind"]);
    assert_eq!(names("Service"), ["any-kind"]);
}

#[test]
fn allowed_results_reach_the_policy_reports_and_denied_ones_do_not() {
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    use vigie_admission::reports::{spawn_writer, DirSink, ReportConfig, ReportQueue};
    use vigie_report::policy_report::ReportApi;

    let dir = tempfile::tempdir().unwrap();
    let base = webhook(&format!(
        "{}---\n{}",
        team_policy("Audit", ""),
        team_policy("Enforce", "")
            .replace("name: require-team", "name: require-owner")
            .replace("team: \"?*\"", "owner: \"?*\"")
    ));
    let (queue, receiver) = ReportQueue::new(base.metrics.clone());
    let webhook = vigie_admission::Webhook {
        store: base.store.clone(),
        cluster: base.cluster.clone(),
        metrics: base.metrics.clone(),
        timeout: base.timeout,
        reports: Some(queue),
    };
    let config = ReportConfig {
        api: ReportApi::OpenReports,
        interval: Duration::from_secs(3600),
        max_results_per_report: 100,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let sinks: Vec<Box<dyn vigie_admission::reports::ReportSink>> =
        vec![Box::new(DirSink(dir.path().to_path_buf()))];
    let writer = spawn_writer(receiver, config, sinks, base.metrics.clone(), stop).unwrap();
    let audited = pod_create("kept", "shop", json!({"owner": "o"}));
    assert_eq!(validate(&webhook, &audited)["allowed"], true);
    let denied = pod_create("refused", "shop", json!({}));
    assert_eq!(validate(&webhook, &denied)["allowed"], false);
    drop(webhook); // closes the queue: the writer writes and ends
    writer.join().unwrap();
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(text.contains("openreports.io/v1alpha1"), "{text}");
    assert!(text.contains("kept"), "{text}");
    assert!(!text.contains("refused"), "{text}");
    assert!(text.contains("require-team"), "{text}");
    assert_eq!(base.metrics.report_writes("dir", true), 1);
}

#[test]
fn on_delete_request_object_is_null_and_old_object_is_set() {
    let rule = pod_rule(
        "sees-null-object",
        "DELETE",
        r#"    validate:
      message: "object {{ request.object || 'null' }}, old {{ request.oldObject.metadata.name }}"
      deny: {}
"#,
    );
    let yaml = cluster_policy("delete-view", ENFORCE, &rule);
    let webhook = webhook(&yaml);
    let response = validate(
        &webhook,
        &review("DELETE", None, Some(&pod("gone", "shop", json!({})))),
    );
    let message = response["status"]["message"].as_str().unwrap();
    assert!(message.contains("object null, old gone"), "{message}");
}

#[test]
fn a_pods_exec_request_is_matched_as_pod_exec() {
    let webhook = webhook(&common::fixtures::exec_ban_policy());
    let options =
        json!({"apiVersion": "v1", "kind": "PodExecOptions", "command": ["sh"], "container": "c"});
    let mut body = review("CONNECT", Some(&options), None);
    body["request"]["kind"] = json!({"group": "", "version": "v1", "kind": "PodExecOptions"});
    body["request"]["resource"] = json!({"group": "", "version": "v1", "resource": "pods"});
    body["request"]["subResource"] = json!("exec");
    body["request"]["name"] = json!("web");
    body["request"]["namespace"] = json!("shop");
    let response = validate(&webhook, &body);
    assert_denied(&response, "resource Pod/shop/web was blocked");
    // A plain Pod CREATE is not what Pod/exec selects.
    let create = pod_create("web", "shop", json!({}));
    assert_eq!(validate(&webhook, &create)["allowed"], true);
}

#[test]
fn mutate_answers_one_json_patch_of_every_mutation_in_policy_order() {
    let team = pod_rule(
        "team",
        "",
        r#"    mutate:
      patchStrategicMerge:
        metadata:
          labels:
            +(team): platform
"#,
    );
    let owner = pod_rule(
        "owner",
        "",
        r#"    mutate:
      patchesJson6902: |-
        - op: add
          path: /metadata/annotations
          value: {owner: "{{ request.object.metadata.labels.team }}"}
"#,
    );
    let add_team = cluster_policy("add-team", "", &team);
    let add_owner = cluster_policy("add-owner", "", &owner);
    let webhook = webhook(&format!("{add_team}---\n{add_owner}"));
    let body = pod_create("web", "shop", json!({"app": "web"}));
    let response = mutate(&webhook, &body);
    assert_eq!(response["allowed"], true);
    assert_eq!(response["patchType"], "JSONPatch");
    let text = patch_of(&response);
    assert!(text.contains("/metadata/labels/team"), "{text}");
    assert!(text.contains("/metadata/annotations"), "{text}");
    // The second policy saw the first one's label.
    assert!(text.contains("\"owner\":\"platform\""), "{text}");
    assert_eq!(webhook.metrics.results("add-team", "team", "pass"), 1);
    // An object with the label already: nothing to patch from the first rule.
    let labelled = pod_create("web", "shop", json!({"team": "x"}));
    let patch = patch_of(&mutate(&webhook, &labelled));
    assert!(!patch.contains("labels"), "{patch}");
}

/// The CEL form of the team policy: Pods need a `team` label.
const CEL_TEAM_POLICY: &str = r#"
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: require-team}
spec:
  validationActions: [Deny]
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}
  validations:
  - expression: "has(object.metadata.labels) && 'team' in object.metadata.labels"
    messageExpression: "'pod ' + object.metadata.name + ' needs a team label'"
"#;

#[test]
fn a_cel_validating_policy_denies_through_the_webhook() {
    let webhook = webhook(CEL_TEAM_POLICY);
    let denied = validate(&webhook, &pod_create("web", "shop", json!({})));
    assert_denied(&denied, "pod web needs a team label");
    let object = pod("web", "shop", json!({"team": "checkout"}));
    let allowed = validate(&webhook, &review("CREATE", Some(&object), None));
    assert_eq!(allowed["allowed"], true);
}

/// A CEL policy names resources, not kinds: `flowschemas` must reach the
/// FlowSchema kind (whose case the plural lost) through the kind index.
#[test]
fn a_cel_policy_on_a_multi_word_resource_reaches_its_kind() {
    let yaml = r#"
apiVersion: policies.kyverno.io/v1
kind: ValidatingPolicy
metadata: {name: no-beta-flowschemas}
spec:
  validationActions: [Deny]
  matchConstraints:
    resourceRules:
    - apiGroups: [flowcontrol.apiserver.k8s.io]
      apiVersions: [v1beta2]
      operations: [CREATE]
      resources: [flowschemas]
  validations:
  - expression: "false"
    message: "flowcontrol v1beta2 is gone"
"#;
    let webhook = webhook(yaml);
    let schema = |version: &str| {
        json!({"apiVersion": format!("flowcontrol.apiserver.k8s.io/{version}"),
            "kind": "FlowSchema", "metadata": {"name": "fs"},
            "spec": {"priorityLevelConfiguration": {"name": "exempt"}}})
    };
    let denied = validate(&webhook, &review("CREATE", Some(&schema("v1beta2")), None));
    assert_denied(&denied, "flowcontrol v1beta2 is gone");
    let allowed = validate(&webhook, &review("CREATE", Some(&schema("v1")), None));
    assert_eq!(allowed["allowed"], true);
}

/// Roles and cluster roles are not in the request: they come from the role
/// bindings given (`--rbac`), for the user, its groups and its service account.
#[test]
fn roles_and_cluster_roles_come_from_the_role_bindings() {
    let (_dir, paths) = scratch_file(
        "rbac.yaml",
        r#"apiVersion: v1
kind: List
items:
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata: {name: ops}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
  subjects: [{kind: Group, name: ops}]
- apiVersion: rbac.authorization.k8s.io/v1
  kind: RoleBinding
  metadata: {name: deployers, namespace: shop}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
  subjects: [{kind: ServiceAccount, name: ci}]
"#,
    );
    let mut cluster = ClusterData::default();
    cluster.read_role_bindings(&paths, 1 << 20).unwrap();
    let yaml = r#"
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: admins-and-deployers-only}
spec:
  validationFailureAction: Enforce
  rules:
  - name: others-may-not
    match:
      any:
      - resources: {kinds: [ConfigMap]}
    exclude:
      any:
      - clusterRoles: [cluster-admin]
      - roles: ["shop:deployer"]
    validate:
      message: "only admins and deployers"
      deny: {}
  - name: roles-as-variables
    match:
      any:
      - resources: {kinds: [ConfigMap]}
    validate:
      message: "the deployer has no cluster role"
      deny:
        conditions:
          all:
          - key: "{{ request.roles }}"
            operator: AnyIn
            value: ["shop:deployer"]
          - key: "{{ length(request.clusterRoles) }}"
            operator: GreaterThan
            value: 0
"#;
    let webhook = webhook_with(yaml, cluster, Duration::from_secs(8));
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "shop"}});
    let mut body = review("CREATE", Some(&cm), None);
    let as_user = |body: &mut serde_json::Value, username: &str, groups: &[&str]| {
        body["request"]["userInfo"] = json!({"username": username, "groups": groups});
    };
    // alice has no binding: excluded by neither block.
    as_user(&mut body, "alice", &["system:authenticated"]);
    let response = validate(&webhook, &body);
    assert_denied(&response, "others-may-not");
    // Her group ops is bound to cluster-admin.
    as_user(&mut body, "alice", &["ops", "system:authenticated"]);
    assert_eq!(validate(&webhook, &body)["allowed"], true);
    // The service account ci of shop holds the Role shop:deployer.
    as_user(
        &mut body,
        "system:serviceaccount:shop:ci",
        &["system:serviceaccounts"],
    );
    let response = validate(&webhook, &body);
    assert_eq!(response["allowed"], true, "{response}");
    // The same account name in another namespace holds nothing.
    as_user(
        &mut body,
        "system:serviceaccount:web:ci",
        &["system:serviceaccounts"],
    );
    assert_eq!(validate(&webhook, &body)["allowed"], false);
    // Both at once: the variables see both lists.
    as_user(&mut body, "system:serviceaccount:shop:ci", &["ops"]);
    let response = validate(&webhook, &body);
    assert_denied(&response, "the deployer has no cluster role");
}

#[test]
fn an_rbac_file_with_other_kinds_is_refused_naming_them() {
    let error =
        error_reading_a_pod(|paths| ClusterData::default().read_role_bindings(paths, 1 << 20));
    assert!(
        error.contains("Pod oops is not a RoleBinding or ClusterRoleBinding"),
        "{error}"
    );
}

/// Writes `content` to `name` in a new temporary directory: the directory
/// (removed when dropped) and the list of paths the readers of files take.
fn scratch_file(name: &str, content: &str) -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join(name);
    std::fs::write(&file, content).expect("the temporary directory is writable");
    let paths = vec![file.display().to_string()];
    (dir, paths)
}

/// The JSON patch of a /mutate response, as compact JSON text.
fn patch_of(response: &serde_json::Value) -> String {
    use base64::Engine as _;
    let patch = response["patch"].as_str().expect("a patch");
    let patch = base64::engine::general_purpose::STANDARD
        .decode(patch)
        .expect("the patch is base64");
    serde_json::from_slice::<serde_json::Value>(&patch)
        .expect("the patch is JSON")
        .to_string()
}

#[test]
fn mutate_existing_rules_are_left_out_of_the_admission_answer_and_said_at_load() {
    let rule = pod_rule(
        "stamp",
        "",
        r#"    mutate:
      targets:
      - {apiVersion: v1, kind: Secret, name: "*", namespace: "{{ request.object.metadata.namespace }}"}
      patchStrategicMerge:
        metadata:
          labels:
            stamped: "yes"
"#,
    );
    let yaml = cluster_policy("stamp-secrets", "", &rule);
    let webhook = webhook(&yaml);
    let body = pod_create("web", "shop", json!({}));
    let answer = webhook
        .answer(
            vigie_admission::Endpoint::Mutate,
            body.to_string().as_bytes(),
        )
        .unwrap()
        .to_review();
    let response = &answer["response"];
    assert_eq!(response["allowed"], true);
    assert!(response.get("patch").is_none(), "{response}");
    assert_eq!(webhook.metrics.results("stamp-secrets", "stamp", "pass"), 0);

    let (_dir, paths) = scratch_file("p.yaml", &yaml);
    let (_, notes) = vigie_admission::load_set(&paths, 1 << 20, 1).unwrap();
    assert!(notes.unsupported.is_empty(), "{:?}", notes.unsupported);
    assert!(
        notes.notes.iter().any(|n| n.contains(
            "policy stamp-secrets, rule stamp: mutate.targets (mutate existing resources) runs after admission"
        )),
        "{:?}",
        notes.notes
    );
}

/// A MutatingPolicy, and a `policies.kyverno.io` PolicyException from it and
/// from [`CEL_TEAM_POLICY`] loaded with them.
const CEL_MUTATION_AND_EXCEPTION: &str = r#"
apiVersion: policies.kyverno.io/v1
kind: MutatingPolicy
metadata: {name: stamp-owner}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [pods]}
  mutations:
  - patchType: ApplyConfiguration
    applyConfiguration:
      expression: "Object{metadata: Object.metadata{annotations: {'owner': 'platform'}}}"
---
apiVersion: policies.kyverno.io/v1
kind: PolicyException
metadata: {name: ops-is-free, namespace: ops}
spec:
  policyRefs:
  - {name: require-team, kind: ValidatingPolicy}
  - {name: stamp-owner, kind: MutatingPolicy}
  matchConditions:
  - {name: in-ops, expression: "object.metadata.namespace == 'ops'"}
"#;

#[test]
fn cel_policy_exceptions_served_with_the_policies_exempt_at_admission() {
    let webhook = webhook(&format!("{CEL_TEAM_POLICY}---{CEL_MUTATION_AND_EXCEPTION}"));
    let in_shop = pod("web", "shop", json!({}));
    let response = validate(&webhook, &review("CREATE", Some(&in_shop), None));
    assert_denied(&response, "pod web needs a team label");
    let in_ops = pod("toolbox", "ops", json!({}));
    let response = validate(&webhook, &review("CREATE", Some(&in_ops), None));
    assert_eq!(response["allowed"], true, "{response}");
    assert_eq!(
        webhook
            .metrics
            .results("require-team", "require-team", "skip"),
        1
    );
    // The mutation is exempted in ops, applied elsewhere.
    let response = mutate(&webhook, &review("CREATE", Some(&in_ops), None));
    assert!(response.get("patch").is_none(), "{response}");
    let response = mutate(&webhook, &review("CREATE", Some(&in_shop), None));
    assert!(response.get("patch").is_some(), "{response}");
}

#[test]
fn verify_images_rules_are_not_served_without_image_facts() {
    let webhook = webhook(
        "apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: signed}
spec:
  rules:
  - name: release-key
    match:
      any:
      - resources: {kinds: [Pod]}
    verifyImages:
    - imageReferences: ['*']
      attestors:
      - entries:
        - keys: {publicKeys: 'a key'}
",
    );
    let object = pod("web", "shop", json!({}));
    let response = mutate(&webhook, &review("CREATE", Some(&object), None));
    assert_eq!(response["allowed"], true, "{response}");
    assert!(response.get("patch").is_none(), "{response}");
    let response = validate(&webhook, &review("CREATE", Some(&object), None));
    assert_eq!(response["allowed"], true, "{response}");
}

#[test]
fn image_validating_policies_pin_digests_at_mutate_and_say_when_they_cannot() {
    let yaml = r#"
apiVersion: policies.kyverno.io/v1
kind: ImageValidatingPolicy
metadata:
  name: signed-images
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}
  matchImageReferences: [{glob: "docker.io/*"}]
  attestors:
  - name: key
    cosign: {key: {data: "(key)"}}
  validations:
  - expression: "images.containers.all(i, verifyImageSignatures(i, [attestors.key]) > 0)"
"#;
    let served = webhook(yaml);
    let response = mutate(
        &served,
        &review("CREATE", Some(&pod("web", "shop", json!({}))), None),
    );
    // The webhook has no Context file to take digests from: nothing is
    // patched, the request is not blocked by it, and the client is told why.
    assert_eq!(response["allowed"], true);
    assert!(response.get("patch").is_none(), "{response}");
    let warnings = response["warnings"].to_string();
    assert!(
        warnings.contains("policy signed-images.signed-images: mutation failed: failed to update digest: failed to resolve digest for image docker.io/nginx:1.27"),
        "{warnings}"
    );
    // mutateDigest: false leaves the policy out of /mutate.
    let off = yaml.replace(
        "  attestors:",
        "  validationConfigurations: {mutateDigest: false}\n  attestors:",
    );
    let served = webhook(&off);
    let response = mutate(
        &served,
        &review("CREATE", Some(&pod("web", "shop", json!({}))), None),
    );
    assert!(
        response.get("warnings").is_none_or(|w| w.is_null()),
        "{response}"
    );
}
