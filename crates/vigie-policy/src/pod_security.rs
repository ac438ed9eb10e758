//! `validate.podSecurity`: the Pod Security Standards from vigie-controls, with
//! Kyverno's exclusions.
//!
//! An exclusion lifts a violation when its `controlName` is the violation's
//! control and every field it gives agrees with the violation: `images` (the
//! image of the container at fault matches one of them, wildcards allowed),
//! `restrictedField` (the path of the offending field, in pod terms with `[*]`
//! for any list index, e.g. `spec.containers[*].securityContext.capabilities.add`;
//! the field at fault is that path or below it) and `values` (the offending
//! value, or every item of an offending list, is one of them, wildcards
//! allowed). A control's failure is lifted when all its violations are.

use std::cell::RefCell;
use std::sync::Arc;

use vigie_controls::pss::{self, CheckFailure, Level, Version};
use vigie_resource::wildcard_match;

use crate::engine::{Status, Target};
use crate::policy::PodSecurity;

/// The Pod Security checks' failures on one object, by level and version, made
/// by the first podSecurity rule that asks for them: rules of the same level
/// (the library's policies differ only in their exclusions) share one
/// evaluation of the object.
#[derive(Default)]
pub(crate) struct Evaluations(RefCell<Vec<Evaluation>>);

/// The failures of the checks of one level and version.
type Evaluation = (Level, Version, Arc<Vec<CheckFailure>>);

impl Evaluations {
    fn failures(
        &self,
        level: Level,
        version: Version,
        evaluate: impl FnOnce() -> Vec<CheckFailure>,
    ) -> Arc<Vec<CheckFailure>> {
        if let Some((_, _, failures)) = self
            .0
            .borrow()
            .iter()
            .find(|(l, v, _)| *l == level && *v == version)
        {
            return failures.clone();
        }
        let failures = Arc::new(evaluate());
        self.0.borrow_mut().push((level, version, failures.clone()));
        failures
    }
}

pub(crate) fn check(
    ps: &PodSecurity,
    target: &Target,
    evaluations: &Evaluations,
) -> (Status, String) {
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
    let failures = evaluations.failures(level, version, || {
        pss::evaluate(template, &pss::checks_for(level, version), version)
    });
    // The images by container path, read only when an exclusion names images and
    // there is a failure to lift (most requests pass, most exclusions name none).
    let images = std::cell::OnceCell::new();
    let mut messages = Vec::new();
    for failure in failures.iter() {
        let excluded = failure.violations.iter().all(|v| {
            ps.exclude.iter().any(|e| {
                e.control_name == failure.check.control_name
                    && (e.images.is_empty()
                        || image_matches(
                            &e.images,
                            &v.path,
                            images.get_or_init(|| container_images(&target.object)),
                        ))
                    && e.restricted_field.as_deref().is_none_or(|field| {
                        field_matches(field, &v.path)
                            && (e.values.is_empty()
                                || values_match(&e.values, value_at(&target.object, &v.path)))
                    })
            })
        });
        if !excluded {
            let mut message = String::from(failure.check.control_name);
            message.push_str(": ");
            for (i, violation) in failure.violations.iter().enumerate() {
                if i > 0 {
                    message.push_str("; ");
                }
                message.push_str(&violation.message);
            }
            messages.push(message);
        }
    }
    if messages.is_empty() {
        (Status::Pass, String::new())
    } else {
        (Status::Fail, messages.join("; "))
    }
}

fn image_matches(patterns: &[String], path: &str, images: &[(String, String)]) -> bool {
    container_of(path)
        .and_then(|c| {
            images
                .iter()
                .find(|(p, _)| *p == c)
                .map(|(_, image)| image.as_str())
        })
        .is_some_and(|image| patterns.iter().any(|p| wildcard_match(p, image)))
}

/// The violation path in pod terms: the pod template prefix of a controller
/// removed (`spec.template.spec.x` -> `spec.x`).
fn pod_path(path: &str) -> &str {
    for prefix in ["spec.jobTemplate.spec.template.", "spec.template."] {
        if let Some(rest) = path.strip_prefix(prefix) {
            return rest;
        }
    }
    path
}

/// Path segments: `a.b[0].c[key.with.dots]` -> `a`, `b`, `[0]`, `c`, `[key.with.dots]`.
fn segments(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            '[' => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
                let mut inner = String::from("[");
                for d in chars.by_ref() {
                    inner.push(d);
                    if d == ']' {
                        break;
                    }
                }
                out.push(inner);
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Whether a `restrictedField` names the violation's field or one of its parents.
fn field_matches(field: &str, violation_path: &str) -> bool {
    let wanted = segments(field.trim());
    let actual = segments(pod_path(violation_path));
    if wanted.is_empty() || wanted.len() > actual.len() {
        return false;
    }
    wanted.iter().zip(&actual).all(|(w, a)| {
        let unquote = |s: &str| {
            s.trim_matches(['[', ']'])
                .trim_matches(['"', '\''])
                .to_string()
        };
        w == a
            || (w == "[*]" && a.starts_with('[') && a[1..a.len() - 1].parse::<usize>().is_ok())
            || (w.starts_with('[')
                && a.starts_with('[')
                && wildcard_match(&unquote(w), &unquote(a)))
    })
}

/// The value of the object at a violation path (`None` when the field is absent).
fn value_at<'a>(object: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    let mut node = object;
    for segment in segments(path) {
        node = match segment.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            Some(inner) => match node {
                serde_json::Value::Array(items) => items.get(inner.parse::<usize>().ok()?)?,
                serde_json::Value::Object(m) => m.get(inner)?,
                _ => return None,
            },
            None => node.get(segment.as_str())?,
        };
    }
    Some(node)
}

fn values_match(values: &[String], offending: Option<&serde_json::Value>) -> bool {
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let one = |v: &serde_json::Value| {
        text(v).is_some_and(|t| values.iter().any(|p| wildcard_match(p, &t)))
    };
    match offending {
        Some(serde_json::Value::Array(items)) => !items.is_empty() && items.iter().all(one),
        Some(v) => one(v),
        None => false,
    }
}

/// `spec.containers[2]` from a violation path such as `spec.containers[2].securityContext`.
fn container_of(path: &str) -> Option<String> {
    let end = path.find(']')?;
    Some(path[..=end].to_string())
}

fn container_images(object: &serde_json::Value) -> Vec<(String, String)> {
    let prefixes: [(&str, &[&str]); 3] = [
        ("spec", &["spec"]),
        ("spec.template.spec", &["spec", "template", "spec"]),
        (
            "spec.jobTemplate.spec.template.spec",
            &["spec", "jobTemplate", "spec", "template", "spec"],
        ),
    ];
    let mut out = Vec::new();
    for (path, keys) in prefixes {
        let Some(spec) = keys.iter().try_fold(object, |node, key| node.get(key)) else {
            continue;
        };
        for field in ["containers", "initContainers", "ephemeralContainers"] {
            if let Some(items) = spec.get(field).and_then(|v| v.as_array()) {
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
        cluster: None,
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
        assert_eq!(
            check(&ps, &pod(true), &Evaluations::default()).0,
            Status::Fail
        );
        assert_eq!(
            check(&ps, &pod(false), &Evaluations::default()).0,
            Status::Pass
        );
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
        assert_eq!(
            check(&excluded, &pod(true), &Evaluations::default()).0,
            Status::Pass
        );
    }

    fn control(part: &str) -> &'static str {
        vigie_controls::pss::all_checks()
            .iter()
            .find(|c| c.control_name.contains(part))
            .unwrap()
            .control_name
    }

    fn exclusion(control: &str, field: &str, values: &[&str], images: &[&str]) -> PodSecurity {
        PodSecurity {
            level: "baseline".into(),
            version: "latest".into(),
            exclude: vec![PodSecurityExclusion {
                control_name: control.into(),
                images: images.iter().map(|s| s.to_string()).collect(),
                restricted_field: Some(field.into()),
                values: values.iter().map(|s| s.to_string()).collect(),
            }],
        }
    }

    fn deployment_adding(caps: serde_json::Value) -> Target {
        Target::from_json(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "d"},
            "spec": {"template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [
                {"name": "ok", "image": "busybox"},
                {"name": "c", "image": "registry.test/app:1",
                 "securityContext": {"capabilities": {"add": caps}}}]}}}}))
    }

    #[test]
    fn exclusions_by_restricted_field_and_values() {
        let caps = control("Capabilities");
        let field = "spec.containers[*].securityContext.capabilities.add";
        let target = deployment_adding(json!(["NET_RAW", "SYS_ADMIN"]));
        // One evaluation for every exclusion below, as the rules of one request
        // share it: an exclusion lifts failures for its own rule only.
        let shared = Evaluations::default();
        // Only NET_RAW is excluded: SYS_ADMIN still fails.
        let only_raw = exclusion(caps, field, &["NET_RAW"], &[]);
        assert_eq!(check(&only_raw, &target, &shared).0, Status::Fail);
        let both = exclusion(caps, field, &["NET_RAW", "SYS_*"], &[]);
        assert_eq!(check(&both, &target, &shared).0, Status::Pass);
        // The field must be the offending one.
        let other_field = exclusion(
            caps,
            "spec.initContainers[*].securityContext.capabilities.add",
            &[],
            &[],
        );
        assert_eq!(check(&other_field, &target, &shared).0, Status::Fail);
        // No values: any value of that field.
        let any_value = exclusion(caps, field, &[], &[]);
        assert_eq!(check(&any_value, &target, &shared).0, Status::Pass);
        // Images narrow it further.
        let wrong_image = exclusion(caps, field, &[], &["nginx*"]);
        assert_eq!(check(&wrong_image, &target, &shared).0, Status::Fail);
        let right_image = exclusion(caps, field, &["NET_RAW", "SYS_ADMIN"], &["registry.test/*"]);
        assert_eq!(check(&right_image, &target, &shared).0, Status::Pass);
    }

    #[test]
    fn a_shared_evaluation_keeps_levels_apart() {
        let at = |level: &str| PodSecurity {
            level: level.into(),
            version: "latest".into(),
            exclude: vec![],
        };
        // Not privileged: baseline holds; restricted wants more (non-root, seccomp).
        let target = pod(false);
        let shared = Evaluations::default();
        assert_eq!(check(&at("baseline"), &target, &shared).0, Status::Pass);
        assert_eq!(check(&at("restricted"), &target, &shared).0, Status::Fail);
        assert_eq!(check(&at("baseline"), &target, &shared).0, Status::Pass);
        assert_eq!(shared.0.borrow().len(), 2);
    }

    #[test]
    fn exclusions_on_pod_level_fields() {
        let target = Target::from_json(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p"},
            "spec": {"hostNetwork": true, "containers": [{"name": "c", "image": "x",
                "ports": [{"containerPort": 80, "hostPort": 8080}]}]}}));
        let ns = control("Host Namespaces");
        let ports = control("Host Ports");
        let mut ps = exclusion(ns, "spec.hostNetwork", &["true"], &[]);
        ps.exclude.push(PodSecurityExclusion {
            control_name: ports.into(),
            images: vec![],
            restricted_field: Some("spec.containers[*].ports[*].hostPort".into()),
            values: vec!["8080".into()],
        });
        assert_eq!(check(&ps, &target, &Evaluations::default()).0, Status::Pass);
        ps.exclude[1].values = vec!["9090".into()];
        assert_eq!(check(&ps, &target, &Evaluations::default()).0, Status::Fail);
    }

    #[test]
    fn paths() {
        assert_eq!(
            segments("metadata.annotations[a.b/c].x[2]"),
            vec!["metadata", "annotations", "[a.b/c]", "x", "[2]"]
        );
        assert!(field_matches(
            "spec.containers[*].securityContext",
            "spec.template.spec.containers[3].securityContext.privileged"
        ));
        assert!(!field_matches(
            "spec.containers[*].ports",
            "spec.containers[0]"
        ));
    }
}
