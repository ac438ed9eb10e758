//! ## What it does
//! Flags Deployments, ReplicaSets, DaemonSets, StatefulSets, Jobs, CronJobs
//! and ReplicationControllers whose selector does not match the labels of
//! their own pod template.
//!
//! ## Why is this bad
//! A controller manages the pods its selector matches. When the template's
//! labels fall outside the selector, the API server rejects the object (apps/v1)
//! or the controller keeps creating pods it never counts as its own; either way
//! the workload that runs is not the one that was reviewed. It usually comes
//! from label drift or a copy-pasted manifest.
//!
//! ## Example
//! ```yaml
//! spec:
//!   selector: {matchLabels: {app: web}}
//!   template:
//!     metadata: {labels: {app: api}}   # flagged: app=web does not match
//! ```
//! Use instead: make the selector and the template labels agree.
//!
//! ## References
//! Kubescape C-0296.

use super::super::prelude::*;

/// How VG-W053 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = Evaluator::Object {
    applies: |r| {
        matches!(
            r.kind.as_str(),
            "Deployment"
                | "ReplicaSet"
                | "DaemonSet"
                | "StatefulSet"
                | "Job"
                | "CronJob"
                | "ReplicationController"
        )
    },
    evaluate,
};

fn evaluate(resource: &Resource, _: &Config, out: &mut Vec<Violation>) {
    let (spec, spec_path) = if resource.kind == "CronJob" {
        (
            resource.root.get_path(&["spec", "jobTemplate", "spec"]),
            "spec.jobTemplate.spec",
        )
    } else {
        (resource.root.get("spec"), "spec")
    };
    let Some(spec) = spec else {
        return;
    };
    // No selector: the API server derives one from the template (Job,
    // ReplicationController), or rejects the object; nothing can mismatch.
    let Some(selector) = spec.get("selector").filter(|s| !s.is_null()) else {
        return;
    };
    let labels = spec.get_path(&["template", "metadata", "labels"]);
    let label = |key: &str| labels.and_then(|l| l.get(key)).map(Node::display_value);
    let mismatch = if resource.kind == "ReplicationController" {
        // A ReplicationController's selector is a plain map of labels.
        first_mismatch_of_labels(selector, &label)
    } else {
        first_mismatch_of_labels(selector.get("matchLabels").unwrap_or(Node::null()), &label)
            .or_else(|| first_mismatch_of_expressions(selector, &label))
    };
    if let Some(reason) = mismatch {
        out.push(Violation::new(
            format!("{spec_path}.selector"),
            key_pos(spec, "selector"),
            format!(
                "{} {}: the selector does not match the pod template labels ({reason})",
                resource.kind, resource.name
            ),
        ));
    }
}

/// The first `key: value` of a map of labels that the template does not carry.
fn first_mismatch_of_labels(
    wanted: &Node,
    label: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    wanted.as_map()?.iter().find_map(|entry| {
        let value = entry.value.display_value();
        match label(&entry.key) {
            Some(actual) if actual == value => None,
            Some(actual) => Some(format!(
                "{}={value} but the template has {actual}",
                entry.key
            )),
            None => Some(format!(
                "{}={value} but the template has no {} label",
                entry.key, entry.key
            )),
        }
    })
}

/// The first `matchExpressions` requirement the template labels fail.
fn first_mismatch_of_expressions(
    selector: &Node,
    label: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    let expressions = selector.get("matchExpressions").map(Node::items)?;
    expressions.iter().find_map(|expression| {
        let key = expression.get("key").and_then(Node::as_str)?;
        let operator = expression.get("operator").and_then(Node::as_str)?;
        let values: Vec<String> = list_of(expression, "values")
            .iter()
            .map(Node::display_value)
            .collect();
        let actual = label(key);
        let holds = match operator {
            "In" => actual.as_ref().is_some_and(|v| values.contains(v)),
            "NotIn" => actual.as_ref().is_none_or(|v| !values.contains(v)),
            "Exists" => actual.is_some(),
            "DoesNotExist" => actual.is_none(),
            _ => true,
        };
        (!holds).then(|| format!("{key} {operator} [{}] fails", values.join(", ")))
    })
}
