//! Reading policy files: every ClusterPolicy and Policy in them, and a clear
//! error for each one that cannot run (the others still load).

use serde_json::Value as Json;
use vigie_resource::{load, LoadOptions, Node, Pos, Resource};

use crate::json::node_to_json;
use crate::policy::{parse_policy, Policy, PolicyError};

/// Policy kinds of later issues (CEL, mutate and generate policies): recognised, not run.
pub const UNSUPPORTED_KINDS: &[&str] = &[
    "ValidatingPolicy",
    "NamespacedValidatingPolicy",
    "ImageValidatingPolicy",
    "MutatingPolicy",
    "GeneratingPolicy",
    "DeletingPolicy",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "CleanupPolicy",
    "ClusterCleanupPolicy",
];

#[derive(Debug, Default)]
pub struct LoadedPolicies {
    pub policies: Vec<Policy>,
    pub errors: Vec<PolicyError>,
    /// Documents of a policy kind vigie does not run yet: (file, kind, name).
    pub unsupported: Vec<(String, String, String)>,
}

pub fn is_kyverno_policy(r: &Resource) -> bool {
    r.api_version.starts_with("kyverno.io/") && (r.kind == "ClusterPolicy" || r.kind == "Policy")
}

/// Loads policies from files, directories or `-`.
pub fn load_policies(paths: &[String]) -> LoadedPolicies {
    let loaded = load(
        paths,
        &LoadOptions {
            no_kustomize: true,
            ..Default::default()
        },
    );
    let mut out = LoadedPolicies::default();
    for d in loaded.diagnostics.iter().filter(|d| d.is_error()) {
        out.errors.push(PolicyError {
            file: d.file.clone(),
            line: d.pos.map(|p| p.line),
            policy: "?".into(),
            rule: None,
            path: String::new(),
            reason: d.reason.clone(),
        });
    }
    for r in &loaded.resources {
        add_resource(r, &mut out);
    }
    out
}

pub fn add_resource(r: &Resource, out: &mut LoadedPolicies) {
    let file = r.origin.file.path.clone();
    if is_kyverno_policy(r) {
        let doc = node_to_json(&r.root);
        match parse_policy(&doc, &file) {
            Ok((policy, problems)) if problems.is_empty() => out.policies.push(policy),
            Ok((policy, problems)) => {
                for (rule, (path, reason)) in problems {
                    out.errors.push(PolicyError {
                        line: line_of(&r.root, &path),
                        file: file.clone(),
                        policy: policy.name.clone(),
                        rule,
                        path,
                        reason,
                    });
                }
            }
            Err((path, reason)) => out.errors.push(PolicyError {
                line: line_of(&r.root, &path),
                file,
                policy: if r.name.is_empty() {
                    "?".into()
                } else {
                    r.name.clone()
                },
                rule: None,
                path,
                reason,
            }),
        }
    } else if UNSUPPORTED_KINDS.contains(&r.kind.as_str()) {
        out.unsupported.push((file, r.kind.clone(), r.name.clone()));
    }
}

/// The line of a dotted path (`spec.rules[0].match`) in the policy document:
/// the deepest part of the path that exists.
fn line_of(root: &Node, path: &str) -> Option<u32> {
    let mut node = root;
    let mut pos: Pos = root.pos;
    for part in path.split('.') {
        let (key, indexes) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            match node.entry(key) {
                Some(e) => {
                    pos = e.key_pos;
                    node = &e.value;
                }
                None => break,
            }
        }
        for idx in indexes.split(']').filter_map(|s| s.strip_prefix('[')) {
            let Ok(i) = idx.parse::<usize>() else { break };
            match node.items().get(i) {
                Some(n) => {
                    pos = n.pos;
                    node = n;
                }
                None => break,
            }
        }
    }
    Some(pos.line).filter(|l| *l > 0)
}

/// Parses policies from YAML text (for tests and embedding).
pub fn policies_from_str(text: &str, file: &str) -> LoadedPolicies {
    let mut out = LoadedPolicies::default();
    let source = std::sync::Arc::new(vigie_resource::SourceFile {
        path: file.to_string(),
        rendered_by: None,
    });
    for doc in vigie_resource::parse_documents(text) {
        match doc {
            Ok(doc) => {
                let origin = vigie_resource::Origin {
                    file: source.clone(),
                    document: doc.index,
                    item: None,
                };
                if let Ok(r) = Resource::from_node(doc.root, origin) {
                    add_resource(&r, &mut out);
                }
            }
            Err(e) => out.errors.push(PolicyError {
                file: file.into(),
                line: Some(e.pos.line),
                policy: "?".into(),
                rule: None,
                path: String::new(),
                reason: e.reason,
            }),
        }
    }
    out
}

pub fn json_of(r: &Resource) -> Json {
    node_to_json(&r.root)
}
