//! Rendering tests: one module per format, all on the fixture of `fixture.rs`.
//! (One test binary rather than one per format, to keep link time down.)

mod cluster;
mod fixture;
mod formats;
mod html;
mod json;
mod junit;
mod pretty;
mod sarif;
