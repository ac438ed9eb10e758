//! The conformance corpora's inputs (Pod Security admission test data, regolibrary
//! rule inputs) fixed with every framework: every fixed document parses and reads
//! as before apart from the fixed fields, and no fix is refused. The corpora are not
//! part of the project: set VIGIE_CORPORA to their directory (default
//! `../shared/corpora` from the workspace); without them the test says so and passes.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{all_frameworks, manifest_files};
use vigie_fix::fix;

#[test]
fn corpora_inputs_fix_without_other_changes() {
    let corpora = std::env::var_os("VIGIE_CORPORA").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora"),
        PathBuf::from,
    );
    let mut files = manifest_files(&corpora.join("pod-security-admission/test/testdata"));
    files.extend(
        manifest_files(&corpora.join("regolibrary/rules"))
            .into_iter()
            .filter(|p| p.components().any(|c| c.as_os_str() == "input")),
    );
    if files.is_empty() {
        eprintln!("no corpora under {}: skipped", corpora.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let copies: Vec<String> = files
        .iter()
        .enumerate()
        .map(|(i, file)| {
            let copy = dir.path().join(format!(
                "{i:05}-{}",
                file.file_name().unwrap().to_string_lossy()
            ));
            std::fs::copy(file, &copy).unwrap();
            copy.display().to_string()
        })
        .collect();
    let options = all_frameworks();
    let run = fix(&copies, &options);
    let refused: Vec<_> = run
        .remaining
        .iter()
        .filter_map(|r| {
            r.not_fixed
                .as_ref()
                .map(|why| format!("{}:{}: {} {}: {why}", r.file, r.pos, r.check_id, r.path))
        })
        .collect();
    let mut changed = Vec::new();
    for file in &run.files {
        for problem in common::unexpected_changes(&file.original, &file.fixed) {
            changed.push(format!("{}: {problem}", file.file));
        }
    }
    eprintln!(
        "{} files, {} fixed, {} findings removed, {} left, {} refused",
        copies.len(),
        run.files.len(),
        run.files.iter().map(|f| f.removed.len()).sum::<usize>(),
        run.remaining.len(),
        refused.len()
    );
    assert!(changed.is_empty(), "{}", changed.join("\n"));
    assert!(refused.is_empty(), "{}", refused.join("\n"));
}
