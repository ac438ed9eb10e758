//! Parse throughput on one core, fast path (with its fallback) against the yaml-rust2
//! reference path, over the YAML and JSON files of a directory:
//!
//! ```text
//! cargo run --release -p vigie-resource --example parse_throughput -- /tmp/c100k [default|reference]
//! ```
//!
//! A second argument times that path alone (for profiling).

use std::path::Path;
use std::time::Instant;

use vigie_resource::{split_stream, yaml_differential};

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: parse_throughput DIR");
        std::process::exit(2);
    };
    let mut texts = Vec::new();
    collect(Path::new(&dir), &mut texts);
    let bytes: usize = texts.iter().map(String::len).sum();
    let documents: Vec<_> = texts.iter().flat_map(|t| split_stream(t)).collect();
    let fast = documents
        .iter()
        .filter(|d| yaml_differential::fast(d.text, d.first_line).is_some())
        .count();
    println!(
        "{} files, {:.1} MB, {} documents, {} on the fast path",
        texts.len(),
        bytes as f64 / 1e6,
        documents.len(),
        fast
    );
    let only = std::env::args().nth(2);
    let time = |name: &str, parse: &dyn Fn(&str, u32) -> bool| {
        if only.as_deref().is_some_and(|only| only != name) {
            return;
        }
        let start = Instant::now();
        let parsed = documents
            .iter()
            .filter(|d| parse(d.text, d.first_line))
            .count();
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "{name:>10}: {seconds:.2} s, {:.1} MB/s ({parsed} documents parsed)",
            bytes as f64 / 1e6 / seconds
        );
    };
    time("reference", &|text, line| {
        matches!(yaml_differential::reference(text, line), Ok(Some(_)))
    });
    time("default", &|text, line| {
        yaml_differential::fast(text, line).is_some()
            || matches!(yaml_differential::reference(text, line), Ok(Some(_)))
    });
}

fn collect(dir: &Path, texts: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, texts);
        } else if path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            if let Ok(text) = std::fs::read_to_string(&path) {
                texts.push(text);
            }
        }
    }
}
