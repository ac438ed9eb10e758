//! What the command tests share: the built `vigie`, run apart from the
//! machine's own settings, its output as text, and input files to give it.
//! Each test binary uses part of it, hence `dead_code` allowed.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The built `vigie`, without colours and without the machine's kubectl or
/// kubeconfig, so that nothing of the machine reaches a test.
pub fn vigie() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigie"));
    cmd.env("NO_COLOR", "1")
        .env_remove("VIGIE_KUBECTL")
        .env_remove("KUBECONFIG");
    cmd
}

/// Runs `vigie` with `args` to its end.
pub fn run(args: &[&str]) -> Output {
    run_command(vigie().args(args))
}

/// Runs a prepared `vigie` command to its end.
pub fn run_command(cmd: &mut Command) -> Output {
    cmd.output().expect("vigie runs")
}

/// Bytes of output as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// What a run printed.
pub fn stdout(output: &Output) -> String {
    text(&output.stdout)
}

/// What a run said on standard error.
pub fn stderr(output: &Output) -> String {
    text(&output.stderr)
}

/// The JSON report a run printed; a run that printed anything else fails the
/// test with both of its outputs.
pub fn json_report(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            stdout(output),
            stderr(output)
        )
    })
}

/// Writes `content` to `dir/name` (making the folders `name` names) and
/// returns its path.
pub fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, content).unwrap();
    path
}

/// A path as a command-line argument.
pub fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The repository's `examples` folder.
pub fn examples() -> PathBuf {
    repo("examples")
}

/// A path from the root of the repository.
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// Fails the test, showing all of `text`, unless `text` holds `needle`.
#[track_caller]
pub fn assert_contains(text: &str, needle: &str) {
    assert!(text.contains(needle), "no {needle:?} in:\n{text}");
}

/// Fails the test, showing what the run said on standard error, unless it
/// ended with exit status `code`.
#[track_caller]
pub fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "exit status; stderr:\n{}",
        stderr(output)
    );
}
