use serde_json::Value;
use vigie_finding::Totals;
use vigie_report::Format;

use crate::fixture::{clean_report, render, report};

fn schema_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/report.schema.json")
}

/// The published schema lets consumers accept fields added by later minor
/// versions. Here it is made strict, so that a field the renderer emits but the
/// schema does not document fails the test.
fn strict(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            map.values_mut().for_each(strict);
        }
        Value::Array(items) => items.iter_mut().for_each(strict),
        _ => {}
    }
}

pub(crate) fn assert_valid(document: &Value) {
    let text = std::fs::read_to_string(schema_path()).expect("docs/report.schema.json");
    let mut schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    strict(&mut schema);
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(document)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid report: {errors:#?}");
}

#[test]
fn json_snapshot() {
    insta::assert_snapshot!(render(&report(), Format::Json));
}

#[test]
fn json_output_matches_the_published_schema() {
    for report in [report(), clean_report()] {
        let document: Value = serde_json::from_str(&render(&report, Format::Json)).unwrap();
        assert_valid(&document);
    }
}

#[test]
fn schema_rejects_what_it_should() {
    // Guards against a schema so loose that the validation above proves nothing.
    let mut document: Value = serde_json::from_str(&render(&report(), Format::Json)).unwrap();
    document["findings"][0]["severity"] = "severe".into();
    document["summary"]["undocumented"] = 1.into();
    let text = std::fs::read_to_string(schema_path()).unwrap();
    let mut schema: Value = serde_json::from_str(&text).unwrap();
    strict(&mut schema);
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert_eq!(validator.iter_errors(&document).count(), 2);
}

#[test]
fn summary_counts_match_the_report() {
    let document: Value = serde_json::from_str(&render(&report(), Format::Json)).unwrap();
    assert_eq!(document["schemaVersion"], "1.3");
    let summary = &document["summary"];
    assert_eq!(summary["resources"], 3);
    assert_eq!(summary["failedResources"], 3);
    assert_eq!(summary["findings"], 4);
    assert_eq!(summary["exceptedFindings"], 1);
    assert_eq!(summary["severityCounts"]["critical"], 1);
    assert_eq!(summary["severityCounts"]["high"], 2);
    assert_eq!(summary["severityCounts"]["medium"], 1);
    assert_eq!(summary["severityCounts"]["low"], 0);
    assert_eq!(summary["complianceScore"], 50.0);
    assert_eq!(summary["inputErrors"], 1);
    assert_eq!(document["controls"][4]["score"], Value::Null);
    assert_eq!(
        document["resources"][1]["controls"],
        serde_json::json!(["VG-001", "VG-002", "VG-003", "VG-004"])
    );
    assert_eq!(
        document["findings"][2]["location"]["renderedBy"],
        "kubectl kustomize"
    );
}

#[test]
fn documented_example_matches_the_schema() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/json-report.md");
    let prose = std::fs::read_to_string(path).expect("docs/json-report.md");
    let start = prose.find("```json\n").expect("an example") + "```json\n".len();
    let end = start + prose[start..].find("```").unwrap();
    let example: Value = serde_json::from_str(&prose[start..end]).expect("example is JSON");
    assert_valid(&example);
}

#[test]
fn excepted_findings_are_listed_with_their_exception_but_not_counted() {
    let document: Value = serde_json::from_str(&render(&report(), Format::Json)).unwrap();
    let findings = document["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 5, "excepted findings are listed");
    let excepted: Vec<&Value> = findings
        .iter()
        .filter(|f| f.get("exception").is_some())
        .collect();
    assert_eq!(excepted.len(), 1);
    assert_eq!(excepted[0]["controlId"], "VG-004");
    assert_eq!(
        excepted[0]["exception"],
        serde_json::json!({
            "reason": "the API client reads its own token; see OPS-142",
            "expires": "2026-06-30",
            "source": "annotation"
        })
    );
    let summary = &document["summary"];
    assert_eq!(summary["severityCounts"]["low"], 0);
    let severity_total: u64 = ["critical", "high", "medium", "low", "info"]
        .iter()
        .map(|s| summary["severityCounts"][s].as_u64().unwrap())
        .sum();
    assert_eq!(Some(severity_total), summary["findings"].as_u64());

    // A resource whose only finding is excepted has not failed.
    let mut report = report();
    report.findings.retain(|f| f.resource.name != "dev-admins");
    report.findings[2].exception = report.findings[3].exception.clone();
    report.totals = Totals::count(&report.findings);
    let document: Value = serde_json::from_str(&render(&report, Format::Json)).unwrap();
    assert_eq!(document["summary"]["failedResources"], 1);
    assert_eq!(document["summary"]["exceptedFindings"], 2);
    assert_valid(&document);
}

#[test]
fn subjects_have_the_shape_of_resources() {
    let document: Value = serde_json::from_str(&render(&report(), Format::Json)).unwrap();
    let binding = &document["findings"][4];
    assert_eq!(
        binding["subject"],
        serde_json::json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Group",
            "name": "dev"
        })
    );
    assert!(document["findings"][0].get("subject").is_none());
    assert!(document["findings"][0].get("exception").is_none());
}

#[test]
fn frameworks_are_listed_with_rounded_scores() {
    let document: Value = serde_json::from_str(&render(&report(), Format::Json)).unwrap();
    assert_eq!(
        document["frameworks"],
        serde_json::json!([
            {
                "id": "nsa",
                "title": "NSA-CISA Kubernetes Hardening Guidance",
                "controls": ["VG-001", "VG-003", "VG-004"],
                "score": 66.67
            },
            {
                "id": "pss-baseline",
                "title": "Pod Security Standards baseline",
                "controls": ["VG-001", "VG-002", "VG-005"],
                "score": 50.0
            }
        ])
    );
    let mut report = report();
    report.frameworks.clear();
    let document: Value = serde_json::from_str(&render(&report, Format::Json)).unwrap();
    assert_eq!(document["frameworks"], serde_json::json!([]));
}

#[test]
fn schema_checks_the_1_1_additions() {
    let mut document: Value = serde_json::from_str(&render(&report(), Format::Json)).unwrap();
    document["findings"][3]["exception"]["expires"] = "next spring".into();
    document["findings"][4]["subject"]["role"] = "admin".into();
    document["frameworks"][0]["score"] = 120.into();
    let text = std::fs::read_to_string(schema_path()).unwrap();
    let mut schema: Value = serde_json::from_str(&text).unwrap();
    strict(&mut schema);
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    assert_eq!(validator.iter_errors(&document).count(), 3);
}

#[test]
fn schema_still_accepts_1_0_documents() {
    // Minor versions only add: a 1.0 document (no frameworks, no exceptedFindings)
    // stays valid against the 1.x schema.
    let mut document: Value = serde_json::from_str(&render(&report(), Format::Json)).unwrap();
    let findings = document["findings"].as_array_mut().unwrap();
    findings.truncate(3);
    document["schemaVersion"] = "1.0".into();
    document.as_object_mut().unwrap().remove("frameworks");
    document["summary"]
        .as_object_mut()
        .unwrap()
        .remove("exceptedFindings");
    assert_valid(&document);
}
