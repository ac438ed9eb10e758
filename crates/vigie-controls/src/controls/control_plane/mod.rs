//! Control plane: flags of the API server, controller manager, scheduler and
//! etcd, read from their static pod manifests.

pub(crate) mod api_server_anonymous_auth;
pub(crate) mod args;

/// The controls of this category (register new ones here).
pub(crate) static CONTROLS: [crate::control::Control; 1] = [api_server_anonymous_auth::CONTROL];
