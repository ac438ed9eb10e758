//! `vigie fix`: removes from manifest files the findings that have a mechanical fix.
//!
//! Which findings have one, and what it changes, each check declares
//! ([`vigie_controls::fix`]). This crate makes those changes as minimal text edits
//! at the positions the parser kept: comments, key order, quoting, indentation and
//! blank lines of everything else stay byte for byte. Every edited document is
//! parsed again and compared with the object the edits should give, and the files
//! are scanned again in memory: a fix that would not re-parse, would change
//! anything else, or would not remove its finding is reported and not made.
//!
//! ```
//! use vigie_fix::{fix, unified_diff, FixOptions};
//!
//! let dir = std::env::temp_dir().join(format!("vigie-fix-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("pod.yaml");
//! std::fs::write(
//!     &path,
//!     "apiVersion: v1
//! kind: Pod
//! metadata: {name: web}   # our shop's front end
//! spec:
//!   containers:
//!   - name: web
//!     image: nginx
//!     securityContext:
//!       privileged: true
//! ",
//! )
//! .unwrap();
//!
//! let run = fix(&[path.display().to_string()], &FixOptions::default());
//! let file = &run.files[0];
//! assert!(file.fixed.contains("privileged: false"));
//! // Everything the fixes do not touch stays as written, comments included.
//! assert!(file.fixed.contains("metadata: {name: web}   # our shop's front end"));
//! print!("{}", unified_diff(&file.file, &file.original, &file.fixed));
//! // Nothing is written until the caller asks (`write_atomically`).
//! assert!(std::fs::read_to_string(&path).unwrap().contains("privileged: true"));
//! std::fs::remove_dir_all(&dir).unwrap();
//! ```

#![deny(missing_docs)]

mod diff;
mod digests;
mod document;
mod edit;
mod inputs;
mod render;
mod run;
mod text;
mod tree;
mod write;

pub use diff::{unified_diff, write_colored_diff};
pub use digests::{read_image_digests, DigestFileError};
pub use run::{fix, FileFix, FixOptions, FixRun, Fixed, NotFixed, Remaining};
pub use write::{write_atomically, WriteError};
