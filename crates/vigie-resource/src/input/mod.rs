//! Reading what a user names: the paths given on a command line walked into
//! sources ([`walk`]), and the text of a file or standard input read within a byte
//! cap ([`read_text`]). Every command that reads user input goes through here, so
//! that each one skips, refuses and words the same things the same way.

mod read;
mod walk;

pub use read::{read_text, ReadError};
pub use walk::{walk, Source, WalkDiagnostic, WalkOptions, Walked};

pub(crate) use read::{read_file, read_stdin, too_large_reason};
