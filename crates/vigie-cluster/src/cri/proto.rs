//! The messages of the CRI `runtime.v1.RuntimeService` calls the sensor makes,
//! written by hand with prost's derive so that no protoc runs at build. Each
//! message holds only the fields vigie reads; the tags are those of the CRI API
//! (`k8s.io/cri-api`, `pkg/apis/runtime/v1/api.proto`), and fields left out are
//! skipped by the decoder as unknown fields.

use std::collections::HashMap;

/// The gRPC paths of the calls.
pub mod path {
    /// `Version`: the runtime's name and version.
    pub const VERSION: &str = "/runtime.v1.RuntimeService/Version";
    /// `ContainerStatus`: one container.
    pub const CONTAINER_STATUS: &str = "/runtime.v1.RuntimeService/ContainerStatus";
    /// `ListContainers`: containers matching a filter.
    pub const LIST_CONTAINERS: &str = "/runtime.v1.RuntimeService/ListContainers";
    /// `PodSandboxStatus`: one pod sandbox.
    pub const POD_SANDBOX_STATUS: &str = "/runtime.v1.RuntimeService/PodSandboxStatus";
}

/// `VersionRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct VersionRequest {
    /// The client's CRI version.
    #[prost(string, tag = "1")]
    pub version: String,
}

/// `VersionResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct VersionResponse {
    /// The runtime's CRI version.
    #[prost(string, tag = "1")]
    pub version: String,
    /// `containerd`, `cri-o`...
    #[prost(string, tag = "2")]
    pub runtime_name: String,
    /// The runtime's own version.
    #[prost(string, tag = "3")]
    pub runtime_version: String,
}

/// `ContainerStatusRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ContainerStatusRequest {
    /// The container (a unique prefix is accepted by runtimes).
    #[prost(string, tag = "1")]
    pub container_id: String,
    /// Asks for the runtime's extra information (`info`).
    #[prost(bool, tag = "2")]
    pub verbose: bool,
}

/// `ContainerStatusResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ContainerStatusResponse {
    /// The container.
    #[prost(message, optional, tag = "1")]
    pub status: Option<ContainerStatus>,
    /// Runtime-specific JSON documents (verbose only); containerd and CRI-O put
    /// theirs under the key `info`.
    #[prost(map = "string, string", tag = "2")]
    pub info: HashMap<String, String>,
}

/// `ContainerStatus`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ContainerStatus {
    /// The full id.
    #[prost(string, tag = "1")]
    pub id: String,
    /// Its name.
    #[prost(message, optional, tag = "2")]
    pub metadata: Option<ContainerMetadata>,
    /// The image it was created with.
    #[prost(message, optional, tag = "8")]
    pub image: Option<ImageSpec>,
    /// The digested reference of that image.
    #[prost(string, tag = "9")]
    pub image_ref: String,
    /// Its labels (the kubelet's name the pod).
    #[prost(map = "string, string", tag = "12")]
    pub labels: HashMap<String, String>,
}

/// `ContainerMetadata`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ContainerMetadata {
    /// The container's name in its pod.
    #[prost(string, tag = "1")]
    pub name: String,
}

/// `ImageSpec`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ImageSpec {
    /// The image: a reference, or an image id (`sha256:...`) for some runtimes.
    #[prost(string, tag = "1")]
    pub image: String,
    /// The reference as the user wrote it, when the runtime keeps it.
    #[prost(string, tag = "18")]
    pub user_specified_image: String,
}

/// `ListContainersRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ListContainersRequest {
    /// Which containers.
    #[prost(message, optional, tag = "1")]
    pub filter: Option<ContainerFilter>,
}

/// `ContainerFilter`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ContainerFilter {
    /// One container.
    #[prost(string, tag = "1")]
    pub id: String,
    /// The containers of one pod sandbox.
    #[prost(string, tag = "3")]
    pub pod_sandbox_id: String,
}

/// `ListContainersResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ListContainersResponse {
    /// The containers.
    #[prost(message, repeated, tag = "1")]
    pub containers: Vec<Container>,
}

/// `Container`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Container {
    /// The full id.
    #[prost(string, tag = "1")]
    pub id: String,
    /// The pod sandbox it runs in.
    #[prost(string, tag = "2")]
    pub pod_sandbox_id: String,
}

/// `PodSandboxStatusRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PodSandboxStatusRequest {
    /// The sandbox.
    #[prost(string, tag = "1")]
    pub pod_sandbox_id: String,
}

/// `PodSandboxStatusResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PodSandboxStatusResponse {
    /// The sandbox.
    #[prost(message, optional, tag = "1")]
    pub status: Option<PodSandboxStatus>,
}

/// `PodSandboxStatus`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PodSandboxStatus {
    /// The sandbox id.
    #[prost(string, tag = "1")]
    pub id: String,
    /// The pod.
    #[prost(message, optional, tag = "2")]
    pub metadata: Option<PodSandboxMetadata>,
    /// The pod's labels (and the kubelet's own `io.kubernetes.pod.*`).
    #[prost(map = "string, string", tag = "7")]
    pub labels: HashMap<String, String>,
}

/// `PodSandboxMetadata`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PodSandboxMetadata {
    /// The pod's name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// The pod's uid.
    #[prost(string, tag = "2")]
    pub uid: String,
    /// The pod's namespace.
    #[prost(string, tag = "3")]
    pub namespace: String,
}
