//! What the tests against the API server stand-in share.

use api_standin::{Standin, StandinConfig};
use vigie_cluster::{Cluster, ClusterOptions};

/// Starts a stand-in and connects to it through a kubeconfig file, with
/// `adjust` applied to the options.
pub fn connect(
    config: StandinConfig,
    adjust: impl FnOnce(&mut ClusterOptions),
) -> (Standin, Cluster, tempfile::TempDir) {
    let standin = Standin::start(config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, standin.kubeconfig()).unwrap();
    let mut options = ClusterOptions {
        kubeconfig: Some(path),
        ..ClusterOptions::default()
    };
    adjust(&mut options);
    (standin, Cluster::connect(&options).unwrap(), dir)
}
