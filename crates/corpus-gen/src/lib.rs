//! `corpus-gen [--one-namespace] [--documents | --list | --json-list | --one-line-json] [--pods] OBJECTS FILES OUT_DIR`:
//! writes OBJECTS Kubernetes objects spread over FILES multi-document YAML files (or
//! one `List` per file, see `src/shape.rs`; `--pods`: Pods only). The mix is workload-heavy
//! (Deployments, Pods, StatefulSets, DaemonSets, Jobs, CronJobs) with Services,
//! ConfigMaps, RBAC and NetworkPolicies, and security settings vary from hardened
//! to careless, so every check has work to do. Deterministic: the same arguments
//! give the same files.
//!
//! By default objects spread over six namespaces and every NetworkPolicy selects
//! its whole namespace. `--one-namespace` puts everything in one namespace the way
//! a large cluster's main namespace looks: thousands of workloads sharing a few
//! `tier`/`team` labels, Services whose selectors start with such a broad label,
//! and NetworkPolicies with set-based selectors (`matchExpressions`), so that
//! cross-object controls relating them meet their worst realistic case.
//!
//! ```
//! let dir = std::env::temp_dir().join(format!("corpus-gen-doc-{}", std::process::id()));
//! let summary = corpus_gen::run(vec!["12".into(), "3".into(), dir.display().to_string()])?;
//! assert!(summary.starts_with("corpus-gen: 12 objects in 3 files"));
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), corpus_gen::GenError>(())
//! ```

mod shape;

use std::fmt::Write as _;
use std::path::PathBuf;

use shape::Shape;

/// The command line's usage text.
const USAGE: &str = "usage: corpus-gen [--one-namespace] [--documents | --list | --json-list | --one-line-json] [--pods] OBJECTS FILES OUT_DIR";

/// Why no corpus was written (or not all of it).
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    /// The arguments are not `OBJECTS FILES OUT_DIR` with known flags.
    #[error("{USAGE}")]
    Usage,
    /// OBJECTS or FILES is not a whole number.
    #[error("{what} is not a number: {text}")]
    NotANumber {
        /// `OBJECTS` or `FILES`.
        what: &'static str,
        /// The argument given.
        text: String,
    },
    /// The output directory or a file in it could not be written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The directory or file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
}

/// A small deterministic generator (64-bit LCG), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// Writes the corpus the command line `args` describe (the arguments after the
/// program name) and says what it wrote, or why it could not.
pub fn run(mut args: Vec<String>) -> Result<String, GenError> {
    let mut shape = Shape::Documents;
    let mut pods_only = false;
    let mut one_namespace = false;
    args.retain(|arg| match Shape::from_flag(arg) {
        Some(s) => {
            shape = s;
            false
        }
        None if arg == "--pods" => {
            pods_only = true;
            false
        }
        None if arg == "--one-namespace" => {
            one_namespace = true;
            false
        }
        None => true,
    });
    let [objects, files, out] = args.as_slice() else {
        return Err(GenError::Usage);
    };
    let number = |what, text: &String| {
        text.parse::<usize>().map_err(|_| GenError::NotANumber {
            what,
            text: text.clone(),
        })
    };
    let objects = number("OBJECTS", objects)?;
    let files = number("FILES", files)?.max(1);
    let out = PathBuf::from(out);
    std::fs::create_dir_all(&out).map_err(|source| GenError::Io {
        path: out.clone(),
        source,
    })?;
    let mut rng = Rng(42);
    let per_file = objects.div_ceil(files);
    let mut written = 0;
    for f in 0..files {
        let mut file_objects = Vec::new();
        for _ in 0..per_file.min(objects - written) {
            let mut text = String::new();
            if pods_only {
                let ns = rng.pick(&["default", "shop", "payments"]);
                workload(&mut rng, "v1", "Pod", written, ns, &[], &mut text);
            } else if one_namespace {
                one_namespace_object(&mut rng, written, &mut text);
            } else {
                object(&mut rng, written, &mut text);
            }
            file_objects.push(text);
            written += 1;
        }
        if file_objects.is_empty() {
            break;
        }
        let name = format!("manifests-{f:05}.{}", shape.extension());
        let path = out.join(name);
        std::fs::write(&path, shape.render(&file_objects))
            .map_err(|source| GenError::Io { path, source })?;
    }
    Ok(format!(
        "corpus-gen: {written} objects in {} files under {}",
        files.min(written),
        out.display()
    ))
}

fn object(rng: &mut Rng, i: usize, out: &mut String) {
    let ns = rng.pick(&["default", "shop", "payments", "monitoring", "batch", "edge"]);
    match rng.next() % 20 {
        0..=5 => workload(rng, "apps/v1", "Deployment", i, ns, &[], out),
        6..=7 => workload(rng, "v1", "Pod", i, ns, &[], out),
        8 => workload(rng, "apps/v1", "StatefulSet", i, ns, &[], out),
        9 => workload(rng, "apps/v1", "DaemonSet", i, ns, &[], out),
        10 => workload(rng, "batch/v1", "Job", i, ns, &[], out),
        11 => workload(rng, "batch/v1", "CronJob", i, ns, &[], out),
        12..=13 => service(rng, i, ns, out),
        14 => config_map(rng, i, ns, out),
        15 => role(rng, i, ns, out),
        16 => role_binding(rng, i, ns, out),
        17 => network_policy(i, ns, out),
        18 => service_account(i, ns, out),
        _ => secret(i, ns, out),
    }
}

/// The namespace of `--one-namespace` corpora.
const ONE_NAMESPACE: &str = "prod";
/// Pod `tier` labels: few values, each shared by thousands of workloads.
const TIERS: &[&str] = &["web", "api", "worker", "db", "cache", "batch"];

/// One object of a `--one-namespace` corpus: 40% workloads, 5% Services, 0.5%
/// NetworkPolicies, the rest ConfigMaps, RBAC, ServiceAccounts and Secrets.
fn one_namespace_object(rng: &mut Rng, i: usize, out: &mut String) {
    let ns = ONE_NAMESPACE;
    match rng.next() % 1000 {
        0..=399 => {
            let (api, kind) = match rng.next() % 12 {
                0..=5 => ("apps/v1", "Deployment"),
                6..=7 => ("v1", "Pod"),
                8 => ("apps/v1", "StatefulSet"),
                9 => ("apps/v1", "DaemonSet"),
                10 => ("batch/v1", "Job"),
                _ => ("batch/v1", "CronJob"),
            };
            let component = format!("component-{}", rng.next() % 40);
            let tier = rng.pick(TIERS);
            let track = if rng.chance(90) { "stable" } else { "canary" };
            let labels = [("tier", tier), ("component", &component), ("track", track)];
            workload(rng, api, kind, i, ns, &labels, out);
        }
        400..=449 => {
            // Mostly one workload by name; some start with the broad `tier` key.
            let app = format!(
                "deployment-{}",
                i.saturating_sub(1 + (rng.next() % 50) as usize)
            );
            let selector = if rng.chance(30) {
                format!("    tier: {}\n    app: {app}\n", rng.pick(TIERS))
            } else {
                format!("    app: {app}\n")
            };
            let kind = rng.pick(&[
                "ClusterIP",
                "ClusterIP",
                "ClusterIP",
                "NodePort",
                "LoadBalancer",
            ]);
            let port = if rng.chance(2) { 22 } else { 80 };
            let _ = write!(out, "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{i}\n  namespace: {ns}\nspec:\n  type: {kind}\n  selector:\n{selector}  ports:\n  - port: {port}\n    targetPort: 8000\n");
        }
        450..=454 => set_based_network_policy(rng, i, ns, out),
        455..=599 => config_map(rng, i, ns, out),
        600..=649 => role(rng, i, ns, out),
        650..=699 => role_binding(rng, i, ns, out),
        700..=749 => service_account(i, ns, out),
        _ => secret(i, ns, out),
    }
}

/// A NetworkPolicy whose `podSelector` has `matchExpressions` (sometimes after a
/// broad `matchLabels` key), never an empty one.
fn set_based_network_policy(rng: &mut Rng, i: usize, ns: &str, out: &mut String) {
    let tier = rng.pick(TIERS);
    let other = rng.pick(TIERS);
    let component = format!("component-{}", rng.next() % 45);
    let app = format!(
        "deployment-{}",
        i.saturating_sub(1 + (rng.next() % 50) as usize)
    );
    let expression = |key: &str, operator: &str, values: &[&str]| {
        let values = if values.is_empty() {
            String::new()
        } else {
            format!("\n      values: [{}]", values.join(", "))
        };
        format!("    - key: {key}\n      operator: {operator}{values}\n")
    };
    let selector = match rng.next() % 8 {
        0 => format!(
            "    matchExpressions:\n{}",
            expression("tier", "In", &[tier, other])
        ),
        1 => format!(
            "    matchExpressions:\n{}",
            expression("tier", "NotIn", &[tier, other, "db"])
        ),
        2 => format!(
            "    matchExpressions:\n{}{}",
            expression("component", "In", &[&component]),
            expression("track", "NotIn", &["canary"])
        ),
        3 => format!(
            "    matchExpressions:\n{}",
            expression("app", "In", &[&app])
        ),
        4 => format!(
            "    matchExpressions:\n{}{}",
            expression("component", "Exists", &[]),
            expression("tier", "NotIn", &[tier])
        ),
        5 => format!(
            "    matchLabels:\n      tier: {tier}\n    matchExpressions:\n{}",
            expression("track", "In", &["stable"])
        ),
        6 => format!(
            "    matchLabels:\n      tier: {tier}\n      app: {app}\n    matchExpressions:\n{}",
            expression("legacy", "DoesNotExist", &[])
        ),
        _ => format!(
            "    matchExpressions:\n{}{}",
            expression("track", "NotIn", &["stable"]),
            expression("component", "NotIn", &[&component])
        ),
    };
    let _ = write!(out, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np-{i}\n  namespace: {ns}\nspec:\n  podSelector:\n{selector}  policyTypes: [\"Ingress\"]\n");
}

/// Writes a workload whose pods carry `app: <its name>` and the `labels` given.
fn workload(
    rng: &mut Rng,
    api: &str,
    kind: &str,
    i: usize,
    ns: &str,
    labels: &[(&str, &str)],
    out: &mut String,
) {
    let name = format!("{}-{i}", kind.to_ascii_lowercase());
    let _ = write!(out, "apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: {ns}\n  labels:\n    app: {name}\n    team: {}\n", rng.pick(&["core", "data", "web", "ops"]));
    let extra = |indent: &str| {
        labels
            .iter()
            .map(|(k, v)| format!("{indent}{k}: {v}\n"))
            .collect::<String>()
    };
    let indent = match kind {
        "Pod" => {
            // A Pod's own labels are its pods' labels.
            out.push_str(&extra("    "));
            out.push_str("spec:\n");
            "  "
        }
        "CronJob" => {
            out.push_str("spec:\n  schedule: \"*/15 * * * *\"\n  jobTemplate:\n    spec:\n      template:\n        metadata:\n          labels:\n            app: ");
            out.push_str(&name);
            out.push('\n');
            out.push_str(&extra("            "));
            out.push_str("        spec:\n");
            "          "
        }
        _ => {
            let _ = write!(out, "spec:\n  replicas: {}\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n{}    spec:\n", 1 + rng.next() % 5, extra("        "));
            "      "
        }
    };
    pod_spec(rng, indent, out);
}

fn pod_spec(rng: &mut Rng, p: &str, out: &mut String) {
    let hardened = rng.chance(40);
    if rng.chance(5) {
        let _ = writeln!(out, "{p}hostNetwork: true");
    }
    if rng.chance(3) {
        let _ = writeln!(out, "{p}hostPID: true");
    }
    if rng.chance(30) {
        let _ = writeln!(
            out,
            "{p}serviceAccountName: app-sa\n{p}automountServiceAccountToken: false"
        );
    }
    if hardened {
        let _ = writeln!(out, "{p}securityContext:\n{p}  runAsNonRoot: true\n{p}  runAsUser: 10001\n{p}  seccompProfile:\n{p}    type: RuntimeDefault");
    } else if rng.chance(20) {
        let _ = writeln!(out, "{p}securityContext:\n{p}  sysctls:\n{p}  - name: net.core.somaxconn\n{p}    value: \"1024\"");
    }
    let _ = writeln!(out, "{p}containers:");
    for c in 0..(1 + rng.next() % 3) {
        let image = rng.pick(&["nginx:1.27", "redis:7.4", "registry.example.com/app/api:2.1.0", "busybox", "ghcr.io/org/worker@sha256:4f5c0a5e2b1f8c6d3e9a7b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e", "postgres:latest"]);
        let _ = write!(
            out,
            "{p}- name: c{c}\n{p}  image: {image}\n{p}  ports:\n{p}  - containerPort: {}\n",
            8000 + c
        );
        if rng.chance(4) {
            let _ = writeln!(out, "{p}    hostPort: {}", 30000 + c);
        }
        let _ = writeln!(
            out,
            "{p}  resources:\n{p}    requests:\n{p}      cpu: 100m\n{p}      memory: 128Mi"
        );
        if rng.chance(50) {
            let _ = writeln!(
                out,
                "{p}    limits:\n{p}      cpu: 500m\n{p}      memory: 256Mi"
            );
        }
        if rng.chance(30) {
            let _ = writeln!(out, "{p}  env:\n{p}  - name: LOG_LEVEL\n{p}    value: info\n{p}  - name: DB_PASSWORD\n{p}    value: hunter2");
        }
        if hardened {
            let _ = writeln!(out, "{p}  securityContext:\n{p}    allowPrivilegeEscalation: false\n{p}    readOnlyRootFilesystem: true\n{p}    capabilities:\n{p}      drop: [\"ALL\"]");
        } else if rng.chance(10) {
            let _ = writeln!(out, "{p}  securityContext:\n{p}    privileged: true");
        } else if rng.chance(10) {
            let _ = writeln!(out, "{p}  securityContext:\n{p}    capabilities:\n{p}      add: [\"NET_ADMIN\", \"SYS_TIME\"]");
        } else if rng.chance(10) {
            let _ = writeln!(out, "{p}  securityContext: null");
        }
        if rng.chance(60) {
            let _ = writeln!(
                out,
                "{p}  livenessProbe:\n{p}    httpGet:\n{p}      path: /healthz\n{p}      port: {}",
                8000 + c
            );
        }
    }
    if rng.chance(15) {
        let _ = writeln!(
            out,
            "{p}volumes:\n{p}- name: host\n{p}  hostPath:\n{p}    path: {}",
            rng.pick(&["/var/run/docker.sock", "/etc", "/var/log", "/proc"])
        );
    } else if rng.chance(40) {
        let _ = writeln!(out, "{p}volumes:\n{p}- name: cache\n{p}  emptyDir: {{}}\n{p}- name: config\n{p}  configMap:\n{p}    name: app-config");
    }
}

fn service(rng: &mut Rng, i: usize, ns: &str, out: &mut String) {
    let kind = rng.pick(&["ClusterIP", "ClusterIP", "NodePort", "LoadBalancer"]);
    let _ = write!(out, "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{i}\n  namespace: {ns}\nspec:\n  type: {kind}\n  selector:\n    app: deployment-{}\n  ports:\n  - port: 80\n    targetPort: 8000\n", i.saturating_sub(1));
}

fn config_map(rng: &mut Rng, i: usize, ns: &str, out: &mut String) {
    let _ = write!(out, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  namespace: {ns}\ndata:\n  LOG_LEVEL: info\n  FEATURE_FLAGS: \"a,b,c\"\n");
    if rng.chance(20) {
        out.push_str("  AWS_SECRET_ACCESS_KEY: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n");
    }
}

fn role(rng: &mut Rng, i: usize, ns: &str, out: &mut String) {
    let (kind, namespace) = if rng.chance(30) {
        ("ClusterRole", String::new())
    } else {
        ("Role", format!("  namespace: {ns}\n"))
    };
    let verbs = rng.pick(&[
        "[\"get\", \"list\", \"watch\"]",
        "[\"*\"]",
        "[\"create\", \"delete\"]",
    ]);
    let resources = rng.pick(&[
        "[\"pods\"]",
        "[\"secrets\"]",
        "[\"*\"]",
        "[\"pods/exec\"]",
        "[\"configmaps\"]",
    ]);
    let _ = write!(out, "apiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata:\n  name: role-{i}\n{namespace}rules:\n- apiGroups: [\"\"]\n  resources: {resources}\n  verbs: {verbs}\n");
}

fn role_binding(rng: &mut Rng, i: usize, ns: &str, out: &mut String) {
    let role = rng.pick(&["view", "edit", "cluster-admin", "role-1"]);
    let _ = write!(out, "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: binding-{i}\n  namespace: {ns}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: {role}\nsubjects:\n- kind: ServiceAccount\n  name: app-sa\n  namespace: {ns}\n");
}

fn network_policy(i: usize, ns: &str, out: &mut String) {
    let _ = write!(out, "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np-{i}\n  namespace: {ns}\nspec:\n  podSelector: {{}}\n  policyTypes: [\"Ingress\"]\n");
}

fn service_account(i: usize, ns: &str, out: &mut String) {
    let _ = write!(
        out,
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa-{i}\n  namespace: {ns}\n"
    );
}

fn secret(i: usize, ns: &str, out: &mut String) {
    let _ = write!(out, "apiVersion: v1\nkind: Secret\nmetadata:\n  name: secret-{i}\n  namespace: {ns}\ntype: Opaque\ndata:\n  password: aHVudGVyMg==\n");
}
