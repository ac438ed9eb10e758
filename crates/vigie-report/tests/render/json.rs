use serde_json::Value;
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

fn assert_valid(document: &Value) {
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
    assert_eq!(document["schemaVersion"], "1.0");
    let summary = &document["summary"];
    assert_eq!(summary["resources"], 3);
    assert_eq!(summary["failedResources"], 3);
    assert_eq!(summary["findings"], 5);
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
