//! What the admission request adds to the object: the operation, the old object,
//! the subresource and `dryRun`, as policies see them through `request.*`.

use serde_json::json;
use vigie_policy::{evaluate, policies_from_str, Operation, Request, Status, Target};

const POLICY: &str = "apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: guard}
spec:
  validationFailureAction: Enforce
  rules:
  - name: keep-owner
    match: {any: [{resources: {kinds: [ConfigMap], operations: [UPDATE]}}]}
    validate:
      message: the owner label cannot change
      deny:
        conditions:
          any:
          - key: '{{ request.oldObject.metadata.labels.owner || '''' }}'
            operator: NotEquals
            value: '{{ request.object.metadata.labels.owner || '''' }}'
  - name: no-delete-of-locked
    match: {any: [{resources: {kinds: [ConfigMap], operations: [DELETE]}}]}
    validate:
      message: locked objects stay
      deny:
        conditions:
          any:
          - key: '{{ request.oldObject.metadata.labels.locked || '''' }}'
            operator: Equals
            value: 'yes'
  - name: no-exec
    match: {any: [{resources: {kinds: [Pod/exec], operations: [CONNECT]}}]}
    validate:
      message: no exec
      deny: {}
  - name: dry-run-seen
    match: {any: [{resources: {kinds: [Secret]}}]}
    validate:
      message: dry run
      deny:
        conditions:
          any:
          - key: '{{ request.dryRun || `false` }}'
            operator: Equals
            value: true
";

fn config_map(labels: serde_json::Value) -> serde_json::Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "c", "namespace": "n", "labels": labels}})
}

fn run(object: serde_json::Value, request: &Request) -> Vec<(String, Status)> {
    let loaded = policies_from_str(POLICY, "p.yaml");
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    evaluate(&loaded.policies[0], &Target::from_json(object), request)
        .into_iter()
        .map(|r| (r.rule, r.status))
        .collect()
}

#[test]
fn operation_names_round_trip() {
    for op in [
        Operation::Create,
        Operation::Update,
        Operation::Delete,
        Operation::Connect,
    ] {
        assert_eq!(op.as_str().parse::<Operation>(), Ok(op));
    }
    let err = "PATCH".parse::<Operation>().unwrap_err();
    assert!(err.to_string().contains("\"PATCH\""), "{err}");
}

#[test]
fn update_compares_with_the_old_object() {
    let request = Request {
        operation: Operation::Update,
        old_object: Some(config_map(json!({"owner": "a"}))),
        ..Request::default()
    };
    let changed = run(config_map(json!({"owner": "b"})), &request);
    assert_eq!(changed, vec![("keep-owner".to_string(), Status::Fail)]);
    let kept = run(config_map(json!({"owner": "a"})), &request);
    assert_eq!(kept, vec![("keep-owner".to_string(), Status::Pass)]);
}

#[test]
fn delete_reads_the_old_object() {
    let old = config_map(json!({"locked": "yes"}));
    let request = Request {
        operation: Operation::Delete,
        old_object: Some(old.clone()),
        ..Request::default()
    };
    let results = run(old, &request);
    assert_eq!(
        results,
        vec![("no-delete-of-locked".to_string(), Status::Fail)]
    );
}

#[test]
fn subresource_selects_kind_with_subresource() {
    let pod =
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "n"}});
    let exec = Request {
        operation: Operation::Connect,
        subresource: Some("exec".into()),
        ..Request::default()
    };
    assert_eq!(
        run(pod.clone(), &exec),
        vec![("no-exec".to_string(), Status::Fail)]
    );
    // Without the subresource, the Pod itself is not what `Pod/exec` selects.
    assert_eq!(run(pod, &Request::default()), vec![]);
}

#[test]
fn dry_run_is_visible() {
    let secret =
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "n"}});
    let dry = Request {
        dry_run: true,
        ..Request::default()
    };
    assert_eq!(
        run(secret.clone(), &dry),
        vec![("dry-run-seen".to_string(), Status::Fail)]
    );
    assert_eq!(
        run(secret, &Request::default()),
        vec![("dry-run-seen".to_string(), Status::Pass)]
    );
}

#[test]
fn delete_without_an_old_object_deletes_the_object_given() {
    // `request.operation: DELETE` from a values file, as `kyverno test` suites
    // write it: the resource given is the object being deleted.
    let mut request = Request::default();
    vigie_policy::values::apply_set(&mut request.values, "request.operation=DELETE").unwrap();
    let locked = config_map(json!({"locked": "yes"}));
    assert_eq!(
        run(locked, &request),
        vec![("no-delete-of-locked".to_string(), Status::Fail)]
    );
    let free = config_map(json!({"locked": "no"}));
    assert_eq!(
        run(free, &request),
        vec![("no-delete-of-locked".to_string(), Status::Pass)]
    );
}
