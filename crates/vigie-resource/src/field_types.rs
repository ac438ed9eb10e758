//! The types the Kubernetes API gives the fields vigie's controls read.
//!
//! The API server decodes an object into typed Go structs and refuses it when a
//! field holds a value of another type: `privileged: "true"` is a string where a
//! boolean belongs, and no cluster would run that Pod. vigie refuses such an object
//! too, saying where and why, rather than reading the string as "not privileged".
//! As in Kubernetes, `null` is the same as an absent field and is never refused.
//! Only the fields the controls read are described; others are not checked.

use crate::node::{Node, Pos, Value};
use crate::resource::describe;

/// What a field must hold.
#[derive(Clone, Copy, Debug)]
enum Type {
    Bool,
    /// An integer (`1.0` and `1e3` are integers once decoded, as the API server sees them).
    Int,
    String,
    /// A quantity (`500m`, `1Gi`, `2`): a string or a number.
    Quantity,
    /// A list whose items are all of one type.
    List(&'static Type),
    /// A mapping whose values are all of one type (labels: strings).
    Map(&'static Type),
    /// A mapping with these known fields, sorted by length then name (compared
    /// lengths settle most steps of the search); others are not checked.
    Object(&'static [(&'static str, Type)]),
}

impl Type {
    fn name(self) -> &'static str {
        match self {
            Type::Bool => "a boolean",
            Type::Int => "an integer",
            Type::String => "a string",
            Type::Quantity => "a quantity (a string or a number)",
            Type::List(_) => "a list",
            Type::Map(_) | Type::Object(_) => "a mapping",
        }
    }
}

/// A mapping whose fields are not checked.
const ANY_OBJECT: Type = Type::Object(&[]);
const STRINGS: Type = Type::List(&Type::String);
const STRING_MAP: Type = Type::Map(&Type::String);
const OBJECTS: Type = Type::List(&ANY_OBJECT);

const SE_LINUX_OPTIONS: Type = Type::Object(&[
    ("role", Type::String),
    ("type", Type::String),
    ("user", Type::String),
    ("level", Type::String),
]);
const WINDOWS_OPTIONS: Type = Type::Object(&[
    ("hostProcess", Type::Bool),
    ("runAsUserName", Type::String),
    ("gmsaCredentialSpec", Type::String),
    ("gmsaCredentialSpecName", Type::String),
]);
const PROFILE: Type = Type::Object(&[("type", Type::String), ("localhostProfile", Type::String)]);

const SECURITY_CONTEXT: Type = Type::Object(&[
    ("procMount", Type::String),
    ("runAsUser", Type::Int),
    ("privileged", Type::Bool),
    ("runAsGroup", Type::Int),
    (
        "capabilities",
        Type::Object(&[("add", STRINGS), ("drop", STRINGS)]),
    ),
    ("runAsNonRoot", Type::Bool),
    ("seLinuxOptions", SE_LINUX_OPTIONS),
    ("seccompProfile", PROFILE),
    ("windowsOptions", WINDOWS_OPTIONS),
    ("appArmorProfile", PROFILE),
    ("readOnlyRootFilesystem", Type::Bool),
    ("allowPrivilegeEscalation", Type::Bool),
]);

const POD_SECURITY_CONTEXT: Type = Type::Object(&[
    ("fsGroup", Type::Int),
    (
        "sysctls",
        Type::List(&Type::Object(&[
            ("name", Type::String),
            ("value", Type::String),
        ])),
    ),
    ("runAsUser", Type::Int),
    ("runAsGroup", Type::Int),
    ("runAsNonRoot", Type::Bool),
    ("seLinuxOptions", SE_LINUX_OPTIONS),
    ("seccompProfile", PROFILE),
    ("windowsOptions", WINDOWS_OPTIONS),
    ("appArmorProfile", PROFILE),
    ("supplementalGroups", Type::List(&Type::Int)),
    ("fsGroupChangePolicy", Type::String),
    ("seLinuxChangePolicy", Type::String),
    ("supplementalGroupsPolicy", Type::String),
]);

const CONTAINER: Type = Type::Object(&[
    (
        "env",
        Type::List(&Type::Object(&[
            ("name", Type::String),
            ("value", Type::String),
            ("valueFrom", ANY_OBJECT),
        ])),
    ),
    ("tty", Type::Bool),
    ("args", STRINGS),
    ("name", Type::String),
    ("image", Type::String),
    (
        "ports",
        Type::List(&Type::Object(&[
            ("name", Type::String),
            ("hostIP", Type::String),
            ("hostPort", Type::Int),
            ("protocol", Type::String),
            ("containerPort", Type::Int),
        ])),
    ),
    ("stdin", Type::Bool),
    ("command", STRINGS),
    ("envFrom", OBJECTS),
    ("lifecycle", ANY_OBJECT),
    (
        "resources",
        Type::Object(&[
            ("claims", OBJECTS),
            ("limits", Type::Map(&Type::Quantity)),
            ("requests", Type::Map(&Type::Quantity)),
        ]),
    ),
    ("stdinOnce", Type::Bool),
    ("workingDir", Type::String),
    ("startupProbe", ANY_OBJECT),
    (
        "volumeMounts",
        Type::List(&Type::Object(&[
            ("name", Type::String),
            ("subPath", Type::String),
            ("readOnly", Type::Bool),
            ("mountPath", Type::String),
            ("subPathExpr", Type::String),
            ("mountPropagation", Type::String),
            ("recursiveReadOnly", Type::String),
        ])),
    ),
    ("livenessProbe", ANY_OBJECT),
    ("restartPolicy", Type::String),
    ("readinessProbe", ANY_OBJECT),
    ("imagePullPolicy", Type::String),
    ("securityContext", SECURITY_CONTEXT),
    ("terminationMessagePath", Type::String),
    ("terminationMessagePolicy", Type::String),
]);

const VOLUME: Type = Type::Object(&[
    ("name", Type::String),
    (
        "hostPath",
        Type::Object(&[("path", Type::String), ("type", Type::String)]),
    ),
]);

const POD_SPEC: Type = Type::Object(&[
    ("os", Type::Object(&[("name", Type::String)])),
    ("hostIPC", Type::Bool),
    ("hostPID", Type::Bool),
    ("volumes", Type::List(&VOLUME)),
    ("affinity", ANY_OBJECT),
    ("hostname", Type::String),
    ("nodeName", Type::String),
    ("priority", Type::Int),
    ("dnsPolicy", Type::String),
    ("hostUsers", Type::Bool),
    ("subdomain", Type::String),
    ("containers", Type::List(&CONTAINER)),
    (
        "hostAliases",
        Type::List(&Type::Object(&[
            ("ip", Type::String),
            ("hostnames", STRINGS),
        ])),
    ),
    ("hostNetwork", Type::Bool),
    ("tolerations", OBJECTS),
    ("nodeSelector", STRING_MAP),
    ("restartPolicy", Type::String),
    ("schedulerName", Type::String),
    ("initContainers", Type::List(&CONTAINER)),
    ("serviceAccount", Type::String),
    ("securityContext", POD_SECURITY_CONTEXT),
    (
        "imagePullSecrets",
        Type::List(&Type::Object(&[("name", Type::String)])),
    ),
    ("preemptionPolicy", Type::String),
    ("runtimeClassName", Type::String),
    ("priorityClassName", Type::String),
    ("setHostnameAsFQDN", Type::Bool),
    ("enableServiceLinks", Type::Bool),
    ("serviceAccountName", Type::String),
    ("ephemeralContainers", Type::List(&CONTAINER)),
    ("activeDeadlineSeconds", Type::Int),
    ("shareProcessNamespace", Type::Bool),
    ("automountServiceAccountToken", Type::Bool),
    ("terminationGracePeriodSeconds", Type::Int),
]);

/// `metadata` of an object and of a pod template.
const METADATA: Type = Type::Object(&[
    ("name", Type::String),
    ("labels", STRING_MAP),
    ("namespace", Type::String),
    ("annotations", STRING_MAP),
    ("generateName", Type::String),
    (
        "ownerReferences",
        Type::List(&Type::Object(&[
            ("uid", Type::String),
            ("kind", Type::String),
            ("name", Type::String),
            ("apiVersion", Type::String),
            ("controller", Type::Bool),
            ("blockOwnerDeletion", Type::Bool),
        ])),
    ),
]);

/// A field holding a value of the wrong type.
#[derive(Debug)]
struct Mistyped {
    pos: Pos,
    expected: Type,
    /// The path to the field, innermost step first (it is built on the way out).
    path: Vec<Step>,
}

#[derive(Debug)]
enum Step {
    Key(String),
    Index(usize),
}

/// Checks the fields vigie reads in an object: its `metadata`, and for a workload
/// the metadata and spec of its pod template (`template_path` leads from the root
/// to the template, empty for a Pod). Returns where the first mistyped field is and
/// what is wrong with it.
pub(crate) fn check(root: &Node, template_path: Option<&[&str]>) -> Result<(), (Pos, String)> {
    let result = (|| {
        check_value(root, Type::Object(&[("metadata", METADATA)]))?;
        let Some(keys) = template_path else {
            return Ok(());
        };
        // The way to the template is made of mappings, then the template holds
        // `metadata` and `spec`.
        let mut node = root;
        for (depth, key) in keys.iter().enumerate() {
            let Some(next) = node.get(key) else {
                return Ok(());
            };
            if next.as_map().is_none() {
                return Err(Mistyped {
                    pos: next.pos,
                    expected: ANY_OBJECT,
                    path: keys[..=depth]
                        .iter()
                        .rev()
                        .map(|k| Step::Key(k.to_string()))
                        .collect(),
                });
            }
            node = next;
        }
        let template = Type::Object(&[("spec", POD_SPEC), ("metadata", METADATA)]);
        check_value(node, template).map_err(|mut e| {
            e.path
                .extend(keys.iter().rev().map(|k| Step::Key(k.to_string())));
            e
        })
    })();
    result.map_err(|e| {
        let node = e.node_text(root);
        let path = e.path_text();
        (
            e.pos,
            format!(
                "`{path}` must be {}, found {node}; the API server refuses such an object",
                e.expected.name()
            ),
        )
    })
}

impl Mistyped {
    fn path_text(&self) -> String {
        let mut path = String::new();
        for step in self.path.iter().rev() {
            match step {
                Step::Key(key) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                }
                Step::Index(i) => path.push_str(&format!("[{i}]")),
            }
        }
        path
    }

    /// What the field holds, found again by its path: `a string ("true")`.
    fn node_text(&self, root: &Node) -> String {
        let mut node = root;
        for step in self.path.iter().rev() {
            let next = match step {
                Step::Key(key) => node.get(key),
                Step::Index(i) => node.items().get(*i),
            };
            match next {
                Some(next) => node = next,
                None => return "a value of another type".into(),
            }
        }
        match &node.value {
            Value::String(s) => format!("a string ({s:?})"),
            Value::Seq(_) | Value::Map(_) => describe(node).to_string(),
            _ => format!("{} ({})", describe(node), node.display_value()),
        }
    }
}

fn check_value(node: &Node, expected: Type) -> Result<(), Mistyped> {
    let fits = match (&node.value, expected) {
        (Value::Null, _) => true,
        (Value::Bool(_), Type::Bool) => true,
        (Value::Int(_), Type::Int | Type::Quantity) => true,
        (Value::Float(_), Type::Int) => node.as_i64().is_some(),
        (Value::Float(_), Type::Quantity) => true,
        (Value::String(_), Type::String | Type::Quantity) => true,
        (Value::Seq(items), Type::List(item)) => {
            for (i, value) in items.iter().enumerate() {
                check_value(value, *item).map_err(|mut e| {
                    e.path.push(Step::Index(i));
                    e
                })?;
            }
            true
        }
        (Value::Map(entries), Type::Map(value)) => {
            for entry in entries.iter() {
                check_value(&entry.value, *value).map_err(|e| e.under(&entry.key))?;
            }
            true
        }
        (Value::Map(_), Type::Object([])) => true,
        (Value::Map(entries), Type::Object(fields)) => {
            for entry in entries.iter() {
                let key = entry.key.as_str();
                let found = fields.binary_search_by(|(name, _)| {
                    name.len().cmp(&key.len()).then_with(|| (*name).cmp(key))
                });
                if let Ok(i) = found {
                    check_value(&entry.value, fields[i].1).map_err(|e| e.under(&entry.key))?;
                }
            }
            true
        }
        _ => false,
    };
    if fits {
        Ok(())
    } else {
        Err(Mistyped {
            pos: node.pos,
            expected,
            path: Vec::new(),
        })
    }
}

impl Mistyped {
    fn under(mut self, key: &str) -> Self {
        self.path.push(Step::Key(key.to_string()));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lookups are binary searches: every table must be sorted.
    #[test]
    fn field_tables_are_sorted() {
        fn sorted(ty: Type) {
            match ty {
                Type::Object(fields) => {
                    assert!(
                        fields
                            .windows(2)
                            .all(|w| (w[0].0.len(), w[0].0) < (w[1].0.len(), w[1].0)),
                        "{:?}",
                        fields.iter().map(|f| f.0).collect::<Vec<_>>()
                    );
                    fields.iter().for_each(|f| sorted(f.1));
                }
                Type::List(item) | Type::Map(item) => sorted(*item),
                _ => {}
            }
        }
        sorted(POD_SPEC);
        sorted(METADATA);
    }
}
