//! Inputs of the posture controls: registries, sensitive names, label sets.
//!
//! Every field has a documented default; a config file (`vigie scan --config
//! FILE`) overrides the fields it names. See docs/config.md.

use vigie_resource::{parse_documents, Node, Pos, Value};

/// Settings the posture controls read.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Registries images may come from (prefixes of the image reference). Empty: any.
    pub allowed_registries: Vec<String>,
    /// Registries images must not come from (prefixes).
    pub untrusted_registries: Vec<String>,
    /// Registries considered public (for the image provenance controls).
    pub public_registries: Vec<String>,
    /// Repositories that need not be pinned by digest (prefixes).
    pub digest_exempt_repositories: Vec<String>,
    /// Substrings of environment variable and ConfigMap key names that hold credentials.
    pub sensitive_key_names: Vec<String>,
    /// Key names that look sensitive but are not: a key containing one of these
    /// (case-insensitive) is never reported.
    pub sensitive_key_names_allowed: Vec<String>,
    /// Regular expressions for values that are credentials whatever their key
    /// (matched case-insensitively; an invalid expression is matched literally).
    pub sensitive_values: Vec<String>,
    /// Values never reported as credentials (regular expressions).
    pub sensitive_values_allowed: Vec<String>,
    /// Labels every workload should carry.
    pub recommended_labels: Vec<String>,
    /// The `app.kubernetes.io/*` labels every workload should carry.
    pub k8s_recommended_labels: Vec<String>,
    /// RuntimeClasses that provide a hardened sandbox (gVisor, Kata).
    pub sandbox_runtime_classes: Vec<String>,
    /// Namespaces whose workloads must run in a sandbox RuntimeClass (untrusted
    /// or multi-tenant code). Default: none; a pod template can also ask for it
    /// with the label `vigie.dev/sandbox: required`.
    pub sandbox_required_namespaces: Vec<String>,
    /// Capabilities a container may add without a finding.
    pub allowed_capabilities: Vec<String>,
    /// Capabilities that give a container power over the node or its network
    /// (`SYS_ADMIN`, `NET_ADMIN`...): adding one is a finding. `ALL` counts as
    /// every one of them.
    pub insecure_capabilities: Vec<String>,
    /// The oldest Kubernetes minor version still supported, `1.32`: a node
    /// whose kubelet is older runs an end-of-life release.
    pub oldest_supported_kubernetes: Vec<String>,
    /// Image tags that move like `latest` (`alpine`, `stable`): an image with one
    /// needs `imagePullPolicy: Always`. `latest` and untagged images always count.
    /// Default: none.
    pub floating_image_tags: Vec<String>,
    /// Bounds on container CPU requests and limits (one quantity each, `250m`,
    /// `2`); empty: unbounded. Default: unbounded.
    pub cpu_request_min: Vec<String>,
    /// See `cpu_request_min`.
    pub cpu_request_max: Vec<String>,
    /// See `cpu_request_min`.
    pub cpu_limit_min: Vec<String>,
    /// See `cpu_request_min`.
    pub cpu_limit_max: Vec<String>,
    /// Bounds on container memory requests and limits (one quantity each,
    /// `128Mi`, `1G`); empty: unbounded. Default: unbounded.
    pub memory_request_min: Vec<String>,
    /// See `memory_request_min`.
    pub memory_request_max: Vec<String>,
    /// See `memory_request_min`.
    pub memory_limit_min: Vec<String>,
    /// See `memory_request_min`.
    pub memory_limit_max: Vec<String>,
    /// Ceilings on the CPU and memory limits of Agent Sandbox (SandboxTemplate)
    /// containers (one quantity each); empty: a limit must be set, any value.
    /// Default: none.
    pub sandbox_cpu_limit_max: Vec<String>,
    /// See `sandbox_cpu_limit_max`.
    pub sandbox_memory_limit_max: Vec<String>,
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

impl Default for Config {
    fn default() -> Self {
        Self {
            allowed_registries: Vec::new(),
            untrusted_registries: Vec::new(),
            // Empty: which registries count as public is a site's policy, and
            // flagging every Docker Hub image by default would drown real findings.
            public_registries: Vec::new(),
            digest_exempt_repositories: Vec::new(),
            sensitive_key_names: strings(&[
                "password",
                "passwd",
                "pwd",
                "secret",
                "token",
                "api_key",
                "apikey",
                "access_key",
                "private_key",
                "credential",
                "bearer",
                "jwt",
                "aws_access_key_id",
                "aws_secret_access_key",
                "client_secret",
                "connection_string",
            ]),
            sensitive_key_names_allowed: strings(&["keycloak_url", "key_file", "secret_name"]),
            sensitive_values: strings(&[
                r"AKIA[0-9A-Z]{16}",
                r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
                r"(?i)^bearer\s+[a-z0-9._~+/-]+=*$",
                r"xox[baprs]-[0-9A-Za-z-]{10,}",
                r"gh[pousr]_[0-9A-Za-z]{36}",
                // A signed JSON Web Token: base64url JSON header and payload.
                r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.",
            ]),
            sensitive_values_allowed: Vec::new(),
            recommended_labels: strings(&["app", "owner", "env"]),
            k8s_recommended_labels: strings(&[
                "app.kubernetes.io/name",
                "app.kubernetes.io/instance",
                "app.kubernetes.io/version",
                "app.kubernetes.io/component",
                "app.kubernetes.io/part-of",
                "app.kubernetes.io/managed-by",
                "app.kubernetes.io/created-by",
            ]),
            sandbox_runtime_classes: strings(&["gvisor", "kata", "kata-containers", "runsc"]),
            sandbox_required_namespaces: Vec::new(),
            allowed_capabilities: Vec::new(),
            insecure_capabilities: strings(&[
                "SETPCAP",
                "NET_ADMIN",
                "NET_RAW",
                "SYS_MODULE",
                "SYS_RAWIO",
                "SYS_PTRACE",
                "SYS_ADMIN",
                "SYS_BOOT",
                "MAC_OVERRIDE",
                "MAC_ADMIN",
                "PERFMON",
                "ALL",
                "BPF",
            ]),
            // Upstream patches the three newest minor releases; 1.32 is the
            // oldest of the three Kubescape's current list names (1.32-1.34).
            oldest_supported_kubernetes: strings(&["1.32"]),
            floating_image_tags: Vec::new(),
            cpu_request_min: Vec::new(),
            cpu_request_max: Vec::new(),
            cpu_limit_min: Vec::new(),
            cpu_limit_max: Vec::new(),
            memory_request_min: Vec::new(),
            memory_request_max: Vec::new(),
            memory_limit_min: Vec::new(),
            memory_limit_max: Vec::new(),
            sandbox_cpu_limit_max: Vec::new(),
            sandbox_memory_limit_max: Vec::new(),
        }
    }
}

/// The config file's fields, with the Config field each sets.
const FIELDS: &[&str] = &[
    "allowedRegistries",
    "untrustedRegistries",
    "publicRegistries",
    "digestExemptRepositories",
    "sensitiveKeyNames",
    "sensitiveKeyNamesAllowed",
    "sensitiveValues",
    "sensitiveValuesAllowed",
    "recommendedLabels",
    "k8sRecommendedLabels",
    "sandboxRuntimeClasses",
    "sandboxRequiredNamespaces",
    "allowedCapabilities",
    "insecureCapabilities",
    "oldestSupportedKubernetes",
    "floatingImageTags",
    "cpuRequestMin",
    "cpuRequestMax",
    "cpuLimitMin",
    "cpuLimitMax",
    "memoryRequestMin",
    "memoryRequestMax",
    "memoryLimitMin",
    "memoryLimitMax",
    "sandboxCpuLimitMax",
    "sandboxMemoryLimitMax",
];

impl Config {
    fn field_mut(&mut self, name: &str) -> Option<&mut Vec<String>> {
        Some(match name {
            "allowedRegistries" => &mut self.allowed_registries,
            "untrustedRegistries" => &mut self.untrusted_registries,
            "publicRegistries" => &mut self.public_registries,
            "digestExemptRepositories" => &mut self.digest_exempt_repositories,
            "sensitiveKeyNames" => &mut self.sensitive_key_names,
            "sensitiveKeyNamesAllowed" => &mut self.sensitive_key_names_allowed,
            "sensitiveValues" => &mut self.sensitive_values,
            "sensitiveValuesAllowed" => &mut self.sensitive_values_allowed,
            "recommendedLabels" => &mut self.recommended_labels,
            "k8sRecommendedLabels" => &mut self.k8s_recommended_labels,
            "sandboxRuntimeClasses" => &mut self.sandbox_runtime_classes,
            "sandboxRequiredNamespaces" => &mut self.sandbox_required_namespaces,
            "allowedCapabilities" => &mut self.allowed_capabilities,
            "insecureCapabilities" => &mut self.insecure_capabilities,
            "oldestSupportedKubernetes" => &mut self.oldest_supported_kubernetes,
            "floatingImageTags" => &mut self.floating_image_tags,
            "cpuRequestMin" => &mut self.cpu_request_min,
            "cpuRequestMax" => &mut self.cpu_request_max,
            "cpuLimitMin" => &mut self.cpu_limit_min,
            "cpuLimitMax" => &mut self.cpu_limit_max,
            "memoryRequestMin" => &mut self.memory_request_min,
            "memoryRequestMax" => &mut self.memory_request_max,
            "memoryLimitMin" => &mut self.memory_limit_min,
            "memoryLimitMax" => &mut self.memory_limit_max,
            "sandboxCpuLimitMax" => &mut self.sandbox_cpu_limit_max,
            "sandboxMemoryLimitMax" => &mut self.sandbox_memory_limit_max,
            _ => return None,
        })
    }

    /// Sets a list field by its config-file name; `Err` names unknown fields.
    pub fn set(&mut self, name: &str, values: Vec<String>) -> Result<(), UnknownSetting> {
        match self.field_mut(name) {
            Some(field) => {
                *field = values;
                Ok(())
            }
            None => Err(UnknownSetting {
                name: name.to_string(),
            }),
        }
    }

    /// Reads a config file: a YAML mapping whose keys are the settings above,
    /// each a list of strings. Errors name the line and the problem.
    pub fn from_yaml(text: &str) -> Result<Self, ConfigError> {
        let mut config = Config::default();
        let documents = parse_documents(text);
        let Some(document) = documents.into_iter().next() else {
            return Ok(config);
        };
        let document = document.map_err(|e| ConfigError::Yaml {
            pos: e.pos,
            reason: e.reason,
        })?;
        let entries = document.root.as_map().ok_or(ConfigError::NotAMapping {
            pos: document.root.pos,
        })?;
        for entry in entries {
            if matches!(entry.key.as_str(), "apiVersion" | "kind" | "metadata") {
                continue;
            }
            let values = match &entry.value.value {
                Value::Null => Vec::new(),
                Value::Seq(items) => items.iter().map(scalar_text).collect::<Result<_, _>>()?,
                _ => {
                    return Err(ConfigError::NotAList {
                        pos: entry.value.pos,
                        key: entry.key.to_string(),
                    })
                }
            };
            config
                .set(&entry.key, values)
                .map_err(|source| ConfigError::Unknown {
                    pos: entry.key_pos,
                    source,
                })?;
        }
        Ok(config)
    }
}

fn scalar_text(node: &Node) -> Result<String, ConfigError> {
    match &node.value {
        Value::String(s) => Ok(s.to_string()),
        Value::Int(_) | Value::Float(_) | Value::Bool(_) => Ok(node.display_value()),
        _ => Err(ConfigError::NotAString { pos: node.pos }),
    }
}

/// A setting name [`Config::set`] does not know.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown setting `{name}` (known: {known})", known = FIELDS.join(", "))]
pub struct UnknownSetting {
    /// The name as given.
    pub name: String,
}

/// Why a config file was not read; each names the line and column.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The text is not YAML.
    #[error("{pos}: invalid YAML: {reason}")]
    Yaml {
        /// Where the parser stopped.
        pos: Pos,
        /// What the parser found.
        reason: String,
    },
    /// The document is not a mapping of settings.
    #[error("{pos}: expected a mapping of settings")]
    NotAMapping {
        /// Where the document starts.
        pos: Pos,
    },
    /// A setting is not a list.
    #[error("{pos}: `{key}` must be a list of strings")]
    NotAList {
        /// Where its value is.
        pos: Pos,
        /// The setting.
        key: String,
    },
    /// An item of a setting's list is not a scalar.
    #[error("{pos}: expected a string")]
    NotAString {
        /// Where the item is.
        pos: Pos,
    },
    /// A setting vigie does not know.
    #[error("{pos}: {source}")]
    Unknown {
        /// Where its key is.
        pos: Pos,
        /// The unknown name.
        source: UnknownSetting,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error of a settings file that must not load.
    fn error_of(yaml: &str) -> String {
        Config::from_yaml(yaml).unwrap_err().to_string()
    }

    #[test]
    fn file_overrides_named_fields_only() {
        let config = Config::from_yaml("allowedRegistries: [registry.example.com/]\n").unwrap();
        assert_eq!(config.allowed_registries, vec!["registry.example.com/"]);
        assert_eq!(
            config.sensitive_key_names,
            Config::default().sensitive_key_names
        );
    }

    #[test]
    fn unknown_settings_are_errors_with_a_line() {
        let err = error_of("allowedRegistries: []\nallowedRegistry: [x]\n");
        assert!(err.starts_with("2:1:"), "{err}");
        assert!(err.contains("unknown setting `allowedRegistry`"), "{err}");
    }

    #[test]
    fn settings_must_be_lists() {
        let err = error_of("allowedRegistries: docker.io\n");
        assert!(err.contains("must be a list"), "{err}");
    }
}
