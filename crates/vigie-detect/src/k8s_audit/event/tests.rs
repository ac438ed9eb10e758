//! Tests of audit event decoding and field extraction.

use serde_json::json;

use super::json_text::*;
use super::*;
use crate::k8s_audit::k8s_audit_table;
use vigie_rules::{Event, Extracted, Single, Val};

fn walked(list: &str) -> Option<Vec<&str>> {
    let mut items = Vec::new();
    walk_plain_strings(list, |item| {
        items.push(item);
        false
    })
    .map(|_| items)
}

#[test]
fn vocabularies_are_sorted_and_small() {
    for scalar in [
        Scalar::Stage,
        Scalar::Verb,
        Scalar::AuthDecision,
        Scalar::TargetResource,
        Scalar::TargetSubresource,
    ] {
        let vocabulary = scalar.vocabulary();
        assert!(vocabulary.is_sorted(), "{scalar:?}");
        assert!(vocabulary.len() <= u8::MAX as usize, "{scalar:?}");
    }
}

#[test]
fn known_and_unknown_values_read_alike() {
    let mut events = Vec::new();
    crate::k8s_audit::decode(
        br#"{"kind": "Event", "stage": "ResponseComplete", "verb": "escalate",
            "objectRef": {"resource": "pods", "subresource": "ex\u0065c"},
            "annotations": {"authorization.k8s.io/decision": null}}"#,
        usize::MAX,
        &mut events,
    )
    .unwrap();
    let event = &events[0];
    let table = k8s_audit_table();
    let text = |name: &str, arg: Option<&str>| {
        event
            .extract(&table.resolve(name, arg).unwrap())
            .values()
            .first()
            .map(|v| v.as_text().into_owned())
    };
    assert_eq!(event.scalars[Scalar::Stage as usize], Slot::Known(2));
    assert_eq!(text("ka.stage", None).as_deref(), Some("ResponseComplete"));
    assert_eq!(
        text("jevt.value", Some("/stage")).as_deref(),
        Some("ResponseComplete")
    );
    assert_eq!(text("ka.verb", None).as_deref(), Some("escalate"));
    assert_eq!(text("ka.target.resource", None).as_deref(), Some("pods"));
    // Unescaped first, then found in the vocabulary.
    assert!(matches!(
        event.scalars[Scalar::TargetSubresource as usize],
        Slot::Known(_)
    ));
    assert_eq!(text("ka.target.subresource", None).as_deref(), Some("exec"));
    assert_eq!(text("ka.auth.decision", None), None);
    assert_eq!(
        text(
            "jevt.value",
            Some("/annotations/authorization.k8s.io~1decision")
        )
        .as_deref(),
        Some("null")
    );
}

#[test]
fn user_name_and_groups_read_alike_copied_or_not() {
    let table = k8s_audit_table();
    let name = table.resolve("ka.user.name", None).unwrap();
    let groups = table.resolve("ka.user.groups", None).unwrap();
    // Too long to be copied, even alone.
    let long = "x".repeat(HOT_BYTES + 1);
    for (user, name_copied, groups_copied) in [
        (
            json!({"username": "alice", "groups": ["g1", "g\"2"]}),
            true,
            true,
        ),
        (json!({"username": long, "groups": ["g1"]}), false, true),
        (json!({"username": "bob", "groups": [long]}), true, false),
    ] {
        let event = AuditEvent::new(json!({"kind": "Event", "verb": "get", "user": user}));
        let name_slot = event.scalars[Scalar::UserName as usize];
        assert_eq!(matches!(name_slot, Slot::Hot { .. }), name_copied);
        let groups_span = event.user_groups;
        assert_eq!(
            matches!(groups_span, Some(RawSpan::Hot { .. })),
            groups_copied
        );
        let expected_groups: Vec<Val> = user["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| Val::Str(Cow::Owned(g.as_str().unwrap().to_string())))
            .collect();
        assert_eq!(event.extract(&groups).values(), expected_groups, "{user}");
        assert_eq!(
            event.single(&name),
            Some(Single::Text(user["username"].as_str().unwrap()))
        );
    }
}

#[test]
fn walks_lists_of_plain_strings_only() {
    assert_eq!(walked("[]"), Some(vec![]));
    assert_eq!(walked("[ ]"), Some(vec![]));
    assert_eq!(walked(r#"["a","b"]"#), Some(vec!["a", "b"]));
    assert_eq!(walked("[ \"a\" ,\n null , \"\" ]"), Some(vec!["a", ""]));
    assert_eq!(walked(r#"["a\"b"]"#), None);
    assert_eq!(walked(r#"["a",1]"#), None);
    assert_eq!(walked(r#"[{"a":1}]"#), None);
    let mut seen = 0;
    let stop_at_b = walk_plain_strings(r#"["a","b","c"]"#, |item| {
        seen += 1;
        item == "b"
    });
    assert_eq!((stop_at_b, seen), (Some(Walk::Stopped), 2));
}

/// Testing any field in place answers as testing its extracted values does.
#[test]
fn fields_test_as_their_extracted_values() {
    let table = k8s_audit_table();
    let event = AuditEvent::new(json!({
        "kind": "Event", "auditID": "a1", "stage": "ResponseComplete", "verb": "create",
        "requestURI": "/api/v1/namespaces/ns/pods?dryRun=All",
        "user": {"username": "alice", "groups": ["g1", "g2"]},
        "impersonatedUser": null, "sourceIPs": ["10.0.0.1"], "userAgent": "kubectl",
        "objectRef": {"resource": "pods", "namespace": "ns", "name": "p", "subresource": null},
        "responseStatus": {"code": 201},
        "annotations": {"authorization.k8s.io/decision": "allow", "authorization.k8s.io/reason": "x\"y"},
        "requestObject": {"spec": {"containers": [{"image": "nginx:1", "securityContext": {"privileged": true}}]}},
        "stageTimestamp": "2024-05-14T09:00:00.000001Z",
    }));
    let args = |name: &str| -> Vec<Option<&str>> {
        match name {
            "jevt.value" | "json.value" => vec![
                Some("/stage"),
                Some("/user/username"),
                Some("/impersonatedUser/username"),
                Some("/objectRef/subresource"),
                Some("/requestObject/spec"),
                Some("/nope"),
            ],
            "ka.uri.param" => vec![Some("dryRun"), Some("nope")],
            "ka.sourceips" | "ka.req.pod.containers.image" => vec![None, Some("0"), Some("3")],
            _ => vec![None],
        }
    };
    for def in table.defs() {
        for arg in args(def.name) {
            let Ok(field) = table.resolve(def.name, arg) else {
                continue;
            };
            let extracted = event.extract(&field);
            // A single value, which the engine memoizes, is the extracted value.
            if let Some(single) = event.single(&field) {
                let expected = match single {
                    Single::Missing => Extracted::Missing,
                    Single::Text(text) => Extracted::One(Val::Str(Cow::Borrowed(text))),
                    Single::Word(i, text) => {
                        // Numbered as the table says.
                        let words = table.vocabulary(&field);
                        assert_eq!(words.get(i as usize), Some(&text), "{}", def.name);
                        Extracted::One(Val::Str(Cow::Borrowed(text)))
                    }
                    Single::Num(n) => Extracted::One(Val::Num(n)),
                };
                assert_eq!(extracted, expected, "{} {arg:?}", def.name);
            }
            for every in [false, true] {
                let mut seen = Vec::new();
                let mut record = |v: &Val<'_>| {
                    seen.push(v.as_text().into_owned());
                    false
                };
                let tested = event.test_values(&field, every, &mut record);
                assert!(!tested, "{} {arg:?}", def.name);
                let first: Vec<String> = extracted
                    .values()
                    .iter()
                    .take(1)
                    .map(|v| v.as_text().into_owned())
                    .collect();
                let expected = if every {
                    first
                } else {
                    extracted
                        .values()
                        .iter()
                        .map(|v| v.as_text().into_owned())
                        .collect()
                };
                assert_eq!(seen, expected, "{} {arg:?} every={every}", def.name);
            }
        }
    }
}

/// Testing list fields in place answers as testing their extracted values does.
#[test]
fn list_fields_test_as_their_extracted_values() {
    let table = k8s_audit_table();
    let groups = table.resolve("ka.user.groups", None).unwrap();
    let ips = table.resolve("ka.sourceips", None).unwrap();
    let first_ip = table.resolve("ka.sourceips", Some("0")).unwrap();
    let lists = [
        json!(["system:authenticated", "system:unauthenticated"]),
        json!(["a\"quoted", "system:unauthenticated"]),
        json!([null, "x", 3]),
        json!([null]),
        json!([]),
        json!("not a list"),
    ];
    type TextTest = fn(&str) -> bool;
    let tests: [(&str, TextTest); 3] = [
        ("unauthenticated", |s| s == "system:unauthenticated"),
        ("anything", |_| true),
        ("starts with a letter", |s| {
            s.starts_with(char::is_alphabetic)
        }),
    ];
    for list in lists {
        let event = AuditEvent::new(json!({
            "kind": "Event", "verb": "get", "stage": "ResponseComplete",
            "user": {"username": "u", "groups": list}, "sourceIPs": list,
        }));
        for field in [&groups, &ips, &first_ip] {
            let extracted = event.extract(field);
            for (name, test) in &tests {
                for every in [false, true] {
                    let mut test_val = |v: &Val<'_>| test(&v.as_text());
                    assert_eq!(
                        event.test_values(field, every, &mut test_val),
                        vigie_rules::test_extracted(&extracted, every, &mut test_val),
                        "{name}, every={every}, list {list}, field {field:?}"
                    );
                }
            }
        }
    }
}
