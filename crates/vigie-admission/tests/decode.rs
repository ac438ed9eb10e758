//! Decoding AdmissionReviews: each way a body is wrong has its own error, and the
//! answer is HTTP 400 without a uid, an AdmissionReview with code 400 with one.

mod common;

use serde_json::json;
use vigie_admission::{decode, DecodeError, Endpoint};

use common::{pod, review, webhook};

#[test]
fn a_create_review_decodes_with_its_request_fields() {
    let object = pod("p", "team-a", json!({"team": "x"}));
    let mut body = review("CREATE", Some(&object), None);
    body["request"]["dryRun"] = json!(true);
    body["request"]["subResource"] = json!("status");
    let request = decode(body.to_string().as_bytes()).unwrap();
    assert_eq!(request.uid, "705ab4f5-6393-11e8-b7cc-42010a800002");
    assert_eq!(request.kind.kind, "Pod");
    assert_eq!(request.kind.api_version(), "v1");
    assert_eq!(request.namespace, "team-a");
    assert_eq!(request.operation.as_str(), "CREATE");
    assert_eq!(request.user.username, "alice");
    assert_eq!(request.user.groups, ["system:authenticated"]);
    assert_eq!(request.sub_resource.as_deref(), Some("status"));
    assert!(request.dry_run);
    assert_eq!(request.subject(), Some(&object));
}

#[test]
fn not_json_names_line_and_column() {
    let failure = decode(b"{\n  \"apiVersion\": ,\n}").unwrap_err();
    assert!(failure.uid.is_none());
    match failure.error {
        DecodeError::NotJson { line, column, .. } => assert_eq!((line, column), (2, 17)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn v1beta1_is_refused_with_the_configuration_to_change() {
    let mut body = review("CREATE", Some(&pod("p", "a", json!({}))), None);
    body["apiVersion"] = json!("admission.k8s.io/v1beta1");
    let failure = decode(body.to_string().as_bytes()).unwrap_err();
    assert_eq!(failure.error.reason(), "api_version");
    let text = failure.to_string();
    assert!(text.contains("admission.k8s.io/v1beta1"), "{text}");
    assert!(text.contains("admissionReviewVersions"), "{text}");
}

#[test]
fn each_missing_part_has_its_reason() {
    let object = pod("p", "a", json!({}));
    let create = review("CREATE", Some(&object), None);
    let delete = review("DELETE", None, Some(&object));
    let cases: Vec<(serde_json::Value, &str, bool)> = vec![
        (json!([1, 2]), "not_object", false),
        (
            json!({"apiVersion": "admission.k8s.io/v1", "kind": "Review"}),
            "kind",
            false,
        ),
        (
            json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}),
            "missing_request",
            false,
        ),
        (
            with(create.clone(), "/request/uid", json!("")),
            "missing_uid",
            false,
        ),
        (
            with(create.clone(), "/request/operation", json!("PATCH")),
            "operation",
            true,
        ),
        (
            review("UPDATE", Some(&object), None),
            "missing_object",
            true,
        ),
        (
            with(delete, "/request/oldObject", json!(null)),
            "missing_object",
            true,
        ),
        (
            with(create.clone(), "/request/object", json!("text")),
            "object_shape",
            true,
        ),
        (
            with(create.clone(), "/request/object", json!({"metadata": {}})),
            "object_shape",
            true,
        ),
        (
            with(create, "/request/userInfo/groups", json!("g")),
            "bad_field",
            true,
        ),
    ];
    for (body, reason, has_uid) in cases {
        let failure = decode(body.to_string().as_bytes()).unwrap_err();
        assert_eq!(failure.error.reason(), reason, "{body}");
        assert_eq!(failure.uid.is_some(), has_uid, "{body}");
    }
}

/// `body` with the value at the JSON pointer `field` replaced by `value`.
fn with(mut body: serde_json::Value, field: &str, value: serde_json::Value) -> serde_json::Value {
    *body.pointer_mut(field).expect("the field is in the review") = value;
    body
}

#[test]
fn a_bad_request_with_a_uid_is_denied_with_code_400_and_counted() {
    let webhook = webhook(&common::team_policy("Enforce", ""));
    let mut body = review("CREATE", Some(&pod("p", "a", json!({}))), None);
    body["request"]["operation"] = json!("PATCH");
    let answer = webhook
        .answer(Endpoint::Validate, body.to_string().as_bytes())
        .unwrap()
        .to_review();
    let response = &answer["response"];
    assert_eq!(response["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
    assert_eq!(response["allowed"], false);
    assert_eq!(response["status"]["code"], 400);
    assert!(response["status"]["message"]
        .as_str()
        .unwrap()
        .contains("PATCH"));
    assert_eq!(webhook.metrics.decode_errors("operation"), 1);
    // Without a uid there is nothing to answer to: the caller answers HTTP 400.
    assert!(webhook.answer(Endpoint::Validate, b"nonsense").is_err());
    assert_eq!(webhook.metrics.decode_errors("not_json"), 1);
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let body = "[".repeat(100_000);
    let failure = decode(body.as_bytes()).unwrap_err();
    assert_eq!(failure.error.reason(), "not_json");
}
