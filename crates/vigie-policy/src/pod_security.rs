//! `validate.podSecurity`: the Pod Security Standards from vigie-controls, with
//! Kyverno's exclusions by control name and image.

use vigie_controls::pss::{self, Level, Version};

use crate::engine::{Status, Target};
use crate::policy::PodSecurity;
use crate::wildcard;

pub fn check(ps: &PodSecurity, target: &Target) -> (Status, String) {
    let level = match ps.level.as_str() {
        "privileged" => return (Status::Pass, "privileged level allows everything".into()),
        "restricted" => Level::Restricted,
        _ => Level::Baseline,
    };
    let version = if ps.version == "latest" {
        Version::LATEST
    } else {
        match ps.version.parse::<Version>() {
            Ok(v) => v,
            Err(_) => {
                return (
                    Status::Error,
                    format!("unknown Pod Security Standards version {:?}", ps.version),
                )
            }
        }
    };
    // Objects built in memory (admission requests, benchmarks) have no positioned
    // tree yet: one is built from the JSON, without positions.
    let parsed;
    let resource = match &target.resource {
        Some(r) => r,
        None => match resource_from_json(&target.object) {
            Some(r) => {
                parsed = r;
                &parsed
            }
            None => {
                return (
                    Status::Error,
                    "podSecurity: the object is not a Kubernetes object".into(),
                )
            }
        },
    };
    let Some(template) = vigie_resource::pod_template(resource) else {
        return (Status::Skip, "not a pod or pod controller".into());
    };
    let checks = pss::checks_for(level, version);
    let failures = pss::evaluate(template, &checks, version);
    let images = container_images(&target.object);
    let mut messages = Vec::new();
    for failure in failures {
        let excluded = failure.violations.iter().all(|v| {
            ps.exclude.iter().any(|e| {
                e.control_name == failure.check.control_name
                    && (e.images.is_empty()
                        || container_of(&v.path)
                            .and_then(|c| {
                                images
                                    .iter()
                                    .find(|(path, _)| *path == c)
                                    .map(|(_, image)| image.as_str())
                            })
                            .is_some_and(|image| {
                                e.images.iter().any(|p| wildcard::matches(p, image))
                            }))
            })
        });
        if !excluded {
            messages.push(format!(
                "{}: {}",
                failure.check.control_name,
                failure
                    .violations
                    .iter()
                    .map(|v| v.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
    }
    if messages.is_empty() {
        (Status::Pass, String::new())
    } else {
        (Status::Fail, messages.join("; "))
    }
}

/// `spec.containers[2]` from a violation path such as `spec.containers[2].securityContext`.
fn container_of(path: &str) -> Option<String> {
    let end = path.find(']')?;
    Some(path[..=end].to_string())
}

fn container_images(object: &serde_json::Value) -> Vec<(String, String)> {
    let prefixes = [
        ("spec", "/spec"),
        ("spec.template.spec", "/spec/template/spec"),
        (
            "spec.jobTemplate.spec.template.spec",
            "/spec/jobTemplate/spec/template/spec",
        ),
    ];
    let mut out = Vec::new();
    for (path, pointer) in prefixes {
        for field in ["containers", "initContainers", "ephemeralContainers"] {
            if let Some(items) = object
                .pointer(&format!("{pointer}/{field}"))
                .and_then(|v| v.as_array())
            {
                for (i, c) in items.iter().enumerate() {
                    if let Some(image) = c.get("image").and_then(|v| v.as_str()) {
                        out.push((format!("{path}.{field}[{i}]"), image.to_string()));
                    }
                }
            }
        }
    }
    out
}

fn resource_from_json(object: &serde_json::Value) -> Option<vigie_resource::Resource> {
    let origin = vigie_resource::Origin {
        file: std::sync::Arc::new(vigie_resource::SourceFile {
            path: "<memory>".into(),
            rendered_by: None,
        }),
        document: 0,
        item: None,
    };
    vigie_resource::Resource::from_node(crate::json::json_to_node(object), origin).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{PodSecurity, PodSecurityExclusion};
    use serde_json::json;

    fn pod(privileged: bool) -> Target {
        Target::from_json(
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "nginx", "securityContext": {"privileged": privileged}}]}}),
        )
    }

    #[test]
    fn baseline_fails_privileged_and_exclusion_by_image_lifts_it() {
        let ps = PodSecurity {
            level: "baseline".into(),
            version: "latest".into(),
            exclude: vec![],
        };
        assert_eq!(check(&ps, &pod(true)).0, Status::Fail);
        assert_eq!(check(&ps, &pod(false)).0, Status::Pass);
        let control = vigie_controls::pss::all_checks()
            .iter()
            .find(|c| c.control_name.contains("Privileged"))
            .unwrap()
            .control_name;
        let excluded = PodSecurity {
            exclude: vec![PodSecurityExclusion {
                control_name: control.into(),
                images: vec!["nginx*".into()],
                restricted_field: None,
                values: vec![],
            }],
            ..ps
        };
        assert_eq!(check(&excluded, &pod(true)).0, Status::Pass);
    }
}
