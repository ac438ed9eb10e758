//! The write verbs: create (`POST`), update (`PUT`), server-side apply and JSON
//! merge patch (`PATCH`), delete (`DELETE`), for any type the stand-in serves.
//!
//! What a real API server checks and the stand-in checks too: the body's
//! `apiVersion`/`kind` against the URL's type, its name and namespace against
//! the URL's, `resourceVersion` preconditions (`409 Conflict` when stale),
//! `409 AlreadyExists` on a second create, `fieldManager` on apply, and
//! conflicts between field managers. Simplification: field ownership is
//! tracked per top-level field (`spec`, `results`, ...) and per label and
//! annotation, not per leaf, so two managers sharing a top-level field
//! conflict where a real server might merge them.

use std::collections::BTreeSet;

use http::StatusCode;
use serde_json::{json, Map, Value};
use vigie_resource::Date;

use crate::catalog::ResourceType;
use crate::store::Store;

/// Why a write was refused, as a `Status` reports it.
pub(crate) struct Refused {
    pub(crate) code: StatusCode,
    pub(crate) reason: &'static str,
    pub(crate) message: String,
}

fn refused(code: StatusCode, reason: &'static str, message: String) -> Refused {
    Refused {
        code,
        reason,
        message,
    }
}

/// Where a write goes: a type, and for all but create, a name.
pub(crate) struct Target<'a> {
    pub(crate) type_index: usize,
    pub(crate) namespace: Option<&'a str>,
    pub(crate) name: Option<&'a str>,
}

/// Fields that the server, not a manager, owns.
const SERVER_FIELDS: &[&str] = &["apiVersion", "kind", "metadata", "status"];

/// Reads a request body: JSON, or YAML (an apply patch may be either).
pub(crate) fn parse_body(body: &[u8]) -> Result<Value, Refused> {
    let bad = |reason: String| refused(StatusCode::BAD_REQUEST, "BadRequest", reason);
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        return Ok(value);
    }
    let text = std::str::from_utf8(body).map_err(|_| bad("the body is not UTF-8".into()))?;
    let documents = vigie_resource::split_stream(text);
    let [document] = documents.as_slice() else {
        return Err(bad(format!(
            "the body holds {} documents; one object is expected",
            documents.len()
        )));
    };
    match vigie_resource::parse_document(document) {
        Some(Ok(parsed)) => serde_json::from_str(&parsed.root.to_json())
            .map_err(|e| bad(format!("the body is not an object: {e}"))),
        Some(Err(e)) => Err(bad(format!(
            "the body is not JSON or YAML: line {}: {}",
            e.pos.line + 1,
            e.reason
        ))),
        None => Err(bad("the body is empty".into())),
    }
}

/// The fields a write sets, as `f:` paths at the granularity the stand-in tracks.
fn fields_of(object: &Value) -> BTreeSet<String> {
    let mut fields = BTreeSet::new();
    let Some(map) = object.as_object() else {
        return fields;
    };
    for key in map.keys().filter(|k| !SERVER_FIELDS.contains(&k.as_str())) {
        fields.insert(format!("f:{key}"));
    }
    for within in ["labels", "annotations"] {
        if let Some(entries) = object["metadata"][within].as_object() {
            for key in entries.keys() {
                fields.insert(format!("f:metadata.{within}.{key}"));
            }
        }
    }
    fields
}

/// `managedFields` entries: (manager, operation, fields).
fn managers(object: &Value) -> Vec<(String, String, BTreeSet<String>)> {
    object["metadata"]["managedFields"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .map(|e| {
                    let fields = e["fieldsV1"]
                        .as_object()
                        .map(|f| f.keys().cloned().collect())
                        .unwrap_or_default();
                    (
                        e["manager"].as_str().unwrap_or("").to_string(),
                        e["operation"].as_str().unwrap_or("").to_string(),
                        fields,
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn set_managers(
    object: &mut Value,
    api_version: &str,
    managers: &[(String, String, BTreeSet<String>)],
) {
    let now = now();
    let entries: Vec<Value> = managers
        .iter()
        .filter(|(_, _, fields)| !fields.is_empty())
        .map(|(manager, operation, fields)| {
            let fields: Map<String, Value> =
                fields.iter().map(|f| (f.clone(), json!({}))).collect();
            json!({"manager": manager, "operation": operation, "apiVersion": api_version,
                   "time": now, "fieldsType": "FieldsV1", "fieldsV1": fields})
        })
        .collect();
    object["metadata"]["managedFields"] = Value::Array(entries);
}

/// The value of a tracked field in an object.
fn field<'a>(object: &'a Value, field: &str) -> Option<&'a Value> {
    let path = field.trim_start_matches("f:");
    match path.split_once('.') {
        Some(("metadata", rest)) => {
            let (within, key) = rest.split_once('.')?;
            object["metadata"][within].get(key)
        }
        _ => object.get(path),
    }
}

fn remove_field(object: &mut Value, field: &str) {
    let path = field.trim_start_matches("f:");
    match path.split_once('.') {
        Some(("metadata", rest)) => {
            if let Some((within, key)) = rest.split_once('.') {
                if let Some(map) = object["metadata"][within].as_object_mut() {
                    map.remove(key);
                }
            }
        }
        _ => {
            if let Some(map) = object.as_object_mut() {
                map.remove(path);
            }
        }
    }
}

fn set_field(object: &mut Value, from: &Value, field: &str) {
    let Some(value) = self::field(from, field).cloned() else {
        return;
    };
    let path = field.trim_start_matches("f:");
    match path.split_once('.') {
        Some(("metadata", rest)) => {
            if let Some((within, key)) = rest.split_once('.') {
                if !object["metadata"][within].is_object() {
                    object["metadata"][within] = json!({});
                }
                object["metadata"][within][key] = value;
            }
        }
        _ => object[path] = value,
    }
}

fn now() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let date = Date::from_days_since_epoch((seconds / 86_400) as i64);
    let rest = seconds % 86_400;
    format!(
        "{date}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

impl Store {
    /// Checks that a body names the URL's type, name and namespace.
    fn check_body(&self, target: &Target<'_>, body: &Value) -> Result<(), Refused> {
        let resource_type = self.type_of(target);
        let bad = |reason: String| refused(StatusCode::BAD_REQUEST, "BadRequest", reason);
        if !body.is_object() {
            return Err(bad("the body is not an object".into()));
        }
        let api_version = body["apiVersion"].as_str().unwrap_or("");
        let kind = body["kind"].as_str().unwrap_or("");
        if api_version != resource_type.api_version() || kind != resource_type.kind {
            return Err(bad(format!(
                "the body is a {api_version} {kind}, the URL a {} {}",
                resource_type.api_version(),
                resource_type.kind
            )));
        }
        let name = body["metadata"]["name"].as_str().unwrap_or("");
        if name.is_empty() {
            return Err(refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid",
                format!(
                    "{} is invalid: metadata.name: Required value",
                    resource_type.kind
                ),
            ));
        }
        if let Some(path_name) = target.name {
            if name != path_name {
                return Err(bad(format!(
                    "the name of the object ({name}) does not match the name on the URL ({path_name})"
                )));
            }
        }
        if let (Some(ns), Some(path_ns)) =
            (body["metadata"]["namespace"].as_str(), target.namespace)
        {
            if ns != path_ns {
                return Err(bad(format!(
                    "the namespace of the object ({ns}) does not match the namespace on the request ({path_ns})"
                )));
            }
        }
        Ok(())
    }

    /// The resource type a request's URL names.
    fn type_of(&self, target: &Target<'_>) -> &ResourceType {
        &self.catalog.types[target.type_index]
    }

    fn not_found(&self, target: &Target<'_>) -> Refused {
        refused(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!(
                "{} \"{}\" not found",
                self.type_of(target).qualified(),
                target.name.unwrap_or("")
            ),
        )
    }

    /// `409 Conflict` when `given` (a body or a patch) names a
    /// `resourceVersion` that is not the one of `stored`, the object `name`.
    fn check_version(
        &self,
        target: &Target<'_>,
        name: &str,
        given: &Value,
        stored: &Value,
    ) -> Result<(), Refused> {
        let stored_version = stored["metadata"]["resourceVersion"].as_str().unwrap_or("");
        match given["metadata"]["resourceVersion"].as_str() {
            Some(version) if version != stored_version => Err(refused(
                StatusCode::CONFLICT,
                "Conflict",
                format!(
                    "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                    self.type_of(target).qualified()
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Stores `object` as a new object of `target`'s type, in `target`'s
    /// namespace, with the metadata a server sets on creation; `manager` owns
    /// its fields through `operation` (`Update` for a create, `Apply`).
    fn add(
        &mut self,
        target: &Target<'_>,
        mut object: Value,
        manager: &str,
        operation: &str,
    ) -> Value {
        let fields = fields_of(&object);
        if let Some(ns) = target.namespace {
            object["metadata"]["namespace"] = json!(ns);
        }
        let metadata = object["metadata"].as_object_mut().expect("checked");
        metadata.remove("managedFields");
        metadata.insert("creationTimestamp".into(), json!(now()));
        metadata.insert("generation".into(), json!(1));
        let api_version = self.type_of(target).api_version();
        set_managers(
            &mut object,
            &api_version,
            &[(manager.to_string(), operation.to_string(), fields)],
        );
        self.put(target.type_index, object, "ADDED")
    }

    /// `POST`: a new object; `409 AlreadyExists` when the name is taken.
    pub(crate) fn create(
        &mut self,
        target: &Target<'_>,
        mut body: Value,
        manager: &str,
    ) -> Result<Value, Refused> {
        self.check_body(target, &body)?;
        let name = body["metadata"]["name"].as_str().unwrap_or("").to_string();
        if self
            .position(target.type_index, target.namespace, &name)
            .is_ok()
        {
            return Err(refused(
                StatusCode::CONFLICT,
                "AlreadyExists",
                format!(
                    "{} \"{name}\" already exists",
                    self.type_of(target).qualified()
                ),
            ));
        }
        // The new object's identity is the server's to give.
        let metadata = body["metadata"].as_object_mut().expect("checked");
        for server_set in ["uid", "resourceVersion"] {
            metadata.remove(server_set);
        }
        Ok(self.add(target, body, manager, "Update"))
    }

    /// `PUT`: replaces an object, refused with `409 Conflict` when the body's
    /// `resourceVersion` is not the stored one.
    pub(crate) fn update(
        &mut self,
        target: &Target<'_>,
        mut body: Value,
        manager: &str,
    ) -> Result<Value, Refused> {
        self.check_body(target, &body)?;
        let name = target.name.unwrap_or("");
        let Ok(index) = self.position(target.type_index, target.namespace, name) else {
            return Err(self.not_found(target));
        };
        let old = self.by_type[target.type_index][index].value();
        self.check_version(target, name, &body, &old)?;
        for kept in ["uid", "creationTimestamp", "namespace"] {
            if let Some(value) = old["metadata"].get(kept) {
                body["metadata"][kept] = value.clone();
            }
        }
        let generation = old["metadata"]["generation"].as_i64().unwrap_or(1);
        body["metadata"]["generation"] = json!(generation + 1);
        let mut owners = managers(&old);
        let fields = fields_of(&body);
        for (_, _, owned) in &mut owners {
            owned.retain(|f| !fields.contains(f));
        }
        owners.retain(|(m, op, _)| !(m == manager && op == "Update"));
        owners.push((manager.to_string(), "Update".to_string(), fields));
        let api_version = self.type_of(target).api_version();
        set_managers(&mut body, &api_version, &owners);
        Ok(self.put(target.type_index, body, "MODIFIED"))
    }

    /// Server-side apply (`application/apply-patch+yaml`): creates the object,
    /// or sets the fields the manager applies and removes those it applied
    /// before and no longer does. A field another manager owns with another
    /// value is a `409 Conflict` unless `force`.
    pub(crate) fn apply(
        &mut self,
        target: &Target<'_>,
        body: Value,
        manager: &str,
        force: bool,
    ) -> Result<(Value, bool), Refused> {
        self.check_body(target, &body)?;
        let name = target.name.unwrap_or("");
        let api_version = self.type_of(target).api_version();
        let applied = fields_of(&body);
        let Ok(index) = self.position(target.type_index, target.namespace, name) else {
            if body["metadata"].get("resourceVersion").is_some() {
                return Err(self.not_found(target));
            }
            return Ok((self.add(target, body, manager, "Apply"), true));
        };
        let mut object = self.by_type[target.type_index][index].value();
        self.check_version(target, name, &body, &object)?;
        let mut owners = managers(&object);
        let conflicts: Vec<String> = owners
            .iter()
            .filter(|(m, op, _)| !(m == manager && op == "Apply"))
            .flat_map(|(m, _, owned)| {
                owned
                    .iter()
                    .filter(|f| applied.contains(*f) && field(&object, f) != field(&body, f))
                    .map(move |f| format!("conflict with \"{m}\": .{}", f.trim_start_matches("f:")))
            })
            .collect();
        if !conflicts.is_empty() && !force {
            return Err(refused(
                StatusCode::CONFLICT,
                "Conflict",
                format!(
                    "Apply failed with {} conflict{}: {}",
                    conflicts.len(),
                    if conflicts.len() == 1 { "" } else { "s" },
                    conflicts.join(", ")
                ),
            ));
        }
        let before: BTreeSet<String> = owners
            .iter()
            .filter(|(m, op, _)| m == manager && op == "Apply")
            .flat_map(|(_, _, owned)| owned.iter().cloned())
            .collect();
        let others: BTreeSet<String> = owners
            .iter()
            .filter(|(m, op, _)| !(m == manager && op == "Apply"))
            .flat_map(|(_, _, owned)| owned.iter().cloned())
            .collect();
        let changed = applied.iter().any(|f| field(&object, f) != field(&body, f))
            || before
                .iter()
                .any(|f| !applied.contains(f) && !others.contains(f));
        for dropped in before.difference(&applied) {
            if !others.contains(dropped) {
                remove_field(&mut object, dropped);
            }
        }
        for f in &applied {
            set_field(&mut object, &body, f);
        }
        // Applying takes the fields over (force) or shares fields of equal value.
        for (m, op, owned) in &mut owners {
            if !(m == manager && op == "Apply") && force {
                owned.retain(|f| !applied.contains(f));
            }
        }
        owners.retain(|(m, op, _)| !(m == manager && op == "Apply"));
        owners.push((manager.to_string(), "Apply".to_string(), applied));
        set_managers(&mut object, &api_version, &owners);
        if changed {
            let generation = object["metadata"]["generation"].as_i64().unwrap_or(1);
            object["metadata"]["generation"] = json!(generation + 1);
            Ok((self.put(target.type_index, object, "MODIFIED"), false))
        } else {
            // Nothing changed: no new version, no event (as a real server).
            Ok((self.by_type[target.type_index][index].value(), false))
        }
    }

    /// `application/merge-patch+json` (RFC 7386) on an existing object.
    pub(crate) fn merge_patch(
        &mut self,
        target: &Target<'_>,
        patch: &Value,
    ) -> Result<Value, Refused> {
        let name = target.name.unwrap_or("");
        let Ok(index) = self.position(target.type_index, target.namespace, name) else {
            return Err(self.not_found(target));
        };
        let mut object = self.by_type[target.type_index][index].value();
        self.check_version(target, name, patch, &object)?;
        merge(&mut object, patch);
        self.check_body(target, &object)?;
        Ok(self.put(target.type_index, object, "MODIFIED"))
    }

    /// `DELETE`: removes an object (no finalizers: at once).
    pub(crate) fn delete(&mut self, target: &Target<'_>) -> Result<Value, Refused> {
        let name = target.name.unwrap_or("");
        let Ok(index) = self.position(target.type_index, target.namespace, name) else {
            return Err(self.not_found(target));
        };
        Ok(self.remove(target.type_index, index))
    }
}

/// RFC 7386: `null` removes, objects merge, anything else replaces.
fn merge(target: &mut Value, patch: &Value) {
    let Some(patch) = patch.as_object() else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    let map = target.as_object_mut().expect("made an object");
    for (key, value) in patch {
        if value.is_null() {
            map.remove(key);
        } else {
            merge(map.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut target = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge(&mut target, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(target, json!({"a": "z", "c": {"d": "e"}}));
    }

    #[test]
    fn times_are_rfc_3339() {
        let t = now();
        assert_eq!(t.len(), 20, "{t}");
        assert!(t.starts_with("20") && t.ends_with('Z'), "{t}");
    }

    #[test]
    fn bodies_are_json_or_yaml() {
        assert_eq!(parse_body(b"{\"a\": 1}").ok(), Some(json!({"a": 1})));
        assert_eq!(
            parse_body(b"a: 1\nb: [x]\n").ok(),
            Some(json!({"a": 1, "b": ["x"]}))
        );
        assert!(parse_body(b"a: 1\n---\nb: 2\n").is_err());
    }
}
