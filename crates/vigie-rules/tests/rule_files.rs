//! Loading rule files: macros, lists, appends, overrides, exceptions, selection,
//! diagnostics, and outputs.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;

use common::{assert_mentions, table, MapEvent};
use vigie_rules::{Engine, EngineOptions, Priority, RuleLoader, RuleMatching, Selection, Severity};

fn engine(files: &[&str], options: EngineOptions) -> Engine {
    let mut loader = RuleLoader::new();
    for (i, text) in files.iter().enumerate() {
        loader.load_str(&format!("file{i}.yaml"), text);
    }
    let t = table();
    Engine::build(&loader.finish(), &[&t], &options).unwrap()
}

fn fired(engine: &Engine, event: &MapEvent) -> Vec<String> {
    let source = engine.source("test").unwrap();
    let mut out = Vec::new();
    engine.evaluate(source, event, |r| out.push(r.name.clone()));
    // The same rules when the event gives its single values directly (`t.name` then
    // indexes by its vocabulary).
    let singles = MapEvent {
        values: event.values.clone(),
        singles: true,
    };
    let mut with_singles = Vec::new();
    engine.evaluate(source, &singles, |r| with_singles.push(r.name.clone()));
    assert_eq!(out, with_singles, "with single values");
    out
}

fn all() -> EngineOptions {
    EngineOptions {
        matching: RuleMatching::All,
        ..Default::default()
    }
}

const BASE: &str = r#"
- required_engine_version: 0.26.0
- list: shells
  items: [bash, zsh]
- list: all_shells
  items: [shells, fish]
- macro: is_shell
  condition: t.name in (all_shells)
- rule: Shell
  desc: a shell
  condition: is_shell
  output: "shell %t.name in %t.path (num=%t.num missing=%t.type)"
  priority: WARNING
  source: test
  tags: [process, mitre_execution]
"#;

#[test]
fn lists_name_lists_and_macros_expand() {
    let e = engine(&[BASE], all());
    assert_eq!(
        fired(&e, &MapEvent::default().with("t.name", &["fish"])),
        ["Shell"]
    );
    assert!(fired(&e, &MapEvent::default().with("t.name", &["python"])).is_empty());
    assert_eq!(e.rules()[0].priority, Priority::Warning);
}

#[test]
fn a_list_of_one_after_equals_stands_for_its_item() {
    let rules = r#"
- list: cat_binaries
  items: [cat]
- list: two
  items: [cat, dog]
- rule: Cat
  desc: a list name after =, as Falco's textual substitution read it
  condition: t.name=cat_binaries or t.path= two
  output: cat
  priority: WARNING
  source: test
"#;
    let e = engine(&[rules], all());
    let with = |name, path| {
        MapEvent::default()
            .with("t.name", &[name])
            .with("t.path", &[path])
    };
    assert_eq!(fired(&e, &with("cat", "/")), ["Cat"]);
    assert!(fired(&e, &with("cat_binaries", "/")).is_empty());
    // A longer list after = is not spliced: the name compares as text.
    assert_eq!(fired(&e, &with("ls", "two")), ["Cat"]);
    assert!(fired(&e, &with("ls", "dog")).is_empty());
}

#[test]
fn appends_and_overrides() {
    let more = r#"
- list: shells
  items: [python]
  append: true
- macro: is_shell
  condition: or t.name = perl
  override:
    condition: append
- rule: Shell
  condition: and t.path startswith /tmp
  append: true
- rule: Shell
  priority: critical
  tags: [extra]
  override:
    priority: replace
    tags: append
"#;
    let e = engine(&[BASE, more], all());
    let rule = &e.rules()[0];
    assert_eq!(rule.priority, Priority::Critical);
    assert_eq!(rule.tags, ["process", "mitre_execution", "extra"]);
    // A macro is substituted as one group: `(t.name in (...) or t.name = perl) and
    // t.path startswith /tmp`.
    let python_tmp = MapEvent::default()
        .with("t.name", &["python"])
        .with("t.path", &["/tmp/y"]);
    assert_eq!(fired(&e, &python_tmp), ["Shell"]);
    assert!(fired(&e, &MapEvent::default().with("t.name", &["python"])).is_empty());
    let perl_home = MapEvent::default()
        .with("t.name", &["perl"])
        .with("t.path", &["/home"]);
    assert!(fired(&e, &perl_home).is_empty());
    let perl_tmp = MapEvent::default()
        .with("t.name", &["perl"])
        .with("t.path", &["/tmp/x"]);
    assert_eq!(fired(&e, &perl_tmp), ["Shell"]);
    let replace = r#"
- list: shells
  items: [ksh]
  override:
    items: replace
- rule: Shell
  condition: t.name = ksh or t.name = fish
  override:
    condition: replace
"#;
    let e = engine(&[BASE, replace], all());
    assert_eq!(
        fired(&e, &MapEvent::default().with("t.name", &["ksh"])),
        ["Shell"]
    );
    assert!(fired(&e, &MapEvent::default().with("t.name", &["bash"])).is_empty());
}

#[test]
fn exceptions_with_default_and_explicit_comps() {
    let rule = r#"
- list: trusted
  items: [/opt/ok]
- rule: Shell
  desc: d
  condition: t.name = bash
  output: o
  priority: INFO
  source: test
  exceptions:
    - name: by_path
      fields: [t.path, t.num]
      values:
        - [/tmp/a, 1]
    - name: by_prefix
      fields: [t.path]
      comps: [startswith]
      values:
        - [/var/]
    - name: single_field
      fields: t.path
      values: [trusted, /srv/x]
    - name: in_list
      fields: [t.path]
      comps: [in]
      values:
        - [[/home/a, /home/b]]
"#;
    let e = engine(&[rule], all());
    let with = |path: &'static str, num: &'static str| {
        MapEvent::default()
            .with("t.name", &["bash"])
            .with("t.path", &[path])
            .with("t.num", &[num])
    };
    assert_eq!(fired(&e, &with("/tmp/a", "2")), ["Shell"]);
    assert!(
        fired(&e, &with("/tmp/a", "1")).is_empty(),
        "both fields equal"
    );
    assert!(
        fired(&e, &with("/var/log", "2")).is_empty(),
        "startswith comp"
    );
    assert!(
        fired(&e, &with("/opt/ok", "2")).is_empty(),
        "single field, list name"
    );
    assert!(
        fired(&e, &with("/srv/x", "2")).is_empty(),
        "single field, value"
    );
    assert!(fired(&e, &with("/home/b", "2")).is_empty(), "list value");
    // Appending values to an existing exception.
    let append = r#"
- rule: Shell
  exceptions:
    - name: by_path
      values:
        - [/tmp/b, 2]
  override:
    exceptions: append
"#;
    let e = engine(&[rule, append], all());
    assert!(fired(&e, &with("/tmp/b", "2")).is_empty());
    assert_eq!(fired(&e, &with("/tmp/b", "3")), ["Shell"]);
}

#[test]
fn outputs_substitute_fields_and_typed_values() {
    let e = engine(&[BASE], all());
    let event = MapEvent::default()
        .with("t.name", &["bash"])
        .with("t.path", &["/x"])
        .with("t.num", &["7"]);
    let rule = &e.rules()[0];
    assert_eq!(
        rule.output.render(&event),
        "shell bash in /x (num=7 missing=<NA>)"
    );
    let values = rule.output.values(&event);
    assert_eq!(values[2], ("t.num", vigie_rules::OutputValue::Num(7)));
    let percent = engine(
        &["- rule: P\n  desc: d\n  condition: t.name = bash\n  output: 100% of %t.name at 5%\n  priority: info\n  source: test\n"],
        all(),
    );
    assert_eq!(
        percent.rules()[0].output.render(&event),
        "100% of bash at 5%"
    );
    assert_eq!(values[3], ("t.type", vigie_rules::OutputValue::Null));
}

#[test]
fn first_match_stops_and_selection_filters() {
    let two = r#"
- rule: A
  desc: d
  condition: t.name = bash
  output: o
  priority: ERROR
  source: test
  tags: [one]
- rule: B
  desc: d
  condition: t.name = bash
  output: o
  priority: debug
  source: test
  tags: [two]
  enabled: false
"#;
    let bash = MapEvent::default().with("t.name", &["bash"]);
    assert_eq!(
        fired(&engine(&[two], EngineOptions::default()), &bash),
        ["A"]
    );
    let mut opts = all();
    opts.selection = Selection {
        enable_names: vec!["B".into()],
        ..Default::default()
    };
    assert_eq!(fired(&engine(&[two], opts.clone()), &bash), ["A", "B"]);
    opts.selection.disable_tags = vec!["on*".into()];
    assert_eq!(fired(&engine(&[two], opts.clone()), &bash), ["B"]);
    opts.min_priority = Priority::Warning;
    assert!(fired(&engine(&[two], opts), &bash).is_empty());
}

#[test]
fn rules_are_indexed_by_event_type() {
    let typed = r#"
- rule: Open
  desc: d
  condition: t.type in (open, openat) and t.name = bash
  output: o
  priority: info
  source: test
- rule: Any
  desc: d
  condition: t.name = bash
  output: o
  priority: info
  source: test
"#;
    let e = engine(&[typed], all());
    assert_eq!(
        e.rules()[0].event_types.as_deref(),
        Some(&["open".to_string(), "openat".to_string()][..])
    );
    let open = MapEvent::default()
        .with("t.type", &["open"])
        .with("t.name", &["bash"]);
    let exec = MapEvent::default()
        .with("t.type", &["execve"])
        .with("t.name", &["bash"]);
    assert_eq!(fired(&e, &open), ["Open", "Any"]);
    assert_eq!(fired(&e, &exec), ["Any"]);
    assert!(e
        .diagnostics()
        .iter()
        .any(|d| d.message.contains("all event types") && d.item.as_deref() == Some("rule 'Any'")));
}

#[test]
fn rules_are_indexed_by_the_index_fields_values() {
    let text = r#"
- macro: shell
  condition: t.name in (bash, sh)
- rule: Shell
  desc: d
  condition: (shell and t.path = /tmp) or (t.name = zsh and t.type = open)
  output: o
  priority: info
  source: test
- rule: Not Shell
  desc: d
  condition: not t.name in (bash, sh, zsh) and t.path = /tmp
  output: o
  priority: info
  source: test
- rule: Lowered
  desc: d
  condition: tolower(t.name) = bash
  output: o
  priority: info
  source: test
"#;
    let e = engine(&[text], all());
    let event = |name: &'static str| {
        MapEvent::default()
            .with("t.name", &[name])
            .with("t.path", &["/tmp"])
            .with("t.type", &["open"])
    };
    assert_eq!(fired(&e, &event("bash")), ["Shell", "Lowered"]);
    assert_eq!(fired(&e, &event("zsh")), ["Shell"]);
    assert_eq!(fired(&e, &event("BASH")), ["Not Shell", "Lowered"]);
    // A missing name fails `in`, so `not ... in` holds.
    let nameless = MapEvent::default().with("t.path", &["/tmp"]);
    assert_eq!(fired(&e, &nameless), ["Not Shell"]);
}

#[test]
fn broken_rules_are_reported_with_file_line_and_name_and_others_load() {
    let text = r#"
- rule: Good
  desc: d
  condition: t.name = bash
  output: o
  priority: info
  source: test
- rule: Bad Field
  desc: d
  condition: t.nope = 1
  output: o
  priority: info
  source: test
- rule: No Output
  desc: d
  condition: t.name = x
  priority: info
  source: test
- rule: Bad Priority
  desc: d
  condition: t.name = x
  output: o
  priority: loud
  source: test
  colour: red
- rule: Bad Output
  desc: d
  condition: t.name = x
  output: seen %not_a_field at 100% sure
  priority: info
  source: test
- macro: unused
  condition: t.name = z
- rule: Appends Nothing
  condition: and t.name = y
  append: true
"#;
    let e = engine(&[text], all());
    assert_eq!(e.rules().len(), 1);
    let errors: Vec<String> = e
        .diagnostics()
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.to_string())
        .collect();
    assert!(
        errors
            .iter()
            .any(|d| d
                .starts_with("file0.yaml:8:3: error: rule 'Bad Field': unknown field 't.nope'")),
        "{errors:?}"
    );
    // A name after % is a field even without a dot, as Falco reads it; a % before
    // a space is text.
    assert_mentions(
        &errors,
        &[
            "rule 'No Output': rule has no output",
            "rule 'Bad Output': unknown field 'not_a_field' in output",
            "invalid priority loud",
            "rule 'Appends Nothing': rule appends to a rule that no earlier",
        ],
    );
    let warnings: Vec<_> = e
        .diagnostics()
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .map(|d| d.to_string())
        .collect();
    assert_mentions(
        &warnings,
        &["unknown key 'colour'", "macro 'unused': macro is not used"],
    );
    // Strict mode refuses the whole set.
    let mut loader = RuleLoader::new();
    loader.load_str("f.yaml", text);
    let t = table();
    let strict = EngineOptions {
        strict: true,
        ..Default::default()
    };
    assert!(Engine::build(&loader.finish(), &[&t], &strict).is_err());
}

#[test]
fn yaml_errors_and_engine_versions() {
    let mut loader = RuleLoader::new();
    loader.load_str("bad.yaml", "- rule: x\n  desc: [unclosed\n");
    loader.load_str("future.yaml", "- required_engine_version: 99.0.0\n");
    loader.load_str("map.yaml", "rule: not-a-list\n");
    let set = loader.finish();
    let msgs: Vec<String> = set.diagnostics.iter().map(|d| d.to_string()).collect();
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("bad.yaml:") && m.contains("YAML error")),
        "{msgs:?}"
    );
    assert!(msgs.iter().any(|m| m.starts_with("future.yaml:1:") && m.contains("require engine version 99.0.0")), "{msgs:?}");
    assert_mentions(&msgs, &["not a YAML sequence"]);
}
