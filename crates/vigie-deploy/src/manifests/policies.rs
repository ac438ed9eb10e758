//! The policy files, carried into the cluster in a ConfigMap.

use std::collections::BTreeMap;
use std::path::Path;

use vigie_policy::Policy;

use crate::error::ManifestsError;

/// The most a ConfigMap holds (the API server refuses objects over 1 MiB);
/// room is left for the object's other fields.
pub const MAX_POLICY_BYTES: usize = 1_000_000;

/// The files the `policies` were read from, by ConfigMap key (the file's name,
/// made unique and limited to the characters keys allow), each read once.
pub fn policy_files(policies: &[Policy]) -> Result<BTreeMap<String, String>, ManifestsError> {
    let mut files = BTreeMap::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut total = 0usize;
    for source in policies.iter().map(|p| p.source.as_str()) {
        if !seen.insert(source) {
            continue;
        }
        let path = Path::new(source);
        let unreadable = |source| ManifestsError::Read {
            path: path.to_path_buf(),
            source,
        };
        if source == "-" || !path.is_file() {
            return Err(unreadable(std::io::Error::other(
                "policies must come from files to be put in the ConfigMap",
            )));
        }
        let length = path.metadata().map_err(unreadable)?.len() as usize;
        if total + length > MAX_POLICY_BYTES {
            return Err(ManifestsError::PoliciesTooLarge {
                bytes: total + length,
                max: MAX_POLICY_BYTES,
            });
        }
        let text = std::fs::read_to_string(path).map_err(unreadable)?;
        total += text.len();
        files.insert(key_for(path, &files), text);
    }
    Ok(files)
}

/// A ConfigMap key (`[-._a-zA-Z0-9]+`) for `path`, unique among `taken`.
fn key_for(path: &Path, taken: &BTreeMap<String, String>) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut base: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if base.is_empty() || base == "." || base == ".." {
        base = "policy.yaml".into();
    }
    let mut key = base.clone();
    let mut n = 1;
    while taken.contains_key(&key) {
        n += 1;
        key = format!("{n}-{base}");
    }
    key
}
