//! The image digest file of `vigie fix --image-digests`: a YAML (or JSON)
//! mapping from image references as written in manifests to their digests.
//!
//! ```yaml
//! redis:7.4: sha256:5a0e...   # 64 hex digits
//! registry.example.com/tools/backup:1.2: sha256:19c4...
//! ```

use std::collections::HashMap;
use std::path::Path;

use vigie_resource::input::read_text;
use vigie_resource::{parse_documents, Pos};

/// Why the digest file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DigestFileError {
    /// The file could not be read (missing, too large, not UTF-8).
    #[error("{0}")]
    Read(#[from] vigie_resource::input::ReadError),
    /// The file is not a mapping of image references to digests.
    #[error("{file}:{pos}: {reason}")]
    Invalid {
        /// The file, as named.
        file: String,
        /// Where the problem is.
        pos: Pos,
        /// What is wrong.
        reason: String,
    },
}

/// Reads the digest file at `path` (at most `limit` bytes).
pub fn read_image_digests(
    path: &Path,
    limit: u64,
) -> Result<HashMap<String, String>, DigestFileError> {
    let file = path.display().to_string();
    let text = read_text(path, limit)?;
    let invalid = |pos: Pos, reason: String| DigestFileError::Invalid {
        file: file.clone(),
        pos,
        reason,
    };
    let mut documents = parse_documents(&text);
    if documents.len() != 1 {
        return Err(invalid(
            Pos::new(1, 1),
            format!(
                "expected one mapping of image -> digest, found {} documents",
                documents.len()
            ),
        ));
    }
    let root = documents
        .remove(0)
        .map_err(|e| invalid(e.pos, format!("invalid YAML: {}", e.reason)))?
        .root;
    let entries = root
        .as_map()
        .ok_or_else(|| invalid(root.pos, "expected a mapping of image -> digest".into()))?;
    let mut digests = HashMap::with_capacity(entries.len());
    for entry in entries {
        let digest = entry
            .value
            .as_str()
            .filter(|d| is_digest(d))
            .ok_or_else(|| {
                invalid(
                    entry.value.pos,
                    format!(
                    "the digest of `{}` must read `sha256:` followed by 64 hex digits, found {}",
                    entry.key,
                    entry.value.display_value()
                ),
                )
            })?;
        if entry.key.contains('@') {
            return Err(invalid(
                entry.key_pos,
                format!(
                    "`{}` is pinned already: name images without a digest",
                    entry.key
                ),
            ));
        }
        digests.insert(entry.key.to_string(), digest.to_string());
    }
    Ok(digests)
}

fn is_digest(text: &str) -> bool {
    text.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_checked_and_errors_located() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.yaml");
        std::fs::write(&good, format!("redis:7.4: sha256:{}\n", "0".repeat(64))).unwrap();
        assert_eq!(read_image_digests(&good, 1 << 20).unwrap().len(), 1);
        let bad = dir.path().join("bad.yaml");
        std::fs::write(&bad, "redis:7.4: sha256:00\n").unwrap();
        let error = read_image_digests(&bad, 1 << 20).unwrap_err().to_string();
        assert!(
            error.contains("bad.yaml:1:12: the digest of `redis:7.4`"),
            "{error}"
        );
    }
}
