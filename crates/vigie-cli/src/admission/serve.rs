//! `vigie admission serve`: wires the policy store, the cluster data files, the
//! report writer and the HTTPS listener (vigie-server) together.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use vigie_admission::reports::{
    spawn_writer, DirSink, ReportConfig, ReportQueue, ReportSink, ReportSinkError,
};
use vigie_admission::{
    load_set, AdmissionMetrics, ClusterData, ClusterView, Endpoint, PolicyStore, Webhook,
    POLICY_KINDS,
};
use vigie_cluster::reports::ReportWriter;
use vigie_cluster::{Cluster, ClusterOptions, FollowEvent, FollowHandle};
use vigie_report::policy_report::{ReportApi, ReportSet};
use vigie_resource::Limits as FileLimits;
use vigie_server::{Limits, Method, Routes, Server, ServerConfig, ServerTlsConfig, Shutdown};

use crate::readyz::with_readyz;

#[derive(Debug, Args)]
#[command(after_help = "\
Exit codes: 0 stopped by SIGTERM/SIGINT, 2 the policies, files or listener could not be set up.

Example:
  vigie admission serve --policies policies/ --tls-cert tls.crt --tls-key tls.key \\
      --namespaces namespaces.yaml --reports-dir /var/lib/vigie/reports")]
pub struct ServeArgs {
    /// Policy files or directories (ClusterPolicy and Policy); reloaded when they change.
    #[arg(long, short = 'p', value_name = "DIR_OR_FILE", required = true, num_args = 1..)]
    policies: Vec<String>,
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:9443")]
    listen: String,
    /// Serving certificate chain (PEM); reloaded when it changes.
    #[arg(long, value_name = "FILE")]
    tls_cert: PathBuf,
    /// Private key of the certificate (PEM).
    #[arg(long, value_name = "FILE")]
    tls_key: PathBuf,
    /// Require client certificates signed by this CA (PEM): mutual TLS with the API server.
    #[arg(long, value_name = "FILE")]
    client_ca: Option<PathBuf>,
    /// Also serve /metrics, /healthz and /readyz in plain HTTP on this address.
    #[arg(long, value_name = "ADDR")]
    metrics_listen: Option<String>,
    /// Namespace objects (or a `kubectl get ns -o yaml` List) whose labels
    /// `namespaceSelector` and failure action overrides see.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    namespaces: Vec<String>,
    /// ConfigMaps that `configMap` context entries read.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    context: Vec<String>,
    /// RoleBindings and ClusterRoleBindings (or a `kubectl get
    /// rolebindings,clusterrolebindings -A -o yaml` List): the roles and cluster
    /// roles of a request's user, for `roles`/`clusterRoles` in match and exclude.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    rbac: Vec<String>,
    /// Follow the cluster's Namespaces (labels), ConfigMaps and RoleBindings and
    /// ClusterRoleBindings (user roles) instead of files: a
    /// list, then a watch, swapped in whole at most every 0.5 s; requests never wait
    /// for the API server. Uses the Pod's service account in a cluster.
    #[arg(long, conflicts_with_all = ["namespaces", "context", "rbac"])]
    watch_cluster: bool,
    /// Kubeconfig file for --watch-cluster (default: KUBECONFIG, ~/.kube/config,
    /// then the Pod's service account).
    #[arg(long, value_name = "FILE", requires = "watch_cluster")]
    kubeconfig: Option<PathBuf>,
    /// Kubeconfig context for --watch-cluster.
    #[arg(long = "kube-context", value_name = "NAME", requires = "watch_cluster")]
    kube_context: Option<String>,
    /// Write policy reports of the audit results to this directory (one file per
    /// namespace, replaced atomically).
    #[arg(long, value_name = "DIR")]
    reports_dir: Option<PathBuf>,
    /// With --watch-cluster: do not write the audit reports to the cluster (they
    /// are by default: one Report per namespace and a ClusterReport, named
    /// `vigie-admission`).
    #[arg(long, requires = "watch_cluster")]
    no_cluster_reports: bool,
    /// How often the audit reports are written (to the directory and the cluster)
    /// when new results came in; a failed write is retried at the next one.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    report_interval: Duration,
    /// Report API: openreports (openreports.io/v1alpha1, what Kyverno writes) or
    /// wgpolicy (wgpolicyk8s.io/v1alpha2).
    #[arg(long, value_name = "API", default_value = "openreports")]
    report_api: ReportApi,
    /// Most results in one report; older evaluations are evicted and counted.
    #[arg(long, value_name = "N", default_value_t = ReportConfig::DEFAULT_MAX_RESULTS)]
    report_max_results: usize,
    /// Time budget of one request (e.g. 8s, 500ms): when it runs out, the policies not
    /// evaluated answer by their failurePolicy. Keep it below the webhook's timeoutSeconds.
    #[arg(long, value_name = "DURATION", default_value = "8s", value_parser = parse_duration)]
    timeout: Duration,
    /// Requests evaluated at once (worker threads); more wait in the queue.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_concurrent_handlers)]
    workers: usize,
    /// Requests that may wait for a worker (first come, first served, within
    /// --timeout); a request that finds the queue full gets 503 with Retry-After.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_queued_handlers)]
    queue: usize,
    /// Largest AdmissionReview body accepted (bytes); larger ones get 413.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_body_bytes)]
    max_body_bytes: usize,
    /// Largest policy, namespaces or context file read (bytes).
    #[arg(long, value_name = "BYTES", default_value_t = FileLimits::DEFAULT_MAX_FILE_BYTES)]
    max_file_bytes: u64,
    /// How often the policy files are checked for changes.
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_duration)]
    reload_interval: Duration,
    /// On SIGTERM, how long /readyz answers 503 before the listener stops accepting,
    /// so that the Service stops sending requests first.
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_duration)]
    shutdown_delay: Duration,
}

/// `8s`, `500ms`, `2m`, or a number of seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (examples: 8s, 500ms, 2m)"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        _ => return Err(format!("`{text}`: unknown unit `{unit}` (ms, s or m)")),
    };
    if !(seconds > 0.0 && seconds < 86_400.0) {
        return Err(format!("`{text}` must be more than 0 and less than a day"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("vigie admission serve: {message}");
    ExitCode::from(2)
}

/// How often the followed policy objects are looked at for a change.
const POLICY_CHECK: Duration = Duration::from_secs(1);

/// Follows the cluster's policy objects ([`POLICY_KINDS`]) and, once listed
/// and whenever they change, serves them merged with the files' policies; a
/// set that does not load is logged and counted by the store, and the set
/// served before stays.
fn follow_policies(cluster: &Arc<Cluster>, store: &Arc<PolicyStore>, stop: &Arc<AtomicBool>) {
    let inventory = cluster.inventory_of(POLICY_KINDS);
    let (store, stop) = (store.clone(), stop.clone());
    let spawned = std::thread::Builder::new()
        .name("vigie-cluster-policies".into())
        .spawn(move || {
            let mut applied = None;
            while !stop.load(Ordering::Relaxed) {
                let generation = inventory.generation();
                if inventory.ready() && applied != Some(generation) {
                    let objects: Vec<_> = inventory.resources().collect();
                    // No policy object, none before: nothing to reload.
                    if !(applied.is_none() && objects.is_empty()) {
                        let _ = store.set_objects(objects);
                    }
                    applied = Some(generation);
                }
                std::thread::sleep(POLICY_CHECK);
            }
        });
    if let Err(e) = spawned {
        eprintln!("vigie admission: cannot follow the cluster's policies: {e}");
    }
}

/// Connects to the cluster and follows its Namespaces and ConfigMaps into
/// `view`, waiting for the first copy before serving (so that no request is
/// answered without them), within the request timeout.
fn follow_cluster(
    args: &ServeArgs,
    view: &Arc<ClusterView>,
    metrics: &Arc<AdmissionMetrics>,
) -> Result<(Arc<Cluster>, FollowHandle), ExitCode> {
    let options = ClusterOptions {
        kubeconfig: args.kubeconfig.clone(),
        context: args.kube_context.clone(),
        ..ClusterOptions::default()
    };
    let cluster =
        Cluster::connect(&options).map_err(|e| fail(format_args!("--watch-cluster: {e}")))?;
    let (first_tx, first_rx) = std::sync::mpsc::sync_channel::<()>(1);
    let (view_in, metrics_in) = (view.clone(), metrics.clone());
    let handle = cluster.follow_namespaces_and_config_maps(move |event| match event {
        FollowEvent::Changed(followed) => {
            let mut data = ClusterData::from_objects(&followed.namespaces, followed.config_maps);
            data.set_role_bindings(&followed.role_bindings, &followed.cluster_role_bindings);
            view_in.replace(data);
            metrics_in.cluster_data_updated();
            let _ = first_tx.try_send(());
        }
        FollowEvent::Failed(reason) => {
            metrics_in.cluster_data_failed();
            eprintln!("vigie admission: cluster data: {reason} (the last copy stays in use)");
        }
    });
    match first_rx.recv_timeout(options.request_timeout) {
        Ok(()) => {
            eprintln!(
                "vigie admission: following Namespaces, ConfigMaps and role bindings of {}",
                cluster.context()
            );
            Ok((Arc::new(cluster), handle))
        }
        Err(_) => Err(fail(format_args!(
            "--watch-cluster: no Namespaces, ConfigMaps or role bindings read from {} within {:?}",
            cluster.context(),
            options.request_timeout
        ))),
    }
}

/// The name of the reports the webhook writes to the cluster (and the value of
/// their writer label).
const REPORT_NAME: &str = "vigie-admission";

/// Writes the audit reports to the cluster with vigie-cluster's [`ReportWriter`]
/// (server-side apply; its own emptied reports are deleted).
struct ClusterSink {
    cluster: Arc<Cluster>,
    writer: ReportWriter,
}

impl ReportSink for ClusterSink {
    fn name(&self) -> &'static str {
        "cluster"
    }

    fn write(&mut self, set: &ReportSet) -> Result<(), ReportSinkError> {
        let failed = |text: String| ReportSinkError::Other(text.into());
        let written = self
            .writer
            .write(&self.cluster, set)
            .map_err(|e| failed(format!("{}: {e}", self.cluster.context())))?;
        if written.errors.is_empty() {
            Ok(())
        } else {
            Err(failed(format!(
                "{}: {} of the reports: {}",
                self.cluster.context(),
                written.errors.len(),
                written.errors.join("; ")
            )))
        }
    }
}

pub fn run(args: ServeArgs) -> ExitCode {
    let metrics = Arc::new(AdmissionMetrics::default());
    let (set, notes) = match load_set(&args.policies, args.max_file_bytes, 1) {
        Ok(loaded) => loaded,
        Err(e) => return fail(e),
    };
    for line in notes.unsupported.iter().chain(&notes.notes) {
        eprintln!("vigie admission: {line}");
    }
    if set.background_only() > 0 {
        eprintln!(
            "vigie admission: {} policies have spec.admission: false and are not served",
            set.background_only()
        );
    }
    let served = set.len();
    let cluster =
        match ClusterData::from_files(&args.namespaces, &args.context, args.max_file_bytes)
            .and_then(|mut c| {
                c.read_role_bindings(&args.rbac, args.max_file_bytes)?;
                Ok(c)
            }) {
            Ok(c) => c,
            Err(e) => return fail(e),
        };
    let stop = Arc::new(AtomicBool::new(false));
    if let Err(e) = stop_on_signals(&stop) {
        return fail(format_args!("cannot handle signals: {e}"));
    }
    let store = Arc::new(PolicyStore::new(
        args.policies.clone(),
        args.max_file_bytes,
        set,
        metrics.clone(),
    ));
    let watch_stop = stop.clone();
    store.watch(args.reload_interval, move || {
        watch_stop.load(Ordering::Relaxed)
    });
    let cluster = Arc::new(ClusterView::fixed(cluster));
    // Kept alive while serving: dropping them stops following the cluster.
    let followed = if args.watch_cluster {
        match follow_cluster(&args, &cluster, &metrics) {
            Ok(f) => Some(f),
            Err(code) => return code,
        }
    } else {
        None
    };
    // The cluster's policy objects join the files' (kept alive while serving).
    if let Some((cluster, _)) = &followed {
        follow_policies(cluster, &store, &stop);
    }
    let mut sinks: Vec<Box<dyn ReportSink>> = Vec::new();
    if let Some(dir) = &args.reports_dir {
        if let Err(e) = std::fs::create_dir_all(dir) {
            return fail(format_args!("--reports-dir {}: {e}", dir.display()));
        }
        sinks.push(Box::new(DirSink(dir.clone())));
    }
    if let Some((cluster, _)) = followed.as_ref().filter(|_| !args.no_cluster_reports) {
        sinks.push(Box::new(ClusterSink {
            cluster: cluster.clone(),
            // Every replica writes the same reports.
            writer: ReportWriter::new(args.report_api, REPORT_NAME).shared_between_replicas(),
        }));
    }
    let (queue, writer) = if sinks.is_empty() {
        (None, None)
    } else {
        let (queue, receiver) = ReportQueue::new(metrics.clone());
        let config = ReportConfig {
            api: args.report_api,
            interval: args.report_interval,
            max_results_per_report: args.report_max_results,
        };
        match spawn_writer(receiver, config, sinks, metrics.clone(), stop.clone()) {
            Ok(thread) => (Some(queue), Some(thread)),
            Err(e) => return fail(format_args!("cannot start the report writer: {e}")),
        }
    };
    let webhook = Arc::new(Webhook {
        store,
        cluster,
        metrics: metrics.clone(),
        timeout: args.timeout,
        reports: queue,
    });
    let limits = Limits {
        max_concurrent_handlers: args.workers,
        max_queued_handlers: args.queue,
        max_body_bytes: args.max_body_bytes,
        // The handler deadline backs the time budget up: evaluation checks the
        // budget between policies, this cuts a single policy that runs away.
        handler_timeout: args.timeout + Duration::from_secs(1),
        ..Limits::default()
    };
    let server = match Server::bind(ServerConfig {
        listen: args.listen.clone(),
        tls: Some(ServerTlsConfig {
            cert_file: args.tls_cert.clone(),
            key_file: args.tls_key.clone(),
            client_ca_file: args.client_ca.clone(),
        }),
        limits: limits.clone(),
    }) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let server_metrics = server.metrics();
    // Readiness goes false as soon as a stop is asked for, before the listener
    // stops accepting (after --shutdown-delay).
    let ready = {
        let stop = stop.clone();
        move || !stop.load(Ordering::Relaxed)
    };
    let render = {
        let metrics = metrics.clone();
        move |out: &mut String| metrics.render(out)
    };
    let routes = Routes::new()
        .route(
            Method::POST,
            "/validate",
            webhook.handler(Endpoint::Validate),
        )
        .route(Method::POST, "/mutate", webhook.handler(Endpoint::Mutate));
    let routes = with_readyz(routes, ready.clone(), "shutting down").metrics(render);
    let shutdown = Shutdown::new();
    let metrics_thread = match &args.metrics_listen {
        None => None,
        Some(address) => {
            let metrics_server = match Server::bind(ServerConfig::new(address.clone())) {
                Ok(s) => s,
                Err(e) => return fail(e),
            };
            eprintln!(
                "vigie admission: metrics on http://{}/metrics",
                metrics_server.local_addr()
            );
            let admission = metrics.clone();
            let render = move |out: &mut String| {
                server_metrics.render(out);
                admission.render(out);
            };
            let routes = with_readyz(Routes::new(), ready, "shutting down").metrics(render);
            let stop = shutdown.clone();
            Some(std::thread::spawn(move || {
                metrics_server.serve(routes, stop)
            }))
        }
    };
    eprintln!(
        "vigie admission: serving {served} policies (generation 1) on https://{}: /validate, /mutate",
        server.local_addr()
    );
    // Triggers the shutdown once a signal came and the readiness delay passed.
    {
        let stop = stop.clone();
        let shutdown = shutdown.clone();
        let delay = args.shutdown_delay;
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(50));
            }
            eprintln!("vigie admission: stopping: readiness is false, in-flight requests finish");
            std::thread::sleep(delay);
            shutdown.trigger();
        });
    }
    let served = server.serve(routes, shutdown.clone());
    shutdown.trigger();
    stop.store(true, Ordering::Relaxed);
    drop(webhook);
    if let Some(thread) = metrics_thread {
        let _ = thread.join();
    }
    if let Some(writer) = writer {
        let _ = writer.join();
    }
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

/// SIGINT and SIGTERM ask the server to stop; a second one ends the process at once.
fn stop_on_signals(stop: &Arc<AtomicBool>) -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    for signal in [SIGINT, SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(stop))?;
        signal_hook::flag::register(signal, Arc::clone(stop))?;
    }
    Ok(())
}
