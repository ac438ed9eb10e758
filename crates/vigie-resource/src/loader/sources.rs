//! Reading each source's text within the limits.

use std::path::Path;

use super::Limits;
use crate::diagnostic::Diagnostic;
use crate::input::{read_file, read_stdin, too_large_reason, Source};
use crate::kustomize;
use crate::resource::SourceFile;

/// Reads the text of a source: a file, stdin, or a kustomize rendering, refusing
/// more than `limits.max_file_bytes`.
pub(super) fn read_source(
    source: &Source,
    kubectl: Option<&Path>,
    limits: &Limits,
) -> Result<(SourceFile, String), Diagnostic> {
    let plain = |path: String| SourceFile {
        path,
        rendered_by: None,
    };
    match source {
        Source::File(path) | Source::Special(path) => {
            let text = read_file(path, limits.max_file_bytes).map_err(|e| e.to_diagnostic())?;
            Ok((plain(path.display().to_string()), text))
        }
        Source::Stdin => {
            let text = read_stdin(limits.max_file_bytes).map_err(|e| e.to_diagnostic())?;
            Ok((plain("<stdin>".to_string()), text))
        }
        Source::Kustomization(dir) => {
            let name = dir.display().to_string();
            let text = kustomize::render(kubectl, dir)
                .and_then(|text| {
                    if text.len() as u64 > limits.max_file_bytes {
                        Err(format!(
                            "its rendering is {}",
                            too_large_reason(limits.max_file_bytes)
                        ))
                    } else {
                        Ok(text)
                    }
                })
                .map_err(|reason| Diagnostic::error(name.clone(), None, reason))?;
            Ok((
                SourceFile {
                    path: name,
                    rendered_by: Some("kubectl kustomize".into()),
                },
                text,
            ))
        }
    }
}
