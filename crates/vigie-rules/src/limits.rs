//! Bounds on what rule files can make vigie build. Rule files are input like any
//! other: a few hundred bytes of lists naming lists, or macros naming macros twice,
//! would otherwise expand to more than memory holds, and deep nesting would overflow
//! the stack of the recursive parser, compiler and evaluator.

/// Deepest nesting of a condition: parentheses, `not`s and transformers as written,
/// and and/or/not levels plus macro references once macros are expanded. The same
/// bound as the YAML loader's; Falco's own rules nest about ten levels deep.
pub const MAX_CONDITION_DEPTH: usize = 256;

/// Largest rules file read ([`crate::RuleLoader::load_file`]); Falco's largest is
/// about 100 KB.
pub const MAX_RULES_FILE_BYTES: u64 = 32 << 20;

/// Limits on the work of compiling a rule set ([`crate::Compiler`]). Nodes are the
/// comparisons, `and`s, `or`s and `not`s of a condition once its macros are expanded,
/// and the items of the lists it compares with; bytes are the text of its fields,
/// values and list items. Falco's own rules (93 rules: at most 782 nodes for one rule,
/// 4,006 for all) stay far below the defaults, which leave room for a rule to compare
/// with a list of a quarter of a million items (of threat indicators, say) and keep
/// what a rule set compiles to within a few hundred megabytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleLimits {
    /// Nodes one rule's condition, with its exceptions, may expand to.
    pub max_rule_nodes: u64,
    /// Bytes of text one rule's condition, with its exceptions, may expand to.
    pub max_rule_bytes: u64,
    /// Nodes all rules together may expand to.
    pub max_total_nodes: u64,
    /// Bytes of text all rules together may expand to.
    pub max_total_bytes: u64,
    /// Distinct items a list may hold once the lists it names are spliced in.
    pub max_list_items: usize,
    /// Items copied while resolving every list (a list naming another copies its
    /// items once).
    pub max_list_copies: u64,
    /// Bytes the compiled regular expressions of a rule set may take together.
    pub max_regex_bytes: usize,
    /// 64-bit words the rule index may take for one field (or the event type): a
    /// set of rules per value the rules name, a bit per rule. Past it, as when many
    /// rules meet lists of many values, the field is left out of the index and the
    /// rules compare it themselves.
    pub max_index_words: usize,
}

impl Default for RuleLimits {
    fn default() -> Self {
        Self {
            max_rule_nodes: 250_000,
            max_rule_bytes: 16 << 20,
            max_total_nodes: 2_500_000,
            max_total_bytes: 128 << 20,
            max_list_items: 1_000_000,
            max_list_copies: 10_000_000,
            max_regex_bytes: 256 << 20,
            max_index_words: 1 << 21,
        }
    }
}

/// At most this many characters of user text are quoted in an error message.
const QUOTE_CHARS: usize = 80;

/// `text` for an error message: whole when short, else its start and its length.
pub(crate) fn quote(text: &str) -> String {
    match text.char_indices().nth(QUOTE_CHARS) {
        None => text.to_string(),
        Some((end, _)) => format!("{}... ({} bytes)", &text[..end], text.len()),
    }
}
