//! The `regolibrary` suite: Kubescape's control test cases, run through the vigie
//! control mapped to each Kubescape rule.
//!
//! Layout: `rules/<rule>/rule.metadata.json` and `rules/<rule>/test/<case>/`
//! with `input/*.{yaml,json}`, `expected.json` and an optional `data.json`.
//! A case agrees when vigie's control flags exactly the objects Kubescape
//! expects (`alertObject.k8sApiObjects`, or `externalObjects` for RBAC subjects).
//!
//! Every rule of the corpus is classified in `conformance/regolibrary-map/*.txt`
//! (one file per control category): either the vigie control that implements
//! it, whose answers must agree with the rule's test cases, or
//! `not-answerable: <reason>` when Kubernetes objects cannot answer it (it needs
//! a cloud provider API, a node's files, an image scan...), or `declined:
//! <reason>` when it contradicts a recommendation vigie implements. A rule the
//! classification does not name is reported and counted as a failure, so that a
//! new rule in the corpus is not silently skipped. Deliberate differences are
//! listed with their reason in `conformance/regolibrary-deviations.txt`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;
use vigie_controls::{controls, Config};
use vigie_resource::{load, LoadOptions};

use crate::Tally;

/// How the classification marks a rule that Kubernetes objects cannot answer.
const NOT_ANSWERABLE: &str = "not-answerable:";
/// How the classification marks a rule vigie deliberately does not implement
/// (it contradicts a current recommendation a vigie control implements).
const DECLINED: &str = "declined:";

fn project_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../conformance")
        .join(name)
}

/// Lines of `key  value...` from a project data file (or every file of a
/// project data folder), `#` comments skipped.
fn data_lines(name: &str) -> Vec<(String, String)> {
    let path = project_file(name);
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&path) {
        Ok(entries) => entries.filter_map(Result::ok).map(|e| e.path()).collect(),
        Err(_) => vec![path],
    };
    files.sort();
    let text: String = files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .collect::<Vec<_>>()
        .join("\n");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let (key, rest) = l.split_once(char::is_whitespace)?;
            Some((key.to_string(), rest.trim().to_string()))
        })
        .collect()
}

pub fn run(dir: &Path) -> Tally {
    let mapping: BTreeMap<String, String> = data_lines("regolibrary-map").into_iter().collect();
    let deviations: BTreeMap<String, String> = data_lines("regolibrary-deviations.txt")
        .into_iter()
        .collect();
    let mut tally = Tally::default();
    let mut deviated = 0;
    let mut covered = Vec::new();
    let mut not_answerable = 0;
    let mut declined = 0;
    let mut unclassified = Vec::new();

    let mut rules: Vec<PathBuf> = std::fs::read_dir(dir.join("rules"))
        .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    rules.retain(|r| r.is_dir());
    rules.sort();
    let total = rules.len();
    for rule_dir in rules {
        let rule = rule_dir
            .file_name()
            .expect("a directory listed by read_dir has a name")
            .to_string_lossy()
            .to_string();
        let Some(class) = mapping.get(&rule) else {
            unclassified.push(rule);
            continue;
        };
        if class.starts_with(NOT_ANSWERABLE) {
            not_answerable += 1;
            continue;
        }
        if class.starts_with(DECLINED) {
            declined += 1;
            continue;
        }
        let Some(control) = controls::find(class) else {
            println!("MAP-ERROR {rule}: no vigie control {class}");
            tally.failed += 1;
            continue;
        };
        let control_id = control.id;
        covered.push(format!("{rule} -> {control_id}"));
        let mut cases: Vec<PathBuf> = std::fs::read_dir(rule_dir.join("test"))
            .map(|e| e.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        cases.sort();
        for case in cases.iter().filter(|c| c.is_dir()) {
            let case_name = format!(
                "{rule}/{}",
                case.file_name()
                    .expect("a directory listed by read_dir has a name")
                    .to_string_lossy()
            );
            let verdict = judge(case, control);
            match (verdict, deviations.get(&case_name)) {
                (Ok(()), None) => tally.passed += 1,
                (Ok(()), Some(_)) => {
                    println!(
                        "STALE-DEVIATION {case_name}: vigie now agrees; remove it from the list"
                    );
                    tally.passed += 1;
                }
                (Err(why), Some(reason)) => {
                    deviated += 1;
                    println!("DEVIATION {case_name} ({control_id}): {why}\n    reason: {reason}");
                }
                (Err(why), None) => {
                    tally.failed += 1;
                    println!("DISAGREE {case_name} ({control_id}): {why}");
                }
            }
        }
    }
    println!("\nrules implemented ({}):", covered.len());
    for line in &covered {
        println!("  {line}");
    }
    for rule in &unclassified {
        println!("UNCLASSIFIED {rule}: add it to conformance/regolibrary-map (a vigie control or `{NOT_ANSWERABLE} <reason>`)");
    }
    tally.failed += unclassified.len();
    println!("{deviated} documented deviations (not counted)");
    println!(
        "rules: {} implemented, {not_answerable} not answerable from Kubernetes objects, {declined} declined, {} unclassified, {total} in all",
        covered.len(),
        unclassified.len()
    );
    tally
}

fn judge(case: &Path, control: &vigie_controls::Control) -> Result<(), String> {
    let expected = expected_objects(&case.join("expected.json"))?;
    let config = case_config(&case.join("data.json"))?;
    // A case without an `input/` folder gives the rule no objects at all.
    let input = case.join("input");
    let loaded = if input.is_dir() {
        load(&[input.display().to_string()], &LoadOptions::default())
    } else {
        vigie_resource::Loaded::default()
    };
    if let Some(d) = loaded.diagnostics.iter().find(|d| d.is_error()) {
        return Err(format!("input does not load: {d}"));
    }
    let outcome = control.run(&loaded.resources, &config);
    let actual: BTreeSet<String> = outcome
        .violations
        .iter()
        .map(|(i, v)| match &v.subject {
            Some(s) => format!("{}/{}", s.kind, s.name),
            None => format!(
                "{}/{}",
                loaded.resources[*i].kind, loaded.resources[*i].name
            ),
        })
        .collect();
    if actual == expected {
        Ok(())
    } else {
        Err(format!("expected {expected:?}, vigie flags {actual:?}"))
    }
}

/// The objects Kubescape expects to fail, as `Kind/name`.
fn expected_objects(path: &Path) -> Result<BTreeSet<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let value: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut objects = BTreeSet::new();
    for alert in value.as_array().into_iter().flatten() {
        let alert_object = &alert["alertObject"];
        for object in alert_object["k8sApiObjects"]
            .as_array()
            .into_iter()
            .flatten()
        {
            objects.insert(format!(
                "{}/{}",
                object["kind"].as_str().unwrap_or(""),
                object["metadata"]["name"].as_str().unwrap_or("")
            ));
        }
        let external = &alert_object["externalObjects"];
        if external.is_object() {
            objects.insert(format!(
                "{}/{}",
                external["kind"].as_str().unwrap_or(""),
                // Some rules put the whole object here rather than a reference.
                external["name"]
                    .as_str()
                    .or_else(|| external["metadata"]["name"].as_str())
                    .unwrap_or("")
            ));
        }
    }
    Ok(objects)
}

/// Kubescape's control inputs (`data.json`) as vigie configuration.
fn case_config(path: &Path) -> Result<Config, String> {
    let mut config = Config::default();
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(config);
    };
    let value: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let inputs = value["postureControlInputs"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (key, values) in inputs {
        let Some(setting) = vigie_setting(&key) else {
            continue;
        };
        let values: Vec<String> = values
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .collect();
        config.set(setting, values).map_err(|e| e.to_string())?;
    }
    Ok(config)
}

/// The vigie setting for a Kubescape control input.
fn vigie_setting(kubescape_key: &str) -> Option<&'static str> {
    Some(match kubescape_key {
        "imageRepositoryAllowList" => "allowedRegistries",
        "untrustedRegistries" => "untrustedRegistries",
        "publicRegistries" => "publicRegistries",
        "imageDigestExemptRepositories" => "digestExemptRepositories",
        "sensitiveKeyNames" => "sensitiveKeyNames",
        "sensitiveKeyNamesAllowed" => "sensitiveKeyNamesAllowed",
        "sensitiveValues" => "sensitiveValues",
        "sensitiveValuesAllowed" => "sensitiveValuesAllowed",
        "recommendedLabels" => "recommendedLabels",
        "k8sRecommendedLabels" => "k8sRecommendedLabels",
        "hardenedSandboxRuntimeClasses" => "sandboxRuntimeClasses",
        "floatingImageTags" => "floatingImageTags",
        "cpu_request_min" => "cpuRequestMin",
        "cpu_request_max" => "cpuRequestMax",
        "cpu_limit_min" => "cpuLimitMin",
        "cpu_limit_max" => "cpuLimitMax",
        "memory_request_max" => "memoryRequestMax",
        "memory_limit_max" => "memoryLimitMax",
        "sandbox_cpu_limit_max" => "sandboxCpuLimitMax",
        "sandbox_memory_limit_max" => "sandboxMemoryLimitMax",
        "insecureCapabilities" => "insecureCapabilities",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A corpus folder with one empty rule directory per name.
    fn corpus(test: &str, rules: &[&str]) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("vigie-regolibrary-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for rule in rules {
            std::fs::create_dir_all(dir.join("rules").join(rule)).unwrap();
        }
        dir
    }

    #[test]
    fn a_rule_missing_from_the_classification_fails_the_run() {
        let dir = corpus("unclassified", &["a-rule-no-one-has-classified"]);
        let tally = run(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!((tally.passed, tally.failed), (0, 1));
    }

    #[test]
    fn classified_rules_without_cases_pass_the_run() {
        // One rule classified not-answerable, one implemented, one declined.
        let dir = corpus(
            "classified",
            &[
                "kubelet-event-qps",
                "host-network-access",
                "psp-enabled-native",
            ],
        );
        let tally = run(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!((tally.passed, tally.failed), (0, 0));
    }

    #[test]
    fn every_classification_names_a_control_or_gives_a_reason() {
        let mut seen = BTreeSet::new();
        for (rule, class) in data_lines("regolibrary-map") {
            assert!(seen.insert(rule.clone()), "{rule} is classified twice");
            let known = controls::find(&class).is_some()
                || [NOT_ANSWERABLE, DECLINED]
                    .iter()
                    .any(|c| class.strip_prefix(c).is_some_and(|r| !r.trim().is_empty()));
            assert!(
                known,
                "{rule}: `{class}` is neither a vigie control nor a reason"
            );
        }
    }
}
