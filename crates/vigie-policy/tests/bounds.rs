//! Limits of the engine on hostile policies and resources: each stops with an
//! error result naming the limit, in bounded work.

use serde_json::{json, Value as Json};
use vigie_policy::{evaluate, policies_from_str, Request, Status, Target};
mod common;

fn results(policy: &str, object: Json) -> Vec<(Status, String)> {
    let loaded = policies_from_str(policy, "p.yaml");
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let target = Target::from_json(object);
    evaluate(&loaded.policies[0], &target, &Request::default())
        .into_iter()
        .map(|r| (r.status, r.message))
        .collect()
}

fn thing(spec: Json) -> Json {
    json!({"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {"name": "t"}, "spec": spec})
}

const NESTED_FOREACH: &str = "apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: loops}
spec:
  rules:
  - name: nested
    match: {any: [{resources: {kinds: [Thing]}}]}
    validate:
      foreach:
      - list: request.object.spec.items
        foreach:
        - list: request.object.spec.items
          deny:
            conditions:
              any:
              - key: '{{ element }}'
                operator: Equals
                value: never
";

#[test]
fn nested_foreach_stops_at_the_element_limit() {
    // 400 x 400 = 160,000 elements: past the limit of 100,000.
    let items: Vec<Json> = (0..400).map(|i| json!(format!("i{i}"))).collect();
    let out = results(NESTED_FOREACH, thing(json!({ "items": items })));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, Status::Error, "{}", out[0].1);
    common::assert_contains(&out[0].1, "limit of 100000 elements in one rule");
    // Within the limit the same rule passes.
    let items: Vec<Json> = (0..100).map(|i| json!(format!("i{i}"))).collect();
    let out = results(NESTED_FOREACH, thing(json!({ "items": items })));
    assert_eq!(out[0].0, Status::Pass, "{}", out[0].1);
}

#[test]
fn a_pattern_grown_too_deep_by_a_variable_is_an_error() {
    let policy = "apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: deep}
spec:
  rules:
  - name: copy
    match: {any: [{resources: {kinds: [Thing]}}]}
    validate:
      pattern:
        spec:
          deep: '{{ request.object.spec.deep }}'
";
    let mut deep = json!("bottom");
    for _ in 0..300 {
        deep = json!({ "d": deep });
    }
    let out = results(policy, thing(json!({ "deep": deep })));
    assert_eq!(out[0].0, Status::Error, "{}", out[0].1);
    common::assert_contains(&out[0].1, "limit of 256 levels");
}

#[test]
fn a_resource_value_that_names_itself_stops_substitution() {
    let policy = "apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: echo}
spec:
  rules:
  - name: echo
    match: {any: [{resources: {kinds: [Thing]}}]}
    validate:
      deny:
        conditions:
          any:
          - key: 'x {{ request.object.spec.loop }}'
            operator: Equals
            value: never
";
    let loop_value = "{{ request.object.spec.loop }}{{ request.object.spec.loop }}";
    let out = results(policy, thing(json!({ "loop": loop_value })));
    assert_eq!(out[0].0, Status::Error, "{}", out[0].1);
    common::assert_contains(&out[0].1, "limit of 1000 variables");
}

#[test]
fn a_context_entry_building_a_huge_value_is_an_error() {
    let doubling = ["[@, @]"; 40].join(" | ");
    let policy = format!(
        "apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {{name: ctx}}
spec:
  rules:
  - name: big
    match: {{any: [{{resources: {{kinds: [Thing]}}}}]}}
    context:
    - name: big
      variable:
        jmesPath: \"request.object.spec.seed | {doubling}\"
    validate:
      deny:
        conditions:
          any:
          - key: '{{{{ length(big) }}}}'
            operator: Equals
            value: 0
"
    );
    let out = results(&policy, thing(json!({ "seed": "x" })));
    assert_eq!(out[0].0, Status::Error, "{}", out[0].1);
    common::assert_contains(&out[0].1, "larger than the limit");
}
