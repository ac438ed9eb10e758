//! Telling credentials from configuration, by key name and by value, with the
//! configured lists (`sensitiveKeyNames`, `sensitiveValues` and their allow-lists).

use std::sync::{Arc, Mutex};

use regex::{Regex, RegexBuilder};

use crate::config::Config;

/// Why a key/value pair looks like a credential.
pub(crate) enum Reason<'a> {
    KeyName(&'a str),
    Value(String),
}

impl std::fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::KeyName(word) => write!(f, "its name contains \"{word}\""),
            Reason::Value(pattern) => write!(f, "its value matches /{pattern}/"),
        }
    }
}

/// The patterns of a list, compiled case-insensitively; a pattern that is not a
/// valid regular expression is matched literally. The last list is cached: the
/// configuration does not change during a scan.
fn compiled(patterns: &[String]) -> Arc<Vec<(String, Regex)>> {
    type Cache = Mutex<Vec<(Vec<String>, Arc<Vec<(String, Regex)>>)>>;
    static CACHE: Cache = Mutex::new(Vec::new());
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, regexes)) = cache.iter().find(|(p, _)| p == patterns) {
        return Arc::clone(regexes);
    }
    let build = |p: &str| RegexBuilder::new(p).case_insensitive(true).build();
    let regexes: Arc<Vec<(String, Regex)>> = Arc::new(
        patterns
            .iter()
            .filter_map(|p| {
                build(p)
                    .or_else(|_| build(&regex::escape(p)))
                    .ok()
                    .map(|r| (p.clone(), r))
            })
            .collect(),
    );
    if cache.len() >= 8 {
        cache.remove(0);
    }
    cache.push((patterns.to_vec(), Arc::clone(&regexes)));
    regexes
}

/// Whether `key` = `value` holds a credential, and why. Empty values and file
/// paths (values starting with `/`) are references, not credentials.
pub(crate) fn credential<'c>(key: &str, value: &str, config: &'c Config) -> Option<Reason<'c>> {
    if value.is_empty() || value.starts_with('/') {
        return None;
    }
    let key_lower = key.to_lowercase();
    let contains = |word: &String| !word.is_empty() && key_lower.contains(&word.to_lowercase());
    if config.sensitive_key_names_allowed.iter().any(contains) {
        return None;
    }
    if compiled(&config.sensitive_values_allowed)
        .iter()
        .any(|(_, r)| r.is_match(value))
    {
        return None;
    }
    if let Some(word) = config.sensitive_key_names.iter().find(|w| contains(w)) {
        return Some(Reason::KeyName(word));
    }
    compiled(&config.sensitive_values)
        .iter()
        .find(|(_, r)| r.is_match(value))
        .map(|(p, _)| Reason::Value(p.clone()))
}
