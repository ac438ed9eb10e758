//! Merging the results of several writers of one report: the replicas of the
//! admission webhook each see part of the requests, and each must add its
//! results to the report without taking out the others'.
//!
//! A result is known by a key that does not depend on the replica that wrote
//! it: its policy, rule and object (apiVersion, kind, namespace, name; not the
//! uid, which an object being created does not have yet). A writer's newer
//! result replaces the report's result of the same key, whoever wrote it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

/// The replica-independent identity of a report result.
pub(crate) fn result_key(result: &Value) -> String {
    let text = |value: &Value| value.as_str().unwrap_or_default().to_string();
    let resource = &result["resources"][0];
    // Fields joined by a character none of them can hold.
    [
        text(&result["policy"]),
        text(&result["rule"]),
        text(&resource["apiVersion"]),
        text(&resource["kind"]),
        text(&resource["namespace"]),
        text(&resource["name"]),
    ]
    .join("\u{0}")
}

/// The results of a report after a writer's turn: the `existing` ones, less
/// those the writer takes back (`retracted`: results it wrote before and no
/// longer has) and those it replaces, then the writer's own (`ours`), in key
/// order so that every replica writes the same report for the same results.
pub(crate) fn merge_results(
    existing: &[Value],
    retracted: &BTreeSet<String>,
    ours: &[Value],
) -> Vec<Value> {
    let mut merged: BTreeMap<String, Value> = existing
        .iter()
        .map(|r| (result_key(r), r.clone()))
        .filter(|(key, _)| !retracted.contains(key))
        .collect();
    for result in ours {
        merged.insert(result_key(result), result.clone());
    }
    merged.into_values().collect()
}

/// A report's `summary`: its results counted by outcome.
pub(crate) fn summarize(results: &[Value]) -> Value {
    let mut summary = json!({"pass": 0, "fail": 0, "warn": 0, "error": 0, "skip": 0});
    for result in results {
        if let Some(count) = result["result"].as_str().and_then(|r| summary.get_mut(r)) {
            *count = json!(count.as_u64().unwrap_or(0) + 1);
        }
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(policy: &str, name: &str, outcome: &str) -> Value {
        json!({"policy": policy, "rule": "r", "result": outcome,
               "resources": [{"apiVersion": "v1", "kind": "Pod", "namespace": "a", "name": name, "uid": format!("uid-{outcome}")}]})
    }

    #[test]
    fn results_of_other_writers_stay_and_ours_replace_the_same_key() {
        let existing = [
            result("p", "web", "fail"),
            result("p", "db", "fail"),
            result("q", "web", "pass"),
        ];
        let ours = [result("p", "web", "pass"), result("p", "cache", "fail")];
        let merged = merge_results(&existing, &BTreeSet::new(), &ours);
        let seen: Vec<(String, String)> = merged
            .iter()
            .map(|r| {
                (
                    format!(
                        "{}/{}",
                        r["policy"].as_str().unwrap(),
                        r["resources"][0]["name"].as_str().unwrap()
                    ),
                    r["result"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let expected = [
            ("p/cache", "fail"),
            ("p/db", "fail"),
            ("p/web", "pass"),
            ("q/web", "pass"),
        ];
        assert_eq!(seen.len(), expected.len());
        for (item, (key, outcome)) in seen.iter().zip(expected) {
            assert_eq!((item.0.as_str(), item.1.as_str()), (key, outcome));
        }
        assert_eq!(
            summarize(&merged),
            json!({"pass": 2, "fail": 2, "warn": 0, "error": 0, "skip": 0})
        );
    }

    #[test]
    fn a_retracted_result_goes_and_the_uid_does_not_make_a_key() {
        let existing = [result("p", "web", "fail"), result("p", "db", "fail")];
        let retracted = BTreeSet::from([result_key(&result("p", "db", "other-uid"))]);
        let merged = merge_results(&existing, &retracted, &[]);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0]["resources"][0]["name"], "web");
    }
}
