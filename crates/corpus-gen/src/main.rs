//! The `corpus-gen` command: see the library for what it writes.

fn main() -> std::process::ExitCode {
    match corpus_gen::run(std::env::args().skip(1).collect()) {
        Ok(summary) => {
            eprintln!("{summary}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::from(2)
        }
    }
}
