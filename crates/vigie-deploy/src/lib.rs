//! What vigie needs to run in a cluster, built offline from the command line's
//! inputs: the admission webhook's certificates ([`certs`]) and the Kubernetes
//! objects that install it ([`manifests`]). The objects are `k8s-openapi` types,
//! serialized, never text templates.

pub mod certs;
mod error;
pub mod install;
pub mod manifests;
mod names;
pub mod yaml;

pub use error::{CertsError, ManifestsError};
