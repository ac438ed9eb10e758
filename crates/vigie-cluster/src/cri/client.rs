//! One container runtime reached over its CRI socket.

use std::path::{Path, PathBuf};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::UnixStream;
use tonic::transport::{Channel, Endpoint};
use vigie_sensor::state::containers::{kubelet_labels, ContainerInfo, ImageName, PodInfo};

use super::proto::{self, path};
use super::CriError;

/// The largest answer accepted from a runtime. A container status is a few KiB;
/// the verbose one carries the OCI spec, tens of KiB.
const MAX_MESSAGE_BYTES: usize = 4 << 20;

/// A runtime's CRI endpoint, connected.
#[derive(Clone, Debug)]
pub struct Runtime {
    socket: PathBuf,
    /// `container.type` for its containers.
    kind: String,
    version: String,
    grpc: tonic::client::Grpc<Channel>,
}

/// `container.type` for a runtime's CRI name.
fn kind_of(runtime_name: &str) -> &'static str {
    match runtime_name {
        "containerd" => "containerd",
        "cri-o" => "cri-o",
        "docker" => "docker",
        _ => "cri",
    }
}

impl Runtime {
    /// Connects to the socket and asks the runtime's version; each step waits at
    /// most `timeout`.
    pub async fn connect(socket: &Path, timeout: Duration) -> Result<Runtime, CriError> {
        let target = socket.to_path_buf();
        // The URI is not used: the connector below opens the unix socket.
        let channel =
            Endpoint::from_static("http://cri.invalid")
                .connect_timeout(timeout)
                .timeout(timeout)
                .connect_with_connector(tower::service_fn(move |_: tonic::codegen::http::Uri| {
                    let target = target.clone();
                    async move {
                        Ok::<_, std::io::Error>(TokioIo::new(UnixStream::connect(target).await?))
                    }
                }))
                .await
                .map_err(|e| CriError::Connect {
                    socket: socket.display().to_string(),
                    reason: e.to_string(),
                })?;
        let grpc = tonic::client::Grpc::new(channel).max_decoding_message_size(MAX_MESSAGE_BYTES);
        let mut runtime = Runtime {
            socket: socket.to_path_buf(),
            kind: String::new(),
            version: String::new(),
            grpc,
        };
        let v: proto::VersionResponse = runtime
            .call(
                path::VERSION,
                proto::VersionRequest {
                    version: "v1".into(),
                },
            )
            .await?;
        runtime.kind = kind_of(&v.runtime_name).to_string();
        runtime.version = format!("{} {}", v.runtime_name, v.runtime_version);
        Ok(runtime)
    }

    /// The socket.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The runtime's name and version, as it gave them.
    pub fn version(&self) -> &str {
        &self.version
    }

    async fn call<Req, Resp>(&self, call: &'static str, request: Req) -> Result<Resp, CriError>
    where
        Req: prost::Message + Send + Sync + 'static,
        Resp: prost::Message + Default + Send + Sync + 'static,
    {
        let failed = |status: tonic::Status| CriError::Call {
            socket: self.socket.display().to_string(),
            call,
            code: status.code(),
            message: status.message().to_string(),
        };
        let mut grpc = self.grpc.clone();
        grpc.ready()
            .await
            .map_err(|e| failed(tonic::Status::unavailable(e.to_string())))?;
        let codec = tonic_prost::ProstCodec::<Req, Resp>::default();
        let path = tonic::codegen::http::uri::PathAndQuery::from_static(call);
        grpc.unary(tonic::Request::new(request), path, codec)
            .await
            .map(tonic::Response::into_inner)
            .map_err(failed)
    }

    /// [`Runtime::call`], with the runtime's "not found" as `None`.
    async fn call_or_none<Req, Resp>(
        &self,
        call: &'static str,
        request: Req,
    ) -> Result<Option<Resp>, CriError>
    where
        Req: prost::Message + Send + Sync + 'static,
        Resp: prost::Message + Default + Send + Sync + 'static,
    {
        match self.call(call, request).await {
            Ok(a) => Ok(Some(a)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// What the runtime says of a container, `None` when it does not know it.
    pub async fn container(&self, full_id: &str) -> Result<Option<ContainerInfo>, CriError> {
        let request = proto::ContainerStatusRequest {
            container_id: full_id.to_string(),
            verbose: true,
        };
        let Some(proto::ContainerStatusResponse {
            status: Some(status),
            info,
        }) = self.call_or_none(path::CONTAINER_STATUS, request).await?
        else {
            return Ok(None);
        };
        let labels = status.labels.into_iter().collect();
        let name = match status.metadata.map(|m| m.name) {
            Some(n) if !n.is_empty() => n,
            _ => labels_get(&labels, kubelet_labels::CONTAINER_NAME),
        };
        let spec = status.image.unwrap_or_default();
        // Some runtimes give the image id here; the user's reference, or the
        // digested one, says more.
        let reference = if spec.image.is_empty() || spec.image.starts_with("sha256:") {
            if spec.user_specified_image.is_empty() {
                status.image_ref.clone()
            } else {
                spec.user_specified_image
            }
        } else {
            spec.image
        };
        let mut pod = PodInfo::from_container_labels(&labels);
        if let Some(sandbox) = self.sandbox_of(full_id).await? {
            pod = self.pod(&sandbox).await?.or(pod);
        }
        Ok(Some(ContainerInfo {
            id: status.id,
            name,
            image: ImageName::parse(&reference, &status.image_ref),
            runtime: self.kind.clone(),
            privileged: info.get("info").and_then(|i| privileged(i)),
            pod,
        }))
    }

    /// The pod sandbox a container runs in.
    async fn sandbox_of(&self, full_id: &str) -> Result<Option<String>, CriError> {
        let request = proto::ListContainersRequest {
            filter: Some(proto::ContainerFilter {
                id: full_id.to_string(),
                pod_sandbox_id: String::new(),
            }),
        };
        let list: proto::ListContainersResponse = self.call(path::LIST_CONTAINERS, request).await?;
        Ok(list
            .containers
            .into_iter()
            .find(|c| c.id == full_id && !c.pod_sandbox_id.is_empty())
            .map(|c| c.pod_sandbox_id))
    }

    /// The pod of a sandbox, with its labels.
    async fn pod(&self, sandbox: &str) -> Result<Option<PodInfo>, CriError> {
        let request = proto::PodSandboxStatusRequest {
            pod_sandbox_id: sandbox.to_string(),
        };
        let Some(proto::PodSandboxStatusResponse {
            status: Some(status),
        }) = self.call_or_none(path::POD_SANDBOX_STATUS, request).await?
        else {
            return Ok(None);
        };
        let meta = status.metadata.unwrap_or_default();
        Ok(Some(PodInfo {
            name: meta.name,
            uid: meta.uid,
            namespace: meta.namespace,
            // The kubelet adds its own io.kubernetes.pod.* keys to the sandbox's
            // labels: they are not labels of the pod.
            labels: status
                .labels
                .into_iter()
                .filter(|(k, _)| !k.starts_with("io.kubernetes.pod."))
                .collect(),
        }))
    }
}

fn labels_get(labels: &std::collections::BTreeMap<String, String>, key: &str) -> String {
    labels.get(key).cloned().unwrap_or_default()
}

/// Whether the runtime's verbose `info` document says the container is
/// privileged: containerd and CRI-O write `"privileged"` at its top; containerd
/// also keeps the CRI config (`config.linux.security_context.privileged`).
fn privileged(info: &str) -> Option<bool> {
    let doc: Value = serde_json::from_str(info).ok()?;
    doc.get("privileged").and_then(Value::as_bool).or_else(|| {
        doc.pointer("/config/linux/security_context/privileged")
            .and_then(Value::as_bool)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privileged_comes_from_either_place_of_the_info_document() {
        for (doc, want) in [
            (r#"{"privileged":true}"#, Some(true)),
            (
                r#"{"config":{"linux":{"security_context":{"privileged":false}}}}"#,
                Some(false),
            ),
            (r#"{"pid":4242}"#, None),
            ("not json", None),
        ] {
            assert_eq!(privileged(doc), want, "{doc}");
        }
        assert_eq!(kind_of("cri-o"), "cri-o");
        assert_eq!(kind_of("something"), "cri");
    }
}
