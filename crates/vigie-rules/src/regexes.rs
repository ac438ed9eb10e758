//! The regular expressions of conditions (`proc.cmdline regex '...'`), compiled
//! within bounds: a short pattern can compile to megabytes (`\w{1000}`), so each
//! pattern may take at most [`MAX_REGEX_BYTES`] once compiled and the patterns of a
//! rule set share a budget ([`crate::RuleLimits::max_regex_bytes`]). A pattern used
//! by several rules, or by a rule's filter and its residual, is compiled once.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use regex_automata::meta::Regex;

use crate::limits::quote;

/// Bytes one compiled pattern may take.
pub const MAX_REGEX_BYTES: usize = 8 << 20;

pub(crate) struct Regexes {
    compiled: RefCell<HashMap<Box<str>, Regex>>,
    /// The budget of the rule set, and what is left of it.
    budget: usize,
    left: Cell<usize>,
}

impl Regexes {
    pub fn new(budget: usize) -> Self {
        Self {
            compiled: RefCell::new(HashMap::new()),
            budget,
            left: Cell::new(budget),
        }
    }

    /// The regex matching whole values with `pattern`, as Falco's `regex` does.
    pub(crate) fn compile(&self, pattern: &str) -> Result<Regex, String> {
        if let Some(regex) = self.compiled.borrow().get(pattern) {
            return Ok(regex.clone());
        }
        let limit = MAX_REGEX_BYTES.min(self.left.get());
        let config = Regex::config()
            .nfa_size_limit(Some(limit))
            .onepass_size_limit(Some(limit))
            .dfa_size_limit(Some(limit));
        let built = Regex::builder()
            .configure(config)
            .build(&format!("^(?:{pattern})$"));
        match built {
            Ok(regex) => {
                let used = regex.memory_usage().min(self.left.get());
                self.left.set(self.left.get() - used);
                self.compiled
                    .borrow_mut()
                    .insert(pattern.into(), regex.clone());
                Ok(regex)
            }
            // Building up to the limit took as much work as keeping it would: it
            // counts, so that patterns that fail cannot be tried without end.
            Err(e) if e.size_limit().is_some() => {
                self.left.set(self.left.get() - limit);
                Err(if limit < MAX_REGEX_BYTES {
                    format!(
                        "regex '{}' does not fit in what is left of the {} bytes the \
                         regexes of the rules may take together (the limit for all regexes)",
                        quote(pattern),
                        self.budget
                    )
                } else {
                    format!(
                        "regex '{}' compiles to more than {MAX_REGEX_BYTES} bytes (the \
                         limit per regex)",
                        quote(pattern)
                    )
                })
            }
            Err(e) => Err(format!("invalid regex '{}': {e}", quote(pattern))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_shared_and_bounded_alone_and_together() {
        let regexes = Regexes::new(64 << 20);
        let a = regexes.compile("a+b").unwrap();
        assert!(a.is_match("aab") && !a.is_match("aabc"));
        let left = regexes.left.get();
        regexes.compile("a+b").unwrap();
        assert_eq!(regexes.left.get(), left, "compiled once");
        let huge = regexes.compile(r"\w{1000}\w{1000}").unwrap_err();
        assert!(huge.contains("limit per regex"), "{huge}");
        assert!(regexes
            .compile("(")
            .unwrap_err()
            .starts_with("invalid regex '('"));
        let small = Regexes::new(1000);
        let error = small.compile(r"\w{50}").unwrap_err();
        assert!(error.contains("the limit for all regexes"), "{error}");
    }
}
