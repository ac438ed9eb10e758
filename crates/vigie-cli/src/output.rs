//! Writing a command's text to standard output.
//!
//! `println!` panics when the reader has gone (`vigie controls list | head -1`);
//! every command that prints text builds it and hands it here instead.

use std::io::{ErrorKind, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

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

/// Runs `work` while a line on standard error, rewritten every `every`, says
/// what `line` says: only when stderr is a terminal (nothing on a pipe or in a
/// log), and only from `first_after` on, so that quick work shows nothing. The
/// line is wiped once the work ends.
pub fn with_progress_line<T>(
    first_after: Duration,
    every: Duration,
    line: impl Fn() -> String + Sync,
    work: impl FnOnce() -> T,
) -> T {
    if !std::io::stderr().is_terminal() {
        return work();
    }
    let finished = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut shown = false;
            let mut waited = Duration::ZERO;
            while !finished.load(Ordering::Relaxed) {
                std::thread::sleep(every);
                waited += every;
                if waited >= first_after {
                    eprint!("\r{}\x1b[K", line());
                    shown = true;
                }
            }
            if shown {
                eprint!("\r\x1b[K");
            }
        });
        let result = work();
        finished.store(true, Ordering::Relaxed);
        result
    })
}
