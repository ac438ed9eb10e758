//! The pod labels of the inventory's workloads, interned, and the label
//! selectors evaluated against them.
//!
//! Workloads of a namespace that carry the same labels share one label set, and
//! a selector is evaluated against sets, never against pod templates: the
//! templates are read once, when the index is built. A selector finds its
//! candidate sets through its most selective key (`app=api` or `tier In [web]`)
//! instead of scanning the namespace; only a selector made of negative
//! requirements alone (`NotIn`, `DoesNotExist`) on several keys looks at every
//! set. Whether some policy of a namespace selects a workload is answered per
//! key for selectors on one key (most set-based ones), so that hundreds of
//! `tier In [..]` policies over thousands of workloads cost the policies plus the
//! workloads, not their product.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use vigie_resource::Node;

use super::selector::{OneKey, Requirement, Selector, Values};
use super::topology::pod_labels;
use crate::control::Inventory;
use crate::controls::common::WORKLOAD_KINDS;
use crate::controls::rbac::service_accounts::namespace_of;

type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
type Set<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;

/// A label key or value, interned.
pub(crate) type Symbol = u32;

/// Index of a label set within its namespace.
pub(crate) type SetId = u32;

/// The interned pod labels of every workload of the inventory.
#[derive(Debug, Default)]
pub(crate) struct PodLabels<'a> {
    symbols: Map<String, Symbol>,
    namespaces: Map<&'a str, NamespaceLabels>,
    /// Label sets looked at by selector evaluations so far: the measure of the
    /// work done, which tests bound.
    evaluations: AtomicU64,
}

/// The distinct label sets of one namespace and where each label occurs.
#[derive(Debug, Default)]
struct NamespaceLabels {
    sets: Vec<LabelSet>,
    /// Sets by key, then value.
    postings: Map<Symbol, Map<Symbol, Vec<SetId>>>,
    /// Sets holding each key, whatever the value.
    with_key: Map<Symbol, Vec<SetId>>,
    interned: Map<Box<[(Symbol, Symbol)]>, SetId>,
}

/// One distinct set of labels and the workloads that carry it.
#[derive(Debug)]
struct LabelSet {
    /// `(key, value)` sorted by key, one entry per key.
    labels: Box<[(Symbol, Symbol)]>,
    /// Inventory indices, in input order.
    workloads: Vec<usize>,
}

impl LabelSet {
    fn value(&self, key: Symbol) -> Option<Symbol> {
        self.labels
            .binary_search_by_key(&key, |&(k, _)| k)
            .ok()
            .map(|i| self.labels[i].1)
    }

    fn satisfies(&self, requirement: &Requirement) -> bool {
        match requirement {
            Requirement::In(key, values) => self.value(*key).is_some_and(|v| values.contains(&v)),
            Requirement::NotIn(key, values) => {
                !self.value(*key).is_some_and(|v| values.contains(&v))
            }
            Requirement::Exists(key) => self.value(*key).is_some(),
            Requirement::DoesNotExist(key) => self.value(*key).is_none(),
        }
    }

    fn matches(&self, selector: &Selector) -> bool {
        selector.requirements.iter().all(|r| self.satisfies(r))
    }
}

/// The labels a selector compares with: for each key (once, the last written
/// wins as in [`Node::get`], and `null` counts as absent), its value as written.
fn effective_labels(labels: Option<&Node>) -> Vec<(&str, String)> {
    let Some(entries) = labels.and_then(Node::as_map) else {
        return Vec::new();
    };
    let mut last: Vec<(&str, usize)> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.key.as_str(), i))
        .collect();
    // Stable, so that within one key the entries stay in written order.
    last.sort_by_key(|&(key, _)| key);
    let mut out: Vec<(&str, String)> = Vec::with_capacity(last.len());
    for (n, &(key, i)) in last.iter().enumerate() {
        let is_last = last.get(n + 1).is_none_or(|&(next, _)| next != key);
        let value = &entries[i].value;
        if is_last && !value.is_null() {
            out.push((key, value.display_value()));
        }
    }
    out
}

impl<'a> PodLabels<'a> {
    /// Reads the pod labels of every workload of the inventory, once.
    pub(crate) fn new(inventory: Inventory<'a>) -> Self {
        let mut index = PodLabels::default();
        for (i, workload) in inventory.of_kind(WORKLOAD_KINDS) {
            let mut labels: Vec<(Symbol, Symbol)> = effective_labels(pod_labels(workload))
                .into_iter()
                .map(|(key, value)| (index.intern(key), index.intern(&value)))
                .collect();
            labels.sort_unstable();
            let namespace = index.namespaces.entry(namespace_of(workload)).or_default();
            let id = namespace.intern(labels.into_boxed_slice());
            namespace.sets[id as usize].workloads.push(i);
        }
        index
    }

    fn intern(&mut self, text: &str) -> Symbol {
        if let Some(&symbol) = self.symbols.get(text) {
            return symbol;
        }
        let symbol = self.symbols.len() as Symbol;
        self.symbols.insert(text.to_string(), symbol);
        symbol
    }

    /// The symbol of a text some label holds; `None` when no label holds it.
    pub(crate) fn symbol(&self, text: &str) -> Option<Symbol> {
        self.symbols.get(text).copied()
    }

    /// Label sets looked at by selector evaluations so far.
    #[cfg(test)]
    pub(crate) fn evaluations(&self) -> u64 {
        self.evaluations.load(Ordering::Relaxed)
    }

    fn count(&self, sets: usize) {
        self.evaluations.fetch_add(sets as u64, Ordering::Relaxed);
    }

    /// The workloads of `namespace` the selector selects, by label set: each
    /// slice holds the workloads (inventory indices, in input order) of one set.
    pub(crate) fn selected(&self, namespace: &str, selector: &Selector) -> Vec<&[usize]> {
        let Some(labels) = self.namespaces.get(namespace) else {
            return Vec::new();
        };
        let mut looked = 0;
        let selected = labels
            .candidates(selector)
            .map(|id| &labels.sets[id as usize])
            .filter(|set| {
                looked += 1;
                set.matches(selector)
            })
            .map(|set| set.workloads.as_slice())
            .collect();
        self.count(looked);
        selected
    }

    /// Whether the selector selects some workload of `namespace`.
    pub(crate) fn selects_any(&self, namespace: &str, selector: &Selector) -> bool {
        let Some(labels) = self.namespaces.get(namespace) else {
            return false;
        };
        if let Some(one) = &selector.one_key {
            self.count(1);
            return labels.one_key_selects_any(one);
        }
        let mut looked = 0;
        let found = labels.candidates(selector).any(|id| {
            looked += 1;
            labels.sets[id as usize].matches(selector)
        });
        self.count(looked);
        found
    }

    /// The workloads of `namespace` that at least one of `selectors` selects,
    /// as a flag per inventory index.
    pub(crate) fn selected_by_any(
        &self,
        namespace: &str,
        selectors: &[Selector],
        selected: &mut [bool],
    ) {
        let Some(labels) = self.namespaces.get(namespace) else {
            return;
        };
        let mut covered = vec![false; labels.sets.len()];
        // Selectors on one key are merged per key, then each set is compared
        // with the merged conditions once.
        let mut by_key = KeyCover::default();
        for one in selectors.iter().filter_map(|s| s.one_key.as_ref()) {
            by_key.add(one);
        }
        if !by_key.is_empty() {
            self.count(labels.sets.len());
            for (set, covered) in labels.sets.iter().zip(&mut covered) {
                *covered = by_key.covers(set);
            }
        }
        // Selectors on several keys look at their candidates or at the sets
        // not yet covered, whichever are fewer: the latter only shrink.
        let mut uncovered: Vec<SetId> = (0..labels.sets.len() as SetId)
            .filter(|&id| !covered[id as usize])
            .collect();
        for selector in selectors.iter().filter(|s| s.one_key.is_none() && !s.never) {
            match labels.best_requirement(selector) {
                Some((cost, requirement)) if cost < uncovered.len() => {
                    self.count(cost);
                    for id in labels.sets_of(requirement) {
                        if labels.sets[id as usize].matches(selector) {
                            covered[id as usize] = true;
                        }
                    }
                }
                _ => {
                    self.count(uncovered.len());
                    uncovered.retain(|&id| {
                        let matches =
                            covered[id as usize] || labels.sets[id as usize].matches(selector);
                        covered[id as usize] = matches;
                        !matches
                    });
                }
            }
        }
        for (set, _) in labels.sets.iter().zip(&covered).filter(|(_, &c)| c) {
            for &i in &set.workloads {
                selected[i] = true;
            }
        }
    }
}

impl NamespaceLabels {
    fn intern(&mut self, labels: Box<[(Symbol, Symbol)]>) -> SetId {
        if let Some(&id) = self.interned.get(&labels) {
            return id;
        }
        let id = self.sets.len() as SetId;
        for &(key, value) in labels.iter() {
            let by_value = self.postings.entry(key).or_default();
            by_value.entry(value).or_default().push(id);
            self.with_key.entry(key).or_default().push(id);
        }
        self.interned.insert(labels.clone(), id);
        self.sets.push(LabelSet {
            labels,
            workloads: Vec::new(),
        });
        id
    }

    fn with_value(&self, key: Symbol, value: Symbol) -> &[SetId] {
        self.postings
            .get(&key)
            .and_then(|by_value| by_value.get(&value))
            .map_or(&[], Vec::as_slice)
    }

    fn with_key(&self, key: Symbol) -> &[SetId] {
        self.with_key.get(&key).map_or(&[], Vec::as_slice)
    }

    /// The positive requirement of a selector (`In`, `Exists`) that the fewest
    /// sets satisfy, with their number.
    fn best_requirement<'s>(&self, selector: &'s Selector) -> Option<(usize, &'s Requirement)> {
        let cost = |r: &Requirement| match r {
            Requirement::In(key, values) => Some(
                values
                    .iter()
                    .map(|&v| self.with_value(*key, v).len())
                    .sum::<usize>(),
            ),
            Requirement::Exists(key) => Some(self.with_key(*key).len()),
            Requirement::NotIn(..) | Requirement::DoesNotExist(_) => None,
        };
        selector
            .requirements
            .iter()
            .filter_map(|r| Some((cost(r)?, r)))
            .min_by_key(|&(cost, _)| cost)
    }

    /// The sets that satisfy a positive requirement. A set has one value per
    /// key, so the lists of an `In` do not overlap.
    fn sets_of<'s>(&'s self, requirement: &'s Requirement) -> impl Iterator<Item = SetId> + 's {
        let lists: Vec<&'s [SetId]> = match requirement {
            Requirement::In(key, values) => {
                values.iter().map(|&v| self.with_value(*key, v)).collect()
            }
            Requirement::Exists(key) => vec![self.with_key(*key)],
            Requirement::NotIn(..) | Requirement::DoesNotExist(_) => Vec::new(),
        };
        lists.into_iter().flatten().copied()
    }

    /// The sets a selector may select: those of its most selective positive
    /// requirement, or every set when it has none.
    fn candidates<'s>(&'s self, selector: &'s Selector) -> Box<dyn Iterator<Item = SetId> + 's> {
        if selector.never {
            return Box::new(std::iter::empty());
        }
        match self.best_requirement(selector) {
            Some((_, requirement)) => Box::new(self.sets_of(requirement)),
            None => Box::new(0..self.sets.len() as SetId),
        }
    }

    /// Whether a one-key selector selects some set, without looking at the sets.
    fn one_key_selects_any(&self, one: &OneKey) -> bool {
        if one.missing && self.with_key(one.key).len() < self.sets.len() {
            return true;
        }
        let present = self.postings.get(&one.key);
        match &one.values {
            Values::Only(values) => values
                .iter()
                .any(|v| present.is_some_and(|p| p.contains_key(v))),
            Values::AllBut(excluded) => {
                let distinct = present.map_or(0, Map::len);
                let excluded_present = excluded
                    .iter()
                    .filter(|v| present.is_some_and(|p| p.contains_key(*v)))
                    .count();
                distinct > excluded_present
            }
        }
    }
}

/// What one-key selectors select together, per key.
#[derive(Debug, Default)]
struct KeyCover {
    by_key: Map<Symbol, Cover>,
    /// Keys whose absence is selected.
    missing: Set<Symbol>,
}

/// The values of one key some selector selects.
#[derive(Debug, Default)]
struct Cover {
    values: Set<Symbol>,
    /// Every value but these (the values excluded by all `NotIn` selectors).
    all_but: Option<Set<Symbol>>,
}

impl KeyCover {
    fn is_empty(&self) -> bool {
        self.by_key.is_empty() && self.missing.is_empty()
    }

    fn add(&mut self, one: &OneKey) {
        if one.missing {
            self.missing.insert(one.key);
        }
        let cover = self.by_key.entry(one.key).or_default();
        match &one.values {
            Values::Only(values) => cover.values.extend(values.iter().copied()),
            Values::AllBut(excluded) => {
                let excluded: Set<Symbol> = excluded.iter().copied().collect();
                cover.all_but = Some(match cover.all_but.take() {
                    None => excluded,
                    Some(before) => before.intersection(&excluded).copied().collect(),
                });
            }
        }
    }

    fn covers(&self, set: &LabelSet) -> bool {
        let by_value = set.labels.iter().any(|(key, value)| {
            self.by_key.get(key).is_some_and(|cover| {
                cover.values.contains(value)
                    || cover.all_but.as_ref().is_some_and(|x| !x.contains(value))
            })
        });
        // Some key whose absence is selected is absent from the set.
        let held = set
            .labels
            .iter()
            .filter(|(key, _)| self.missing.contains(key))
            .count();
        by_value || held < self.missing.len()
    }
}
