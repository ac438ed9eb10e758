//! What the command tests share: the built `vigie`, run apart from the
//! machine's own settings, its output as text, and input files to give it.
//! Each test binary uses part of it, hence `dead_code` allowed.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

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

/// Starts a prepared `vigie` command with its standard input, output and error
/// piped.
pub fn spawn_piped(cmd: &mut Command) -> Child {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vigie starts")
}

/// Runs a prepared `vigie` command with `input` on its standard input, to its end.
pub fn run_with_stdin(cmd: &mut Command, input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = spawn_piped(cmd);
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input)
        .expect("vigie reads its input");
    child.wait_with_output().expect("vigie runs")
}

/// A run's exit status, what it printed and what it said on standard error.
pub fn outcome(output: &Output) -> (Option<i32>, String, String) {
    (output.status.code(), stdout(output), stderr(output))
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

/// The items of a JSON array; anything else fails the test, showing it.
#[track_caller]
pub fn items(list: &Value) -> std::slice::Iter<'_, Value> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a JSON array: {list}"))
        .iter()
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

/// Runs `vigie policy apply POLICIES -r RESOURCES` to its end.
pub fn policy_apply(policies: &Path, resources: &Path) -> Output {
    run(&["policy", "apply", arg(policies), "-r", arg(resources)])
}

/// Runs `vigie policy test PATH` (a suite, or a directory searched for suites)
/// to its end.
pub fn policy_test(path: &Path) -> Output {
    run(&["policy", "test", arg(path)])
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

/// The Namespace `shop` and two Pods in it, as YAML: `web` without labels and
/// `api` with `api_labels` (a flow mapping such as `{team: a}`).
pub fn shop(api_labels: &str) -> String {
    format!(
        "apiVersion: v1
kind: Pod
metadata: {{name: web, namespace: shop}}
spec: {{containers: [{{name: c, image: nginx}}]}}
---
apiVersion: v1
kind: Pod
metadata: {{name: api, namespace: shop, labels: {api_labels}}}
spec: {{containers: [{{name: c, image: nginx}}]}}
---
apiVersion: v1
kind: Namespace
metadata: {{name: shop}}
"
    )
}

/// A Kyverno `ClusterPolicy` written as YAML, built up so that each test says
/// only what its policy has of its own.
pub struct ClusterPolicy {
    yaml: String,
    rules: String,
}

impl ClusterPolicy {
    /// A policy named `name`, with its metadata `annotations` and, when given,
    /// its `validationFailureAction`.
    pub fn new(name: &str, annotations: &[(&str, &str)], action: Option<&str>) -> Self {
        let mut yaml =
            format!("apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata:\n  name: {name}\n");
        if !annotations.is_empty() {
            yaml.push_str("  annotations:\n");
            for (key, value) in annotations {
                yaml.push_str(&format!("    {key}: {value}\n"));
            }
        }
        yaml.push_str("spec:\n");
        if let Some(action) = action {
            yaml.push_str(&format!("  validationFailureAction: {action}\n"));
        }
        Self {
            yaml,
            rules: String::new(),
        }
    }

    /// Adds a rule that needs the label `label` (any non-empty value) on the
    /// objects of `kinds` (`Pod, Namespace`), failing with `message` (a YAML
    /// scalar), under its own `failureAction` when given.
    pub fn label_rule(
        self,
        name: &str,
        kinds: &str,
        message: &str,
        label: &str,
        failure_action: Option<&str>,
    ) -> Self {
        let action = failure_action
            .map(|a| format!("\n    failureAction: {a}"))
            .unwrap_or_default();
        self.rule(&format!(
            "- name: {name}
  match:
    any:
    - resources:
        kinds: [{kinds}]
  validate:{action}
    message: {message}
    pattern:
      metadata:
        labels:
          {label}: \"?*\"
"
        ))
    }

    /// Adds a rule given as YAML, a list item at the left margin (indented
    /// here under `rules:`).
    pub fn rule(mut self, yaml: &str) -> Self {
        for line in yaml.lines() {
            self.rules.push_str("  ");
            self.rules.push_str(line);
            self.rules.push('\n');
        }
        self
    }

    /// The policy as one YAML document.
    pub fn yaml(&self) -> String {
        format!("{}  rules:\n{}", self.yaml, self.rules)
    }
}
