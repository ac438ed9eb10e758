//! What a posture control is.
//!
//! A control either looks at one object at a time ([`Evaluator::Object`]), which
//! lets the scan check objects as they are parsed and drop them, or needs several
//! objects together ([`Evaluator::Cluster`]: RBAC roles and their bindings,
//! NetworkPolicies and the workloads they select), in which case the scan keeps the
//! kinds it [`needs`](Evaluator::Cluster::needs) and runs it once at the end.

use std::collections::HashMap;
use std::sync::OnceLock;

use vigie_finding::Severity;
use vigie_resource::Resource;

use crate::config::Config;
use crate::controls::network::pod_labels::PodLabels;
use crate::controls::rbac::model::ResolvedBinding;
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
    /// `VG-N..` network, `VG-C..` control plane, `VG-K..` kubelet, `VG-H..` hygiene.
    pub id: &'static str,
    /// What the control finds, in a few words.
    pub title: &'static str,
    /// How bad a finding is.
    pub severity: Severity,
    /// Where the control stands in other catalogues.
    pub refs: Refs,
    /// How to fix what the control finds.
    pub remediation: &'static str,
    /// The documentation: the control's source file, whose `//!` comment it
    /// is, or the Markdown page of a control defined in a table.
    pub doc: &'static str,
    /// How the control looks at the input.
    pub evaluator: Evaluator,
}

/// What a control says about itself, apart from how it evaluates: the row of a
/// table of controls that share their evaluation and differ in data (the
/// "subject can X" RBAC controls, the PodSecurityPolicy controls).
pub(crate) struct Described {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub refs: Refs,
    pub remediation: &'static str,
    /// The control's Markdown documentation.
    pub doc: &'static str,
}

impl Described {
    /// The control these words describe, evaluated by `evaluator`.
    pub(crate) const fn control(&self, evaluator: Evaluator) -> Control {
        Control {
            id: self.id,
            title: self.title,
            severity: self.severity,
            refs: self.refs,
            remediation: self.remediation,
            doc: self.doc,
            evaluator,
        }
    }
}

/// How a control looks at the input.
pub enum Evaluator {
    /// One object at a time.
    Object {
        /// Whether the control looks at an object.
        applies: fn(&Resource) -> bool,
        /// Adds the object's violations to the list.
        evaluate: fn(&Resource, &Config, &mut Vec<Violation>),
    },
    /// Several objects together.
    Cluster {
        /// Kinds the control reads; the scan keeps objects of these kinds.
        needs: &'static [&'static str],
        /// Evaluates the control on the inventory.
        evaluate: fn(&Inventory<'_>, &Config, &mut ClusterOutcome),
    },
}

/// The objects a cluster-scope control sees; violations name them by index.
///
/// Lookups go through an [`InventoryIndex`] built once per scan, so that a
/// control relating two kinds (Services and the workloads they select, bindings
/// and their roles) costs the number of matches, not the product of the counts.
#[derive(Clone, Copy, Debug)]
pub struct Inventory<'a> {
    /// Every object of the inventory; violations name them by index.
    pub resources: &'a [Resource],
    index: &'a InventoryIndex<'a>,
}

type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Indices of the inventory by kind, and for each kind by name and namespace.
/// Keys borrow from the objects, so that building the index of 100,000 objects
/// copies no string; maps are nested, so that a lookup takes any `&str`.
///
/// Only the list of each kind is built up front. Views that only some controls
/// read (a kind by name or namespace, pod labels, RBAC bindings resolved to
/// their roles) are built by the first control that asks, once per scan, and
/// shared by the others: Secrets and ConfigMaps, kept by the thousand, are never
/// looked up by name.
#[derive(Debug, Default)]
pub struct InventoryIndex<'a> {
    by_kind: Map<&'a str, KindIndex<'a>>,
    pod_labels: OnceLock<PodLabels<'a>>,
    bindings: OnceLock<Vec<ResolvedBinding<'a>>>,
}

/// The objects of one kind, in input order, and their views by name and namespace.
#[derive(Debug, Default)]
struct KindIndex<'a> {
    all: Vec<usize>,
    by_name: OnceLock<Map<&'a str, Vec<usize>>>,
    by_namespace: OnceLock<Map<&'a str, Vec<usize>>>,
    by_namespace_name: OnceLock<Map<&'a str, Map<&'a str, Vec<usize>>>>,
}

/// The namespace an object lives in for lookups: objects without one land in `default`.
fn namespace_key(resource: &Resource) -> &str {
    resource.namespace.as_deref().unwrap_or("default")
}

impl<'a> InventoryIndex<'a> {
    /// The index of `resources`: only the list of each kind, built up front.
    pub fn new(resources: &'a [Resource]) -> Self {
        let mut index = InventoryIndex::default();
        for (i, r) in resources.iter().enumerate() {
            index
                .by_kind
                .entry(r.kind.as_str())
                .or_default()
                .all
                .push(i);
        }
        index
    }
}

impl<'a> KindIndex<'a> {
    fn by_name(&self, resources: &'a [Resource]) -> &Map<&'a str, Vec<usize>> {
        self.by_name.get_or_init(|| {
            let mut map: Map<&str, Vec<usize>> = Map::default();
            for &i in &self.all {
                map.entry(resources[i].name.as_str()).or_default().push(i);
            }
            map
        })
    }

    fn by_namespace(&self, resources: &'a [Resource]) -> &Map<&'a str, Vec<usize>> {
        self.by_namespace.get_or_init(|| {
            let mut map: Map<&str, Vec<usize>> = Map::default();
            for &i in &self.all {
                map.entry(namespace_key(&resources[i])).or_default().push(i);
            }
            map
        })
    }

    fn by_namespace_name(
        &self,
        resources: &'a [Resource],
    ) -> &Map<&'a str, Map<&'a str, Vec<usize>>> {
        self.by_namespace_name.get_or_init(|| {
            let mut map: Map<&str, Map<&str, Vec<usize>>> = Map::default();
            for &i in &self.all {
                let r = &resources[i];
                let by_name = map.entry(namespace_key(r)).or_default();
                by_name.entry(r.name.as_str()).or_default().push(i);
            }
            map
        })
    }
}

impl<'a> Inventory<'a> {
    /// The inventory of `resources`, looked up through `index`.
    pub fn new(resources: &'a [Resource], index: &'a InventoryIndex<'a>) -> Self {
        Self { resources, index }
    }

    fn entries(self, indices: Vec<usize>) -> impl Iterator<Item = (usize, &'a Resource)> + 'a {
        indices.into_iter().map(move |i| (i, &self.resources[i]))
    }

    /// Indices of several lists, merged in input order.
    fn merged<'k>(lists: impl Iterator<Item = &'k Vec<usize>>) -> Vec<usize> {
        let lists: Vec<&Vec<usize>> = lists.collect();
        let mut indices: Vec<usize> = lists.iter().copied().flatten().copied().collect();
        // Each list is in input order already.
        if lists.len() > 1 {
            indices.sort_unstable();
        }
        indices
    }

    /// The objects of the given kinds, in input order, with their indices.
    pub fn of_kind(self, kinds: &[&str]) -> impl Iterator<Item = (usize, &'a Resource)> + 'a {
        let index = self.index;
        self.entries(Self::merged(
            kinds
                .iter()
                .filter_map(|k| Some(&index.by_kind.get(*k)?.all)),
        ))
    }

    /// The objects of the given kinds in `namespace` (objects without a
    /// namespace count as `default`), in input order.
    pub fn in_namespace(
        self,
        kinds: &[&str],
        namespace: &str,
    ) -> impl Iterator<Item = (usize, &'a Resource)> + 'a {
        let index = self.index;
        let resources = self.resources;
        let lists = kinds.iter().filter_map(|k| {
            index
                .by_kind
                .get(*k)?
                .by_namespace(resources)
                .get(namespace)
        });
        self.entries(Self::merged(lists))
    }

    /// The objects of `kind` called `name`, in any namespace, in input order.
    pub fn named(self, kind: &str, name: &str) -> impl Iterator<Item = (usize, &'a Resource)> + 'a {
        let indices: &'a [usize] = self
            .index
            .by_kind
            .get(kind)
            .and_then(|k| k.by_name(self.resources).get(name))
            .map_or(&[], Vec::as_slice);
        indices.iter().map(move |&i| (i, &self.resources[i]))
    }

    /// The objects of `kind` called `name` in `namespace` (objects without a
    /// namespace count as `default`), in input order.
    pub fn named_in(
        self,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> impl Iterator<Item = (usize, &'a Resource)> + 'a {
        let indices: &'a [usize] = self
            .index
            .by_kind
            .get(kind)
            .and_then(|k| k.by_namespace_name(self.resources).get(namespace))
            .and_then(|by_name| by_name.get(name))
            .map_or(&[], Vec::as_slice);
        indices.iter().map(move |&i| (i, &self.resources[i]))
    }

    /// The first object of `kind` called `name` in `namespace`.
    pub fn find(self, kind: &str, namespace: &str, name: &str) -> Option<(usize, &'a Resource)> {
        self.named_in(kind, namespace, name).next()
    }

    /// The pod labels of the workloads, read on first use.
    pub(crate) fn pod_labels(self) -> &'a PodLabels<'a> {
        self.index.pod_labels.get_or_init(|| PodLabels::new(self))
    }

    /// The bindings whose role the inventory holds, resolved on first use.
    pub(crate) fn bindings(self) -> &'a [ResolvedBinding<'a>] {
        self.index
            .bindings
            .get_or_init(|| crate::controls::rbac::model::resolve_bindings(self))
    }
}

/// What a cluster-scope control reports: the objects it evaluated (by inventory
/// index) and the violations it found on them.
#[derive(Debug, Default)]
pub struct ClusterOutcome {
    /// Inventory indices of the objects the control evaluated.
    pub evaluated: Vec<usize>,
    /// Violations, by the inventory index of their object.
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
                let index = InventoryIndex::new(resources);
                evaluate(&Inventory::new(resources, &index), config, &mut outcome);
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

/// `[VG-W001](#vg-w001)`: the link of a reference table's row to the item's
/// section.
pub(crate) fn section_link(id: &str) -> String {
    format!("[{id}](#{})", id.to_ascii_lowercase())
}

/// Ends an item's section of a reference page: its documentation, whose
/// headings go one level down under the item's own, then how to fix.
pub(crate) fn push_section_body(out: &mut String, explanation: &str, remediation: &str) {
    for line in explanation.lines() {
        match line.strip_prefix("## ") {
            Some(heading) => out.push_str(&format!("### {heading}\n")),
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out.push_str(&format!("\n**Fix:** {remediation}\n"));
}

/// The `//!` comment at the top of a source file, without the markers; a
/// Markdown page (what does not start with `//!`) as it is.
pub(crate) fn doc_comment(source: &str) -> String {
    if !source.starts_with("//!") {
        return source.to_string();
    }
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
