//! Control plane: flags of the API server, controller manager, scheduler and
//! etcd, read from their static pod manifests, and kube-proxy's configuration.
//!
//! Most controls here are a [`flag_rule::FlagRule`]: a statement of which flag
//! must hold which value, evaluated by one shared function. Those are the rows
//! of [`flag_controls`]; the others have a file of their own.

pub(crate) mod args;
pub(crate) mod etcd_unique_ca;
pub(crate) mod flag_controls;
pub(crate) mod flag_rule;
pub(crate) mod kube_proxy_metrics_bind_address;

/// The flag controls.
pub(crate) use flag_controls::CONTROLS as FLAGS;
