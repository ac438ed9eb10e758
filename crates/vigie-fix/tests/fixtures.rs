//! Per-check fixtures: `CHECK.case.in.yaml` fixed with only CHECK's fix (all
//! frameworks selected) must give `CHECK.case.out.yaml` byte for byte.
//! `VIGIE_BLESS=1` writes the expected files from what the fix gives.

mod common;

use std::path::{Path, PathBuf};

use common::all_frameworks;
use vigie_fix::{fix, FixOptions};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn options(check: &str) -> FixOptions {
    let mut options = FixOptions {
        only: vec![check.to_string()],
        ..all_frameworks()
    };
    options
        .context
        .image_digests
        .insert("nginx:1.27".into(), format!("sha256:{}", "5e".repeat(32)));
    options
}

#[test]
fn each_fixture_fixes_to_its_expected_text() {
    let bless = std::env::var_os("VIGIE_BLESS").is_some();
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".in."))
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 9, "{inputs:?}");
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for input in inputs {
        let name = input.file_name().unwrap().to_string_lossy().into_owned();
        let check = name.split('.').next().unwrap();
        let copy = dir.path().join(&name);
        std::fs::copy(&input, &copy).unwrap();
        let run = fix(&[copy.display().to_string()], &options(check));
        assert!(run.problems.is_empty(), "{name}: {:?}", run.problems);
        let refused: Vec<_> = run
            .remaining
            .iter()
            .filter_map(|r| match &r.not_fixed {
                Some(vigie_fix::NotFixed::Refused(why)) => Some(why),
                _ => None,
            })
            .collect();
        assert!(refused.is_empty(), "{name}: {refused:?}");
        let original = std::fs::read_to_string(&input).unwrap();
        let fixed = run
            .files
            .first()
            .map_or(original.clone(), |f| f.fixed.clone());
        let expected_path = fixtures().join(name.replace(".in.", ".out."));
        if bless {
            std::fs::write(&expected_path, &fixed).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("{} is missing", expected_path.display()));
        if fixed != expected {
            failures.push(format!(
                "{name}:\n{}",
                vigie_fix::unified_diff(&name, &expected, &fixed)
            ));
        }
        // Fixing the result again changes nothing.
        std::fs::write(&copy, &fixed).unwrap();
        let again = fix(&[copy.display().to_string()], &options(check));
        assert!(
            again.files.is_empty(),
            "{name}: a second run changed it again"
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
