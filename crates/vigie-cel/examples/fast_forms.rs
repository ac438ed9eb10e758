//! Counts how many CEL expressions have a direct form (the subset the
//! direct evaluator covers), and for the others the kind of node that keeps
//! them out.
//!
//! Reads one expression per line, each a JSON string, from standard input;
//! compiles them in the environment of admission policies (the variables
//! vigie-policy declares).
//!
//! `python3 extract.py corpus | cargo run -p vigie-cel --example fast_forms`

use std::collections::BTreeMap;
use std::io::BufRead;

use vigie_cel::{Env, Program};

/// The variables admission policies' expressions may read.
const DECLARED: &[&str] = &[
    "object",
    "oldObject",
    "request",
    "params",
    "namespaceObject",
    "variables",
    "authorizer",
    "resource",
    "image",
    "exceptions",
];

fn main() {
    let env = DECLARED.iter().fold(Env::new(), |env, v| env.variable(*v));
    let mut direct = 0;
    let mut not_compiled = 0;
    let mut outside: BTreeMap<&'static str, usize> = BTreeMap::new();
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("readable input");
        let Ok(expr) = serde_json::from_str::<String>(&line) else {
            eprintln!("not a JSON string: {line}");
            continue;
        };
        match Program::compile(&expr, &env).map(|p| p.fast_form()) {
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
