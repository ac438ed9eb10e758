//! `vigie fix`: the arguments, and the run wired to its output. The fixing is
//! vigie-fix's; which checks fix what, vigie-controls'.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use vigie_controls::fix::{fix_for, FixContext};
use vigie_controls::known_control_ids;
use vigie_controls::pss::Version;
use vigie_fix::{FixOptions, FixRun, NotFixed};
use vigie_resource::Limits;

use crate::scan::{parse_version, scan_config, wants_color, ColorArg, LevelArg, EXIT_INPUT_ERROR};

#[derive(Debug, Args)]
#[command(after_help = "\
Each check declares whether it has an automatic fix (`vigie controls explain ID` says
which). Fixes are minimal text edits: comments, key order, quoting, indentation and
blank lines of everything else are kept. Every fixed file is parsed and scanned again
before it is written; a fix that cannot be made safely (a value set through an alias,
a layout the editor cannot follow, a file rendered by Helm) is reported, not made.

Exit codes:
  0  no finding left
  1  findings remain (without an automatic fix, or whose fix could not be made)
  2  some input could not be read or parsed, a file could not be written, or the
     command line is wrong

Examples:
  vigie fix deploy/ --diff
  vigie fix deploy/ -f all --dry-run
  vigie fix deploy/app.yaml --control VG-W008,PSS-R05
  vigie fix deploy/ --image-digests digests.yaml")]
pub struct FixArgs {
    /// Files or directories (searched recursively for .yaml, .yml and .json) to fix in place.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<String>,

    /// Write nothing: list the findings that would be fixed, file by file.
    #[arg(long, conflicts_with = "diff")]
    dry_run: bool,

    /// Write nothing: print the changes as a unified diff (coloured on a terminal).
    #[arg(long)]
    diff: bool,

    /// Frameworks whose findings to fix: nsa, cis, mitre, pss-baseline, pss-restricted,
    /// or all. Default: the Pod Security level of --level, as for `vigie scan`.
    #[arg(
        short = 'f',
        long = "framework",
        value_name = "FRAMEWORK",
        value_delimiter = ','
    )]
    frameworks: Vec<String>,

    /// Pod Security Standards level when no --framework is given.
    #[arg(long, value_enum, default_value_t = LevelArg::Restricted)]
    level: LevelArg,

    /// Kubernetes version whose Pod Security Standards apply (v1.0 to v1.37, or `latest`).
    #[arg(long, value_name = "VERSION", default_value = "latest", value_parser = parse_version)]
    pss_version: Version,

    /// Fix only the findings of these checks (IDs such as VG-W008 or PSS-R05).
    #[arg(long = "control", value_name = "ID", value_delimiter = ',')]
    controls: Vec<String>,

    /// Pin images to digests: a YAML mapping from image references as written in the
    /// manifests to `sha256:...` digests. Without it, images are left as they are.
    #[arg(long, value_name = "FILE")]
    image_digests: Option<PathBuf>,

    /// Settings for the controls: see docs/config.md.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Exceptions file: accepted findings are not fixed (see docs/exceptions.md).
    #[arg(long, value_name = "FILE")]
    exceptions: Option<PathBuf>,

    /// When to colour the diff.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    color: ColorArg,

    /// Largest file to read, in bytes; larger files are refused with an error.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::DEFAULT_MAX_FILE_BYTES)]
    max_file_bytes: u64,

    /// Most documents to read from one file; files with more are refused with an error.
    #[arg(long, value_name = "N", default_value_t = Limits::DEFAULT_MAX_DOCUMENTS)]
    max_documents: usize,

    /// Largest document to edit, in bytes (each edit reads its document again); the
    /// findings of larger documents are reported, not fixed.
    #[arg(long, value_name = "BYTES", default_value_t = FixOptions::DEFAULT_MAX_DOCUMENT_BYTES)]
    max_document_bytes: usize,
}

/// The run's settings, or the errors of the command line and the files it names.
fn options(args: &FixArgs) -> Result<FixOptions, Vec<String>> {
    let scan = scan_config(
        &args.frameworks,
        args.level,
        args.pss_version,
        args.config.as_ref(),
        args.exceptions.as_ref(),
    )?;
    let known = known_control_ids();
    let mut errors = Vec::new();
    for id in &args.controls {
        if !known.iter().any(|k| k.eq_ignore_ascii_case(id)) {
            errors.push(format!(
                "--control: unknown check `{id}`; `vigie controls list` shows them all"
            ));
        } else if fix_for(id).is_none() {
            errors.push(format!(
                "--control: {id} has no automatic fix (`vigie controls explain {id}`)"
            ));
        }
    }
    let limits = Limits {
        max_file_bytes: args.max_file_bytes,
        max_documents: args.max_documents,
    };
    let mut context = FixContext::default();
    if let Some(path) = &args.image_digests {
        match vigie_fix::read_image_digests(path, limits.max_file_bytes) {
            Ok(digests) => context.image_digests = digests,
            Err(e) => errors.push(e.to_string()),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(FixOptions {
        scan,
        context,
        only: args.controls.clone(),
        limits,
        max_document_bytes: args.max_document_bytes,
    })
}

pub fn run(args: FixArgs) -> ExitCode {
    let options = match options(&args) {
        Ok(options) => options,
        Err(errors) => {
            for e in errors {
                eprintln!("error: {e}");
            }
            return ExitCode::from(EXIT_INPUT_ERROR);
        }
    };
    let run = vigie_fix::fix(&args.paths, &options);
    for problem in &run.problems {
        let level = if problem.is_error() {
            "error"
        } else {
            "warning"
        };
        eprintln!("{level}: {}", problem.located());
    }
    let mut code = run.exit_code();
    let mut out = std::io::stdout().lock();
    let written = if args.diff {
        print_diffs(&mut out, &run, wants_color(args.color))
    } else {
        let mut result = Ok(());
        for file in &run.files {
            if !args.dry_run {
                if let Err(e) = vigie_fix::write_atomically(&file.path, &file.fixed) {
                    eprintln!("error: {e}");
                    code = EXIT_INPUT_ERROR;
                    continue;
                }
            }
            result = result.and_then(|()| print_fixed(&mut out, file, args.dry_run));
        }
        result
    };
    if let Err(e) = written.and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("vigie: cannot write to standard output: {e}");
            return ExitCode::from(EXIT_INPUT_ERROR);
        }
    }
    report_remaining(&run);
    ExitCode::from(code)
}

fn print_diffs(out: &mut impl Write, run: &FixRun, color: bool) -> std::io::Result<()> {
    for file in &run.files {
        let diff = vigie_fix::unified_diff(&file.file, &file.original, &file.fixed);
        if color {
            vigie_fix::write_colored_diff(out, &diff)?;
        } else {
            out.write_all(diff.as_bytes())?;
        }
    }
    Ok(())
}

fn print_fixed(
    out: &mut impl Write,
    file: &vigie_fix::FileFix,
    dry_run: bool,
) -> std::io::Result<()> {
    let verb = if dry_run { "would fix" } else { "fixed" };
    let count = file.removed.len();
    let plural = if count == 1 { "" } else { "s" };
    writeln!(out, "{verb} {}: {count} finding{plural}", file.file)?;
    for fixed in &file.removed {
        writeln!(
            out,
            "  {}:{}: {} {}",
            fixed.pos.line, fixed.pos.column, fixed.check_id, fixed.path
        )?;
    }
    Ok(())
}

/// The findings left go to standard error: fixes refused, with their reason,
/// then counts of those not selected and of those without an automatic fix.
fn report_remaining(run: &FixRun) {
    let (mut not_selected, mut without_fix) = (0, 0);
    for r in &run.remaining {
        match &r.not_fixed {
            Some(NotFixed::Refused(reason)) => eprintln!(
                "not fixed: {}:{}:{}: {} {}: {reason}",
                r.file, r.pos.line, r.pos.column, r.check_id, r.path
            ),
            Some(NotFixed::NotSelected) => not_selected += 1,
            None => without_fix += 1,
        }
    }
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    if not_selected > 0 {
        eprintln!(
            "{not_selected} finding{} with an automatic fix left: their checks are not among those --control names",
            plural(not_selected)
        );
    }
    if without_fix > 0 {
        eprintln!(
            "{without_fix} finding{} left without an automatic fix: `vigie scan` with the same options lists them",
            plural(without_fix)
        );
    }
}
