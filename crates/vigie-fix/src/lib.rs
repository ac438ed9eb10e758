//! `vigie fix`: removes from manifest files the findings that have a mechanical fix.
//!
//! Which findings have one, and what it changes, each check declares
//! ([`vigie_controls::fix`]). This crate makes those changes as minimal text edits
//! at the positions the parser kept: comments, key order, quoting, indentation and
//! blank lines of everything else stay byte for byte.

mod document;
mod edit;
mod render;
mod text;
mod tree;
