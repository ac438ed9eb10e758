//! Property over every manifest the project holds (examples/ and the controls'
//! fixtures): fixing with every framework gives text that parses and reads as
//! before apart from the fixed fields, and a second fix changes nothing.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use common::{all_frameworks, manifest_files};
use vigie_fix::{fix, FixOptions};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn options() -> FixOptions {
    let mut options = all_frameworks();
    options
        .context
        .image_digests
        .insert("example/app:1".into(), format!("sha256:{}", "0".repeat(64)));
    options
}

#[test]
fn fixing_twice_changes_nothing_the_second_time() {
    let root = workspace();
    let mut files = manifest_files(&root.join("examples"));
    files.extend(manifest_files(
        &root.join("crates/vigie-controls/tests/fixtures"),
    ));
    assert!(files.len() > 100, "{} manifests", files.len());
    let dir = tempfile::tempdir().unwrap();
    let mut copies = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let name = format!("{i:04}-{}", file.file_name().unwrap().to_string_lossy());
        let copy = dir.path().join(name);
        std::fs::copy(file, &copy).unwrap();
        copies.push(copy.display().to_string());
    }
    let options = options();
    let first = fix(&copies, &options);
    assert!(!first.files.is_empty(), "nothing was fixed");
    for file in &first.files {
        let problems = common::unexpected_changes(&file.original, &file.fixed);
        assert!(problems.is_empty(), "{}: {problems:?}", file.file);
        std::fs::write(&file.path, &file.fixed).unwrap();
    }
    let second = fix(&copies, &options);
    let changed: Vec<_> = second.files.iter().map(|f| f.file.as_str()).collect();
    assert!(changed.is_empty(), "a second run changed {changed:?}");
}
