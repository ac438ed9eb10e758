//! Kubernetes objects as vigie sees them.
//!
//! This crate turns files, directories, standard input and kustomize output into
//! [`Resource`]s: YAML or JSON trees in which every field keeps the line and column it
//! was written at, so that a finding can point at the exact line of `privileged: true`.
//! Walking the paths a user names and reading each within a byte cap is [`input`], which
//! every command reading user input shares.
//! Bad input never stops loading: each problem becomes a [`Diagnostic`] naming the file,
//! line, column and reason, and every other document is still loaded.
//!
//! ```
//! use vigie_resource::{load_text, Limits, Pos};
//!
//! let text = "\
//! apiVersion: v1
//! kind: Pod
//! metadata: {name: web, namespace: shop}
//! spec:
//!   containers:
//!   - name: web
//!     securityContext: {privileged: true}
//! ---
//! kind: [not, a, kind
//! ";
//! let loaded = load_text(text, "pods.yaml", &Limits::default());
//! // The bad second document is a diagnostic; the first still loads.
//! assert_eq!(loaded.resources.len(), 1);
//! assert_eq!(loaded.error_count(), 1);
//!
//! let pod = &loaded.resources[0];
//! assert_eq!((pod.kind.as_str(), pod.name.as_str()), ("Pod", "web"));
//! let privileged = pod
//!     .root
//!     .get_path(&["spec", "containers"])
//!     .and_then(|c| c.items().first())
//!     .and_then(|c| c.get_path(&["securityContext", "privileged"]))
//!     .unwrap();
//! assert_eq!(privileged.as_bool(), Some(true));
//! assert_eq!(privileged.pos, Pos::new(7, 35));
//! ```

#![deny(missing_docs)]

mod date;
mod diagnostic;
mod duration;
mod field_types;
mod image;
pub mod input;
mod json_string;
mod kustomize;
mod loader;
mod node;
mod plural;
mod quantity;
mod resource;
mod selector;
mod wildcard;
mod workload;
mod yaml;

/// The string type of [`Value::String`]: short strings inline, reads as `&str`.
pub use compact_str::CompactString;
pub use date::{days_in_month, is_leap_year, Date, DateError, Rfc3339};
pub use diagnostic::{Diagnostic, DiagnosticLevel};
pub use duration::duration_seconds;
pub use image::{parse_image, ImageInfo};
pub use json_string::{write_json_string, JsonOut};
pub use loader::{load, load_each, load_text, Limits, LoadOptions, LoadSummary, Loaded, Progress};
pub use node::{Entry, Node, Pos, Value};
pub use plural::{api_version, plural_of_kind};
pub use quantity::{parse_quantity, Quantity};
pub use resource::{ClusterOrigin, Origin, Resource, SourceFile};
pub use selector::{labels_of, LabelSelector};
pub use wildcard::{has_wildcard, wildcard_match};
pub use workload::{containers, pod_template, ContainerKind, ContainerRef, PodTemplate};
pub use yaml::{parse_document, parse_documents, split_stream, Document, DocumentText, ParseError};

/// Both YAML parsing paths side by side, for the differential fuzz target and corpus
/// checks. Not a supported API.
#[doc(hidden)]
pub use yaml::differential as yaml_differential;
