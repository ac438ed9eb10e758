//! Container image references split the way Kyverno's `images` variable exposes them.

use serde_json::{json, Map, Value as Json};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageInfo {
    pub registry: String,
    pub path: String,
    pub name: String,
    pub tag: String,
    pub digest: String,
}

/// Parses `[registry/]path[:tag][@digest]`, defaulting to `docker.io` and `latest`.
pub fn parse(image: &str) -> Option<ImageInfo> {
    let image = image.trim();
    if image.is_empty() || image.contains(char::is_whitespace) {
        return None;
    }
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, d.to_string()),
        None => (image, String::new()),
    };
    let (registry, remainder) = match rest.split_once('/') {
        Some((first, after)) if first.contains(['.', ':']) || first == "localhost" => {
            (first.to_string(), after)
        }
        _ => ("docker.io".to_string(), rest),
    };
    let (path, tag) = match remainder.rsplit_once(':') {
        Some((p, t)) if !t.contains('/') => (p.to_string(), t.to_string()),
        _ => (remainder.to_string(), String::new()),
    };
    if path.is_empty() {
        return None;
    }
    let tag = if tag.is_empty() && digest.is_empty() {
        "latest".to_string()
    } else {
        tag
    };
    let name = path.rsplit('/').next().unwrap_or(&path).to_string();
    Some(ImageInfo {
        registry,
        path,
        name,
        tag,
        digest,
    })
}

impl ImageInfo {
    pub fn normalized(&self) -> String {
        let base = format!("{}/{}", self.registry, self.path);
        if !self.digest.is_empty() {
            format!("{base}@{}", self.digest)
        } else {
            format!("{base}:{}", self.tag)
        }
    }

    fn to_json(&self) -> Json {
        let with_tag = format!("{}/{}:{}", self.registry, self.path, self.tag);
        json!({
            "registry": self.registry,
            "path": self.path,
            "name": self.name,
            "tag": self.tag,
            "digest": self.digest,
            "reference": self.normalized(),
            "referenceWithTag": with_tag,
        })
    }
}

/// The `images` variable: `{containers: {<name>: info}, initContainers: ..., ephemeralContainers: ...}`
/// for any object that carries a pod spec.
pub fn images_variable(object: &Json, kind: &str) -> Json {
    let spec = match kind {
        "Pod" => object.get("spec"),
        "CronJob" => object.pointer("/spec/jobTemplate/spec/template/spec"),
        _ => object.pointer("/spec/template/spec"),
    };
    let mut out = Map::new();
    let Some(spec) = spec else {
        return Json::Object(out);
    };
    for field in ["containers", "initContainers", "ephemeralContainers"] {
        let Some(Json::Array(containers)) = spec.get(field) else {
            continue;
        };
        let mut by_name = Map::new();
        for c in containers {
            let (Some(name), Some(image)) = (
                c.get("name").and_then(Json::as_str),
                c.get("image").and_then(Json::as_str),
            ) else {
                continue;
            };
            if let Some(info) = parse(image) {
                by_name.insert(name.to_string(), info.to_json());
            }
        }
        if !by_name.is_empty() {
            out.insert(field.to_string(), Json::Object(by_name));
        }
    }
    Json::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_registry_and_tag() {
        let i = parse("nginx").unwrap();
        assert_eq!(
            (
                i.registry.as_str(),
                i.path.as_str(),
                i.name.as_str(),
                i.tag.as_str()
            ),
            ("docker.io", "nginx", "nginx", "latest")
        );
        assert_eq!(i.normalized(), "docker.io/nginx:latest");
    }

    #[test]
    fn registry_port_path_tag_digest() {
        let i = parse("reg.io:5000/team/app:1.2@sha256:abc").unwrap();
        assert_eq!(i.registry, "reg.io:5000");
        assert_eq!(i.path, "team/app");
        assert_eq!(i.name, "app");
        assert_eq!(i.tag, "1.2");
        assert_eq!(i.digest, "sha256:abc");
        assert_eq!(i.normalized(), "reg.io:5000/team/app@sha256:abc");
        let j = parse("library/busybox@sha256:def").unwrap();
        assert_eq!((j.registry.as_str(), j.tag.as_str()), ("docker.io", ""));
    }

    #[test]
    fn images_of_a_deployment() {
        let d = json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "ghcr.io/a/b:v1"}]}}}});
        let v = images_variable(&d, "Deployment");
        assert_eq!(v["containers"]["web"]["registry"], "ghcr.io");
        assert_eq!(v["containers"]["web"]["tag"], "v1");
    }
}
