//! `falco-rules`: loads and compiles Falco's rule files (syscall, Kubernetes audit,
//! CloudTrail). Each rule that compiles passes; each that does not fails, and every
//! field vigie does not know is named. Incubating and sandbox files build on the
//! stable file's macros and lists, so they are loaded after it, as Falco loads them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::Tally;
use vigie_detect::k8s_audit::k8s_audit_table;
use vigie_rules::fields::{cloudtrail_table, syscall_table};
use vigie_rules::{Engine, EngineOptions, RuleLoader};

fn rule_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut push_yaml = |d: PathBuf| {
        if let Ok(entries) = std::fs::read_dir(&d) {
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
                .collect();
            found.sort();
            files.extend(found);
        }
    };
    push_yaml(dir.join("rules"));
    if let Ok(plugins) = std::fs::read_dir(dir.join("plugins/plugins")) {
        let mut dirs: Vec<PathBuf> = plugins
            .filter_map(|e| e.ok().map(|e| e.path().join("rules")))
            .collect();
        dirs.sort();
        for d in dirs {
            push_yaml(d);
        }
    }
    files
}

pub fn run(dir: &Path) -> Tally {
    let mut tally = Tally::default();
    let files = rule_files(dir);
    if files.is_empty() {
        eprintln!("falco-rules: no rule files under {}", dir.display());
        tally.failed += 1;
        return tally;
    }
    let stable = files
        .iter()
        .find(|f| f.file_name().is_some_and(|n| n == "falco_rules.yaml"));
    let tables = [syscall_table(), k8s_audit_table(), cloudtrail_table()];
    for file in &files {
        let mut loader = RuleLoader::new();
        let builds_on_stable = file.file_name().is_some_and(|n| {
            let n = n.to_string_lossy();
            n.starts_with("falco-") && n != "falco_rules.yaml"
        });
        if let (true, Some(stable)) = (builds_on_stable, stable) {
            loader.load_file(stable);
        }
        loader.load_file(file);
        let set = loader.finish();
        let name = file.display().to_string();
        let engine = Engine::build(&set, &tables, &EngineOptions::default()).expect("not strict");
        let total = set
            .rules
            .iter()
            .filter(|r| *r.location.file == *name)
            .count();
        let failed: Vec<_> = engine
            .failures()
            .iter()
            .filter(|f| set.rule(&f.rule).is_some_and(|r| *r.location.file == *name))
            .collect();
        let mut unknown: BTreeMap<&str, usize> = BTreeMap::new();
        for f in &failed {
            for u in &f.unknown_fields {
                *unknown.entry(u.as_str()).or_default() += 1;
            }
        }
        let rel = file.strip_prefix(dir).unwrap_or(file).display();
        println!("{rel}: {} of {total} rules compiled", total - failed.len());
        for d in engine
            .diagnostics()
            .iter()
            .filter(|d| d.is_error() && d.location.as_ref().is_some_and(|l| *l.file == *name))
        {
            println!("  {d}");
        }
        if !unknown.is_empty() {
            let names: Vec<String> = unknown
                .iter()
                .map(|(k, v)| format!("{k} ({v} rules)"))
                .collect();
            println!("  unknown fields: {}", names.join(", "));
        }
        tally.passed += total - failed.len();
        tally.failed += failed.len();
    }
    tally
}
