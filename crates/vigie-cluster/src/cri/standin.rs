//! A stand-in container runtime for tests: it serves the four CRI calls the
//! resolver makes, on a unix socket, from a list of containers given to it, and
//! counts the calls it gets.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use tokio::net::UnixListener;
use tokio::sync::oneshot;
use tonic::codegen::http;
use tonic::server::UnaryService;
use tonic::Status;

use super::proto::{self, path};

/// A container the stand-in knows, with its pod.
#[derive(Clone, Debug, Default)]
pub struct FakeContainer {
    /// Full id.
    pub id: String,
    /// Name in its pod.
    pub name: String,
    /// `ImageSpec.image`.
    pub image: String,
    /// The digested reference.
    pub image_ref: String,
    /// What the verbose info document says.
    pub privileged: bool,
    /// Its pod sandbox id.
    pub sandbox: String,
    /// The pod's name.
    pub pod_name: String,
    /// The pod's uid.
    pub pod_uid: String,
    /// The pod's namespace.
    pub pod_namespace: String,
    /// The pod's labels.
    pub pod_labels: Vec<(String, String)>,
}

#[derive(Debug)]
struct Runtime {
    name: String,
    containers: Vec<FakeContainer>,
    delay: Duration,
    calls: AtomicU64,
    status_calls: AtomicU64,
}

impl Runtime {
    fn container(&self, id: &str) -> Result<&FakeContainer, Status> {
        self.containers
            .iter()
            .find(|c| c.id == id)
            .ok_or_else(|| Status::not_found(format!("container {id} not found")))
    }

    fn status(
        &self,
        r: proto::ContainerStatusRequest,
    ) -> Result<proto::ContainerStatusResponse, Status> {
        self.status_calls.fetch_add(1, Ordering::Relaxed);
        let c = self.container(&r.container_id)?;
        let labels = [
            ("io.kubernetes.pod.name", &c.pod_name),
            ("io.kubernetes.pod.namespace", &c.pod_namespace),
            ("io.kubernetes.pod.uid", &c.pod_uid),
            ("io.kubernetes.container.name", &c.name),
        ];
        Ok(proto::ContainerStatusResponse {
            status: Some(proto::ContainerStatus {
                id: c.id.clone(),
                metadata: Some(proto::ContainerMetadata {
                    name: c.name.clone(),
                }),
                image: Some(proto::ImageSpec {
                    image: c.image.clone(),
                    user_specified_image: String::new(),
                }),
                image_ref: c.image_ref.clone(),
                labels: labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            }),
            info: [(
                "info".to_string(),
                format!(
                    r#"{{"sandboxID":"{}","privileged":{}}}"#,
                    c.sandbox, c.privileged
                ),
            )]
            .into(),
        })
    }

    fn list(&self, r: proto::ListContainersRequest) -> proto::ListContainersResponse {
        let filter = r.filter.unwrap_or_default();
        proto::ListContainersResponse {
            containers: self
                .containers
                .iter()
                .filter(|c| filter.id.is_empty() || c.id == filter.id)
                .filter(|c| filter.pod_sandbox_id.is_empty() || c.sandbox == filter.pod_sandbox_id)
                .map(|c| proto::Container {
                    id: c.id.clone(),
                    pod_sandbox_id: c.sandbox.clone(),
                })
                .collect(),
        }
    }

    fn sandbox(
        &self,
        r: proto::PodSandboxStatusRequest,
    ) -> Result<proto::PodSandboxStatusResponse, Status> {
        let c = self
            .containers
            .iter()
            .find(|c| c.sandbox == r.pod_sandbox_id)
            .ok_or_else(|| Status::not_found(format!("sandbox {} not found", r.pod_sandbox_id)))?;
        let mut labels: std::collections::HashMap<String, String> =
            c.pod_labels.iter().cloned().collect();
        labels.insert("io.kubernetes.pod.name".into(), c.pod_name.clone());
        Ok(proto::PodSandboxStatusResponse {
            status: Some(proto::PodSandboxStatus {
                id: c.sandbox.clone(),
                metadata: Some(proto::PodSandboxMetadata {
                    name: c.pod_name.clone(),
                    uid: c.pod_uid.clone(),
                    namespace: c.pod_namespace.clone(),
                }),
                labels,
            }),
        })
    }
}

/// One unary call answered by a function.
struct Unary<F>(F);

impl<Req, Resp, F> UnaryService<Req> for Unary<F>
where
    F: Fn(Req) -> Result<Resp, Status>,
{
    type Response = Resp;
    type Future = std::future::Ready<Result<tonic::Response<Resp>, Status>>;

    fn call(&mut self, request: tonic::Request<Req>) -> Self::Future {
        std::future::ready((self.0)(request.into_inner()).map(tonic::Response::new))
    }
}

async fn unary<Req, Resp>(
    request: http::Request<Incoming>,
    answer: impl Fn(Req) -> Result<Resp, Status>,
) -> http::Response<tonic::body::Body>
where
    Req: prost::Message + Default + Send + 'static,
    Resp: prost::Message + Send + 'static,
{
    let codec = tonic_prost::ProstCodec::<Resp, Req>::default();
    tonic::server::Grpc::new(codec)
        .unary(Unary(answer), request)
        .await
}

#[derive(Clone)]
struct Service(Arc<Runtime>);

impl tower::Service<http::Request<Incoming>> for Service {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Incoming>) -> Self::Future {
        let rt = self.0.clone();
        Box::pin(async move {
            rt.calls.fetch_add(1, Ordering::Relaxed);
            if !rt.delay.is_zero() {
                tokio::time::sleep(rt.delay).await;
            }
            let response = match request.uri().path() {
                path::VERSION => {
                    unary(request, |_: proto::VersionRequest| {
                        Ok(proto::VersionResponse {
                            version: "0.1.0".into(),
                            runtime_name: rt.name.clone(),
                            runtime_version: "standin".into(),
                        })
                    })
                    .await
                }
                path::CONTAINER_STATUS => unary(request, |r| rt.status(r)).await,
                path::LIST_CONTAINERS => unary(request, |r| Ok(rt.list(r))).await,
                path::POD_SANDBOX_STATUS => unary(request, |r| rt.sandbox(r)).await,
                other => Status::unimplemented(other.to_string()).into_http(),
            };
            Ok(response)
        })
    }
}

/// A running stand-in runtime; dropping it stops it and removes its socket.
#[derive(Debug)]
pub struct Standin {
    socket: PathBuf,
    runtime: Arc<Runtime>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Standin {
    /// Serves `containers` on `socket` as runtime `name` (`containerd`,
    /// `cri-o`), each call answered after `delay`.
    pub fn start(
        socket: &Path,
        name: &str,
        containers: Vec<FakeContainer>,
        delay: Duration,
    ) -> io::Result<Standin> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let listener = {
            let _guard = rt.enter();
            UnixListener::bind(socket)?
        };
        let runtime = Arc::new(Runtime {
            name: name.to_string(),
            containers,
            delay,
            calls: AtomicU64::new(0),
            status_calls: AtomicU64::new(0),
        });
        let (tx, mut rx) = oneshot::channel();
        let service = Service(runtime.clone());
        let thread = std::thread::Builder::new()
            .name("cri-standin".into())
            .spawn(move || {
                rt.block_on(async move {
                    loop {
                        tokio::select! {
                            _ = &mut rx => break,
                            accepted = listener.accept() => {
                                let Ok((stream, _)) = accepted else { continue };
                                let service = TowerToHyperService::new(service.clone());
                                tokio::spawn(async move {
                                    // A client that goes away ends its connection: nothing to report.
                                    let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                                        .serve_connection(TokioIo::new(stream), service)
                                        .await;
                                });
                            }
                        }
                    }
                });
            })?;
        Ok(Standin {
            socket: socket.to_path_buf(),
            runtime,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// Calls answered so far.
    pub fn calls(&self) -> u64 {
        self.runtime.calls.load(Ordering::Relaxed)
    }

    /// `ContainerStatus` calls answered so far.
    pub fn status_calls(&self) -> u64 {
        self.runtime.status_calls.load(Ordering::Relaxed)
    }
}

impl Drop for Standin {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            // The server may have stopped on its own already.
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&self.socket);
    }
}
