//! Rule files built to exhaust memory or the stack: each is refused with an error
//! naming the item and the limit, or compiles in work bounded by its text, which the
//! tests show by compiling it under limits far below what a naive expansion needs.

mod common;

use common::{assert_mentions, table, MapEvent};
use vigie_rules::{
    parse_condition, Compiler, Engine, EngineOptions, RuleLimits, RuleLoader, RuleSet,
    MAX_CONDITION_DEPTH,
};

fn load(text: &str) -> RuleSet {
    let mut loader = RuleLoader::new();
    loader.load_str("bomb.yaml", text);
    loader.finish()
}

fn build(text: &str, limits: RuleLimits) -> Engine {
    let t = table();
    Engine::build_with_limits(&load(text), &[&t], &EngineOptions::default(), limits)
        .expect("not strict")
}

fn errors_of(engine: &Engine) -> Vec<String> {
    engine
        .diagnostics()
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.to_string())
        .collect()
}

fn rule(name: &str, condition: &str) -> String {
    format!(
        "- rule: {name}\n  desc: d\n  condition: {condition}\n  output: o\n  priority: info\n  source: test\n"
    )
}

/// 12 lists, each naming the previous one ten times: 10^11 items if copied in full.
fn list_bomb() -> String {
    let mut text = String::from("- list: l0\n  items: [a, b]\n");
    for i in 1..12 {
        let prev = format!("l{}", i - 1);
        text += &format!("- list: l{i}\n  items: [{}]\n", vec![prev; 10].join(", "));
    }
    text + &rule("Bomb", "t.name in (l11)")
}

#[test]
fn a_list_naming_a_list_ten_times_over_holds_its_distinct_items() {
    let text = list_bomb();
    assert!(text.len() < 1000, "{} bytes", text.len());
    // Each list copies the items of the one it names once: 2 items, 11 times.
    let engine = build(
        &text,
        RuleLimits {
            max_list_copies: 22,
            max_rule_nodes: 3,
            ..RuleLimits::default()
        },
    );
    assert!(errors_of(&engine).is_empty(), "{:?}", errors_of(&engine));
    let source = engine.source("test").unwrap();
    let fired =
        |name| engine.evaluate(source, &MapEvent::default().with("t.name", &[name]), |_| {});
    assert_eq!((fired("b"), fired("c")), (1, 0));
}

#[test]
fn lists_past_the_item_limit_are_errors_naming_the_list_and_its_users() {
    let limits = RuleLimits {
        max_list_items: 3,
        ..RuleLimits::default()
    };
    let text = format!(
        "- list: big\n  items: [a, b, c, d]\n{}",
        rule("Uses Big", "t.name in (big)")
    );
    let errors = errors_of(&build(&text, limits));
    assert!(
        errors.iter().any(
            |e| e.starts_with("bomb.yaml:1:3: error: list 'big': list holds more than 3 items")
        ),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.starts_with(
            "bomb.yaml:3:3: error: rule 'Uses Big': list 'big': list holds more than 3 items"
        )),
        "{errors:?}"
    );
}

/// Macros `m0` to `m{n-1}`: `m0` a comparison, each next one's condition
/// `step` of the name of the one before.
fn macros(n: usize, step: impl Fn(&str) -> String) -> String {
    let mut text = String::from("- macro: m0\n  condition: t.name = a\n");
    for i in 1..n {
        text += &format!(
            "- macro: m{i}\n  condition: {}\n",
            step(&format!("m{}", i - 1))
        );
    }
    text
}

/// Each macro the one before: `m{n-1}` stands n levels deep.
fn macro_chain(n: usize) -> String {
    macros(n, str::to_string)
}

/// Each macro `(m_prev or m_prev)`, under a rule on the last: 2^n comparisons.
fn doubling_macros(n: usize) -> String {
    macros(n, |prev| format!("({prev} or {prev})")) + &rule("Doubling", &format!("m{}", n - 1))
}

#[test]
fn macros_doubling_forty_times_are_refused_by_their_size_before_expansion() {
    let errors = errors_of(&build(&doubling_macros(40), RuleLimits::default()));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with(
            "bomb.yaml:81:3: error: rule 'Doubling': condition expands to more than 250000 nodes (the limit per rule"
        ),
        "{errors:?}"
    );
    // Twelve doublings stay within the limit and work.
    let engine = build(&doubling_macros(12), RuleLimits::default());
    assert_eq!(engine.rules().len(), 1);
}

#[test]
fn the_total_of_all_rules_is_bounded_too() {
    let mut text = doubling_macros(10);
    for i in 0..5 {
        text += &rule(&format!("Again {i}"), "m9");
    }
    // m9 expands to 512 comparisons and 511 `or`s: 1023 nodes a rule, and six rules
    // use it.
    let limits = RuleLimits {
        max_total_nodes: 4 * 1023,
        ..RuleLimits::default()
    };
    let engine = build(&text, limits);
    assert_eq!(engine.rules().len(), 4);
    let errors = errors_of(&engine);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].contains("rule 'Again 3': condition expands to more than 4092 nodes (the limit for all rules together"),
        "{errors:?}"
    );
}

#[test]
fn ten_thousand_parentheses_are_a_parse_error() {
    let condition = format!("{}t.name = a{}", "(".repeat(10_000), ")".repeat(10_000));
    let errors = errors_of(&build(&rule("Parens", &condition), RuleLimits::default()));
    assert!(
        errors[0].starts_with("bomb.yaml:1:3: error: rule 'Parens': condition does not parse: condition nests deeper than 256 levels (parentheses, 'not's and transformers) (at offset 256)"),
        "{errors:?}"
    );
}

#[test]
fn twenty_thousand_nots_and_nested_transformers_are_parse_errors() {
    let nots = format!("{}t.name = a", "not ".repeat(20_000));
    let transformers = format!(
        "{}t.name{} = a",
        "tolower(".repeat(10_000),
        ")".repeat(10_000)
    );
    for condition in [nots, transformers] {
        let error = parse_condition(&condition).unwrap_err();
        assert!(
            error
                .message
                .starts_with("condition nests deeper than 256 levels"),
            "{error}"
        );
    }
}

#[test]
fn a_chain_of_ten_thousand_macros_is_too_deep() {
    let text = macro_chain(10_000) + &rule("Chain", "m9999");
    let errors = errors_of(&build(&text, RuleLimits::default()));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains(
            "rule 'Chain': condition nests deeper than 256 levels once its macros are expanded"
        ),
        "{errors:?}"
    );
}

#[test]
fn conditions_just_within_the_depth_limit_compile_and_evaluate() {
    // 255 macros in a chain: the comparison stands 255 levels deep.
    let mut text = macro_chain(255) + &rule("Chain", "m254");
    // Nested `not`s and parentheses, each and/or/not a level.
    let nots = format!(
        "{}t.name = b",
        "not not ".repeat((MAX_CONDITION_DEPTH - 2) / 2)
    );
    text += &rule("Nots", &nots);
    let mut nested = String::from("t.name = c");
    for _ in 0..MAX_CONDITION_DEPTH - 2 {
        nested = format!("(t.other = x or {nested})");
    }
    text += &rule("Nested", &nested);
    let engine = build(&text, RuleLimits::default());
    assert!(errors_of(&engine).is_empty(), "{:?}", errors_of(&engine));
    let source = engine.source("test").unwrap();
    for name in ["a", "b", "c"] {
        assert_eq!(
            engine.evaluate(source, &MapEvent::default().with("t.name", &[name]), |_| {}),
            1,
            "{name}"
        );
    }
}

#[test]
fn compiler_measures_before_it_expands() {
    let set = load(&doubling_macros(64));
    let mut compiler = Compiler::new(&set);
    let error = compiler
        .expand(&parse_condition("m63 and t.name = x").unwrap())
        .unwrap_err();
    assert!(
        error.message.contains("more than 250000 nodes"),
        "{error:?}"
    );
}

#[test]
fn rules_files_past_the_size_limit_are_not_read() {
    let path = std::env::temp_dir().join(format!("vigie-rules-limit-{}.yaml", std::process::id()));
    std::fs::write(&path, list_bomb()).unwrap();
    let mut loader = RuleLoader::new();
    loader.load_file_with_limit(&path, 100);
    let set = loader.finish();
    std::fs::remove_file(&path).unwrap();
    let message = set.diagnostics[0].to_string();
    assert_eq!(
        message,
        format!(
            "{}: error: rules file is larger than 100 bytes (the limit for a rules file)",
            path.display()
        )
    );
    assert!(set.lists.is_empty());
}

#[test]
fn many_appends_to_a_rule_apply_in_place() {
    let mut text = rule("Base", "t.name = a");
    for i in 0..20_000 {
        // Every other append adds values to an exception that exists.
        let name = if i % 2 == 0 {
            format!("e{i}")
        } else {
            "e0".to_string()
        };
        text += &format!(
            "- rule: Base\n  exceptions:\n    - name: {name}\n      fields: t.path\n      values: [/p{i}]\n  override:\n    exceptions: append\n"
        );
    }
    text += "- rule: Base\n  condition: or t.name = b\n  override:\n    condition: append\n";
    let set = load(&text);
    assert!(set.diagnostics.is_empty(), "{:?}", set.diagnostics);
    let base = &set.rules[0];
    assert_eq!(base.exceptions.len(), 10_000);
    assert_eq!(base.exceptions[0].values.len(), 10_001);
    assert_eq!(base.condition, "t.name = a or t.name = b");
    let engine = build(&text, RuleLimits::default());
    let source = engine.source("test").unwrap();
    let fired = |path| {
        let event = MapEvent::default()
            .with("t.name", &["b"])
            .with("t.path", &[path]);
        engine.evaluate(source, &event, |_| {})
    };
    assert_eq!((fired("/p19999"), fired("/p9"), fired("/q")), (0, 0, 1));
}

#[test]
fn a_bad_override_changes_nothing() {
    let text = rule("Base", "t.name = a")
        + "- rule: Base\n  condition: or t.name = b\n  priority: loud\n  override:\n    condition: append\n    priority: replace\n";
    let set = load(&text);
    assert!(set.diagnostics[0]
        .to_string()
        .contains("invalid priority loud"));
    assert_eq!(set.rules[0].condition, "t.name = a");
}

#[test]
fn long_names_cost_no_more_than_short_ones_and_errors_quote_them_briefly() {
    let long = "t.".repeat(50_000) + "x";
    // In an output: the field is looked up by its declared prefixes only.
    let text = format!(
        "- rule: Long\n  desc: d\n  condition: t.name = a\n  output: \"%{long} %{}\"\n  priority: info\n  source: test\n",
        "t.name[".repeat(10_000)
    );
    let errors = errors_of(&build(&text, RuleLimits::default()));
    assert!(
        errors[0].ends_with("rule 'Long': unknown field 't.t' in output"),
        "{errors:?}"
    );
    // In a condition: the error quotes the start of the name and gives its length.
    let errors = errors_for_condition(&format!("{long} = a"));
    assert!(
        errors[0].contains("unknown field 't.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.t.... (100001 bytes)' for source 'test'"),
        "{errors:?}"
    );
    let errors = errors_for_condition(&format!("t.name = a and m{}", "x".repeat(100_000)));
    assert!(errors[0].len() < 300, "{}", errors[0].len());
}

fn errors_for_condition(condition: &str) -> Vec<String> {
    errors_of(&build(&rule("R", condition), RuleLimits::default()))
}

#[test]
fn regexes_are_bounded_alone_and_together() {
    let errors = errors_for_condition(r"t.name regex '\w{1000}\w{1000}'");
    assert!(
        errors[0].contains(r"rule 'R': regex '\w{1000}\w{1000}' compiles to more than 8388608 bytes (the limit per regex)"),
        "{errors:?}"
    );
    let mut text = String::new();
    for i in 0..4 {
        text += &rule(&format!("R{i}"), &format!(r"t.name regex '\w{{40}}{i}'"));
    }
    let limits = RuleLimits {
        max_regex_bytes: 1 << 20,
        ..RuleLimits::default()
    };
    let errors = errors_of(&build(&text, limits));
    assert_mentions(&errors, &["the limit for all regexes"]);
}

#[test]
fn an_index_too_large_is_left_out_and_rules_still_match_the_same_events() {
    // Many rules and many values: the index of `t.name` and of the event type
    // would take a set of rules per value.
    let values: Vec<String> = (0..300).map(|i| format!("v{i}")).collect();
    let mut text = format!("- list: many\n  items: [{}]\n", values.join(", "));
    text += &rule("Many Names", "t.name in (many)");
    text += &rule("Many Types", "t.type in (many) and t.path = /x");
    for i in 0..100 {
        text += &rule(&format!("Other {i}"), &format!("t.path = /o{i}"));
    }
    let small = RuleLimits {
        max_index_words: 100,
        ..RuleLimits::default()
    };
    for limits in [small, RuleLimits::default()] {
        let engine = build(&text, limits);
        let source = engine.source("test").unwrap();
        let fired = |name, ty, path| {
            let event = MapEvent::default()
                .with("t.name", &[name])
                .with("t.type", &[ty])
                .with("t.path", &[path]);
            let mut fired = Vec::new();
            engine.evaluate(source, &event, |r| fired.push(r.name.clone()));
            fired
        };
        assert_eq!(fired("v7", "x", "/y"), ["Many Names"]);
        assert_eq!(fired("w", "v299", "/x"), ["Many Types"]);
        assert_eq!(fired("w", "v2", "/o5"), ["Other 5"]);
        assert!(fired("w", "x", "/x").is_empty());
    }
}

#[test]
fn diagnostics_quote_long_names_and_keys_briefly() {
    let name = "n".repeat(100_000);
    let mut item = format!("- rule: {name}\n  desc: d\n");
    for i in 0..100 {
        item += &format!("  k{i}{}: v\n", "k".repeat(500));
    }
    let text = item + "- {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7}\n";
    let set = load(&text);
    // 100 unknown keys and a missing condition for the rule, then the unknown item.
    assert_eq!(set.diagnostics.len(), 102);
    for d in &set.diagnostics {
        assert!(d.to_string().len() < 400, "{}", d.to_string().len());
    }
    assert!(set.diagnostics[0].to_string().contains(&format!(
        "rule '{}... (100000 bytes)': unknown key 'k0kkkk",
        "n".repeat(80)
    )));
    assert!(set.diagnostics[101].to_string().ends_with(
        "unknown top-level item with keys [\"a\", \"b\", \"c\", \"d\", \"e\", \"and 2 more\"], ignored"
    ));
}
