//! The `cli.kyverno.io/v1alpha1` Values file, `--set` pairs and user-info files.

use crate::json::{array_items, str_of, string_items};
use serde_json::{Map, Value as Json};

use crate::engine::Values;
use crate::matching::RequestUser;

fn map_of(v: &Json, key: &str) -> Map<String, Json> {
    v.get(key)
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default()
}

/// What a `cli.kyverno.io/v1alpha1` Context file stands for, read from its
/// documents (already converted to JSON): the cluster's objects
/// (`spec.resources`) and what registries would say of images
/// (`spec.images`: metadata for `image.GetMetadata` and `getImageData`, and
/// vigie's `signatures` and `attestations` for the image verification
/// functions of ImageValidatingPolicies).
#[derive(Clone, Debug, Default)]
pub struct ContextData {
    /// `spec.resources` of every document.
    pub resources: Vec<Json>,
    /// `spec.images` of every document.
    pub images: Vec<Json>,
}

impl ContextData {
    /// Makes the request's CEL libraries answer from this data
    /// (`resource.Get`/`List`, `image.GetMetadata`, image verification).
    pub fn answer_in(self, request: &mut crate::engine::Request) {
        request.cel_lookup = std::sync::Arc::new(vigie_cel::kyverno::Offline {
            resources: self.resources,
            images: self.images,
        });
    }
}

/// Reads the documents of a Context file (non-map entries are passed over).
pub fn parse_context(docs: &[Json]) -> ContextData {
    let mut out = ContextData::default();
    for doc in docs {
        for (pointer, list) in [
            ("/spec/resources", &mut out.resources),
            ("/spec/images", &mut out.images),
        ] {
            if let Some(Json::Array(items)) = doc.pointer(pointer) {
                list.extend(items.iter().filter(|i| i.is_object()).cloned());
            }
        }
    }
    out
}

/// Reads a Values document (already converted to JSON).
pub fn parse_values(doc: &Json) -> Values {
    let mut values = Values {
        global: map_of(doc, "globalValues"),
        ..Values::default()
    };
    for p in array_items(doc.get("policies")) {
        let policy = str_of(p, "name").to_string();
        for r in array_items(p.get("rules")) {
            let mut rule_values = map_of(r, "values");
            // foreachValues give a list per variable; the first element is what a
            // single evaluation sees.
            for (k, v) in map_of(r, "foreachValues") {
                if let Json::Array(items) = v {
                    rule_values.insert(k, items.into_iter().next().unwrap_or(Json::Null));
                }
            }
            values
                .rules
                .entry(policy.clone())
                .or_default()
                .insert(str_of(r, "name").to_string(), rule_values);
        }
        for r in array_items(p.get("resources")) {
            values
                .resources
                .entry(policy.clone())
                .or_default()
                .insert(str_of(r, "name").to_string(), map_of(r, "values"));
        }
    }
    for ns in array_items(doc.get("namespaceSelector")) {
        let labels = map_of(ns, "labels")
            .into_iter()
            .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_string)))
            .collect();
        values
            .namespace_labels
            .insert(str_of(ns, "name").to_string(), labels);
    }
    for entry in array_items(doc.get("subresources")) {
        if let Some(sub) = parse_subresource(entry) {
            values.subresources.push(sub);
        }
    }
    // Namespace objects given as values carry their labels too.
    for ns in array_items(doc.get("namespaces")) {
        let metadata = &ns["metadata"];
        let name = str_of(metadata, "name").to_string();
        let labels = map_of(metadata, "labels")
            .into_iter()
            .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
            .collect();
        values.namespace_labels.insert(name.clone(), labels);
        values.namespace_objects.insert(name, ns.clone());
    }
    values
}

/// A `--set` argument that is not a list of `key=value` pairs.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("--set expects key=value, got {pair:?}")]
pub struct SetError {
    /// The pair without `=`.
    pub pair: String,
}

/// Applies `--set key=value,key2=value2` to the global values.
pub fn apply_set(values: &mut Values, set: &str) -> Result<(), SetError> {
    for pair in set.split(',').filter(|p| !p.trim().is_empty()) {
        let (k, v) = pair.split_once('=').ok_or_else(|| SetError {
            pair: pair.to_string(),
        })?;
        values
            .global
            .insert(k.trim().to_string(), Json::String(v.trim().to_string()));
    }
    Ok(())
}

/// Reads a `UserInfo` / `RequestInfo` document: roles, clusterRoles and userInfo.
pub fn parse_user_info(doc: &Json) -> RequestUser {
    let user = doc.get("userInfo").cloned().unwrap_or(Json::Null);
    RequestUser {
        username: str_of(&user, "username").to_string(),
        groups: string_items(user.get("groups")),
        roles: string_items(doc.get("roles")),
        cluster_roles: string_items(doc.get("clusterRoles")),
    }
}

/// `group/version`, or `version` for the core group.
fn group_version(resource: &Json) -> String {
    vigie_resource::api_version(str_of(resource, "group"), str_of(resource, "version"))
}

/// One `subresources` entry: `subresource` (`name: deployments/scale`, `kind`,
/// `group`, `version`) and `parentResource` (`kind`, `group`, `version`).
fn parse_subresource(entry: &Json) -> Option<crate::engine::request::Subresource> {
    let sub = entry.get("subresource")?;
    let parent = entry.get("parentResource")?;
    let name = str_of(sub, "name");
    let name = name.rsplit_once('/').map_or(name, |(_, n)| n);
    let (kind, parent_kind) = (str_of(sub, "kind"), str_of(parent, "kind"));
    if name.is_empty() || kind.is_empty() || parent_kind.is_empty() {
        return None;
    }
    Some(crate::engine::request::Subresource {
        kind: kind.to_string(),
        api_version: group_version(sub),
        name: name.to_string(),
        parent_kind: parent_kind.to_string(),
        parent_api_version: group_version(parent),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_every_section() {
        let doc = json!({
            "globalValues": {"request.operation": "UPDATE"},
            "policies": [{"name": "p", "rules": [{"name": "r", "values": {"x": 1}}], "resources": [{"name": "res", "values": {"y": 2}}]}],
            "namespaceSelector": [{"name": "prod", "labels": {"env": "prod"}}]
        });
        let v = parse_values(&doc);
        assert_eq!(v.global["request.operation"], "UPDATE");
        assert_eq!(v.rules["p"]["r"]["x"], 1);
        assert_eq!(v.resources["p"]["res"]["y"], 2);
        assert_eq!(v.namespace_labels["prod"]["env"], "prod");
    }

    #[test]
    fn set_pairs_and_user_info() {
        let mut v = Values::default();
        apply_set(&mut v, "a=1, b=two").unwrap();
        assert_eq!(v.global["b"], "two");
        assert!(apply_set(&mut v, "novalue").is_err());
        let u = parse_user_info(
            &json!({"clusterRoles": ["admin"], "userInfo": {"username": "bob", "groups": ["g"]}}),
        );
        assert_eq!(u.username, "bob");
        assert_eq!(u.cluster_roles, vec!["admin"]);
    }
}
