//! Running the checks over the input and gathering a report.
//!
//! Objects are checked as they are parsed (by the Pod Security checks and the
//! object-scope controls) and dropped, except those of the kinds a cluster-scope
//! control needs, which are kept and checked together at the end.

use std::collections::BTreeSet;

use rayon::prelude::*;
use vigie_finding::{
    ControlSummary, Finding, InputError, Location, Report, ScannedResource, SeverityCounts, Totals,
};
use vigie_resource::{load_each, pod_template, LoadOptions, Resource};

mod checks;
mod finding;
mod violations;

pub use checks::known_control_ids;
use checks::{framework_summaries, profile, select_checks, Check};
use finding::{finding, input_error, CheckTexts, ObjectRef};
pub use violations::{check_violations, CheckViolation};

use crate::config::Config;
use crate::control::{ClusterOutcome, Control, Evaluator, Inventory, InventoryIndex};
use crate::exceptions::{inline_problems, Date, Exceptions};
use crate::frameworks::Framework;
use crate::pss::Version;

/// What a scan checks, and with which settings.
#[derive(Clone, Debug)]
pub struct ScanConfig {
    /// The frameworks whose controls run.
    pub frameworks: Vec<Framework>,
    /// The version of the Pod Security Standards the checks follow.
    pub pss_version: Version,
    /// The controls' settings.
    pub config: Config,
    /// The exceptions file's exceptions (inline ones are read from each object).
    pub exceptions: Exceptions,
    /// The day exceptions' expiry dates are compared with.
    pub today: Date,
}

impl Default for ScanConfig {
    fn default() -> Self {
        Self {
            frameworks: vec![Framework::PssRestricted],
            pss_version: Version::LATEST,
            config: Config::default(),
            exceptions: Exceptions::default(),
            today: Date::today(),
        }
    }
}

/// Everything one object produced.
pub(crate) struct ObjectResult<B> {
    scanned: ScannedResource,
    /// The object's findings, encoded; `None` when it has none.
    batch: Option<B>,
    failed: Vec<u32>,
    active: SeverityCounts,
    excepted: usize,
    notes: Vec<InputError>,
    kept: Option<(Resource, ObjectRef)>,
}

/// A scan ready to run: the checks its settings select.
pub struct Scan<'s> {
    settings: &'s ScanConfig,
    checks: Vec<Check>,
    texts: Vec<CheckTexts>,
    known: Vec<&'static str>,
    /// Kinds some selected cross-object control reads: objects of these kinds
    /// are kept until the end.
    keep_kinds: BTreeSet<&'static str>,
}

/// Loads the inputs, runs the selected checks and returns the report with
/// every finding in it. For inputs too large to hold their findings, see [`Scan::run`].
pub fn scan(inputs: &[String], options: &LoadOptions, settings: &ScanConfig) -> Report {
    let mut findings = Vec::new();
    let mut report = Scan::new(settings).run(
        inputs,
        options,
        |_, batch| batch,
        |batch| findings.extend(batch),
    );
    report.findings = findings;
    report
}

impl<'s> Scan<'s> {
    /// A scan with `settings`, its checks selected once.
    pub fn new(settings: &'s ScanConfig) -> Self {
        let checks = select_checks(&settings.frameworks, settings.pss_version);
        let keep_kinds = checks
            .iter()
            .filter_map(|c| match c {
                Check::Control(Control {
                    evaluator: Evaluator::Cluster { needs, .. },
                    ..
                }) => Some(needs.iter().copied()),
                _ => None,
            })
            .flatten()
            .collect();
        Scan {
            settings,
            texts: checks.iter().map(|&c| CheckTexts::of(c)).collect(),
            checks,
            known: known_control_ids(),
            keep_kinds,
        }
    }

    /// The IDs of the selected checks that read objects of `kind`: those a
    /// scan loses when it cannot read them (a cluster that forbids listing
    /// them). Object checks are asked about a sample object of the kind, with
    /// a pod template when the kind has one; cross-object controls name the
    /// kinds they need.
    pub fn controls_reading(&self, api_version: &str, kind: &str) -> Vec<&'static str> {
        let sample = format!(
            "apiVersion: {api_version}\nkind: {kind}\nmetadata: {{name: sample, namespace: sample}}\n\
             spec:\n  containers: [{{name: c, image: sample}}]\n\
             \x20 template: {{spec: {{containers: [{{name: c, image: sample}}]}}}}\n\
             \x20 jobTemplate: {{spec: {{template: {{spec: {{containers: [{{name: c, image: sample}}]}}}}}}}}\n"
        );
        let sample =
            vigie_resource::load_text(&sample, "sample", &vigie_resource::Limits::default())
                .resources
                .pop();
        let has_template = sample.as_ref().is_some_and(|r| pod_template(r).is_some());
        self.checks
            .iter()
            .filter(|check| match check {
                Check::Pss(_) => has_template,
                Check::Control(Control {
                    evaluator: Evaluator::Object { applies, .. },
                    ..
                }) => sample.as_ref().is_some_and(applies),
                Check::Control(Control {
                    evaluator: Evaluator::Cluster { needs, .. },
                    ..
                }) => needs.contains(&kind),
            })
            .map(|check| check.id())
            .collect()
    }

    /// The report as it stands before any input is read: the tool, the profile
    /// and the controls that will run, nothing counted yet. A writer begins with it.
    pub fn head(&self) -> Report {
        Report {
            tool_name: "vigie".into(),
            tool_version: env!("CARGO_PKG_VERSION").into(),
            profile: profile(self.settings),
            controls: self
                .checks
                .iter()
                .map(|c| ControlSummary {
                    id: c.id().to_string(),
                    title: c.title().to_string(),
                    severity: c.severity(),
                    description: c.summary(),
                    remediation: c.remediation().to_string(),
                    cross_object: c.is_cross_object(),
                    evaluated: 0,
                    failed: 0,
                })
                .collect(),
            frameworks: Vec::new(),
            resources: Vec::new(),
            findings: Vec::new(),
            totals: Totals::default(),
            errors: Vec::new(),
        }
    }

    /// Loads the inputs and runs the checks without gathering the findings:
    /// `encode` gets the findings of each resource on the thread that made
    /// them, and `accept` what it returns, on the calling thread, in report
    /// order (objects in input order, then the findings of cross-object
    /// controls, object by object). The report returned counts every finding
    /// but holds none.
    pub fn run<B: Send>(
        &self,
        inputs: &[String],
        options: &LoadOptions,
        encode: impl Fn(&Location, Vec<Finding>) -> B + Sync,
        accept: impl FnMut(B),
    ) -> Report {
        self.run_fed(encode, accept, |visit, consume| {
            let loaded = load_each(inputs, options, visit, consume);
            loaded.diagnostics.iter().map(input_error).collect()
        })
    }

    /// Runs the checks over resources from any source (a live cluster, a
    /// caller's own reader), as [`Scan::run`] does over files: the resources
    /// are taken from `resources` as they come (a channel's receiver lets a
    /// producer stream them in), checked in parallel a slice at a time and
    /// dropped, except those a cross-object control needs, so memory holds one
    /// slice whatever the number of objects. Findings reach `accept` in the
    /// order the resources came. Problems of the source are the caller's to add
    /// to the report's `errors`.
    pub fn run_resources<B: Send>(
        &self,
        resources: impl Iterator<Item = Resource>,
        encode: impl Fn(&Location, Vec<Finding>) -> B + Sync,
        accept: impl FnMut(B),
    ) -> Report {
        /// Resources checked at once: enough to keep every thread busy, few
        /// enough that a slice of large objects stays small.
        const SLICE: usize = 1024;
        let mut resources = resources;
        self.run_fed(encode, accept, |visit, consume| {
            loop {
                let slice: Vec<Resource> = resources.by_ref().take(SLICE).collect();
                if slice.is_empty() {
                    break;
                }
                let results: Vec<_> = slice.into_par_iter().map(visit).collect();
                results.into_iter().for_each(&mut *consume);
            }
            Vec::new()
        })
    }

    /// The scan over whatever `feed` reads: `feed` hands each resource to its
    /// first argument (on any thread) and each result to its second (on the
    /// calling thread, in report order), and returns the problems of its input.
    fn run_fed<B: Send>(
        &self,
        encode: impl Fn(&Location, Vec<Finding>) -> B + Sync,
        mut accept: impl FnMut(B),
        feed: impl FnOnce(
            &(dyn Fn(Resource) -> ObjectResult<B> + Sync),
            &mut dyn FnMut(ObjectResult<B>),
        ) -> Vec<InputError>,
    ) -> Report {
        let mut tally = Tally {
            report: self.head(),
            failed_objects: Vec::new(),
            notes: Vec::new(),
        };
        let mut kept = Kept::default();
        let input_errors = feed(
            &|resource| self.scan_object(resource, &encode),
            &mut |result| {
                if let Some((resource, object)) = result.kept {
                    kept.owner.push(tally.report.resources.len());
                    kept.resources.push(resource);
                    kept.objects.push(object);
                }
                tally.add_object(
                    result.scanned,
                    &result.failed,
                    &result.active,
                    result.excepted,
                );
                tally.notes.extend(result.notes);
                if let Some(batch) = result.batch {
                    accept(batch);
                }
            },
        );
        self.run_cross_object(&kept, &mut tally, &encode, &mut accept);

        let Tally {
            mut report,
            failed_objects,
            notes,
        } = tally;
        for resource in &report.resources {
            for &i in &resource.controls {
                report.controls[i as usize].evaluated += 1;
            }
        }
        report.totals.failed_resources = failed_objects.iter().filter(|&&f| f).count();
        report.frameworks = framework_summaries(
            &self.settings.frameworks,
            &self.checks,
            &report.controls,
            self.settings.pss_version,
        );
        report.errors = input_errors;
        report.errors.extend(notes);
        // Freeing 100,000 kept trees takes a fifth of a second: a thread of its
        // own does it while the caller finishes the report.
        std::thread::spawn(move || drop(kept));
        report
    }

    /// Runs the cross-object controls over the kept objects, in parallel, and
    /// hands their findings over object by object.
    fn run_cross_object<B: Send>(
        &self,
        kept: &Kept,
        tally: &mut Tally,
        encode: &(impl Fn(&Location, Vec<Finding>) -> B + Sync),
        accept: &mut impl FnMut(B),
    ) {
        let index = InventoryIndex::new(&kept.resources);
        let inventory = Inventory::new(&kept.resources, &index);
        let controls: Vec<(usize, &Control)> = self
            .checks
            .iter()
            .enumerate()
            .filter_map(|(position, check)| match check {
                Check::Control(control) if check.is_cross_object() => Some((position, *control)),
                _ => None,
            })
            .collect();
        let outcomes: Vec<CrossObjectOutcome> = controls
            .par_iter()
            .map(|&(position, control)| {
                self.run_control(position, control, &inventory, &kept.objects)
            })
            .collect();
        // Findings of each kept object, in the order of the controls.
        let mut by_object: Vec<Vec<Finding>> = std::iter::repeat_with(Vec::new)
            .take(kept.resources.len())
            .collect();
        for ((position, _), outcome) in controls.iter().zip(outcomes) {
            for i in outcome.evaluated {
                tally.report.resources[kept.owner[i]]
                    .controls
                    .push(*position as u32);
            }
            let mut failed = BTreeSet::new();
            for (i, finding) in outcome.findings {
                if finding.exception.is_none() {
                    failed.insert(i);
                    tally.failed_objects[kept.owner[i]] = true;
                    tally.report.totals.active.add(finding.severity);
                } else {
                    tally.report.totals.excepted += 1;
                }
                by_object[i].push(finding);
            }
            tally.notes.extend(outcome.notes);
            tally.report.controls[*position].failed += failed.len() as u32;
        }
        // Encoded in parallel, a slice of objects at a time so that the
        // encoded batches waiting to be written stay few.
        let mut groups = by_object
            .into_iter()
            .enumerate()
            .filter(|(_, findings)| !findings.is_empty());
        loop {
            let slice: Vec<(usize, Vec<Finding>)> = groups.by_ref().take(4096).collect();
            if slice.is_empty() {
                break;
            }
            let batches: Vec<B> = slice
                .into_par_iter()
                .map(|(i, findings)| {
                    let start = kept.objects[i].location(kept.resources[i].pos);
                    encode(&start, findings)
                })
                .collect();
            batches.into_iter().for_each(&mut *accept);
        }
    }

    /// Runs one cross-object control over the kept objects.
    fn run_control(
        &self,
        position: usize,
        control: &Control,
        inventory: &Inventory<'_>,
        objects: &[ObjectRef],
    ) -> CrossObjectOutcome {
        let Evaluator::Cluster { evaluate, .. } = control.evaluator else {
            unreachable!("only cross-object controls run here");
        };
        let mut outcome = ClusterOutcome::default();
        evaluate(inventory, &self.settings.config, &mut outcome);
        let mut result = CrossObjectOutcome {
            evaluated: outcome.evaluated,
            findings: Vec::with_capacity(outcome.violations.len()),
            notes: Vec::new(),
        };
        for (i, violation) in outcome.violations {
            let resource = &inventory.resources[i];
            let (finding, note) = finding(
                &self.texts[position],
                control.severity,
                &objects[i],
                resource,
                violation,
                &self.settings.exceptions.for_object(resource),
                self.settings.today,
            );
            result.findings.push((i, finding));
            result.notes.extend(note);
        }
        result
    }

    fn scan_object<B>(
        &self,
        resource: Resource,
        encode: &impl Fn(&Location, Vec<Finding>) -> B,
    ) -> ObjectResult<B> {
        let settings = self.settings;
        let object = ObjectRef::new(&resource);
        let location = object.location(resource.pos);
        let mut result = ObjectResult {
            scanned: ScannedResource {
                resource: object.reference.clone(),
                location: location.clone(),
                controls: Vec::new(),
            },
            batch: None,
            failed: Vec::new(),
            active: SeverityCounts::default(),
            excepted: 0,
            notes: inline_problems(&resource, &self.known)
                .into_iter()
                .map(|(pos, reason)| InputError {
                    reason,
                    ..object.problem(pos, true)
                })
                .collect(),
            kept: None,
        };
        let template = pod_template(&resource);
        let mut findings = Vec::new();
        let mut violations = Vec::new();
        // Read when the object has a first finding.
        let mut exceptions = None;
        for (index, &check) in self.checks.iter().enumerate() {
            match check {
                Check::Pss(pss_check) => {
                    let Some(template) = template else { continue };
                    let pod = crate::pod::Pod::new(template);
                    (pss_check.evaluate)(&pod, settings.pss_version, &mut violations);
                }
                Check::Control(control) => match control.evaluator {
                    Evaluator::Object { applies, evaluate } => {
                        if !applies(&resource) {
                            continue;
                        }
                        evaluate(&resource, &settings.config, &mut violations);
                    }
                    Evaluator::Cluster { .. } => continue,
                },
            }
            result.scanned.controls.push(index as u32);
            let mut counts = false;
            for violation in violations.drain(..) {
                let exceptions =
                    exceptions.get_or_insert_with(|| settings.exceptions.for_object(&resource));
                let (finding, note) = finding(
                    &self.texts[index],
                    check.severity(),
                    &object,
                    &resource,
                    violation,
                    exceptions,
                    settings.today,
                );
                if finding.exception.is_none() {
                    counts = true;
                    result.active.add(finding.severity);
                } else {
                    result.excepted += 1;
                }
                findings.push(finding);
                result.notes.extend(note);
            }
            if counts {
                result.failed.push(index as u32);
            }
        }
        if !findings.is_empty() {
            result.batch = Some(encode(&location, findings));
        }
        // Grown a control at a time; kept for the whole scan, so only what it holds.
        result.scanned.controls.shrink_to_fit();
        if self.keep_kinds.contains(resource.kind.as_str()) {
            let mut resource = resource;
            drop_unread_container_fields(&mut resource);
            result.kept = Some((resource, object));
        }
        result
    }
}

/// Fields of a container that no cross-object control reads. A workload kept
/// for the cross-object controls (all of them, with every framework) is kept
/// until the end of the scan: without these, which make up about half of a
/// typical workload's tree, that costs half the memory. The object-scope checks
/// have read the whole object already. `scan::tests` checks that every
/// cross-object control finds the same on objects without them.
const UNREAD_CONTAINER_KEYS: &[&str] = &[
    "env",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "resources",
    "securityContext",
    "lifecycle",
];

/// Drops [`UNREAD_CONTAINER_KEYS`] from the containers of a workload's pod
/// template(s). Only the container mappings change: the keys on the way to the
/// template (which the resource's template position indexes) stay where they are.
fn drop_unread_container_fields(resource: &mut Resource) {
    if pod_template(resource).is_none() {
        return;
    }
    drop_in_containers(&mut resource.root);
}

fn drop_in_containers(node: &mut vigie_resource::Node) {
    use vigie_resource::Value;
    let Value::Map(entries) = &mut node.value else {
        return;
    };
    for entry in entries.iter_mut() {
        match (entry.key.as_str(), &mut entry.value.value) {
            ("containers" | "initContainers" | "ephemeralContainers", Value::Seq(items)) => {
                for container in items.iter_mut() {
                    let Value::Map(fields) = &mut container.value else {
                        continue;
                    };
                    if fields
                        .iter()
                        .any(|f| UNREAD_CONTAINER_KEYS.contains(&f.key.as_str()))
                    {
                        *fields = std::mem::take(fields)
                            .into_vec()
                            .into_iter()
                            .filter(|f| !UNREAD_CONTAINER_KEYS.contains(&f.key.as_str()))
                            .collect();
                    }
                }
            }
            ("metadata" | "status", _) => {}
            _ => drop_in_containers(&mut entry.value),
        }
    }
}

/// The objects kept for cross-object controls.
#[derive(Default)]
struct Kept {
    resources: Vec<Resource>,
    objects: Vec<ObjectRef>,
    /// Index in the report's resources of each kept object.
    owner: Vec<usize>,
}

/// What a scan has counted so far.
struct Tally {
    report: Report,
    /// For each scanned resource, whether it has an active finding.
    failed_objects: Vec<bool>,
    notes: Vec<InputError>,
}

impl Tally {
    /// Counts an object checked by the object-scope checks.
    fn add_object(
        &mut self,
        scanned: ScannedResource,
        failed: &[u32],
        active: &SeverityCounts,
        excepted: usize,
    ) {
        for &i in failed {
            self.report.controls[i as usize].failed += 1;
        }
        self.report.totals.active.merge(active);
        self.report.totals.excepted += excepted;
        self.failed_objects.push(active.total() > 0);
        self.report.resources.push(scanned);
    }
}

/// What one cross-object control found, by index of the kept objects.
struct CrossObjectOutcome {
    evaluated: Vec<usize>,
    findings: Vec<(usize, Finding)>,
    notes: Vec<InputError>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use vigie_resource::{load_text, Limits};

    /// Workloads with every dropped field, related to Services, Secrets,
    /// ConfigMaps, NetworkPolicies and RBAC, as the cross-object controls read them.
    const OBJECTS: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: admin
      volumes:
      - {name: creds, secret: {secretName: db}}
      - {name: conf, configMap: {name: settings}}
      initContainers:
      - name: init
        image: busybox
        env: [{name: A, value: b}]
        securityContext: {privileged: true}
      containers:
      - name: c
        image: registry.k8s.io/ingress-nginx/controller:v1.9.0
        ports: [{containerPort: 22}, {containerPort: 2379}]
        env: [{name: TOKEN, valueFrom: {secretKeyRef: {name: db, key: token}}}]
        resources: {limits: {cpu: '1'}}
        livenessProbe: {httpGet: {path: /, port: 22}}
        readinessProbe: {tcpSocket: {port: 22}}
        startupProbe: {exec: {command: [true]}}
        lifecycle: {preStop: {exec: {command: [sleep, '1']}}}
        securityContext: {privileged: true, runAsUser: 0}
        volumeMounts:
        - {name: creds, mountPath: /creds, subPath: token}
        - {name: conf, mountPath: /conf}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: shop}
spec:
  schedule: '@daily'
  jobTemplate:
    spec:
      template:
        metadata: {labels: {app: nightly}}
        spec:
          containers:
          - name: c
            image: nginx
            env: [{name: A, value: b}]
            resources: {requests: {cpu: 10m}}
            securityContext: {allowPrivilegeEscalation: true}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 22, targetPort: 22}]
---
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: admin, namespace: shop}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: admin, namespace: shop}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cluster-admin}
rules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]
";

    fn resources() -> Vec<Resource> {
        let mut texts = vec![OBJECTS.to_string()];
        let examples = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");
        let mut dirs = vec![std::path::PathBuf::from(examples)];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                    texts.push(std::fs::read_to_string(path).unwrap());
                }
            }
        }
        texts
            .iter()
            .flat_map(|t| load_text(t, "objects.yaml", &Limits::default()).resources)
            .collect()
    }

    #[test]
    fn cross_object_controls_find_the_same_without_the_dropped_container_fields() {
        let whole = resources();
        let mut pruned = whole.clone();
        pruned.iter_mut().for_each(drop_unread_container_fields);
        // The fields are gone, and a workload still has its pod template.
        let web = &pruned[0];
        let container = &pod_template(web)
            .unwrap()
            .spec
            .get("containers")
            .unwrap()
            .items()[0];
        assert!(container.get("env").is_none() && container.get("securityContext").is_none());
        assert!(container.get("ports").is_some() && container.get("volumeMounts").is_some());
        assert_ne!(format!("{:?}", whole[0].root), format!("{:?}", web.root));
        let config = Config::default();
        let mut with_violations = 0;
        for control in crate::controls::all() {
            if !matches!(control.evaluator, Evaluator::Cluster { .. }) {
                continue;
            }
            let before = control.run(&whole, &config);
            let after = control.run(&pruned, &config);
            assert_eq!(before.evaluated, after.evaluated, "{}", control.id);
            assert_eq!(before.violations, after.violations, "{}", control.id);
            with_violations += usize::from(!before.violations.is_empty());
        }
        assert!(with_violations >= 5, "the objects give the controls work");
    }
}
