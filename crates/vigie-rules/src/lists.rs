//! Lists resolved once, in definition order: a list that names an earlier list holds
//! that list's items. Items are kept once each (every use of a list is a set: `in`,
//! `intersects`, `pmatch`), and a list named twice is spliced in once, so lists that
//! name lists many times over stay as large as the distinct strings they hold and
//! cost what their text costs to resolve.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::hash::FastSet;
use crate::limits::RuleLimits;
use crate::loader::ListDef;

/// A resolved list.
pub(crate) struct List {
    /// The distinct items, in the order they were first written.
    pub items: Arc<[Arc<str>]>,
    /// The length of all items together.
    pub bytes: u64,
}

/// Every list of a rule set, resolved.
pub(crate) struct ResolvedLists<'s> {
    /// Per list name: its items, or why it could not be resolved.
    lists: HashMap<&'s str, Result<List, String>>,
    /// Lists named by other lists.
    pub named: HashSet<String>,
}

impl<'s> ResolvedLists<'s> {
    pub fn new(defs: &'s [ListDef], limits: &RuleLimits) -> Self {
        let mut lists: HashMap<&str, Result<List, String>> = HashMap::new();
        let mut named = HashSet::new();
        let mut copies = 0u64;
        for def in defs {
            let resolved = resolve(def, &lists, &mut named, &mut copies, limits);
            lists.insert(def.name.as_str(), resolved);
        }
        Self { lists, named }
    }

    /// The items of a list; `None` when no list has that name.
    pub(crate) fn get(&self, name: &str) -> Option<&Result<List, String>> {
        self.lists.get(name)
    }

    /// Why a list could not be resolved, if it could not.
    pub fn error(&self, name: &str) -> Option<&str> {
        self.lists.get(name)?.as_ref().err().map(String::as_str)
    }
}

fn resolve(
    def: &ListDef,
    earlier: &HashMap<&str, Result<List, String>>,
    named: &mut HashSet<String>,
    copies: &mut u64,
    limits: &RuleLimits,
) -> Result<List, String> {
    let mut items: Vec<Arc<str>> = Vec::with_capacity(def.items.len());
    let mut seen: FastSet<Arc<str>> = FastSet::default();
    let mut spliced: HashSet<&str> = HashSet::new();
    let mut add = |item: &Arc<str>, items: &mut Vec<Arc<str>>| {
        if seen.insert(item.clone()) {
            items.push(item.clone());
        }
    };
    for item in &def.items {
        match earlier.get(item.as_str()) {
            Some(inner) if *item != def.name => {
                named.insert(item.clone());
                let inner = inner
                    .as_ref()
                    .map_err(|_| format!("names list '{item}', which could not be resolved"))?;
                if !spliced.insert(item.as_str()) {
                    continue;
                }
                *copies += inner.items.len() as u64;
                if *copies > limits.max_list_copies {
                    return Err(format!(
                        "resolving lists copies more than {} items in all (the limit on \
                         items copied from list to list)",
                        limits.max_list_copies
                    ));
                }
                for inner_item in inner.items.iter() {
                    add(inner_item, &mut items);
                }
            }
            _ => add(&Arc::from(item.as_str()), &mut items),
        }
        if items.len() > limits.max_list_items {
            return Err(format!(
                "list holds more than {} items once the lists it names are spliced in \
                 (the limit of items per list)",
                limits.max_list_items
            ));
        }
    }
    let bytes = items.iter().map(|s| s.len() as u64).sum();
    Ok(List {
        items: items.into(),
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Location;

    fn list(name: &str, items: &[&str]) -> ListDef {
        ListDef {
            name: name.into(),
            items: items.iter().map(|s| s.to_string()).collect(),
            location: Location {
                file: "t.yaml".into(),
                line: 1,
                column: 1,
            },
        }
    }

    #[test]
    fn splices_earlier_lists_once_without_duplicates() {
        let defs = [
            list("a", &["x", "y", "x"]),
            list("b", &["a", "z", "a", "y"]),
            list("c", &["c", "b"]),
        ];
        let lists = ResolvedLists::new(&defs, &RuleLimits::default());
        let items = |name| -> Vec<String> {
            let list = lists.get(name).unwrap().as_ref().unwrap();
            list.items.iter().map(|s| s.to_string()).collect()
        };
        assert_eq!(items("a"), ["x", "y"]);
        assert_eq!(items("b"), ["x", "y", "z"]);
        // A list naming itself holds its name, as Falco reads it.
        assert_eq!(items("c"), ["c", "x", "y", "z"]);
        assert!(lists.named.contains("a") && lists.named.contains("b"));
    }

    #[test]
    fn lists_past_the_limits_are_refused_and_so_are_lists_naming_them() {
        let limits = RuleLimits {
            max_list_items: 3,
            ..RuleLimits::default()
        };
        let defs = [list("a", &["1", "2", "3", "4"]), list("b", &["a"])];
        let lists = ResolvedLists::new(&defs, &limits);
        assert!(lists.error("a").unwrap().contains("more than 3 items"));
        assert!(lists.error("b").unwrap().contains("names list 'a'"));
    }
}
