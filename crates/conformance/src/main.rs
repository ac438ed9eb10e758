//! `cargo run --release -p conformance -- <suite> <corpus-dir>`
//!
//! Each suite walks a corpus of another project's test cases, runs vigie on them,
//! prints every disagreement, and ends with the line `N passed, M failed`. The exit
//! code is 0 when nothing failed, 1 otherwise, 2 on usage errors.

mod cel_spec;
mod cel_spec_vigie;
mod falco_cases;
mod falco_k8saudit;
mod falco_rules;
mod falco_scap;
mod kyverno;
mod kyverno_admission;
mod pss;
mod regolibrary;
mod textproto;

use std::path::PathBuf;
use std::process::ExitCode;

/// Counts of one suite run.
#[derive(Debug, Default)]
pub struct Tally {
    /// Cases where vigie agreed with the corpus.
    pub passed: usize,
    /// Cases where it did not (each one printed).
    pub failed: usize,
}

const SUITES: &[(&str, &str)] = &[
    (
        "pss",
        "Kubernetes Pod Security Standards fixtures (pod-security-admission/test/testdata)",
    ),
    (
        "regolibrary",
        "Kubescape control test cases (regolibrary: rules/*/test/*)",
    ),
    (
        "falco-rules",
        "Falco rule files compiled (falco-rules: rules/, plugins/plugins/*/rules/)",
    ),
    (
        "falco-k8saudit",
        "Falco k8s audit regression cases (falco-tests/test: falco_k8s_audit_tests.yaml)",
    ),
    (
        "falco-scap",
        "Falco syscall regression cases on .scap captures (falco-tests/test: falco_tests.yaml)",
    ),
    (
        "cel-spec",
        "CEL specification conformance tests (cel-spec: tests/simple/testdata/*.textproto)",
    ),
    (
        "kyverno",
        "Kyverno policy test suites (kyverno-policies: */kyverno-test.yaml)",
    ),
    (
        "kyverno-admission",
        "The same suites' results asked of the admission webhook over HTTPS",
    ),
];

fn usage() -> ExitCode {
    eprintln!("usage: conformance <suite> <corpus-dir>\n\nsuites:");
    for (name, what) in SUITES {
        eprintln!("  {name:<16} {what}");
    }
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [suite, dir] = args.as_slice() else {
        return usage();
    };
    let dir = PathBuf::from(dir);
    if !dir.is_dir() {
        eprintln!("conformance: {} is not a directory", dir.display());
        return ExitCode::from(2);
    }
    let tally = match suite.as_str() {
        "pss" => pss::run(&dir),
        "regolibrary" => regolibrary::run(&dir),
        "falco-rules" => falco_rules::run(&dir),
        "falco-k8saudit" => falco_k8saudit::run(&dir),
        "falco-scap" => falco_scap::run(&dir),
        "kyverno" => kyverno::run(&dir),
        "cel-spec" => cel_spec::run_with(&dir, &cel_spec_vigie::VigieCel),
        "kyverno-admission" => kyverno_admission::run(&dir),
        _ => return usage(),
    };
    println!("{} passed, {} failed", tally.passed, tally.failed);
    if tally.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
