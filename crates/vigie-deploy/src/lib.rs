//! What vigie needs to run in a cluster, built offline from the command line's
//! inputs: the admission webhook's certificates ([`certs`]) and the Kubernetes
//! objects that install it ([`manifests`]). The objects are `k8s-openapi` types,
//! serialized, never text templates.
//!
//! ```
//! use vigie_deploy::certs::CertsRequest;
//!
//! let request = CertsRequest {
//!     service: "vigie-admission".into(),
//!     namespace: "vigie".into(),
//!     extra_dns: Vec::new(),
//!     ips: Vec::new(),
//!     days: 365,
//! };
//! assert_eq!(request.dns_names()[2], "vigie-admission.vigie.svc");
//! let bundle = request.generate()?;
//! assert!(bundle.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
//! # Ok::<(), vigie_deploy::CertsError>(())
//! ```

pub mod certs;
mod error;
pub mod install;
pub mod manifests;
mod names;
pub mod yaml;

pub use error::{CertsError, ManifestsError};
