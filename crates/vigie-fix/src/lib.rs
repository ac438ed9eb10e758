//! `vigie fix`: removes from manifest files the findings that have a mechanical fix.
//!
//! Which findings have one, and what it changes, each check declares
//! ([`vigie_controls::fix`]). This crate makes those changes as minimal text edits
//! at the positions the parser kept: comments, key order, quoting, indentation and
//! blank lines of everything else stay byte for byte. Every edited document is
//! parsed again and compared with the object the edits should give, and the files
//! are scanned again in memory: a fix that would not re-parse, would change
//! anything else, or would not remove its finding is reported and not made.

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
