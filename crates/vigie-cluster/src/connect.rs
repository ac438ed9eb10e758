//! Finding the cluster, and what every scan asks it first.

use std::sync::Arc;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::discovery::{discover, ApiType};
use crate::{ClusterError, ClusterOptions};

/// The server's version, from `/version`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerVersion {
    /// `v1.31.2`.
    pub git_version: String,
    /// The major version (1).
    pub major: u32,
    /// The minor version (31), which decides what the server serves.
    pub minor: u32,
}

/// A cluster reached and discovered, ready to be read.
pub struct Cluster {
    pub(crate) runtime: tokio::runtime::Runtime,
    pub(crate) client: kube::Client,
    pub(crate) context: Arc<str>,
    pub(crate) options: ClusterOptions,
    pub(crate) version: ServerVersion,
    pub(crate) types: Vec<ApiType>,
}

impl Cluster {
    /// Reads the configuration, builds the client, asks the version and
    /// discovers the resource types.
    pub fn connect(options: &ClusterOptions) -> Result<Cluster, ClusterError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(ClusterError::Runtime)?;
        let (config, context) = runtime.block_on(config(options))?;
        let client = {
            // Building the client spawns onto the runtime.
            let _guard = runtime.enter();
            kube::Client::try_from(config).map_err(|e| ClusterError::Client(e.to_string()))?
        };
        let timeout = options.request_timeout;
        let version = runtime.block_on(async {
            let info = within(timeout, "/version", client.apiserver_version()).await?;
            Ok::<_, ClusterError>(ServerVersion {
                major: leading_number(&info.major),
                minor: leading_number(&info.minor),
                git_version: info.git_version,
            })
        })?;
        let types = runtime.block_on(discover(&client, timeout))?;
        Ok(Cluster {
            runtime,
            client,
            context: context.into(),
            options: options.clone(),
            version,
            types,
        })
    }

    /// The context the cluster was reached through; `in-cluster` for a Pod's service account.
    pub fn context(&self) -> &str {
        &self.context
    }

    /// The server's version.
    pub fn version(&self) -> &ServerVersion {
        &self.version
    }

    /// The resource types [`Cluster::read`] lists.
    pub fn types(&self) -> &[ApiType] {
        &self.types
    }
}

/// `"31+"` (as some providers write it) to 31.
fn leading_number(text: &str) -> u32 {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or(0)
}

/// Runs a request within the timeout, naming the path in the error.
pub(crate) async fn within<T>(
    timeout: Duration,
    path: &str,
    request: impl std::future::Future<Output = Result<T, kube::Error>>,
) -> Result<T, ClusterError> {
    match tokio::time::timeout(timeout, request).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(ClusterError::Request {
            path: path.into(),
            reason: describe(&e),
        }),
        Err(_) => Err(ClusterError::Request {
            path: path.into(),
            reason: format!(
                "no answer within {} s (--request-timeout)",
                timeout.as_secs_f64()
            ),
        }),
    }
}

/// A kube error in words: the API's own message for an API error.
pub(crate) fn describe(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => {
            format!("{} {}: {}", status.code, status.reason, status.message)
        }
        other => other.to_string(),
    }
}

/// The client configuration and the name of the context it comes from.
async fn config(options: &ClusterOptions) -> Result<(kube::Config, String), ClusterError> {
    let kube_options = KubeConfigOptions {
        context: options.context.clone(),
        ..KubeConfigOptions::default()
    };
    let kubeconfig = match &options.kubeconfig {
        Some(path) => Some(
            Kubeconfig::read_from(path)
                .map_err(|e| ClusterError::Config(format!("{}: {e}", path.display())))?,
        ),
        None => match Kubeconfig::read() {
            Ok(found) => Some(found),
            // No kubeconfig anywhere: a Pod's service account, unless a
            // context was asked for by name.
            Err(_) if options.context.is_none() && std::env::var_os("KUBECONFIG").is_none() => None,
            Err(e) => return Err(ClusterError::Config(e.to_string())),
        },
    };
    let (mut config, context) = match kubeconfig {
        Some(kubeconfig) => {
            let context = options
                .context
                .clone()
                .or_else(|| kubeconfig.current_context.clone())
                .unwrap_or_default();
            let config = kube::Config::from_custom_kubeconfig(kubeconfig, &kube_options)
                .await
                .map_err(|e| ClusterError::Config(e.to_string()))?;
            (config, context)
        }
        None => {
            let config = kube::Config::incluster().map_err(|e| {
                ClusterError::Config(format!(
                    "no kubeconfig (--kubeconfig, KUBECONFIG, ~/.kube/config) and not in a Pod: {e}"
                ))
            })?;
            (config, "in-cluster".to_string())
        }
    };
    config.connect_timeout = Some(options.request_timeout);
    config.read_timeout = Some(options.request_timeout);
    Ok((config, context))
}
