//! ## What it does
//! Flags containers whose image is not pinned to a digest (`image@sha256:…`),
//! unless the image is in a repository exempted by `digestExemptRepositories`.
//! Digests follow the OCI image specification: `sha256` and `blake3` need 64
//! lowercase hex digits, `sha512` 128; other algorithms any encoded value.
//!
//! ## Why is this bad
//! A tag is a mutable pointer: the registry can serve different content under
//! the same tag tomorrow, whether through a routine re-push or a compromised
//! account. Only a digest names exactly the image that was reviewed and scanned.
//!
//! ## Example
//! ```yaml
//! image: nginx:1.25   # flagged
//! ```
//! Use instead: `nginx:1.25@sha256:<64 hex digits>` (the tag stays readable,
//! the digest decides).
//!
//! ## References
//! Kubescape C-0306; CIS 5.5.1; NSA/CISA "Supply chain"; MITRE ATT&CK T1525
//! (Implant Internal Image), T1195.002 (Compromise Software Supply Chain).

use super::super::prelude::*;
use super::helpers::{judge_images, ImageRef};
use crate::controls::common::pod_evaluator;

/// How VG-W028 looks at the input; what it says about itself is its row of
/// [`CONTROLS`](crate::controls::catalogue::CONTROLS).
pub(crate) const EVALUATOR: Evaluator = pod_evaluator!(evaluate);

/// Whether `digest` (`algorithm:encoded`) is well formed for its algorithm.
fn is_valid_digest(digest: &str) -> bool {
    let Some((algorithm, encoded)) = digest.split_once(':') else {
        return false;
    };
    let algorithm_ok = !algorithm.is_empty()
        && algorithm.split(['+', '.', '_', '-']).all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    let lower_hex = |len: usize| {
        encoded.len() == len
            && encoded
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    algorithm_ok
        && match algorithm {
            "sha256" | "blake3" => lower_hex(64),
            "sha512" => lower_hex(128),
            _ => {
                !encoded.is_empty()
                    && encoded
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"=_-".contains(&b))
            }
        }
}

/// Whether `image` is in one of the exempt repositories: the prefix must end at
/// a path, tag or digest boundary, so `internal` does not exempt `internal-evil/app`.
fn is_exempt(image: &str, exempt: &[String]) -> bool {
    exempt.iter().filter(|r| !r.is_empty()).any(|repository| {
        image.strip_prefix(repository.as_str()).is_some_and(|rest| {
            rest.is_empty() || rest.starts_with(['/', ':', '@']) || repository.ends_with('/')
        })
    })
}

fn evaluate(pod: &Pod<'_>, config: &Config, out: &mut Vec<Violation>) {
    judge_images(pod, out, |_, image| {
        if is_exempt(image, &config.digest_exempt_repositories) {
            return None;
        }
        let words = match ImageRef::parse(image).digest {
            Some(digest) if is_valid_digest(digest) => return None,
            Some(digest) => format!("pins image {image} to a malformed digest {digest}"),
            None => format!("uses image {image}, not pinned to a digest"),
        };
        Some(("image", words))
    });
}
