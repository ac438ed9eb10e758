//! Control plane: flags of the API server, controller manager, scheduler and
//! etcd, read from their static pod manifests.

pub(crate) mod api_server_anonymous_auth;
pub(crate) mod args;
