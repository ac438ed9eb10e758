// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]
use serde_json::Value;
use vigie_report::Format;

use crate::fixture::{render, report};

fn sarif(report: &vigie_finding::Report) -> Value {
    serde_json::from_str(&render(report, Format::Sarif)).expect("SARIF is JSON")
}

#[test]
fn sarif_snapshot() {
    insta::assert_snapshot!(render(&report(), Format::Sarif));
}

fn official_schema() -> jsonschema::Validator {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json");
    let text = std::fs::read_to_string(path).unwrap();
    // The official schema's `language` pattern has a stray `]` that ECMAScript
    // engines accept as a literal but the validator's meta-schema check rejects as
    // a malformed regex. Read it as the intended `xx` or `xx-XX`; we never emit it.
    let text = text.replace(
        r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#,
        r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#,
    );
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles")
}

#[test]
fn sarif_output_matches_the_official_schema() {
    let validator = official_schema();
    let document = sarif(&report());
    let errors: Vec<String> = validator
        .iter_errors(&document)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF: {errors:#?}");

    // And the schema is not so loose that anything passes.
    let mut broken = document.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validator.is_valid(&broken));
}

#[test]
fn results_point_at_the_offending_line() {
    let report = report();
    let document = sarif(&report);
    let run = &document["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), report.findings.len());
    for (result, finding) in results.iter().zip(&report.findings) {
        let region = &result["locations"][0]["physicalLocation"]["region"];
        assert_eq!(region["startLine"], finding.location.line);
        assert_eq!(region["startColumn"], finding.location.column);
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            run["tool"]["driver"]["rules"][index]["id"],
            result["ruleId"]
        );
    }
    let first = &results[0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(first["uri"], "deploy/web.yaml");
    assert_eq!(first["uriBaseId"], "%SRCROOT%");
    assert_eq!(results[1]["level"], "error");
    assert_eq!(results[0]["level"], "warning");
}

#[test]
fn rules_carry_github_security_severity() {
    let document = sarif(&report());
    let rules = document["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let scores: Vec<&str> = rules
        .iter()
        .map(|r| r["properties"]["security-severity"].as_str().unwrap())
        .collect();
    assert_eq!(scores, ["9.5", "8.0", "5.5", "3.0", "1.0", "8.0"]);
    let levels: Vec<&str> = rules
        .iter()
        .map(|r| r["defaultConfiguration"]["level"].as_str().unwrap())
        .collect();
    assert_eq!(
        levels,
        ["error", "error", "warning", "note", "note", "error"]
    );
    assert_eq!(
        rules[0]["help"]["text"],
        "Remove securityContext.privileged or set it to false."
    );
}

#[test]
fn input_errors_become_notifications() {
    let document = sarif(&report());
    let invocation = &document["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notification = &invocation["toolExecutionNotifications"][0];
    assert_eq!(notification["level"], "error");
    let region = &notification["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(3), Some(7))
    );

    let mut warnings_only = report();
    warnings_only.errors[0].fatal = false;
    let document = sarif(&warnings_only);
    assert_eq!(
        document["runs"][0]["invocations"][0]["executionSuccessful"],
        true
    );
}

#[test]
fn fingerprints_survive_moved_lines_but_not_other_fields() {
    let fingerprint = |report: &vigie_finding::Report| {
        sarif(report)["runs"][0]["results"][1]["partialFingerprints"]["vigieFinding/v1"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let original = report();
    let mut moved = report();
    moved.findings[1].location.line += 10;
    let mut other_field = report();
    other_field.findings[1].field_path =
        "spec.template.spec.containers[1].securityContext.privileged".into();
    assert_eq!(fingerprint(&original), fingerprint(&moved));
    assert_ne!(fingerprint(&original), fingerprint(&other_field));
    assert_eq!(fingerprint(&original).len(), 16);
}

#[test]
fn a_finding_of_an_unlisted_control_gets_a_rule() {
    let mut report = report();
    report.findings[0].control_id = "VG-999".into();
    let document = sarif(&report);
    let run = &document["runs"][0];
    let index = run["results"][0]["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(index, 6);
    assert_eq!(run["tool"]["driver"]["rules"][index]["id"], "VG-999");
}

#[test]
fn excepted_findings_are_suppressed_results() {
    let report = report();
    let document = sarif(&report);
    let results = document["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), report.findings.len(), "none dropped");
    let suppressed: Vec<&Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["ruleId"], "VG-004");
    assert_eq!(
        suppressed[0]["suppressions"],
        serde_json::json!([{
            "kind": "inSource",
            "status": "accepted",
            "justification": "the API client reads its own token; see OPS-142",
            "properties": { "expires": "2026-06-30", "source": "annotation" }
        }])
    );
    assert!(suppressed[0]["message"]["text"]
        .as_str()
        .unwrap()
        .ends_with("; excepted: the API client reads its own token; see OPS-142 (expires 2026-06-30; from annotation)"));
}

#[test]
fn exceptions_from_a_file_are_external_suppressions_and_validate() {
    let mut report = report();
    report.findings[3].exception = Some(Box::new(vigie_finding::AppliedException {
        reason: "accepted risk".into(),
        expires: None,
        source: "exceptions.yaml:12".into(),
    }));
    let document = sarif(&report);
    let suppression = &document["runs"][0]["results"][3]["suppressions"][0];
    assert_eq!(suppression["kind"], "external");
    assert_eq!(suppression["status"], "accepted");
    assert_eq!(suppression["justification"], "accepted risk");
    assert_eq!(
        suppression["properties"],
        serde_json::json!({ "source": "exceptions.yaml:12" })
    );
    let validator = official_schema();
    assert!(validator.is_valid(&document));

    // The schema does check suppressions: a status it does not know is rejected.
    let mut broken = document.clone();
    broken["runs"][0]["results"][3]["suppressions"][0]["status"] = "ignored".into();
    assert!(!validator.is_valid(&broken));
}

#[test]
fn subjects_are_logical_locations_and_in_the_message() {
    let document = sarif(&report());
    let binding = &document["runs"][0]["results"][4];
    let logical = binding["locations"][0]["logicalLocations"]
        .as_array()
        .unwrap();
    assert_eq!(logical.len(), 2);
    assert_eq!(
        logical[0]["fullyQualifiedName"],
        "ClusterRoleBinding dev-admins"
    );
    assert_eq!(logical[1]["fullyQualifiedName"], "Group dev");
    assert_eq!(logical[1]["kind"], "member");
    assert!(binding["message"]["text"]
        .as_str()
        .unwrap()
        .ends_with("; subject: Group dev"));
    let without_subject = &document["runs"][0]["results"][0];
    assert_eq!(
        without_subject["locations"][0]["logicalLocations"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn frameworks_are_run_properties() {
    let document = sarif(&report());
    let frameworks = &document["runs"][0]["properties"]["frameworks"];
    assert_eq!(frameworks[0]["id"], "nsa");
    assert_eq!(frameworks[0]["score"], 66.67);
    assert_eq!(
        frameworks[1]["controls"],
        serde_json::json!(["VG-001", "VG-002", "VG-005"])
    );
}

#[test]
fn a_finding_without_a_field_and_an_error_without_a_file_stay_valid() {
    // What `policy apply` gives: results about whole objects, and input errors
    // whose text names their file.
    let mut report = report();
    report.findings[0].field_path.clear();
    report.errors[0].file.clear();
    let document = sarif(&report);
    let errors: Vec<String> = official_schema()
        .iter_errors(&document)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF: {errors:#?}");
    let run = &document["runs"][0];
    let first = &run["results"][0];
    let text = first["message"]["text"].as_str().unwrap();
    assert!(!text.contains("(at "), "{text}");
    assert!(first["properties"].get("fieldPath").is_none(), "{first}");
    let note = &run["invocations"][0]["toolExecutionNotifications"][0];
    assert!(note.get("locations").is_none(), "{note}");
    assert_eq!(note["message"]["text"], report.errors[0].reason);
}
