//! Container image references split the way Kyverno's `images` variable exposes them.

use serde_json::{json, Map, Value as Json};

pub use vigie_resource::{parse_image as parse, ImageInfo};

/// The JSON form of `info` in the `images` variable.
fn to_json(info: &ImageInfo) -> Json {
    let with_tag = format!("{}/{}:{}", info.registry, info.path, info.tag);
    json!({
        "registry": info.registry,
        "path": info.path,
        "name": info.name,
        "tag": info.tag,
        "digest": info.digest,
        "reference": info.normalized(),
        "referenceWithTag": with_tag,
    })
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
                by_name.insert(name.to_string(), to_json(&info));
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
