//! Path prefix matching for `pmatch`: `fd.name pmatch (/etc, /usr/lib)` is true for
//! `/etc` and `/etc/passwd` but not `/etcetera`. The prefixes are kept in a tree of
//! path components, so a lookup walks the value's components once.

use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct PrefixTree {
    root: Node,
}

#[derive(Debug, Default)]
struct Node {
    /// A prefix ends here.
    terminal: bool,
    children: HashMap<Box<str>, Node>,
}

fn components(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|c| !c.is_empty())
}

impl PrefixTree {
    pub fn new<'a>(prefixes: impl IntoIterator<Item = &'a str>) -> Self {
        let mut tree = PrefixTree::default();
        for prefix in prefixes {
            let mut node = &mut tree.root;
            for comp in components(prefix) {
                node = node.children.entry(comp.into()).or_default();
            }
            node.terminal = true;
        }
        tree
    }

    /// True when some prefix is a whole-component prefix of `path`.
    pub fn matches(&self, path: &str) -> bool {
        let mut node = &self.root;
        if node.terminal {
            return true;
        }
        for comp in components(path) {
            match node.children.get(comp) {
                Some(next) if next.terminal => return true,
                Some(next) => node = next,
                None => return false,
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_whole_components_only() {
        let t = PrefixTree::new(["/etc", "/usr/lib/", "/var/run/docker.sock"]);
        assert!(t.matches("/etc"));
        assert!(t.matches("/etc/passwd"));
        assert!(!t.matches("/etcetera"));
        assert!(t.matches("/usr/lib/x.so"));
        assert!(!t.matches("/usr/bin/ls"));
        assert!(t.matches("/var/run/docker.sock"));
        assert!(!t.matches("/var/run"));
        assert!(PrefixTree::new(["/"]).matches("/anything"));
    }
}
