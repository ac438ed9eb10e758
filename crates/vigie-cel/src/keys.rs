//! Strings that recur in every Kubernetes object (field names, kinds, API
//! versions, enumerated values), kept once as static text.
//!
//! Converting an object to CEL values copied each of its strings into an
//! allocation of its own, and a `has()` test of a missing field allocated
//! the error it then discarded. Measured on the Pod Security CEL policies
//! (docs/policy.md, Benchmark), a string found here is borrowed instead and
//! its error shared: fewer allocations, and the keys a lookup compares sit
//! together in read-only memory rather than scattered over the heap.

use std::sync::{Arc, OnceLock};

use cel::ExecutionError;

/// The strings, in no particular order.
const WELL_KNOWN: &[&str] = &[
    // Top level and metadata.
    "apiVersion",
    "kind",
    "metadata",
    "spec",
    "status",
    "data",
    "stringData",
    "type",
    "name",
    "namespace",
    "generateName",
    "labels",
    "annotations",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "ownerReferences",
    "finalizers",
    "managedFields",
    "controller",
    "blockOwnerDeletion",
    // Workloads.
    "replicas",
    "selector",
    "matchLabels",
    "matchExpressions",
    "template",
    "jobTemplate",
    "schedule",
    "strategy",
    "serviceName",
    "minReadySeconds",
    "revisionHistoryLimit",
    "backoffLimit",
    "completions",
    "parallelism",
    "concurrencyPolicy",
    "suspend",
    // Pod spec.
    "containers",
    "initContainers",
    "ephemeralContainers",
    "volumes",
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "hostUsers",
    "hostAliases",
    "securityContext",
    "serviceAccountName",
    "serviceAccount",
    "automountServiceAccountToken",
    "nodeName",
    "nodeSelector",
    "affinity",
    "tolerations",
    "restartPolicy",
    "dnsPolicy",
    "priorityClassName",
    "runtimeClassName",
    "schedulingGates",
    "terminationGracePeriodSeconds",
    "imagePullSecrets",
    "shareProcessNamespace",
    "topologySpreadConstraints",
    "os",
    // Containers.
    "image",
    "imagePullPolicy",
    "command",
    "args",
    "workingDir",
    "env",
    "envFrom",
    "value",
    "valueFrom",
    "ports",
    "containerPort",
    "hostPort",
    "hostIP",
    "protocol",
    "resources",
    "limits",
    "requests",
    "cpu",
    "memory",
    "ephemeral-storage",
    "volumeMounts",
    "mountPath",
    "subPath",
    "readOnly",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "lifecycle",
    "stdin",
    "tty",
    // Security contexts.
    "privileged",
    "allowPrivilegeEscalation",
    "readOnlyRootFilesystem",
    "runAsNonRoot",
    "runAsUser",
    "runAsGroup",
    "fsGroup",
    "fsGroupChangePolicy",
    "supplementalGroups",
    "capabilities",
    "add",
    "drop",
    "seccompProfile",
    "localhostProfile",
    "appArmorProfile",
    "seLinuxOptions",
    "user",
    "role",
    "level",
    "procMount",
    "sysctls",
    "windowsOptions",
    "hostProcess",
    // Volumes.
    "hostPath",
    "path",
    "emptyDir",
    "configMap",
    "secret",
    "secretName",
    "persistentVolumeClaim",
    "claimName",
    "projected",
    "sources",
    "downwardAPI",
    "csi",
    "ephemeral",
    "items",
    "key",
    // Admission requests.
    "operation",
    "group",
    "version",
    "subResource",
    "dryRun",
    "userInfo",
    "username",
    "groups",
    // Kinds and API versions.
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "Namespace",
    "Service",
    "ConfigMap",
    "Secret",
    "v1",
    "apps/v1",
    "batch/v1",
    // Enumerated values.
    "RuntimeDefault",
    "Localhost",
    "Unconfined",
    "Default",
    "Unmasked",
    "ALL",
    "NET_BIND_SERVICE",
    "TCP",
    "UDP",
    "SCTP",
    "Always",
    "Never",
    "IfNotPresent",
    "OnFailure",
    "CREATE",
    "UPDATE",
    "DELETE",
    "CONNECT",
];

/// Slots of the lookup table: a power of two, under half full.
const SLOTS: usize = 512;

/// [`WELL_KNOWN`] without repeats, and an open-addressing table of their
/// positions (plus one; zero is an empty slot) by [`hash`].
struct Table {
    strings: Vec<&'static str>,
    slots: [u16; SLOTS],
}

/// Most strings of an object are looked up and not found (names, images):
/// the hash reads four bytes, and the probe usually ends at an empty slot
/// or on a length that differs, without comparing text. Measured, a
/// binary search over the sorted strings compared text at most steps and
/// cost more cache misses than the allocations it saved.
fn hash(s: &str) -> usize {
    let b = s.as_bytes();
    let (first, middle, last) = match b {
        [] => (0, 0, 0),
        _ => (b[0], b[b.len() / 2], b[b.len() - 1]),
    };
    let x =
        b.len() as u64 | u64::from(first) << 16 | u64::from(middle) << 24 | u64::from(last) << 32;
    (x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SLOTS.trailing_zeros())) as usize
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = Table {
            strings: Vec::new(),
            slots: [0; SLOTS],
        };
        for s in WELL_KNOWN {
            if position_in(&t, s).is_some() {
                continue;
            }
            let mut i = hash(s);
            while t.slots[i] != 0 {
                i = (i + 1) % SLOTS;
            }
            t.strings.push(s);
            t.slots[i] = t.strings.len() as u16;
        }
        t
    })
}

fn position_in(t: &Table, s: &str) -> Option<usize> {
    let mut i = hash(s);
    loop {
        let n = usize::from(t.slots[i]).checked_sub(1)?;
        let k = t.strings.get(n)?;
        if k.len() == s.len() && *k == s {
            return Some(n);
        }
        i = (i + 1) % SLOTS;
    }
}

fn position(s: &str) -> Option<usize> {
    position_in(table(), s)
}

/// `s` as static text, when it is one of the well-known strings.
pub(crate) fn intern(s: &str) -> Option<&'static str> {
    position(s).map(|i| table().strings[i])
}

/// The engine's error for a map without the key `key`, shared when `key`
/// is well known (its text made once), else made here.
pub(crate) fn no_such_key(key: &str) -> ExecutionError {
    static TEXTS: OnceLock<Vec<Arc<String>>> = OnceLock::new();
    let text = match position(key) {
        Some(i) => TEXTS.get_or_init(|| {
            table()
                .strings
                .iter()
                .map(|k| Arc::new(k.to_string()))
                .collect()
        })[i]
            .clone(),
        None => Arc::new(key.to_string()),
    };
    ExecutionError::NoSuchKey(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_strings_are_found_and_others_are_not() {
        for s in WELL_KNOWN {
            assert_eq!(intern(s), Some(*s));
        }
        for s in ["", "spec2", "Spec", "containers ", "app", "x"] {
            assert_eq!(intern(s), None, "{s:?}");
        }
    }

    #[test]
    fn errors_name_the_key_either_way() {
        for key in ["securityContext", "not-a-field"] {
            match no_such_key(key) {
                ExecutionError::NoSuchKey(text) => assert_eq!(*text, key),
                other => panic!("{other:?}"),
            }
        }
    }
}
