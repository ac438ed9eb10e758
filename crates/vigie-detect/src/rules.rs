//! vigie's default rules (audit and syscall) and loading rule files for detection.

use std::path::PathBuf;

use vigie_rules::fields::cloudtrail_table;
use vigie_rules::{Engine, EngineOptions, FieldTable, RuleDiagnostic, RuleLoader, RuleSet};
use vigie_sensor::fields::syscall_table;

use crate::k8s_audit::k8s_audit_table;

/// vigie's own Kubernetes audit rules, in Falco's format.
pub const DEFAULT_RULES: &str = include_str!("../rules/k8s_audit_rules.yaml");
/// The name the default rules carry in diagnostics.
pub const DEFAULT_RULES_NAME: &str = "<vigie>/k8s_audit_rules.yaml";
/// vigie's own syscall rules, in Falco's format.
pub const DEFAULT_SYSCALL_RULES: &str = include_str!("../rules/syscall_rules.yaml");
/// The name the default syscall rules carry in diagnostics.
pub const DEFAULT_SYSCALL_RULES_NAME: &str = "<vigie>/syscall_rules.yaml";

/// The field tables of every source vigie knows.
pub fn tables() -> [&'static FieldTable; 3] {
    [k8s_audit_table(), syscall_table(), cloudtrail_table()]
}

/// Loads rule files in order; with no files, vigie's default rules.
pub fn load(files: &[PathBuf], with_defaults: bool) -> RuleSet {
    let mut loader = RuleLoader::new();
    if with_defaults || files.is_empty() {
        loader.load_str(DEFAULT_RULES_NAME, DEFAULT_RULES);
        loader.load_str(DEFAULT_SYSCALL_RULES_NAME, DEFAULT_SYSCALL_RULES);
    }
    for f in files {
        loader.load_file(f);
    }
    loader.finish()
}

/// Loads and compiles rules (see [`load`]).
pub fn build_engine(
    files: &[PathBuf],
    with_defaults: bool,
    options: &EngineOptions,
) -> Result<Engine, Vec<RuleDiagnostic>> {
    Engine::build(&load(files, with_defaults), &tables(), options)
}
