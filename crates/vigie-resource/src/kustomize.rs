//! Rendering kustomization directories with `kubectl kustomize`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// File names that make a directory a kustomization.
pub(crate) const KUSTOMIZATION_FILES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

pub(crate) fn is_kustomization(dir: &Path) -> bool {
    KUSTOMIZATION_FILES.iter().any(|f| dir.join(f).is_file())
}

/// The kubectl to render with: `$VIGIE_KUBECTL` when set (empty disables
/// rendering), otherwise `kubectl` found on `PATH`.
pub(crate) fn find_kubectl() -> Option<PathBuf> {
    if let Some(explicit) = std::env::var_os("VIGIE_KUBECTL") {
        return (!explicit.is_empty()).then(|| PathBuf::from(explicit));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("kubectl"))
        .find(|candidate| candidate.is_file())
}

/// Runs `kubectl kustomize DIR` and returns the rendered YAML.
pub(crate) fn render(kubectl: Option<&Path>, dir: &Path) -> Result<String, String> {
    let Some(kubectl) = kubectl else {
        return Err(format!(
            "this directory is a kustomization but kubectl was not found; install kubectl, \
             or render it yourself: `kubectl kustomize {0} | vigie scan -` \
             (or `kustomize build {0} | vigie scan -`)",
            dir.display()
        ));
    };
    let output = Command::new(kubectl)
        .arg("kustomize")
        .arg(dir)
        .output()
        .map_err(|e| format!("could not run {}: {e}", kubectl.display()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let reason = stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        return Err(format!(
            "`kubectl kustomize` failed ({}): {}",
            output.status,
            reason.trim()
        ));
    }
    String::from_utf8(output.stdout).map_err(|_| "kustomize output is not UTF-8".to_string())
}
