//! Counts how many CEL expressions of a set of policies have a direct form
//! (the subset the direct evaluator covers), and for the others the kind of
//! node that keeps them out.
//!
//! Reads every `.yaml`/`.yml` file below the paths given, and takes each
//! string under an `expression`, `messageExpression` or `valueExpression`
//! key; compiles them in the environment of admission policies
//! (`vigie_cel::kyverno::admission_env`, the one vigie-policy compiles in).
//!
//! `cargo run --release -p vigie-cel --example fast_forms -- ../shared/corpora/kyverno-policies`

use std::collections::BTreeMap;
use std::path::Path;

use vigie_cel::Program;
use vigie_resource::{parse_documents, Node, Value};

/// The keys whose string values are CEL expressions.
const EXPRESSION_KEYS: &[&str] = &["expression", "messageExpression", "valueExpression"];

fn main() {
    let mut expressions = Vec::new();
    for path in std::env::args().skip(1) {
        read_path(Path::new(&path), &mut expressions);
    }
    let env = vigie_cel::kyverno::admission_env();
    let mut direct = 0;
    let mut not_compiled = 0;
    let mut outside: BTreeMap<&'static str, usize> = BTreeMap::new();
    for expr in &expressions {
        match Program::compile(expr, &env).map(|p| p.fast_form()) {
            Ok(Ok(())) => direct += 1,
            Ok(Err(kind)) => *outside.entry(kind).or_default() += 1,
            Err(_) => not_compiled += 1,
        }
    }
    let compiled = direct + outside.values().sum::<usize>();
    println!("{direct} of {compiled} compiled expressions have a direct form ({not_compiled} did not compile)");
    for (kind, n) in outside {
        println!("  {n:5}  {kind}");
    }
}

/// The expressions of a YAML file, or of every YAML file below a directory.
fn read_path(path: &Path, out: &mut Vec<String>) {
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for entry in entries {
            read_path(&entry, out);
        }
    } else if path.extension().is_some_and(|x| x == "yaml" || x == "yml") {
        let Ok(text) = std::fs::read_to_string(path) else {
            eprintln!("{}: not readable as text", path.display());
            return;
        };
        for document in parse_documents(&text).into_iter().flatten() {
            collect(&document.root, out);
        }
    }
}

/// Every string under one of [`EXPRESSION_KEYS`] in `node`.
fn collect(node: &Node, out: &mut Vec<String>) {
    match &node.value {
        Value::Map(entries) => {
            for entry in entries {
                match &entry.value.value {
                    Value::String(s) if EXPRESSION_KEYS.contains(&&*entry.key) => {
                        out.push(s.to_string());
                    }
                    _ => collect(&entry.value, out),
                }
            }
        }
        Value::Seq(items) => items.iter().for_each(|item| collect(item, out)),
        _ => {}
    }
}
