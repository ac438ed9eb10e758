//! Reading policy files: every ClusterPolicy and Policy in them, and a clear
//! error for each one that cannot run (the others still load).

use serde_json::Value as Json;
use vigie_resource::input::ReadError;
use vigie_resource::{load, LoadOptions, Node, Pos, Resource};

use crate::engine::base_rule_name;
use crate::inputs::{gather, resources_of_text};
use crate::json::node_to_json;
use crate::policy::{parse_policy, Policy, PolicyError, RuleAction};

/// Policy kinds of later issues (CEL, mutate and generate policies): recognised, not run.
pub const UNSUPPORTED_KINDS: &[&str] = &[
    "ValidatingPolicy",
    "NamespacedValidatingPolicy",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
];

/// What loading policy files gave: the policies that loaded, and why the others
/// did not (loading goes on past a bad policy).
#[derive(Debug, Default)]
pub struct LoadedPolicies {
    /// The policies ready to run, in file order.
    pub policies: Vec<Policy>,
    /// Each policy or file that could not be loaded, with where and why.
    pub errors: Vec<PolicyError>,
    /// Documents of a policy kind vigie does not run yet: (file, kind, name).
    pub unsupported: Vec<(String, String, String)>,
    /// Rules of loaded policies that vigie does not run yet (mutate, generate,
    /// verifyImages, `validate.cel`...): the reason names the rule kind. They are
    /// never reported as passing.
    pub unsupported_rules: Vec<PolicyError>,
    /// ValidatingAdmissionPolicyBindings read, (file, document), until they
    /// are applied to their policies once every file is read (then empty).
    pub bindings: Vec<(String, Json)>,
    /// Files skipped on purpose (a FIFO or device inside a directory).
    pub notes: Vec<String>,
    /// Files that could not be read at all: missing, over the size cap, not
    /// UTF-8, refused by the system. Not repeated in `errors`.
    pub unreadable: Vec<ReadError>,
    /// PolicyExceptions found among the policies (Kyverno's CLI reads those
    /// of its policy files; the admission webhook serves them with the
    /// policies). One that does not parse is in `errors`.
    pub exceptions: Vec<crate::exception::PolicyException>,
}

/// Whether `api_version`/`kind` is a `kyverno.io` ClusterPolicy or Policy.
fn is_kyverno_kind(api_version: &str, kind: &str) -> bool {
    api_version.starts_with("kyverno.io/") && (kind == "ClusterPolicy" || kind == "Policy")
}

/// An error about a whole file (no policy or rule to name).
fn file_error(file: &str, line: Option<u32>, reason: impl Into<String>) -> PolicyError {
    PolicyError {
        file: file.to_string(),
        line: line.filter(|l| *l > 0),
        policy: String::new(),
        rule: None,
        path: String::new(),
        reason: reason.into(),
    }
}

/// Loads policies from files, directories or `-`, reading no file beyond `max_file_bytes`.
/// A file named directly that holds no policy at all is an error (policies and
/// resources swapped on the command line, say); inside a directory such files are
/// passed over, as test suites and resources sit beside policies.
pub fn load_policies(paths: &[String], max_file_bytes: u64) -> LoadedPolicies {
    load_policies_and_objects(paths, max_file_bytes, &[])
}

/// Like [`load_policies`], with policy `objects` that come from elsewhere than
/// files (the admission webhook's, followed in a cluster; each names where it
/// comes from in its origin) added before ValidatingAdmissionPolicyBindings are
/// applied, so that a binding may select a policy of either source.
pub fn load_policies_and_objects(
    paths: &[String],
    max_file_bytes: u64,
    objects: &[Resource],
) -> LoadedPolicies {
    let gathered = gather(paths, max_file_bytes, false);
    let mut out = LoadedPolicies {
        notes: gathered.notes,
        unreadable: gathered.errors,
        ..Default::default()
    };
    let loaded = load(&gathered.paths, &LoadOptions::plain_files(max_file_bytes));
    for d in loaded.diagnostics.iter().filter(|d| d.is_error()) {
        out.errors
            .push(file_error(&d.file, d.pos.map(|p| p.line), d.reason.clone()));
    }
    let mut found = std::collections::HashSet::new();
    for r in &loaded.resources {
        if add_resource(r, &mut out) {
            found.insert(r.origin.file.path.clone());
        }
    }
    for (name, text) in &gathered.texts {
        if add_text(name, text, &mut out) {
            found.insert(name.clone());
        }
    }
    for r in objects {
        add_resource(r, &mut out);
    }
    apply_bindings(&mut out);
    for name in &gathered.named {
        let failed = out.errors.iter().any(|e| &e.file == name)
            || out.unreadable.iter().any(|e| e.file() == name);
        if !found.contains(name) && !failed {
            out.errors.push(file_error(
                name,
                None,
                "holds no Kyverno policy (kyverno.io ClusterPolicy or Policy); \
                 is it a resource file?",
            ));
        }
    }
    out
}

/// Reads one policy document into a [`Policy`] and its rules' problems.
type Reader =
    fn(&Json, &str) -> Result<(Policy, Vec<crate::policy::RuleProblem>), crate::policy::Problem>;

/// The reader of a policy kind vigie runs, if `api_version`/`kind` is one.
fn reader(api_version: &str, kind: &str) -> Option<Reader> {
    use crate::cel::{deletion, generation, ivpol, mpol, vap, vpol};
    let r: Reader = if is_kyverno_kind(api_version, kind) {
        parse_policy
    } else if vpol::is_validating_policy(api_version, kind) {
        vpol::parse
    } else if ivpol::is_image_validating_policy(api_version, kind) {
        ivpol::parse
    } else if vap::is_policy(api_version, kind) {
        vap::parse
    } else if mpol::is_mutating_policy(api_version, kind)
        || mpol::is_admission_policy(api_version, kind)
    {
        mpol::parse
    } else if generation::is_generating_policy(api_version, kind) {
        mpol::parse_generating
    } else if deletion::is_cleanup_policy(api_version, kind)
        || deletion::is_deleting_policy(api_version, kind)
    {
        deletion::parse
    } else {
        return None;
    };
    Some(r)
}

/// Adds one loaded document: a policy, a policy kind not run yet, or something else
/// (ignored). Says whether it was a policy of either sort.
pub fn add_resource(r: &Resource, out: &mut LoadedPolicies) -> bool {
    let file = r.origin.file.path.clone();
    if r.kind == "PolicyException" {
        let source = format!("{file}:{}", r.pos.line);
        match crate::exception::parse_exception(&node_to_json(&r.root), &source) {
            Ok(e) => out.exceptions.push(e),
            Err((path, reason)) => out.errors.push(PolicyError {
                line: line_of(&r.root, &path).or(Some(r.pos.line)),
                file,
                policy: format!("PolicyException {}", r.name),
                rule: None,
                path,
                reason,
            }),
        }
        return true;
    }
    if crate::cel::vap::is_binding(&r.api_version, &r.kind) {
        out.bindings.push((file, node_to_json(&r.root)));
        return true;
    }
    if let Some(read) = reader(&r.api_version, &r.kind) {
        let doc = node_to_json(&r.root);
        let parsed = read(&doc, &file);
        match parsed {
            Ok((policy, problems)) => {
                for rule in &policy.rules {
                    // Autogen copies of a rule are reported once, as their source rule.
                    let base = base_rule_name(&rule.name);
                    if base != rule.name && policy.rules.iter().any(|r| r.name == base) {
                        continue;
                    }
                    if let RuleAction::Unsupported(kind) = rule.action {
                        out.unsupported_rules.push(PolicyError {
                            line: rule_line(&r.root, &rule.name),
                            file: file.clone(),
                            policy: policy.name.clone(),
                            rule: Some(rule.name.clone()),
                            path: String::new(),
                            reason: format!(
                                "{kind} rules are not supported yet; this rule was not applied"
                            ),
                        });
                    }
                }
                if problems.is_empty() {
                    out.policies.push(policy);
                } else {
                    for (rule, (path, reason)) in problems {
                        // An autogen copy repeats its source rule's problem
                        // (the path is already the source's): said once.
                        let said = out.errors.iter().any(|e| {
                            e.file == file
                                && e.policy == policy.name
                                && e.path == path
                                && e.reason == reason
                        });
                        if said {
                            continue;
                        }
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
            }
            Err((path, reason)) => out.errors.push(PolicyError {
                line: line_of(&r.root, &path),
                file,
                policy: r.name.clone(),
                rule: None,
                path,
                reason,
            }),
        }
        true
    } else if UNSUPPORTED_KINDS.contains(&r.kind.as_str()) {
        out.unsupported.push((file, r.kind.clone(), r.name.clone()));
        true
    } else {
        false
    }
}

/// The line of the rule of that name in `spec.rules` (autogen rules: their source rule).
fn rule_line(root: &Node, name: &str) -> Option<u32> {
    let base = base_rule_name(name);
    let rules = root.get_path(&["spec", "rules"])?;
    rules
        .items()
        .iter()
        .find(|rule| rule.get("name").and_then(Node::as_str) == Some(base))
        .map(|rule| rule.pos.line)
        .or(Some(rules.pos.line))
        .filter(|l| *l > 0)
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

/// Adds the policies of `text`, the text of file `name`, and its errors to
/// `out`; whether the file held a policy.
fn add_text(name: &str, text: &str, out: &mut LoadedPolicies) -> bool {
    let (resources, errors) = resources_of_text(name, text);
    out.errors.extend(
        errors
            .into_iter()
            .map(|(line, e)| file_error(name, Some(line), e)),
    );
    let mut found = false;
    for r in &resources {
        // Every resource is added, whatever the ones before it were.
        found |= add_resource(r, out);
    }
    found
}

/// Parses policies from YAML text (for tests and embedding).
pub fn policies_from_str(text: &str, file: &str) -> LoadedPolicies {
    let mut out = LoadedPolicies::default();
    add_text(file, text, &mut out);
    apply_bindings(&mut out);
    out
}

/// Applies the ValidatingAdmissionPolicyBindings read to their policies.
fn apply_bindings(out: &mut LoadedPolicies) {
    for (file, binding) in std::mem::take(&mut out.bindings) {
        if let Err(e) = crate::cel::vap::apply_binding(&mut out.policies, &binding, &file) {
            out.errors.push(*e);
        }
    }
}
