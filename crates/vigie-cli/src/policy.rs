//! `vigie policy apply|test`: Kyverno policies and `kyverno test` suites.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use vigie_policy::report::{self, ApplyOptions, ApplyOutcome};
use vigie_policy::suite::{find_suites_noting, run_suite_with, summarize, Verdict};
use vigie_report::policy_report::ReportApi;
use vigie_resource::input::read_text;
use vigie_resource::Limits;

/// Exit codes, as Kyverno's CLI: 0 clean, 1 violations (or failed test entries),
/// 2 input that could not be read or a policy that could not be loaded.
const EXIT_VIOLATIONS: u8 = 1;
const EXIT_INPUT_ERROR: u8 = 2;

#[derive(Debug, Args)]
pub struct PolicyArgs {
    #[command(subcommand)]
    command: PolicyCommand,
}

#[derive(Debug, Subcommand)]
enum PolicyCommand {
    /// Apply Kyverno policies (ClusterPolicy, Policy) to resources.
    #[command(after_help = "\
Exit codes:
  0  every rule passed or was skipped (or only audit failures with --audit-warn)
  1  at least one rule failed or errored
  2  a policy or resource could not be read or is invalid, a rule or policy kind
     is not supported yet, or there was nothing to apply (the rest still ran)

Mutate rules run first, policy after policy, and validate rules then see the
mutated objects. The text output prints the mutated objects as YAML before the
summary; --write-mutated DIR_OR_FILE writes them instead. Rules with
mutate.targets patch the existing resources given with --target-resource,
which are printed or written the same way.

Examples:
  vigie policy apply policies/ -r deploy/
  vigie policy apply add-labels.yaml -r k8s/ --write-mutated mutated/
  vigie policy apply label-secrets.yaml -r trigger.yaml --target-resource secrets/
  vigie policy apply require-labels.yaml -r - < pod.yaml
  vigie policy apply policies/ -r k8s/ --policy-report > report.yaml
  vigie policy apply policies/ -r k8s/ --policy-report --report-api openreports")]
    Apply(ApplyArgs),
    /// Run kyverno-test.yaml suites (cli.kyverno.io/v1alpha1 Test) found under directories.
    #[command(after_help = "\
Exit codes:
  0  every supported result entry agrees with the engine
  1  some result entries disagree
  2  no suite found, or a suite (or a file it names) could not be read

Entries that need features vigie does not have yet are counted as
unsupported, never as passed.

Example:
  vigie policy test policies/")]
    Test(TestArgs),
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Policy files or directories (`-` for stdin).
    #[arg(required = true, value_name = "POLICY")]
    policies: Vec<String>,
    /// Resource files or directories (`-` for stdin).
    #[arg(short = 'r', long = "resource", value_name = "RESOURCE", num_args = 1.., required = true)]
    resources: Vec<String>,
    /// A cli.kyverno.io/v1alpha1 Values file.
    #[arg(short = 'f', long = "values-file", value_name = "FILE")]
    values_file: Option<PathBuf>,
    /// Global values: `key=value,key2=value2`.
    #[arg(short = 's', long = "set", value_name = "VALUES")]
    set: Vec<String>,
    /// A cli.kyverno.io/v1alpha1 Context file: `spec.resources` answer CEL's
    /// `resource.Get`/`List`, `spec.images` what registries would say of images
    /// (`image.GetMetadata`, and the signatures, attestations and digests
    /// ImageValidatingPolicies and verifyImages rules check). No registry is
    /// ever contacted and nothing is verified cryptographically.
    #[arg(long = "context-file", value_name = "FILE")]
    context_file: Option<PathBuf>,
    /// A user-info file (roles, clusterRoles, userInfo) for the admission request.
    #[arg(short = 'u', long = "userinfo", value_name = "FILE")]
    userinfo: Option<PathBuf>,
    /// Report failures of Audit rules as warnings (they do not fail the run); a
    /// rule's own `validate.failureAction` overrides the policy's.
    #[arg(long)]
    audit_warn: bool,
    /// PolicyException files or directories (kyverno.io/v2, v2beta1, and
    /// policies.kyverno.io v1alpha1, v1beta1, v1 for the CEL policy kinds): the
    /// rules and policies they name are skipped for the resources they match.
    /// Exceptions among the policy files apply too.
    #[arg(short = 'e', long = "exceptions", alias = "exception", value_name = "FILE", num_args = 1..)]
    exceptions: Vec<String>,
    /// Existing resources (files or directories) for the `mutate.targets` rules
    /// of the policies: the targets they select are patched and written like
    /// other mutated objects, each with its own results. Nothing is read from a
    /// cluster.
    #[arg(
        long = "target-resource",
        alias = "target-resources",
        value_name = "FILE_OR_DIR",
        num_args = 1..
    )]
    target_resources: Vec<String>,
    /// Print policy reports instead of the summary: one per namespace, one for
    /// cluster-scoped resources and resources without a namespace (YAML, or JSON
    /// with --output-format json).
    #[arg(short = 'p', long)]
    policy_report: bool,
    /// The API of the policy reports (--policy-report, -o yaml): wgpolicy
    /// (wgpolicyk8s.io/v1alpha2 PolicyReport) or openreports (openreports.io/v1alpha1
    /// Report, what current Kyverno writes).
    #[arg(long, value_name = "API", default_value = "wgpolicy", value_parser = parse_report_api)]
    report_api: ReportApi,
    /// Output format (text by default; with --policy-report, yaml or json).
    #[arg(long = "output-format", value_enum, value_name = "FORMAT")]
    output_format: Option<ApplyFormat>,
    /// Write the objects mutate rules changed and generate rules would create here
    /// instead of printing them: one file per object in an existing directory, else
    /// one YAML file holding them all (what `kyverno apply -o` does). `-o json`
    /// (a format name) still picks the output format, with a deprecation note.
    #[arg(
        short = 'o',
        long = "output",
        alias = "write-mutated",
        value_name = "DIR_OR_FILE"
    )]
    output: Option<PathBuf>,
    /// The exit code when no rule failed or errored but some gave a warning
    /// (and, with --warn-no-pass, when none passed).
    #[arg(long, value_name = "CODE")]
    warn_exit_code: Option<u8>,
    /// With --warn-exit-code: exit with that code also when no rule passed.
    #[arg(long, requires = "warn_exit_code")]
    warn_no_pass: bool,
    /// Refuse any file (or standard input) larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::DEFAULT_MAX_FILE_BYTES)]
    max_file_bytes: u64,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ApplyFormat {
    Text,
    Json,
    Yaml,
    Sarif,
    Junit,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Directories searched recursively for kyverno-test.yaml (or test files).
    #[arg(required = true, value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// Show only disagreeing entries.
    #[arg(long)]
    fail_only: bool,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = TestFormat::Text)]
    output: TestFormat,
    /// Refuse any file larger than this many bytes (suites, policies, resources, values).
    #[arg(long, value_name = "BYTES", default_value_t = Limits::DEFAULT_MAX_FILE_BYTES)]
    max_file_bytes: u64,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum TestFormat {
    Text,
    Json,
    Junit,
}

pub fn run(args: PolicyArgs) -> ExitCode {
    match args.command {
        PolicyCommand::Apply(a) => apply(a),
        PolicyCommand::Test(t) => test(t),
    }
}

/// The first document of a values or user-info file, read with the size cap.
fn read_yaml_first(path: &Path, max_file_bytes: u64) -> Result<serde_json::Value, String> {
    let text = read_text(path, max_file_bytes).map_err(|e| e.to_string())?;
    match vigie_resource::parse_documents(&text).into_iter().next() {
        Some(Ok(doc)) => Ok(vigie_policy::node_to_json(&doc.root)),
        Some(Err(e)) => Err(format!(
            "{}:{}: invalid YAML: {}",
            path.display(),
            e.pos.line.max(1),
            e.reason
        )),
        None => Err(format!("{}: empty file", path.display())),
    }
}

/// Every document of a Context file, read with the size cap.
fn read_yaml_all(path: &Path, max_file_bytes: u64) -> Result<Vec<serde_json::Value>, String> {
    let text = read_text(path, max_file_bytes).map_err(|e| e.to_string())?;
    vigie_resource::parse_documents(&text)
        .into_iter()
        .map(|d| {
            d.map(|d| vigie_policy::node_to_json(&d.root)).map_err(|e| {
                format!(
                    "{}:{}: invalid YAML: {}",
                    path.display(),
                    e.pos.line.max(1),
                    e.reason
                )
            })
        })
        .collect()
}

/// `-o` once named the output format; a format name there still does, for now.
fn resolve_output(args: &mut ApplyArgs) -> (ApplyFormat, Option<PathBuf>) {
    let named = args
        .output
        .as_ref()
        .and_then(|p| p.to_str())
        .and_then(|v| ApplyFormat::from_str(v, true).ok());
    match (args.output_format, named) {
        (None, Some(format)) => {
            eprintln!(
                "note: `-o {}` as the output format is deprecated: use --output-format {}; \
                 -o names where mutated and generated resources are written, as in kyverno apply \
                 (write ./{} to name a file called so)",
                format_name(format),
                format_name(format),
                format_name(format),
            );
            (format, None)
        }
        (format, _) => (format.unwrap_or(ApplyFormat::Text), args.output.take()),
    }
}

fn format_name(format: ApplyFormat) -> &'static str {
    match format {
        ApplyFormat::Text => "text",
        ApplyFormat::Json => "json",
        ApplyFormat::Yaml => "yaml",
        ApplyFormat::Sarif => "sarif",
        ApplyFormat::Junit => "junit",
    }
}

fn apply(mut args: ApplyArgs) -> ExitCode {
    let (format, write_to) = resolve_output(&mut args);
    let mut request = vigie_policy::Request::default();
    let mut input_errors = Vec::new();
    if let Some(path) = &args.values_file {
        match read_yaml_first(path, args.max_file_bytes) {
            Ok(doc) => request.values = vigie_policy::values::parse_values(&doc),
            Err(e) => input_errors.push(e),
        }
    }
    for s in &args.set {
        if let Err(e) = vigie_policy::values::apply_set(&mut request.values, s) {
            input_errors.push(e.to_string());
        }
    }
    if let Some(path) = &args.context_file {
        match read_yaml_all(path, args.max_file_bytes) {
            Ok(docs) => vigie_policy::values::parse_context(&docs).answer_in(&mut request),
            Err(e) => input_errors.push(e),
        }
    }
    if let Some(path) = &args.userinfo {
        match read_yaml_first(path, args.max_file_bytes) {
            Ok(doc) => request.user = vigie_policy::values::parse_user_info(&doc),
            Err(e) => input_errors.push(e),
        }
    }
    let text_only = !args.policy_report && matches!(format, ApplyFormat::Text);
    let options = ApplyOptions {
        audit_warn: args.audit_warn,
        keep_passing: !text_only,
        max_file_bytes: args.max_file_bytes,
        exceptions: args.exceptions.clone(),
        target_resources: args.target_resources.clone(),
    };
    // Mutated objects stream out as they are ready: to --write-mutated, else to
    // standard output before the text summary.
    let mut write_failed = false;
    let mut writer = match &write_to {
        Some(path) => match report::MutatedWriter::open(path) {
            Ok(w) => Some(w),
            Err(e) => {
                eprintln!(
                    "error: {}: cannot write the mutated resources: {e}",
                    path.display()
                );
                write_failed = true;
                None
            }
        },
        None => None,
    };
    let print_mutated = text_only && write_to.is_none();
    let mut write_error: Option<String> = None;
    let mut on_mutated = |m: report::MutatedResource| {
        let written = match &mut writer {
            Some(w) => w.write(&m),
            None if print_mutated => {
                let mut stdout = std::io::stdout().lock();
                stdout.write_all(report::mutated_document(&m).as_bytes())
            }
            None => Ok(()),
        };
        if let (Err(e), None, Some(path)) = (written, &write_error, &write_to) {
            write_error = Some(format!(
                "{}: cannot write the mutated resources: {e}",
                path.display()
            ));
        }
    };
    let outcome: ApplyOutcome = report::apply_streaming(
        &args.policies,
        &args.resources,
        request,
        &options,
        &mut on_mutated,
    );
    if let Some(w) = &mut writer {
        if let Err(e) = w.finish() {
            write_error.get_or_insert(format!("cannot write the mutated resources: {e}"));
        }
    }
    if let Some(e) = write_error {
        eprintln!("error: {e}");
        write_failed = true;
    }
    for note in &outcome.notes {
        eprintln!("note: {note}");
    }
    for e in input_errors.iter().chain(&outcome.input_errors) {
        eprintln!("error: {e}");
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let policy_reports = |out: &mut dyn Write| {
        let set = report::report_set(&outcome, args.report_api);
        if set.dropped() > 0 {
            eprintln!(
                "note: {} results left out of the policy reports: their resources' namespace is not a valid namespace name",
                set.dropped()
            );
        }
        if matches!(format, ApplyFormat::Json) {
            // Several reports (one per namespace) go out as one v1 List.
            let list = serde_json::json!({
                "apiVersion": "v1",
                "kind": "List",
                "items": set.reports(),
            });
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&list).unwrap_or_default()
            )
        } else {
            report::write_policy_reports_yaml(&set, out)
        }
    };
    let written = if args.policy_report {
        policy_reports(&mut out)
    } else {
        match format {
            ApplyFormat::Text => report::text(&outcome, &mut out),
            ApplyFormat::Json => report::write_json(&outcome, &mut out),
            ApplyFormat::Yaml => policy_reports(&mut out),
            ApplyFormat::Sarif => report::write_sarif(&outcome, &mut out),
            ApplyFormat::Junit => report::junit(&outcome, &mut out),
        }
    };
    // A closed pipe (`| head`) is not an error of the run.
    let _ = written.and_then(|()| out.flush());
    if !input_errors.is_empty() || !outcome.input_errors.is_empty() || write_failed {
        ExitCode::from(EXIT_INPUT_ERROR)
    } else if outcome.counts.fail > 0 || outcome.counts.error > 0 {
        ExitCode::from(EXIT_VIOLATIONS)
    } else if let Some(code) = args
        .warn_exit_code
        .filter(|_| outcome.counts.warn > 0 || args.warn_no_pass && outcome.counts.pass == 0)
    {
        ExitCode::from(code)
    } else {
        ExitCode::SUCCESS
    }
}

fn parse_report_api(text: &str) -> Result<ReportApi, String> {
    text.parse()
        .map_err(|e: vigie_finding::UnknownName| e.to_string())
}

fn test(args: TestArgs) -> ExitCode {
    let (suites, notes) = find_suites_noting(&args.dirs);
    for note in &notes {
        eprintln!("note: {note}");
    }
    if suites.is_empty() {
        let dirs: Vec<String> = args.dirs.iter().map(|d| d.display().to_string()).collect();
        eprintln!(
            "error: no kyverno-test.yaml found under {}",
            dirs.join(", ")
        );
        return ExitCode::from(EXIT_INPUT_ERROR);
    }
    let reports: Vec<_> = suites
        .iter()
        .map(|s| run_suite_with(s, args.max_file_bytes))
        .collect();
    for e in reports.iter().flat_map(|r| &r.input_errors) {
        eprintln!("error: {e}");
    }
    let root = if args.dirs.len() == 1 {
        args.dirs[0].clone()
    } else {
        PathBuf::new()
    };
    let (categories, overall) = summarize(&reports, &root);
    let mut out = String::new();
    match args.output {
        TestFormat::Json => out = vigie_policy::report::test_json(&reports),
        TestFormat::Junit => out = vigie_policy::report::test_junit(&reports),
        TestFormat::Text => {
            use std::fmt::Write as _;
            for r in &reports {
                if r.name.is_empty() {
                    let _ = writeln!(out, "== {}", r.path.display());
                } else {
                    let _ = writeln!(out, "== {} ({})", r.path.display(), r.name);
                }
                for e in &r.errors {
                    let _ = writeln!(out, "  ERROR {e}");
                }
                for e in &r.entries {
                    let (tag, show) = match &e.verdict {
                        Verdict::Agree => ("PASS", !args.fail_only),
                        Verdict::Disagree => ("FAIL", true),
                        Verdict::Unsupported(_) => ("UNSUPPORTED", !args.fail_only),
                        Verdict::Unrunnable(_) => ("UNRUNNABLE", !args.fail_only),
                    };
                    if !show {
                        continue;
                    }
                    let actual = e.actual.map_or("none", |s| s.as_str());
                    let _ = write!(
                        out,
                        "  {tag} {} / {} / {} {}: expected {}, got {actual}",
                        e.policy, e.rule, e.kind, e.resource, e.expected
                    );
                    match &e.verdict {
                        Verdict::Unsupported(reason) | Verdict::Unrunnable(reason) => {
                            let _ = writeln!(out, " ({reason})");
                        }
                        Verdict::Disagree if !e.message.is_empty() => {
                            let _ = writeln!(out, " ({})", e.message);
                        }
                        _ => out.push('\n'),
                    }
                }
            }
            out.push_str("\nagreement over supported result entries, per category:\n");
            let rows = categories
                .iter()
                .map(|(category, s)| (category.as_str(), s));
            for (category, s) in rows.chain([("overall", &overall)]) {
                let _ = writeln!(
                    out,
                    "  {category:<28} {:>4}/{:<4} {:>6.1}%  unsupported {:>4}  unrunnable {:>3}  suites {}",
                    s.agree,
                    s.agree + s.disagree,
                    s.percent(),
                    s.unsupported,
                    s.unrunnable,
                    s.suites
                );
            }
            let _ = writeln!(
                out,
                "{} unsupported, {} unrunnable (resource files missing, or entries kyverno test leaves out)",
                overall.unsupported, overall.unrunnable
            );
            let _ = writeln!(out, "{} passed, {} failed", overall.agree, overall.disagree);
        }
    }
    let _ = std::io::stdout().write_all(out.as_bytes());
    if reports.iter().any(|r| !r.input_errors.is_empty()) {
        ExitCode::from(EXIT_INPUT_ERROR)
    } else if overall.disagree > 0 {
        ExitCode::from(EXIT_VIOLATIONS)
    } else {
        ExitCode::SUCCESS
    }
}
