//! Every operator, transformer and grammar form, compiled and evaluated.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;

use common::{table, MapEvent};
use vigie_rules::{parse_condition, CompileError, Compiler, Filter, RuleLoader};

/// Expands `condition` with an empty rule set (no macros, no lists) and
/// compiles it against the test table.
fn compile(condition: &str) -> Result<Filter, CompileError> {
    let set = RuleLoader::new().finish();
    let mut compiler = Compiler::new(&set);
    let expr = compiler
        .expand(&parse_condition(condition).unwrap())
        .unwrap();
    compiler.compile(&expr, &table())
}

fn eval(condition: &str, event: &MapEvent) -> bool {
    let filter = compile(condition).unwrap_or_else(|e| panic!("{condition}: {e:?}"));
    let answer = filter.matches(event);
    // The same answer when the event gives its single values directly.
    let singles = MapEvent {
        values: event.values.clone(),
        singles: true,
    };
    assert_eq!(
        filter.matches(&singles),
        answer,
        "{condition} with single values"
    );
    answer
}

/// Evaluates each condition on `event` and checks its answer.
fn expect_all(event: &MapEvent, cases: &[(&str, bool)]) {
    for &(cond, expected) in cases {
        assert_eq!(eval(cond, event), expected, "{cond}");
    }
}

/// The error compiling `condition`, which must expand.
fn compile_error(condition: &str) -> CompileError {
    compile(condition).expect_err("the condition fails to compile")
}

/// The error expanding `condition` with an empty rule set.
fn expand_error(condition: &str) -> CompileError {
    let set = RuleLoader::new().finish();
    Compiler::new(&set)
        .expand(&parse_condition(condition).unwrap())
        .unwrap_err()
}

fn ev() -> MapEvent {
    MapEvent::default()
        .with("t.name", &["Bash"])
        .with("t.path", &["/etc/shadow"])
        .with("t.num", &["42"])
        .with("t.flag", &["true"])
        .with("t.tags", &["a", "b"])
        .with("t.ancestor", &["sh", "sshd", "systemd"])
        .with("t.other", &["Bash"])
}

#[test]
fn comparison_operators() {
    expect_all(
        &ev(),
        &[
            ("t.name = Bash", true),
            ("t.name == Bash", true),
            ("t.name = bash", false),
            ("t.name != bash", true),
            ("t.num < 50", true),
            ("t.num <= 42", true),
            ("t.num > 42", false),
            ("t.num >= 42", true),
            ("t.num = 0x2a", true),
            ("t.name < C", true),
            ("t.flag = true", true),
            ("t.flag = TRUE", true),
            ("t.flag = false", false),
        ],
    );
}

#[test]
fn string_operators() {
    expect_all(
        &ev(),
        &[
            ("t.path contains shad", true),
            ("t.path contains SHAD", false),
            ("t.path icontains SHAD", true),
            ("t.path bcontains 736861", true),
            ("t.path bcontains 00ff", false),
            ("t.path startswith /etc/", true),
            ("t.path bstartswith 2f657463", true),
            ("t.path endswith dow", true),
            ("t.path glob '/etc/*'", true),
            ("t.path glob '/ETC/*'", false),
            ("t.path iglob '/ETC/*'", true),
            ("t.path regex '/etc/s.*'", true),
            ("t.path regex 'etc'", false),
            ("t.path pmatch (/etc, /usr)", true),
            ("t.path pmatch (/et)", false),
            ("t.name in (Bash, zsh)", true),
            ("t.name in (zsh)", false),
            ("t.name intersects (Bash)", true),
            ("t.num in (1, 42)", true),
            ("t.path exists", true),
            ("t.type exists", false),
        ],
    );
}

#[test]
fn list_fields_in_means_all_and_intersects_means_any() {
    expect_all(
        &ev(),
        &[
            ("t.tags in (a, b, c)", true),
            ("t.tags in (a, c)", false),
            ("t.tags intersects (b, z)", true),
            ("t.tags intersects (y, z)", false),
            // Other operators match any value.
            ("t.tags = b", true),
            // A missing field matches nothing, not even `!=`.
            ("t.type != x", false),
            ("not t.type = x", true),
        ],
    );
}

#[test]
fn field_arguments_transformers_and_val() {
    let e = ev();
    let b64 = MapEvent::default().with("t.name", &["aGVsbG8="]);
    for (cond, event, expected) in [
        ("t.ancestor[1] = sshd", &e, true),
        ("t.ancestor[7] exists", &e, false),
        ("t.json[/a/b] = 'ptr:/a/b'", &e, true),
        ("tolower(t.name) = bash", &e, true),
        ("toupper(t.name) = BASH", &e, true),
        ("basename(t.path) = shadow", &e, true),
        ("len(t.path) = 11", &e, true),
        ("len(t.tags) = 2", &e, true),
        ("b64(t.name) = hello", &b64, true),
        ("t.name = val(t.other)", &e, true),
        ("t.path = val(t.other)", &e, false),
        ("tolower(t.name) startswith ba", &e, true),
    ] {
        assert_eq!(eval(cond, event), expected, "{cond}");
    }
}

#[test]
fn boolean_grammar() {
    expect_all(
        &ev(),
        &[
            ("t.name = Bash and (t.num = 1 or t.num = 42)", true),
            ("t.name = Bash and not (t.num = 1 or t.num = 42)", false),
            ("not t.name = x and not t.num = 1", true),
            ("t.num = 1 or t.name = Bash and t.flag = true", true),
            ("t.name in (\"Bash\", 'x y')", true),
        ],
    );
}

#[test]
fn address_fields_match_networks_by_address() {
    let e = MapEvent::default().with("t.ip", &["127.0.0.1", "10.1.2.3"]);
    let v6 = MapEvent::default().with("t.ip", &["fd00::1"]);
    for (cond, event, expected) in [
        (r#"t.ip in ("127.0.0.1/24")"#, &e, true),
        ("t.ip in (192.168.0.0/16, 10.0.0.0/8)", &e, true),
        ("t.ip in (192.168.0.0/16, 172.16.0.0/12)", &e, false),
        ("t.ip = 10.1.0.0/16", &e, true),
        ("t.ip = 10.2.0.0/16", &e, false),
        ("t.ip in (0.0.0.0/0)", &e, true),
        ("t.ip in (10.1.2.3/32, 8.8.8.8)", &e, true),
        ("t.ip in (fd00::/8)", &v6, true),
        (r#"t.ip in ('"10.0.0.0/8"')"#, &e, true),
        ("t.ip in (fe80::/10, 10.0.0.0/8)", &v6, false),
        // Without a network among the values, addresses compare as text.
        ("t.ip in (10.1.2.3)", &e, false),
        ("t.ip intersects (10.1.2.3)", &e, true),
    ] {
        assert_eq!(eval(cond, event), expected, "{cond}");
    }
    let err = compile_error("t.ip in (10.0.0.0/33)").message;
    assert!(
        err.contains("'10.0.0.0/33' is not an IP address or network"),
        "{err}"
    );
}

#[test]
fn compile_errors_name_the_problem() {
    let err = compile_error("t.nope = 1 and t.other2 exists");
    assert_eq!(err.unknown_fields, vec!["t.nope", "t.other2"]);
    for (cond, message) in [
        ("t.num = abc", "not a number"),
        ("t.name regex '('", "invalid regex"),
    ] {
        let err = compile_error(cond).message;
        assert!(err.contains(message), "{cond}: {err}");
    }
    for (cond, message) in [
        ("undefined_macro", "undefined macro"),
        ("t.name in nolist", "undefined list"),
    ] {
        let err = expand_error(cond).message;
        assert!(err.contains(message), "{cond}: {err}");
    }
}
