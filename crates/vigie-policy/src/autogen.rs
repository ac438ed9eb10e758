//! Autogen: rules written for Pods also guard the controllers that create Pods.
//!
//! For a policy whose every rule matches only Pods (by kind alone), each rule
//! gets an `autogen-<rule>` copy for Deployment, DaemonSet, StatefulSet, ReplicaSet,
//! ReplicationController and Job (pod spec under `spec.template`) and an
//! `autogen-cronjob-<rule>` copy for CronJob (under `spec.jobTemplate.spec.template`).
//! The `pod-policies.kyverno.io/autogen-controllers` annotation narrows the
//! controllers or turns autogen off (`none`).

use std::collections::BTreeMap;

use serde_json::{json, Value as Json};

pub const ANNOTATION: &str = "pod-policies.kyverno.io/autogen-controllers";
const DEFAULT_CONTROLLERS: &[&str] = &[
    "DaemonSet",
    "Deployment",
    "Job",
    "StatefulSet",
    "ReplicaSet",
    "ReplicationController",
];

/// The rules of a policy with their autogen copies, each with the index of the
/// rule it came from.
pub fn expand(annotations: &BTreeMap<String, String>, rules: &[Json]) -> Vec<(usize, Json)> {
    let mut out: Vec<(usize, Json)> = rules.iter().cloned().enumerate().collect();
    let controllers: Vec<String> = match annotations.get(ANNOTATION).map(String::as_str) {
        Some("none") => return out,
        Some(list) => list
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        None => {
            if !rules.iter().all(can_autogen) || !rules.iter().any(matches_pods) {
                return out;
            }
            let mut c: Vec<String> = DEFAULT_CONTROLLERS.iter().map(|s| s.to_string()).collect();
            c.push("CronJob".into());
            c
        }
    };
    let (pod_controllers, cronjob): (Vec<String>, bool) = (
        controllers
            .iter()
            .filter(|c| *c != "CronJob" && *c != "Pod")
            .cloned()
            .collect(),
        controllers.iter().any(|c| c == "CronJob"),
    );
    for (index, rule) in rules.iter().enumerate() {
        if !matches_pods(rule) || !can_autogen(rule) {
            continue;
        }
        if !pod_controllers.is_empty() {
            out.push((index, generate(rule, &pod_controllers, Target::Template)));
        }
        if cronjob {
            out.push((
                index,
                generate(rule, &["CronJob".to_string()], Target::CronJob),
            ));
        }
    }
    out
}

/// Where the pod template lies in the controllers of an autogen copy.
#[derive(Clone, Copy)]
pub(crate) enum Target {
    /// `spec.template` (Deployment, DaemonSet, Job...).
    Template,
    /// `spec.jobTemplate.spec.template` (CronJob).
    CronJob,
}

fn filters(block: Option<&Json>) -> Vec<&Json> {
    let Some(block) = block else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if block.get("resources").is_some() {
        out.push(block);
    }
    for key in ["any", "all"] {
        if let Some(Json::Array(items)) = block.get(key) {
            out.extend(items.iter());
        }
    }
    out
}

fn kinds(filter: &Json) -> Vec<&str> {
    filter
        .pointer("/resources/kinds")
        .and_then(Json::as_array)
        .map(|k| k.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default()
}

fn is_pod_kind(k: &str) -> bool {
    k == "Pod" || k == "v1/Pod"
}

fn matches_pods(rule: &Json) -> bool {
    filters(rule.get("match"))
        .iter()
        .any(|f| kinds(f).iter().any(|k| is_pod_kind(k)))
}

/// Kyverno does not autogen a rule that selects by name, label selector or
/// annotations, matches kinds other than Pod, or generates resources.
fn can_autogen(rule: &Json) -> bool {
    let foreach_json_patch = rule
        .pointer("/mutate/foreach")
        .and_then(Json::as_array)
        .is_some_and(|list| list.iter().any(|f| f.get("patchesJson6902").is_some()));
    if rule.get("generate").is_some()
        || rule.pointer("/mutate/patchesJson6902").is_some()
        || foreach_json_patch
    {
        return false;
    }
    filters(rule.get("match"))
        .into_iter()
        .chain(filters(rule.get("exclude")))
        .all(|f| {
            let r = f.get("resources");
            let has = |key: &str| r.and_then(|r| r.get(key)).is_some_and(|v| !v.is_null());
            !has("name")
                && !has("names")
                && !has("selector")
                && !has("annotations")
                && kinds(f).iter().all(|k| is_pod_kind(k))
        })
}

fn generate(rule: &Json, controllers: &[String], target: Target) -> Json {
    let mut rule = rule.clone();
    let name = rule
        .get("name")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string();
    let prefix = match target {
        Target::Template => "autogen-",
        Target::CronJob => "autogen-cronjob-",
    };
    let kinds_json = Json::Array(
        controllers
            .iter()
            .map(|c| Json::String(c.clone()))
            .collect(),
    );
    for block in ["match", "exclude"] {
        if let Some(b) = rule.get_mut(block) {
            replace_kinds(b, &kinds_json, block == "match");
        }
    }
    if let Some(validate) = rule.get_mut("validate").and_then(Json::as_object_mut) {
        if let Some(p) = validate.remove("pattern") {
            validate.insert("pattern".into(), wrap(p, target));
        }
        if let Some(Json::Array(ps)) = validate.remove("anyPattern") {
            validate.insert(
                "anyPattern".into(),
                Json::Array(ps.into_iter().map(|p| wrap(p, target)).collect()),
            );
        }
    }
    if let Some(mutate) = rule.get_mut("mutate").and_then(Json::as_object_mut) {
        wrap_mutation(mutate, target);
    }
    let mut rule = rewrite_paths(rule, target);
    if let Some(cel) = rule.pointer_mut("/validate/cel") {
        *cel = rewrite_cel(cel.take(), target);
    }
    if let Some(pre) = rule.get_mut("celPreconditions") {
        *pre = rewrite_cel(pre.take(), target);
    }
    rule["name"] = Json::String(format!("{prefix}{name}"));
    rule
}

fn wrap(overlay: Json, target: Target) -> Json {
    match target {
        Target::Template => json!({"spec": {"template": overlay}}),
        Target::CronJob => json!({"spec": {"jobTemplate": {"spec": {"template": overlay}}}}),
    }
}

/// A Pod overlay moves under the controller's pod template. A `foreach` keeps only
/// its list, context, preconditions and wrapped overlay, as Kyverno's autogen does.
fn wrap_mutation(mutate: &mut serde_json::Map<String, Json>, target: Target) {
    // CEL mutations run on the pod template seen as a Pod (see cel::mutation).
    if let Some(cel) = mutate.get_mut("cel").and_then(Json::as_object_mut) {
        let pointer = match target {
            Target::Template => "/spec/template",
            Target::CronJob => "/spec/jobTemplate/spec/template",
        };
        cel.insert("podTemplate".into(), Json::String(pointer.into()));
        return;
    }
    if let Some(overlay) = mutate.remove("patchStrategicMerge") {
        mutate.insert("patchStrategicMerge".into(), wrap(overlay, target));
        return;
    }
    if let Some(Json::Array(list)) = mutate.get_mut("foreach") {
        for entry in list.iter_mut() {
            let Some(m) = entry.as_object() else { continue };
            let mut kept = serde_json::Map::new();
            for key in ["list", "context", "preconditions"] {
                if let Some(v) = m.get(key) {
                    kept.insert(key.into(), v.clone());
                }
            }
            let overlay = m.get("patchStrategicMerge").cloned().unwrap_or(Json::Null);
            kept.insert("patchStrategicMerge".into(), wrap(overlay, target));
            *entry = Json::Object(kept);
        }
    }
}

fn replace_kinds(block: &mut Json, kinds: &Json, in_match: bool) {
    if let Some(resources) = block.get_mut("resources").and_then(Json::as_object_mut) {
        if resources.contains_key("kinds") || in_match {
            resources.insert("kinds".into(), kinds.clone());
        }
    }
    for key in ["any", "all"] {
        if let Some(Json::Array(items)) = block.get_mut(key) {
            for item in items {
                if let Some(resources) = item.get_mut("resources").and_then(Json::as_object_mut) {
                    if resources.contains_key("kinds") {
                        resources.insert("kinds".into(), kinds.clone());
                    }
                }
            }
        }
    }
}

/// Pod paths in variables move to the pod template of the controller.
fn rewrite_paths(value: Json, target: Target) -> Json {
    match value {
        Json::String(s) => Json::String(rewrite_str(&s, target)),
        Json::Array(items) => Json::Array(
            items
                .into_iter()
                .map(|v| rewrite_paths(v, target))
                .collect(),
        ),
        Json::Object(m) => Json::Object(
            m.into_iter()
                .map(|(k, v)| (rewrite_str(&k, target), rewrite_paths(v, target)))
                .collect(),
        ),
        other => other,
    }
}

/// CEL reads the object as `object` and `oldObject`: their `spec` and
/// `metadata` move to the pod template, as Kyverno's autogen rewrites them
/// (a plain text replacement over the rule's CEL).
pub(crate) fn rewrite_cel(value: Json, target: Target) -> Json {
    match value {
        Json::String(s) => Json::String(rewrite_cel_str(&s, target)),
        Json::Array(items) => {
            Json::Array(items.into_iter().map(|v| rewrite_cel(v, target)).collect())
        }
        Json::Object(m) => Json::Object(
            m.into_iter()
                .map(|(k, v)| (k, rewrite_cel(v, target)))
                .collect(),
        ),
        other => other,
    }
}

fn rewrite_cel_str(s: &str, target: Target) -> String {
    into_template(s, target, ["object", "oldObject"])
}

fn rewrite_str(s: &str, target: Target) -> String {
    if !s.contains("request.") {
        return s.to_string();
    }
    into_template(s, target, ["request.object", "request.oldObject"])
}

/// `s` with each `<object>.spec` and `<object>.metadata` of `objects` moved into
/// the pod template of `target`'s kind.
fn into_template(s: &str, target: Target, objects: [&str; 2]) -> String {
    let template = match target {
        Target::Template => "spec.template",
        Target::CronJob => "spec.jobTemplate.spec.template",
    };
    let mut out = s.to_string();
    for object in objects {
        for field in ["spec", "metadata"] {
            out = out.replace(
                &format!("{object}.{field}"),
                &format!("{object}.\u{0}{field}"),
            );
        }
        out = out.replace(&format!("{object}.\u{0}"), &format!("{object}.{template}."));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod_rule(name: &str) -> Json {
        json!({"name": name, "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
               "validate": {"pattern": {"spec": {"hostNetwork": false}},
                             "message": "{{ request.object.metadata.name }}"}})
    }

    fn names(rules: &[(usize, Json)]) -> Vec<String> {
        rules
            .iter()
            .map(|(_, r)| r["name"].as_str().unwrap().to_string())
            .collect()
    }

    #[test]
    fn pod_rules_get_controller_and_cronjob_copies() {
        let out = expand(&BTreeMap::new(), &[pod_rule("r")]);
        assert_eq!(names(&out), vec!["r", "autogen-r", "autogen-cronjob-r"]);
        let auto = &out[1].1;
        assert_eq!(
            auto.pointer("/validate/pattern/spec/template/spec/hostNetwork"),
            Some(&json!(false))
        );
        assert_eq!(
            auto["validate"]["message"],
            "{{ request.object.spec.template.metadata.name }}"
        );
        assert_eq!(
            auto.pointer("/match/any/0/resources/kinds")
                .unwrap()
                .as_array()
                .unwrap()
                .len(),
            6
        );
        let cron = &out[2].1;
        assert!(cron
            .pointer("/validate/pattern/spec/jobTemplate/spec/template/spec")
            .is_some());
        assert_eq!(
            cron["validate"]["message"],
            "{{ request.object.spec.jobTemplate.spec.template.metadata.name }}"
        );
    }

    #[test]
    fn mutate_overlays_move_under_the_template_and_json_patches_stop_autogen() {
        let rule = json!({"name": "m", "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
               "mutate": {"patchStrategicMerge": {"spec": {"priority": 1}}}});
        let out = expand(&BTreeMap::new(), &[rule]);
        assert_eq!(
            out[1]
                .1
                .pointer("/mutate/patchStrategicMerge/spec/template/spec/priority"),
            Some(&json!(1))
        );
        assert!(out[2]
            .1
            .pointer("/mutate/patchStrategicMerge/spec/jobTemplate/spec/template/spec")
            .is_some());
        let foreach = json!({"name": "f", "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
               "mutate": {"foreach": [{"list": "request.object.spec.containers", "order": "Ascending",
                                       "patchStrategicMerge": {"spec": {"containers": [{"name": "{{ element.name }}"}]}}}]}});
        let out = expand(&BTreeMap::new(), &[foreach]);
        let entry = &out[1].1["mutate"]["foreach"][0];
        assert_eq!(
            entry["list"],
            "request.object.spec.template.spec.containers"
        );
        assert!(entry.get("order").is_none());
        assert!(entry
            .pointer("/patchStrategicMerge/spec/template/spec/containers")
            .is_some());
        let json_patch = json!({"name": "j", "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
               "mutate": {"patchesJson6902": "[]"}});
        assert_eq!(names(&expand(&BTreeMap::new(), &[json_patch])), vec!["j"]);
    }

    #[test]
    fn annotation_narrows_or_disables() {
        let none: BTreeMap<String, String> = [(ANNOTATION.to_string(), "none".to_string())].into();
        assert_eq!(names(&expand(&none, &[pod_rule("r")])), vec!["r"]);
        let some: BTreeMap<String, String> =
            [(ANNOTATION.to_string(), "Deployment".to_string())].into();
        let out = expand(&some, &[pod_rule("r")]);
        assert_eq!(names(&out), vec!["r", "autogen-r"]);
        assert_eq!(
            out[1].1.pointer("/match/any/0/resources/kinds"),
            Some(&json!(["Deployment"]))
        );
    }

    #[test]
    fn no_autogen_for_selectors_names_or_other_kinds() {
        let mut named = pod_rule("r");
        named["match"]["any"][0]["resources"]["names"] = json!(["x"]);
        assert_eq!(names(&expand(&BTreeMap::new(), &[named])), vec!["r"]);
        let mut mixed = pod_rule("r");
        mixed["match"]["any"][0]["resources"]["kinds"] = json!(["Pod", "Service"]);
        assert_eq!(names(&expand(&BTreeMap::new(), &[mixed])), vec!["r"]);
        // One rule that cannot autogen stops the whole policy.
        let svc = json!({"name": "s", "match": {"any": [{"resources": {"kinds": ["Service"]}}]}, "validate": {"pattern": {}}});
        assert_eq!(
            names(&expand(&BTreeMap::new(), &[pod_rule("r"), svc])),
            vec!["r", "s"]
        );
    }

    #[test]
    fn cel_reads_the_pod_template() {
        let rule = json!({"name": "r", "match": {"any": [{"resources": {"kinds": ["Pod"]}}]},
            "celPreconditions": [{"name": "n", "expression": "has(object.metadata.labels)"}],
            "validate": {"cel": {"expressions": [{"expression":
                "object.spec.containers.all(c, c.name != '') && oldObject.spec == null"}]}}});
        let out = expand(&BTreeMap::new(), &[rule]);
        assert_eq!(
            out[1].1.pointer("/validate/cel/expressions/0/expression"),
            Some(&json!("object.spec.template.spec.containers.all(c, c.name != '') && oldObject.spec.template.spec == null"))
        );
        assert_eq!(
            out[2].1.pointer("/celPreconditions/0/expression"),
            Some(&json!(
                "has(object.spec.jobTemplate.spec.template.metadata.labels)"
            ))
        );
    }
}
