//! The `pss` suite: Kubernetes' own Pod Security Standards fixtures.
//!
//! Layout: `<level>/v1.<N>/{pass,fail}/*.yaml`. Every `pass` fixture must pass and
//! every `fail` fixture must fail at its level and version.

use std::path::Path;

use vigie_controls::pss::{self, Level, Version};
use vigie_resource::{load, pod_template, LoadOptions};

use crate::Tally;

pub fn run(dir: &Path) -> Tally {
    let mut tally = Tally::default();
    for level in [Level::Baseline, Level::Restricted] {
        let level_dir = dir.join(level.as_str());
        let Ok(versions) = std::fs::read_dir(&level_dir) else {
            eprintln!("missing {}", level_dir.display());
            tally.failed += 1;
            continue;
        };
        let mut versions: Vec<(Version, std::path::PathBuf)> = versions
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().to_string();
                name.parse::<Version>().ok().map(|v| (v, e.path()))
            })
            .collect();
        versions.sort();
        for (version, version_dir) in versions {
            let checks = pss::checks_for(level, version);
            for expect_pass in [true, false] {
                let case_dir = version_dir.join(if expect_pass { "pass" } else { "fail" });
                let Ok(entries) = std::fs::read_dir(&case_dir) else {
                    continue;
                };
                let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
                files.sort();
                for file in files {
                    let verdict = judge(&file, &checks, version);
                    match verdict {
                        Ok(failed_checks) if failed_checks.is_empty() == expect_pass => {
                            tally.passed += 1
                        }
                        Ok(failed_checks) => {
                            tally.failed += 1;
                            println!(
                                "DISAGREE {level} {version} {}: expected {}, vigie {} {:?}",
                                file.display(),
                                if expect_pass { "pass" } else { "fail" },
                                if expect_pass { "fails" } else { "passes" },
                                failed_checks
                            );
                        }
                        Err(reason) => {
                            tally.failed += 1;
                            println!("ERROR {}: {reason}", file.display());
                        }
                    }
                }
            }
        }
    }
    tally
}

/// The IDs of the checks a fixture fails.
fn judge(
    file: &Path,
    checks: &[&'static pss::Check],
    version: Version,
) -> Result<Vec<&'static str>, String> {
    let loaded = load(&[file.display().to_string()], &LoadOptions::default());
    if let Some(d) = loaded.diagnostics.iter().find(|d| d.is_error()) {
        return Err(d.to_string());
    }
    let [resource] = loaded.resources.as_slice() else {
        return Err(format!(
            "expected one object, found {}",
            loaded.resources.len()
        ));
    };
    let template = pod_template(resource).ok_or("not a pod")?;
    Ok(pss::evaluate(template, checks, version)
        .into_iter()
        .map(|f| f.check.id)
        .collect())
}
