//! Choosing which rules run: by name and by tag, with `*` and `?` wildcards, applied
//! in the order Falco applies its `-t`, `-T`, `-D` and `--enable` options.

use vigie_resource::wildcard_match;

/// Which rules run: Falco's `-t`, `-T`, `-D` and `--enable` options.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// When non-empty, only rules with one of these tags run (`-t`).
    pub only_tags: Vec<String>,
    /// Rules with any of these tags are disabled (`-T`).
    pub disable_tags: Vec<String>,
    /// Rules whose names match are disabled (`-D`/`--disable`).
    pub disable_names: Vec<String>,
    /// Rules whose names match are enabled, even if their file disabled them
    /// (`--enable`); applied last.
    pub enable_names: Vec<String>,
}

impl Selection {
    /// Whether nothing is selected or disabled.
    pub fn is_empty(&self) -> bool {
        self.only_tags.is_empty()
            && self.disable_tags.is_empty()
            && self.disable_names.is_empty()
            && self.enable_names.is_empty()
    }

    /// Whether a rule runs, given whether its file enabled it.
    pub fn decide(&self, name: &str, tags: &[String], enabled_in_file: bool) -> bool {
        let has_tag = |patterns: &[String]| {
            patterns
                .iter()
                .any(|p| tags.iter().any(|t| wildcard_match(p, t)))
        };
        if self.enable_names.iter().any(|p| wildcard_match(p, name)) {
            return true;
        }
        if !enabled_in_file {
            return false;
        }
        if !self.only_tags.is_empty() && !has_tag(&self.only_tags) {
            return false;
        }
        if has_tag(&self.disable_tags) {
            return false;
        }
        !self.disable_names.iter().any(|p| wildcard_match(p, name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_by_name_and_tag_with_wildcards() {
        let tags = vec!["k8s".to_string(), "mitre_execution".to_string()];
        let s = Selection {
            only_tags: vec!["k8s".into()],
            disable_tags: vec!["mitre_persist*".into()],
            disable_names: vec!["Attach*".into()],
            enable_names: vec!["Forced".into()],
        };
        assert!(s.decide("Exec Into Pod", &tags, true));
        assert!(!s.decide("Attach To Pod", &tags, true));
        assert!(!s.decide("Other", &["network".into()], true));
        assert!(!s.decide("Persist", &["k8s".into(), "mitre_persistence".into()], true));
        assert!(!s.decide("Exec Into Pod", &tags, false));
        assert!(s.decide("Forced", &[], false));
        assert!(wildcard_match("Rule [x]*", "Rule [x] one"));
    }
}
