//! The document variables are resolved against: `request.*`, `images`,
//! `serviceAccountName`, values given offline, and the rule's `context` entries.

use serde_json::{Map, Value as Json};

use crate::jmes::{self, Document, EvalError};
use crate::policy::{ContextEntry, ContextSource};
use crate::variables::{self, Missing};

/// Whether a values map provides a context entry (by its name or a path under it).
pub fn provided(values: &[&Map<String, Json>], name: &str) -> bool {
    values.iter().any(|m| {
        m.keys()
            .any(|k| k == name || k.strip_prefix(name).is_some_and(|r| r.starts_with('.')))
    })
}

/// Loads context entries in order; each can use the ones before it.
pub fn load(
    entries: &[ContextEntry],
    data: &mut Document<'_>,
    values: &[&Map<String, Json>],
    config_maps: &[Json],
) -> Result<(), String> {
    for entry in entries {
        if provided(values, &entry.name) {
            continue;
        }
        let value = load_one(entry, data, config_maps)?;
        data.set_path(&entry.name, jmes::to_var(&value));
    }
    Ok(())
}

fn query(jmes_path: &str, data: &Document<'_>) -> Result<Json, EvalError> {
    let expr_text = match variables::substitute_str(jmes_path, data, Missing::Error)? {
        Json::String(s) => s,
        other => other.to_string(),
    };
    let expr = variables::compile_cached(&expr_text).map_err(EvalError::Failed)?;
    expr.search_json(data)
}

fn load_one(
    entry: &ContextEntry,
    data: &Document<'_>,
    config_maps: &[Json],
) -> Result<Json, String> {
    let name = &entry.name;
    let with_default =
        |result: Result<Json, EvalError>, default: &Option<Json>| -> Result<Json, String> {
            match (result, default) {
                (Ok(v), _) if !v.is_null() => Ok(v),
                (_, Some(d)) => variables::substitute(d, data, Missing::Error)
                    .map_err(|e| format!("context entry {name}: default: {e}")),
                (Ok(_), None) => Err(format!(
                    "context entry {name} evaluated to null and has no default"
                )),
                (Err(e), None) => Err(format!("context entry {name}: {e}")),
            }
        };
    match &entry.source {
        ContextSource::Variable {
            value,
            jmes_path,
            default,
        } => {
            let result = match (value, jmes_path) {
                (Some(v), jp) => {
                    variables::substitute(v, data, Missing::Error).and_then(|v| match jp {
                        Some(jp) => query(jp, &Document::new(jmes::to_var(&v))),
                        None => Ok(v),
                    })
                }
                (None, Some(jp)) => query(jp, data),
                (None, None) => Ok(Json::Null),
            };
            with_default(result, default)
        }
        ContextSource::ConfigMap {
            name: cm_name,
            namespace,
        } => {
            let resolve = |s: &str| match variables::substitute_str(s, data, Missing::Error) {
                Ok(Json::String(s)) => Ok(s),
                Ok(other) => Ok(other.to_string()),
                Err(e) => Err(format!("context entry {name}: {e}")),
            };
            let (cm_name, namespace) = (resolve(cm_name)?, resolve(namespace)?);
            config_maps
                .iter()
                .find(|cm| {
                    cm.get("kind").and_then(Json::as_str).is_none_or(|k| k == "ConfigMap")
                        && cm.pointer("/metadata/name").and_then(Json::as_str) == Some(cm_name.as_str())
                        && cm.pointer("/metadata/namespace").and_then(Json::as_str).unwrap_or("default") == namespace
                })
                .cloned()
                .ok_or_else(|| {
                    format!("context entry {name}: ConfigMap {namespace}/{cm_name} not found offline; pass it as a resource or give {name} in a values file")
                })
        }
        ContextSource::External {
            kind,
            default,
            target,
            jmes_path,
        } => {
            // apiCall GETs and globalReferences are answered from the objects given
            // (a suite's Context file, the resources), when there are any.
            let answered = match target {
                Some(t) if !config_maps.is_empty() => {
                    let t = match variables::substitute_str(t, data, Missing::Error) {
                        Ok(Json::String(s)) => s,
                        Ok(other) => other.to_string(),
                        Err(e) => return Err(format!("context entry {name}: {e}")),
                    };
                    match *kind {
                        "apiCall" => crate::offline::api_get(&t, config_maps)?,
                        "globalReference" => crate::offline::global_reference(&t, config_maps),
                        _ => None,
                    }
                }
                _ => None,
            };
            if let Some(found) = answered {
                let result = match jmes_path {
                    Some(jp) => query(jp, &Document::new(jmes::to_var(&found))),
                    None => Ok(found),
                };
                return with_default(result, default);
            }
            match default {
                Some(d) => variables::substitute(d, data, Missing::Error).map_err(|e| format!("context entry {name}: {e}")),
                None => Err(format!(
                    "context entry {name} ({kind}) cannot be resolved offline; give its value in a values file or the object in a Context file"
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(name: &str, source: ContextSource) -> ContextEntry {
        ContextEntry {
            name: name.into(),
            source,
        }
    }

    #[test]
    fn set_path_creates_maps() {
        let mut root = Document::new(jmes::to_var(&json!({"request": {"operation": "CREATE"}})));
        root.set_path("request.object.metadata.name", jmes::string("x"));
        assert_eq!(
            root.to_json(),
            json!({"request": {"operation": "CREATE", "object": {"metadata": {"name": "x"}}}})
        );
    }

    #[test]
    fn variable_entries_with_jmespath_and_default() {
        let mut data = Document::new(jmes::to_var(
            &json!({"request": {"object": {"spec": {"replicas": 3}}}}),
        ));
        let entries = vec![
            entry(
                "replicas",
                ContextSource::Variable {
                    value: None,
                    jmes_path: Some("request.object.spec.replicas".into()),
                    default: None,
                },
            ),
            entry(
                "doubled",
                ContextSource::Variable {
                    value: Some(json!("{{ multiply(replicas, `2`) }}")),
                    jmes_path: None,
                    default: None,
                },
            ),
            entry(
                "missing",
                ContextSource::Variable {
                    value: None,
                    jmes_path: Some("request.object.spec.nope".into()),
                    default: Some(json!("d")),
                },
            ),
        ];
        load(&entries, &mut data, &[], &[]).unwrap();
        let json = data.to_json();
        assert_eq!(json["doubled"], json!(6));
        assert_eq!(json["missing"], json!("d"));
    }

    #[test]
    fn config_maps_from_resources_and_offline_errors() {
        let mut data = Document::new(jmes::to_var(&json!({})));
        let cm = json!({"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "ns"}, "data": {"k": "v"}});
        let entries = vec![entry(
            "cm",
            ContextSource::ConfigMap {
                name: "c".into(),
                namespace: "ns".into(),
            },
        )];
        load(&entries, &mut data, &[], std::slice::from_ref(&cm)).unwrap();
        assert_eq!(data.to_json()["cm"]["data"]["k"], "v");
        let api = vec![entry(
            "pods",
            ContextSource::External {
                kind: "apiCall",
                jmes_path: None,
                default: None,
                target: Some("/api/v1/namespaces/default/pods".into()),
            },
        )];
        let err = load(&api, &mut data, &[], &[]).unwrap_err();
        assert!(err.contains("pods") && err.contains("apiCall"), "{err}");
        let given: Map<String, Json> = [("pods".to_string(), json!(3))].into_iter().collect();
        assert!(
            load(&api, &mut data, &[&given], &[]).is_ok(),
            "values answer the entry"
        );
    }
}
