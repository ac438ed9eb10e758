//! Bounds on JMESPath, whose expressions and data may come from untrusted
//! policies and resources: how deeply an expression nests, how much work one
//! evaluation may do, and how large the values it builds may grow.
//!
//! Values share structure (`[@, @]` holds the same array twice), so an
//! expression of a few dozen bytes can describe a value of 2^64 elements.
//! Building it is cheap; printing it, converting it or joining it is not. So
//! the size that counts is the *expanded* size, measured (and measuring stops as
//! soon as the limit is passed) wherever a value leaves the evaluator or enters
//! a function.

use std::cell::Cell;

/// The longest expression compiled, in bytes.
pub const MAX_EXPRESSION_BYTES: usize = 16 * 1024;
/// The deepest nesting of brackets, parentheses, braces and unary operators in
/// an expression. The parser and the evaluator recurse on it.
pub const MAX_EXPRESSION_NESTING: usize = 64;
/// The deepest expression tree evaluated: a chain such as `a.b.c` or `a || b || c`
/// nests one level per link.
pub const MAX_EXPRESSION_DEPTH: usize = 256;
/// Evaluation steps (nodes evaluated, elements projected or flattened) one
/// search may take.
pub const MAX_EVAL_STEPS: u64 = 10_000_000;
/// The largest expanded value a search may produce or hand to a function:
/// elements count one each, strings their length in bytes.
pub const MAX_VALUE_SIZE: u64 = 16 * 1024 * 1024;
/// The longest string a function may build (`replace_all`, `regex_replace_all`).
pub const MAX_STRING_BYTES: usize = 16 * 1024 * 1024;

thread_local! {
    /// Steps left to the search running on this thread.
    static STEPS_LEFT: Cell<u64> = const { Cell::new(MAX_EVAL_STEPS) };
    /// Set when the steps ran out, so the caller can name the limit.
    static EXHAUSTED: Cell<bool> = const { Cell::new(false) };
}

/// Starts the budget of a new search on this thread.
pub(super) fn start_search() {
    STEPS_LEFT.with(|s| s.set(MAX_EVAL_STEPS));
    EXHAUSTED.with(|e| e.set(false));
}

/// Spends `steps`; false when the budget of the search is gone.
pub(super) fn spend(steps: u64) -> bool {
    STEPS_LEFT.with(|s| {
        let left = s.get();
        if left < steps {
            EXHAUSTED.with(|e| e.set(true));
            s.set(0);
            false
        } else {
            s.set(left - steps);
            true
        }
    })
}

/// Whether the search that just ended ran out of steps.
pub(super) fn exhausted() -> bool {
    EXHAUSTED.with(Cell::get)
}

/// Checks the length and nesting of an expression before it is parsed.
pub(super) fn check_expression(source: &str) -> Result<(), String> {
    if source.len() > MAX_EXPRESSION_BYTES {
        return Err(format!(
            "JMESPath expression of {} bytes is longer than the {MAX_EXPRESSION_BYTES}-byte limit",
            source.len()
        ));
    }
    let mut depth = 0usize;
    let mut unary = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in source.chars() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' | '`' => {
                quote = Some(c);
                unary = 0;
            }
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            // Unary operators nest without brackets (`!!!!a`, `&&&a`): a run of
            // them counts until the next other character (`!=` and `&&` between
            // operands end their run at once).
            '!' | '&' => unary += 1,
            c if c.is_whitespace() => {}
            _ => unary = 0,
        }
        if depth + unary > MAX_EXPRESSION_NESTING {
            return Err(format!(
                "JMESPath expression nests deeper than the limit of {MAX_EXPRESSION_NESTING} levels"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_counts_brackets_and_unary_operators_but_not_quoted_text() {
        assert!(check_expression("a[?b == 'c'].d | [0]").is_ok());
        assert!(check_expression(&format!("'{}'", "(".repeat(500))).is_ok());
        let deep = format!("{}a{}", "(".repeat(65), ")".repeat(65));
        assert!(check_expression(&deep)
            .unwrap_err()
            .contains("limit of 64 levels"));
        let nots = format!("{}a", "!".repeat(100));
        assert!(check_expression(&nots).is_err());
        let many = ["a != 'x'"; 200].join(" && ");
        assert!(
            check_expression(&many).is_ok(),
            "binary operators do not nest"
        );
        let long = "a.".repeat(10_000) + "a";
        assert!(check_expression(&long)
            .unwrap_err()
            .contains("16384-byte limit"));
    }
}
