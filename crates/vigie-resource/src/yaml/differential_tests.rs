//! The fast path against the reference path: same trees, positions and warnings.

use std::path::Path;

use super::differential::{difference, fast, list_difference, reference};

/// Whichever path parses `text`, the result is the same.
fn assert_same(text: &str) {
    if let Some(diff) = difference(text, 0) {
        panic!("paths disagree on {text:?}: {diff}");
    }
    // Positions count from the document's first line in its stream.
    if let Some(diff) = difference(text, 7) {
        panic!("paths disagree on {text:?} at line offset 7: {diff}");
    }
}

/// `text` takes the fast path, and gives what the reference path gives.
fn assert_fast(text: &str) {
    assert!(fast(text, 0).is_some(), "the fast path declined {text:?}");
    assert!(
        matches!(reference(text, 0), Ok(Some(_))),
        "test input must be valid: {text:?}"
    );
    assert_same(text);
}

/// `text` is left to the reference path.
fn assert_declined(text: &str) {
    assert!(fast(text, 0).is_none(), "the fast path accepted {text:?}");
}

#[test]
fn block_mappings_and_sequences() {
    assert_fast("a: 1\nb: two\n");
    assert_fast("a:\n  b:\n    c: d\n  e: f\ng: h\n");
    assert_fast("  a: 1\n  b: 2\n");
    assert_fast("a:\n- x\n- y\nb: 1\n");
    assert_fast("a:\n  - x\n  -   y\nb: 1\n");
    assert_fast("- a\n- b\n");
    assert_fast("- a: 1\n  b: 2\n-   c: 3\n    d: 4\n");
    assert_fast("k:\n- a: 1\n  b:\n  - x\n- c\n");
    assert_fast("- - x\n  - y\n- - - z\n");
    assert_fast("k:\n- - x\n  - y\n");
    assert_fast("a:\n  b:\nc:\n");
    assert_fast("k:\n- a:\n- b\n");
    assert_fast("- a:\n  b:\n- c\n");
    assert_fast("a:\n\n\n  b: 1\n\n");
    assert_fast("a:\n# between\n  b: 1\n");
    assert_fast("-\n  a: 1\n  b: 2\n-   # c\n    - x\n");
    assert_fast("k:\n-\n  a: 1\n-  \n  b: 2\n");
    assert_fast("k:\n-   # c\n  a: 1\n");
    assert_fast("k:\n-\r\n  a: 1\r\n");
    assert_same("k:\n-\n- a\n");
}

#[test]
fn scalars_resolve_alike() {
    assert_fast(
        "a: yes\nb: off\nc: 0x1F\nd: 1.5\ne: '1'\nf: ~\ng: 010\nh: 1e3\ni: 1.2.3\nj: -1\nk: +2\n\
         l: .inf\nm: -.inf\nn: .nan\no: 1_000\np: 0o17\nq: 0b101\nr: Null\ns: y\nt: N\nu: .5\n\
         v: 12e\nw: 9223372036854775808\nx: -0\ny: 1.\nz: 0.0.0.0\n",
    );
    assert_fast("a: null\nb: true\nc: \"true\"\nd: 'null'\ne: \"\"\nf: ''\n");
}

#[test]
fn plain_scalars() {
    assert_fast("image: nginx:1.27\nurl: http://x#y\nk: a:b\n");
    assert_fast("a: value   \nb: value # comment\nc: value#not-a-comment\n");
    assert_fast("a: x y  z\nb: -x\nc: --flag=1\nd: a,b]{c}\ne: x&y *z !w\n");
    assert_fast("- key:value\n- a#b\n");
    assert_fast("key with spaces: v\na\"b: c\n-dash: x\n");
    assert_fast("a  : 1\n");
    assert_fast("a: ---\nb: ...\n");
    assert_declined("a: b: c\n");
    assert_declined("a: x\n  continued\n");
    assert_declined("- x\n  continued\n");
    assert_same("a: x\n  # comment\n  y\n");
    assert_declined("key:\n  value on the next line\n");
}

#[test]
fn quoted_scalars() {
    assert_fast("a: \"x # not a comment\"\nb: 'it''s'\nc: \"tab\\there\"\n");
    assert_fast(
        "a: \"\\0\\a\\b\\t\\n\\v\\f\\r\\e\\ \\\"\\/\\\\\\N\\_\\L\\P\\x41\\u00e9\\U0001F600\"\n",
    );
    assert_fast("a: \"  spaced  \"\nb: '  '\nc: \"a\tb\"\nd: 'back\\slash'\n");
    assert_fast("\"quoted key\": 1\n'single': 2\n\"\": empty\n");
    assert_fast("- \"a\": 1\n  'b': 2\n");
    assert_fast("a: \"x\"   # c\n");
    assert_same("a: \"\\ud800\"\n");
    assert_same("a: \"\\q\"\n");
    assert_same("a: \"\\x4\"\n");
    assert_declined("a: \"multi\n  line\"\n");
    assert_declined("a: 'x' y\n");
    assert_same("a: \"x\"#c\n");
    assert_same("\"a\" : 1\n");
    assert_same("- \"a\":b\n");
}

#[test]
fn block_scalars() {
    for header in [
        "|", "|-", "|+", ">", ">-", ">+", "|2", "|-2", "|2-", ">+1", "|1",
    ] {
        for body in [
            "  one\n  two\n",
            "  one\n\n  two\n\n\n",
            "  one\n    more\n  two\n",
            "\n\n  late start\n",
            "  a\n  b\n\n  c\n    d\n    e\n  f\n",
            "    deep\n  shallow\n",
            "  # not a comment\n",
            "  trailing   \n",
            "  tab\there\n",
            "   \n  x\n",
        ] {
            for after in ["", "b: 1\n", "# comment\nb: 1\n", "\n\nb: 1\n", "...\n"] {
                let text = format!("a: {header}\n{body}{after}");
                assert_same(&text);
                let text = format!("- {header}\n{body}{after}");
                assert_same(&text);
                let text = format!("k:\n- x: {header}\n  {}", body.replace('\n', "\n  "));
                assert_same(&text);
            }
        }
    }
    assert_fast("a: |\n  line\n    indented\nb: >\n  folded\n  text\n\n  para\n");
    assert_fast("a: |  # comment\n  x\n");
    assert_fast("a: |\nb: 1\n");
    assert_fast("a: |+\n\n\nb: 1\n");
    assert_fast("a: |\n  x");
    assert_same("a: |\n");
    assert_same("a: |");
    assert_same("a: |\n  x\n  ");
    assert_same("a: |\n  \n");
    assert_same("a: |2\n  x\n b: 1\n");
    assert_same("a:\n\n  \nb:: >2-\n # c\n");
    assert_same("- a: |4\n   x\n");
    assert_same("a: |\n    x\n  y\n");
    assert_same("a: |\n\tx\n");
    assert_same("a: |0\n  x\n");
    assert_same("a: |#c\n  x\n");
}

#[test]
fn flow_collections() {
    assert_fast("a: [x, {b: c}, {}, []]\n");
    assert_fast("drop: [\"ALL\"]\nverbs: [get, list, watch]\nn: [1, -2, 3.5, true, null]\n");
    assert_fast("labels: {app: web, tier: \"front end\"}\n");
    assert_fast("- [a, b]\n- {k: v}\n");
    assert_fast("a: [ x ,y , z ]   # c\n");
    assert_fast("a: {\"k\":\"v\", 'q': 1}\n");
    assert_fast("a: [http://x/y, a:b]\n");
    assert_fast("a: {k: [1, {m: [2]}]}\n");
    assert_same("a: [x, ]\n");
    assert_same("a: [x y, z]\n");
    assert_same("a: [a: b]\n");
    assert_same("a: {k}\n");
    assert_same("a: {k: }\n");
    assert_same("a: {k:v}\n");
    assert_same("a: {k:[1]}\n");
    assert_same("a: [-]\n");
    assert_same("{a+: [02 -,. \"p\"]\n}\n");
    assert_same("a: [x -]\n");
    assert_same("a: [x]#c\n");
    assert_declined("a: [x,\n  y]\n");
}

#[test]
fn json_documents() {
    assert_fast("{\"kind\": \"Pod\", \"spec\": {\"hostPID\": true}}");
    assert_fast(
        "{\n  \"apiVersion\": \"v1\",\n  \"items\": [\n    {\n      \"a\": 1,\n      \"b\": [1, 2.5e3, -3],\n      \"c\": null\n    },\n    {}\n  ],\n  \"s\": \"\\u00e9\\n\"\n}\n",
    );
    assert_fast("[1, 2,\n 3]\n");
    assert_fast("[\n\t{\n\t\t\"a\": [1,\t2],\n\t\t\"b\": \"x\"\n\t}\n]\n");
    assert_same("[\n\t1\t,\n\t2\t\n]\n");
    assert_same("a: [1,\t2]\n");
    assert_same("{\n  \"a\":\t\tbnul \"a}");
    assert_same("{\n  \"a\":\t1}");
    assert_fast("{\"a\": 1}\n# trailing comment\n");
    assert_fast("{\"a\":\n  1\n}\n");
    assert_fast("{\"a\": [\n  # comment\n  1\n]}\n");
    assert_same("{\"a\": 1\n  2}\n");
    assert_same("{\"a\": 1}\nb: 2\n");
    assert_same("{x:\n\n--- \"_}");
    assert_same("[1,\n...\n2]\n");
    assert_same("[1,\n%x\n]\n");
    assert_same("{\"a\": \"\\ud83d\\ude00\"}\n");
}

#[test]
fn documents_and_lines() {
    assert_fast("---\na: 1\n");
    assert_fast("--- # comment\na: 1\n...\n");
    assert_fast("# leading comment\n\na: 1\n");
    assert_fast("a: 1\r\nb:\r\n  - x\r\n  - 'y'\r\nc: |\r\n  z\r\n\r\n  w\r\nd: {e: f}\r\n");
    assert_fast("a: 1");
    assert_fast("a:");
    assert_same("a:\n  ");
    assert_same("a:\n# c");
    assert_same("k:\n  capabilities:\n     ");
    assert_same("    k:\n      a:\n#");
    assert_fast("k:\n  a:");
    assert_fast("k:\n  a: 1\n# c\n");
    assert_fast("a:\n...\n");
    assert_fast("é: b\nc: é\nd: \"ü\" # ö\n");
    assert_fast("nom: \"日本語\"\n日本: [é, ü]\n");
    assert_fast(&format!("long: {}\n", "x".repeat(100_000)));
    assert_fast(&format!("- {}\n", "word ".repeat(10_000).trim_end()));
    assert_same(&format!("{}: 1\n", "k".repeat(2000)));
    assert_same("--- a: 1\n");
    assert_same("--- |\n  x\n");
    assert_same("a: 1\n... x\n");
    assert_same("%YAML 1.2\n---\na: 1\n");
    assert_same("a: 1\n\tb: 2\n");
    assert_same("a:\tb\n");
    assert_same("a: b\rc: d\n");
    assert_same("a: \u{feff}b\n");
    assert_same("a: b\0c\n");
    assert_same("");
    assert_same("# only a comment\n");
    assert_same("just a scalar\n");
    assert_same("a: 1\nb\n");
    assert_same("a: 1\n - b\n");
    assert_same("a:\n- b\n c: 1\n");
    assert_same("- a\nb: 1\n");
    assert_same("a:\n  - x\n  b: 1\n");
}

#[test]
fn unsupported_constructs_are_declined() {
    for text in [
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "? a\n: b\n",
        "<<: {a: 1}\n",
        "\"<<\": {a: 1}\n",
        "a:\n- \n- x\n",
        "-\n- x\n",
        "-\n  value\n",
        "a: [x,\ny]\n",
    ] {
        assert_declined(text);
        assert_same(text);
    }
}

#[test]
fn warnings_match() {
    assert_fast("a: 1\na: 2\n");
    assert_fast("a: 1\na:\n  b: 1\n  b: 2\n");
    assert_fast("- {x: 1, x: 2}\n- {\"y\": 1, 'y': 2}\n");
    assert_fast("a: 1\n\"a\": 2\n'a': 3\n");
}

#[test]
fn deep_nesting_is_left_to_the_reference_path() {
    let text = format!("a: {}{}\n", "[".repeat(300), "]".repeat(300));
    assert_declined(&text);
    let mut text = String::new();
    for depth in 0..300 {
        text.push_str(&" ".repeat(depth));
        text.push_str("k:\n");
    }
    assert_declined(&text);
    assert_same(&text);
}

/// Every YAML file of this repository, cut into documents as the loader cuts them.
#[test]
fn repository_files_parse_alike() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    collect_yaml(&root.join("examples"), &mut files);
    for crate_dir in std::fs::read_dir(root.join("crates")).unwrap() {
        collect_yaml(
            &crate_dir.unwrap().path().join("tests/fixtures"),
            &mut files,
        );
    }
    assert!(!files.is_empty());
    let mut fast_documents = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for document in super::split_stream(&text) {
            if let Some(diff) = difference(document.text, document.first_line) {
                panic!("{}: {diff}", file.display());
            }
            fast_documents += fast(document.text, document.first_line).is_some() as usize;
        }
    }
    assert!(fast_documents > 0);
}

/// Lists read item by item give what the reference gives for the whole document.
#[test]
fn list_items_cut_out_read_as_in_the_whole_list() {
    let cases = [
        "apiVersion: v1\nitems:\n- a: 1\n  b: [x, {y: z}]\n# between\n\n- c: |\n    text\n    - not an item\n  d: 'quoted'\nkind: List\n",
        "kind: List\nitems:\n  - a: 1\n  -   b: 2\n  -\n    c: 3\nmetadata: {}\n",
        "{\"kind\": \"List\", \"items\": [{\"a\": \"\\\"]\"}, [1, 2], {\"é\": \"ü\"}, 3]}",
        "{\n  \"items\": [\n    {\n      \"a\": 1\n    },\n    {\"b\": [true, null]}\n  ],\n  \"kind\": \"List\"\n}\n",
        "{\"items\": [], \"kind\": \"List\"}",
        "{\"items\":[{\"a\":1} , {\"b\":2}\t],\"kind\":\"PodList\"}",
    ];
    for (i, text) in cases.iter().enumerate() {
        assert!(
            super::fast::parse_shell(text, 0).is_some_and(|s| s.items.is_some()),
            "case {i}: the items were not stepped over"
        );
        for first_line in [0, 5] {
            if let Some(diff) = list_difference(text, first_line) {
                panic!("case {i}: {diff}");
            }
        }
    }
}

fn collect_yaml(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_yaml(&path, files);
        } else if path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            files.push(path);
        }
    }
}
