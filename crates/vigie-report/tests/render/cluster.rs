//! Findings about live cluster objects: every format names the object (its
//! context, uid, resourceVersion) where a file scan names a line.

use std::sync::Arc;

use serde_json::Value;
use vigie_finding::{Location, ObjectLocation, Report, ScannedResource};
use vigie_report::Format;

use crate::fixture::{render, report, web};

fn cluster_location() -> Location {
    let web = web();
    Location {
        file: "cluster:prod".into(),
        line: 0,
        column: 0,
        document: 0,
        item: None,
        rendered_by: None,
        object: Some(Arc::new(ObjectLocation {
            context: "prod".into(),
            api_version: web.api_version.clone(),
            kind: web.kind.clone(),
            namespace: web.namespace.clone(),
            name: web.name.clone(),
            uid: "6f1c2a9e-0000-4000-8000-000000000001".into(),
            resource_version: "48213".into(),
        })),
    }
}

/// The fixture report with every location a cluster object.
fn cluster_report() -> Report {
    let mut report = report();
    for finding in &mut report.findings {
        finding.location = cluster_location();
    }
    report.resources = report
        .resources
        .iter()
        .map(|r| ScannedResource {
            location: cluster_location(),
            ..r.clone()
        })
        .collect();
    report
}

#[test]
fn json_locations_carry_the_cluster_object_and_match_the_schema() {
    let document: Value = serde_json::from_str(&render(&cluster_report(), Format::Json)).unwrap();
    assert_eq!(document["schemaVersion"], "1.3");
    let location = &document["findings"][0]["location"];
    assert_eq!(location["file"], "cluster:prod");
    assert_eq!(location["line"], 0);
    assert_eq!(
        location["object"]["uid"],
        "6f1c2a9e-0000-4000-8000-000000000001"
    );
    assert_eq!(location["object"]["resourceVersion"], "48213");
    assert_eq!(location["object"]["context"], "prod");
    crate::json::assert_valid(&document);
}

#[test]
fn sarif_results_have_logical_locations_only() {
    let sarif: Value = serde_json::from_str(&render(&cluster_report(), Format::Sarif)).unwrap();
    let location = &sarif["runs"][0]["results"][0]["locations"][0];
    assert!(location.get("physicalLocation").is_none(), "{location}");
    let logical = &location["logicalLocations"][0];
    assert_eq!(logical["kind"], "resource");
    assert_eq!(
        logical["properties"]["uid"],
        "6f1c2a9e-0000-4000-8000-000000000001"
    );
    assert_eq!(logical["properties"]["resourceVersion"], "48213");
    assert_eq!(logical["properties"]["context"], "prod");
}

#[test]
fn text_formats_name_the_object_instead_of_a_line() {
    let pretty = render(&cluster_report(), Format::Pretty);
    assert!(
        pretty.contains(
            "cluster:prod uid 6f1c2a9e-0000-4000-8000-000000000001 resourceVersion 48213"
        ),
        "{pretty}"
    );
    assert!(!pretty.contains("0:0"), "{pretty}");
    let junit = render(&cluster_report(), Format::Junit);
    assert!(
        junit.contains("(uid 6f1c2a9e-0000-4000-8000-000000000001)"),
        "{junit}"
    );
    assert!(!junit.contains("line 0"), "{junit}");
    let html = render(&cluster_report(), Format::Html);
    assert!(
        html.contains("cluster:prod uid 6f1c2a9e"),
        "html names the object"
    );
}
