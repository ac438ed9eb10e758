//! What a posture control is.
//!
//! A control either looks at one object at a time ([`Evaluator::Object`]), which
//! lets the scan check objects as they are parsed and drop them, or needs several
//! objects together ([`Evaluator::Cluster`]: RBAC roles and their bindings,
//! NetworkPolicies and the workloads they select), in which case the scan keeps the
//! kinds it [`needs`](Evaluator::Cluster::needs) and runs it once at the end.

use vigie_finding::Severity;
use vigie_resource::Resource;

use crate::config::Config;
use crate::pod::Violation;

/// Cross-references of a control to the frameworks and catalogues people know.
#[derive(Clone, Copy, Debug, Default)]
pub struct Refs {
    /// Kubescape control IDs (`C-0057`).
    pub kubescape: &'static [&'static str],
    /// CIS Kubernetes Benchmark sections (`5.2.1`).
    pub cis: &'static [&'static str],
    /// NSA/CISA Kubernetes Hardening Guide sections.
    pub nsa: &'static [&'static str],
    /// MITRE ATT&CK techniques (`T1611`).
    pub mitre: &'static [&'static str],
}

/// One posture control.
pub struct Control {
    /// vigie's stable ID: `VG-W..` workloads, `VG-S..` secrets, `VG-R..` RBAC,
    /// `VG-N..` network, `VG-C..` control plane, `VG-H..` hygiene.
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub refs: Refs,
    pub remediation: &'static str,
    /// The source file of the control: its `//!` comment is the documentation.
    pub doc: &'static str,
    pub evaluator: Evaluator,
}

/// How a control looks at the input.
pub enum Evaluator {
    /// One object at a time.
    Object {
        applies: fn(&Resource) -> bool,
        evaluate: fn(&Resource, &Config, &mut Vec<Violation>),
    },
    /// Several objects together.
    Cluster {
        /// Kinds the control reads; the scan keeps objects of these kinds.
        needs: &'static [&'static str],
        evaluate: fn(&Inventory<'_>, &Config, &mut ClusterOutcome),
    },
}

/// The objects a cluster-scope control sees; violations name them by index.
#[derive(Clone, Copy, Debug)]
pub struct Inventory<'a> {
    pub resources: &'a [Resource],
}

impl<'a> Inventory<'a> {
    /// The objects of the given kinds, with their indices.
    pub fn of_kind(self, kinds: &'a [&'a str]) -> impl Iterator<Item = (usize, &'a Resource)> + 'a {
        self.resources
            .iter()
            .enumerate()
            .filter(move |(_, r)| kinds.contains(&r.kind.as_str()))
    }
}

/// What a cluster-scope control reports: the objects it evaluated (by inventory
/// index) and the violations it found on them.
#[derive(Debug, Default)]
pub struct ClusterOutcome {
    pub evaluated: Vec<usize>,
    pub violations: Vec<(usize, Violation)>,
}

impl Control {
    /// The documentation (What it does / Why is this bad / Example), from the
    /// control's own doc comment.
    pub fn explanation(&self) -> String {
        doc_comment(self.doc)
    }

    /// The first sentence of "What it does".
    pub fn summary(&self) -> String {
        first_sentence(&self.explanation())
    }

    /// Runs the control on a set of objects, whatever its scope: the indices of
    /// the objects it evaluated, and its violations by object index.
    pub fn run(&self, resources: &[Resource], config: &Config) -> ClusterOutcome {
        let mut outcome = ClusterOutcome::default();
        match self.evaluator {
            Evaluator::Object { applies, evaluate } => {
                for (i, resource) in resources.iter().enumerate() {
                    if !applies(resource) {
                        continue;
                    }
                    outcome.evaluated.push(i);
                    let mut violations = Vec::new();
                    evaluate(resource, config, &mut violations);
                    outcome
                        .violations
                        .extend(violations.into_iter().map(|v| (i, v)));
                }
            }
            Evaluator::Cluster { evaluate, .. } => {
                evaluate(&Inventory { resources }, config, &mut outcome);
            }
        }
        outcome
    }

    /// Whether a cluster-scope control needs objects of `kind`.
    pub fn needs(&self, kind: &str) -> bool {
        match self.evaluator {
            Evaluator::Cluster { needs, .. } => needs.contains(&kind),
            Evaluator::Object { .. } => false,
        }
    }
}

/// The `//!` comment at the top of a source file, without the markers.
pub(crate) fn doc_comment(source: &str) -> String {
    let mut text = String::new();
    for line in source.lines() {
        let Some(rest) = line.strip_prefix("//!") else {
            break;
        };
        text.push_str(rest.strip_prefix(' ').unwrap_or(rest));
        text.push('\n');
    }
    text
}

/// The first sentence of the "What it does" section of a doc comment.
pub(crate) fn first_sentence(explanation: &str) -> String {
    let what = explanation
        .split("## What it does")
        .nth(1)
        .unwrap_or("")
        .split("##")
        .next()
        .unwrap_or("");
    let flat = what.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.find(". ") {
        Some(end) => flat[..=end].to_string(),
        None => flat,
    }
}
