//! What the integration tests share: an independent check that a fixed text
//! reads as the original apart from the fields fixes change; the manifests to
//! fix, and the options that select every framework. Each test binary uses
//! part of it, hence `dead_code` allowed.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use vigie_controls::{Framework, ScanConfig};
use vigie_fix::FixOptions;
use vigie_resource::{parse_documents, Node, Value};

/// Fix options with every framework selected, so that every check's fix runs.
pub fn all_frameworks() -> FixOptions {
    FixOptions {
        scan: ScanConfig {
            frameworks: Framework::ALL.to_vec(),
            ..ScanConfig::default()
        },
        ..FixOptions::default()
    }
}

/// The manifest files (`.yaml`, `.yml`, `.json`) under `dir`, in path order;
/// none for a folder that is not there (a corpus not checked out).
pub fn manifest_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return files;
    };
    let mut entries: Vec<_> = entries
        .map(|e| e.expect("a readable folder entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files.extend(manifest_files(&path));
        } else if path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            files.push(path);
        }
    }
    files
}

/// The keys a fix may add or change.
const FIXED_KEYS: [&str; 16] = [
    "securityContext",
    "allowPrivilegeEscalation",
    "privileged",
    "runAsNonRoot",
    "readOnlyRootFilesystem",
    "seccompProfile",
    "type",
    "capabilities",
    "drop",
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "automountServiceAccountToken",
    "image",
    "readOnly",
    "spec",
];

/// Every document of `fixed` parses, and differs from the same document of
/// `original` only in fixable fields (added, or a value changed; a list only by
/// added items). Returns what differs otherwise.
pub fn unexpected_changes(original: &str, fixed: &str) -> Vec<String> {
    let before = parse_documents(original);
    let after = parse_documents(fixed);
    let mut problems = Vec::new();
    if before.len() != after.len() {
        problems.push(format!("{} documents became {}", before.len(), after.len()));
        return problems;
    }
    for (i, (old, new)) in before.iter().zip(&after).enumerate() {
        match (old, new) {
            (Ok(old), Ok(new)) => compare(
                &old.root,
                &new.root,
                "",
                &format!("document {i}"),
                &mut problems,
            ),
            (Err(_), Err(_)) => {}
            (_, Err(e)) => problems.push(format!("document {i} no longer parses: {}", e.reason)),
            (Err(_), Ok(_)) => problems.push(format!("document {i} parses now")),
        }
    }
    problems
}

fn compare(old: &Node, new: &Node, key: &str, at: &str, problems: &mut Vec<String>) {
    let fixable = FIXED_KEYS.contains(&key);
    match (&old.value, &new.value) {
        (Value::Map(a), Value::Map(b)) => {
            for entry in b.iter() {
                match a.iter().rfind(|e| e.key == entry.key) {
                    Some(before) => compare(
                        &before.value,
                        &entry.value,
                        &entry.key,
                        &format!("{at}.{}", entry.key),
                        problems,
                    ),
                    None if FIXED_KEYS.contains(&entry.key.as_str()) => {}
                    None => problems.push(format!("{at}.{} was added", entry.key)),
                }
            }
            for entry in a.iter() {
                if !b.iter().any(|e| e.key == entry.key) {
                    problems.push(format!("{at}.{} was removed", entry.key));
                }
            }
        }
        (Value::Seq(a), Value::Seq(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b.iter()).enumerate() {
                compare(x, y, key, &format!("{at}[{i}]"), problems);
            }
        }
        (Value::Seq(a), Value::Seq(b)) if key == "drop" && b.len() > a.len() => {}
        (Value::Null, Value::Map(_)) if fixable => {}
        (x, y) if x == y => {}
        _ if fixable && !matches!(new.value, Value::Map(_) | Value::Seq(_)) => {}
        _ if fixable && matches!(old.value, Value::Null) => {}
        _ => problems.push(format!(
            "{at} changed from {} to {}",
            old.display_value(),
            new.display_value()
        )),
    }
}
