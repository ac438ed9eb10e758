//! Writing a command's text to standard output.
//!
//! `println!` panics when the reader has gone (`vigie controls list | head -1`);
//! every command that prints text builds it and hands it here instead.

use std::io::{ErrorKind, Write};
use std::process::ExitCode;

/// Exit code for output that could not be written (as for unreadable input).
const EXIT_OUTPUT_ERROR: u8 = 2;

/// Writes `text` to standard output and returns `code`. A reader that closed the
/// pipe early is not an error: the command still exits with `code`. Any other
/// write error (a full disk) is reported and exits 2.
pub fn print_then(text: &[u8], code: ExitCode) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(text).and_then(|()| out.flush()) {
        Ok(()) => code,
        Err(e) if e.kind() == ErrorKind::BrokenPipe => code,
        Err(e) => {
            eprintln!("vigie: cannot write to standard output: {e}");
            ExitCode::from(EXIT_OUTPUT_ERROR)
        }
    }
}
