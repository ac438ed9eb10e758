//! Writing reports to a directory, one file each, replaced atomically.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

use serde_json::Value;

use super::ReportApi;

/// `report-NAMESPACE.json` (or `policyreport-NAMESPACE.json`) for a namespace,
/// `clusterreport.json` (or `clusterpolicyreport.json`) for the cluster.
/// `namespace` is a checked namespace name, so the result is a plain file name.
pub(super) fn file_name(api: ReportApi, namespace: &str) -> String {
    if namespace.is_empty() {
        format!("{}.json", api.cluster_kind().to_ascii_lowercase())
    } else {
        format!(
            "{}-{namespace}.json",
            api.namespaced_kind().to_ascii_lowercase()
        )
    }
}

/// Writes `report` to `dir/name` through a temporary file in the same directory
/// and a rename, so that a reader never sees half a report.
pub(super) fn write_atomically(dir: &Path, name: &str, report: &Value) -> io::Result<()> {
    let temporary = dir.join(format!(".{name}.tmp"));
    let result = (|| {
        let mut file = File::create(&temporary)?;
        serde_json::to_writer_pretty(&mut file, report).map_err(io::Error::other)?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        fs::rename(&temporary, dir.join(name))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result.map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.join(name).display())))
}
