//! `vigie rbac`: RBAC questions answered from manifests (who-can, escalation paths).

use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use std::sync::Arc;
use vigie_rbac::{escalation_paths, who_can, Action, Rbac, Scope};

use vigie_cluster::{Cluster, ClusterOptions, ReadProgress};
use vigie_resource::{load, pod_template, Limits, LoadOptions, Resource};

use crate::output::print_then;

/// Answer RBAC questions from manifests (Roles, ClusterRoles, bindings, workloads).
#[derive(Debug, Args)]
pub struct RbacArgs {
    #[command(subcommand)]
    command: RbacCommand,
}

#[derive(Debug, Subcommand)]
enum RbacCommand {
    /// List the subjects that may do VERB on RESOURCE, through which binding, role and
    /// rule, with the workloads running as each service account.
    #[command(
        after_help = "Examples:\n  vigie rbac who-can create pods -n ci manifests/\n  \
        vigie rbac who-can create pods/exec -A manifests/\n  \
        vigie rbac who-can get secrets --name db-password -n apps manifests/\n  \
        vigie rbac who-can get /metrics manifests/\n\n\
        Without -n or -A the question is cluster-wide: only ClusterRoleBindings answer it."
    )]
    WhoCan(WhoCanArgs),
    /// Chains of permissions that lead a subject to cluster-admin power (creating pods
    /// next to a powerful service account, impersonation, bind/escalate, nodes/proxy,
    /// certificate approval, webhooks...), shortest first.
    Paths(PathsArgs),
}

/// Where the RBAC objects come from: files, or a live cluster.
#[derive(Debug, Args)]
struct SourceArgs {
    /// Files and directories holding the RBAC objects (`-` for standard input).
    #[arg(required_unless_present = "cluster", conflicts_with = "cluster")]
    paths: Vec<String>,
    /// Read the RBAC objects, workloads and token Secrets (as metadata only) from
    /// the current kube context's cluster instead of files.
    #[arg(long)]
    cluster: bool,
    /// Kubeconfig file for --cluster (default: KUBECONFIG, ~/.kube/config, then the
    /// Pod's service account).
    #[arg(long, value_name = "FILE", requires = "cluster")]
    kubeconfig: Option<std::path::PathBuf>,
    /// Kubeconfig context for --cluster (default: the current context).
    #[arg(long, value_name = "NAME", requires = "cluster")]
    context: Option<String>,
    /// Largest input file read, in bytes.
    #[arg(long, default_value_t = Limits::DEFAULT_MAX_FILE_BYTES)]
    max_file_bytes: u64,
}

#[derive(Debug, Args)]
struct WhoCanArgs {
    /// The verb: get, list, watch, create, update, patch, delete, impersonate, bind...
    verb: String,
    /// The resource, as kubectl names it: `pods`, `deployments.apps`, `pods/exec`, or a
    /// non-resource URL such as `/metrics`.
    resource: String,
    #[command(flatten)]
    source: SourceArgs,
    /// The namespace of the action.
    #[arg(short, long, conflicts_with = "all_namespaces")]
    namespace: Option<String>,
    /// In any namespace: every binding answers, each saying where it holds.
    #[arg(short = 'A', long)]
    all_namespaces: bool,
    /// The subresource (`exec`, `log`, `scale`...), as `pods/exec` does.
    #[arg(long)]
    subresource: Option<String>,
    /// The object's name, for rules limited by `resourceNames`.
    #[arg(long)]
    name: Option<String>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Text)]
    output: Format,
}

#[derive(Debug, Args)]
struct PathsArgs {
    #[command(flatten)]
    source: SourceArgs,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Text)]
    output: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Runs `vigie rbac`.
pub fn run(args: RbacArgs) -> ExitCode {
    match args.command {
        RbacCommand::WhoCan(args) => run_who_can(args),
        RbacCommand::Paths(args) => run_paths(args),
    }
}

/// Reads the RBAC facts from files or the cluster, printing every problem; says
/// whether part of the input could not be read.
fn load_rbac(source: &SourceArgs) -> (Rbac, bool) {
    if source.cluster {
        return load_cluster(source);
    }
    let options = LoadOptions {
        limits: Limits {
            max_file_bytes: source.max_file_bytes,
            ..Limits::default()
        },
        ..LoadOptions::default()
    };
    let loaded = load(&source.paths, &options);
    for d in &loaded.diagnostics {
        eprintln!("{d}");
    }
    (
        Rbac::from_resources(&loaded.resources),
        loaded.error_count() > 0,
    )
}

/// Lists the cluster and keeps what RBAC answers read: roles, bindings,
/// namespaces, service accounts, token Secrets (metadata only, as every
/// cluster read) and the objects that run pods.
fn load_cluster(source: &SourceArgs) -> (Rbac, bool) {
    let options = ClusterOptions {
        kubeconfig: source.kubeconfig.clone(),
        context: source.context.clone(),
        // RBAC answers need no kubelet configuration.
        kubelet_configs: false,
        ..ClusterOptions::default()
    };
    let cluster = match Cluster::connect(&options) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("vigie: cannot read the cluster: {e}");
            return (Rbac::default(), true);
        }
    };
    let mut stream = cluster.read(Arc::new(ReadProgress::default()));
    let kept: Vec<Resource> = stream
        .by_ref()
        .filter(|r| {
            matches!(
                r.kind.as_str(),
                "Role"
                    | "ClusterRole"
                    | "RoleBinding"
                    | "ClusterRoleBinding"
                    | "Namespace"
                    | "ServiceAccount"
                    | "Secret"
            ) || pod_template(r).is_some()
        })
        .collect();
    let summary = stream.finish();
    let name = vigie_cluster::source_name(cluster.context());
    crate::cluster::print_read_problems(&name, &summary, "answers do not include them");
    (Rbac::from_resources(&kept), !summary.errors.is_empty())
}

fn exit_code(input_errors: bool) -> ExitCode {
    if input_errors {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn run_who_can(args: WhoCanArgs) -> ExitCode {
    let (rbac, input_errors) = load_rbac(&args.source);
    let action = Action::parse(
        &args.verb,
        &args.resource,
        args.subresource.as_deref(),
        args.name.as_deref(),
    );
    let scope = match (&args.namespace, args.all_namespaces) {
        (Some(ns), _) => Scope::Namespace(ns.clone()),
        (None, true) => Scope::AnyNamespace,
        (None, false) => Scope::Cluster,
    };
    let grants = who_can(&rbac, &action, &scope);
    let text = match args.output {
        Format::Json => {
            let mut text = serde_json::to_string_pretty(&serde_json::json!({
                "action": action,
                "scope": match &scope {
                    Scope::Namespace(ns) => format!("namespace {ns}"),
                    Scope::Cluster => "cluster-wide".into(),
                    Scope::AnyNamespace => "any namespace".into(),
                },
                "grants": grants,
            }))
            .unwrap_or_default();
            text.push('\n');
            text
        }
        Format::Text => {
            let where_ = match &scope {
                Scope::Namespace(ns) => format!("in namespace {ns}"),
                Scope::Cluster => "cluster-wide".into(),
                Scope::AnyNamespace => "in any namespace".into(),
            };
            let mut rows = vec![[
                "SUBJECT".to_string(),
                "BINDING".to_string(),
                "ROLE".to_string(),
                "RULE".to_string(),
                "SCOPE".to_string(),
            ]];
            for g in &grants {
                rows.push([
                    g.subject.to_string(),
                    g.binding.clone(),
                    g.role.clone(),
                    if g.rule.is_empty() {
                        String::new()
                    } else {
                        format!("rules[{}]: {}", g.rule_index, g.rule)
                    },
                    g.scope.clone(),
                ]);
            }
            let mut text = format!(
                "Who can {} {where_}: {} grant(s)\n\n",
                action.describe(),
                grants.len()
            );
            text.push_str(&table(&rows));
            let with_workloads: Vec<_> =
                grants.iter().filter(|g| !g.workloads.is_empty()).collect();
            if !with_workloads.is_empty() {
                text.push_str("\nWorkloads running with these permissions:\n");
                for g in with_workloads {
                    text.push_str(&format!("  {}: {}\n", g.subject, g.workloads.join(", ")));
                }
            }
            text
        }
    };
    print_then(text.as_bytes(), exit_code(input_errors))
}

fn run_paths(args: PathsArgs) -> ExitCode {
    let (rbac, input_errors) = load_rbac(&args.source);
    let paths = escalation_paths(&rbac);
    let text = match args.output {
        Format::Json => {
            let mut text = serde_json::to_string_pretty(&paths).unwrap_or_default();
            text.push('\n');
            text
        }
        Format::Text if paths.is_empty() => "No escalation path to cluster-admin power.\n".into(),
        Format::Text => {
            let mut text = format!(
                "{} subject(s) can reach cluster-admin power:\n",
                paths.len()
            );
            for path in &paths {
                text.push_str(&format!(
                    "\n{} ({} step{})\n",
                    path.subject,
                    path.steps.len(),
                    if path.steps.len() == 1 { "" } else { "s" }
                ));
                for (i, step) in path.steps.iter().enumerate() {
                    text.push_str(&format!(
                        "  {}. {} can {}\n     via {}\n     leading to {}\n",
                        i + 1,
                        step.subject,
                        step.permission,
                        step.granted_by,
                        step.leads_to
                    ));
                }
            }
            text
        }
    };
    // Paths found are findings: exit 1, as a scan with findings does.
    let code = if input_errors {
        ExitCode::from(2)
    } else if paths.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    };
    print_then(text.as_bytes(), code)
}

/// Left-aligned columns separated by two spaces.
fn table<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < N {
                line.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
