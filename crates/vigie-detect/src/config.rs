//! Typed configuration of a detection pipeline, from YAML:
//!
//! ```yaml
//! rules: [/etc/vigie/k8s_audit_rules.yaml]   # empty: vigie's default audit rules
//! queue_capacity: 1024                        # batches between sources and rules
//! max_event_bytes: 4194304
//! sources:
//!   - type: file        # path, follow: true|false
//!     path: /var/log/kubernetes/audit.log
//!     follow: true
//!   - type: dir         # every file of a directory, once
//!     path: /var/log/kubernetes/old
//!   - type: stdin
//!   - type: http        # the API server's audit webhook
//!     listen: 0.0.0.0:9765
//!     path: /k8s-audit
//!     max_body_bytes: 16777216
//!     max_connections: 1024           # in all
//!     max_connections_per_peer: 64    # from one IP address
//!     header_timeout_ms: 10000        # totals, not per-byte timeouts
//!     body_timeout_ms: 30000
//!     idle_timeout_ms: 60000
//!     handler_timeout_ms: 10000
//!     tls:              # optional: HTTPS, and mutual TLS with client_ca_file
//!       cert_file: /etc/vigie/tls/tls.crt
//!       key_file: /etc/vigie/tls/tls.key
//!       client_ca_file: /etc/vigie/tls/audit-client-ca.crt
//! sinks:
//!   - type: stdout      # format: text|json
//!     format: text
//!   - type: file
//!     path: /var/log/vigie/alerts.json
//!     format: json
//!   - type: syslog      # udp://host:port or unix:///dev/log
//!     address: unix:///dev/log
//!   - type: http        # Falcosidekick or any endpoint taking Falco's JSON
//!     url: https://falcosidekick:2801/
//!     retries: 3
//!     timeout_ms: 5000
//!     tls:              # optional, for https:// URLs; system CAs by default
//!       ca_file: /etc/vigie/falcosidekick-ca.crt
//!       cert_file: /etc/vigie/tls/client.crt   # client certificate, for mutual TLS
//!       key_file: /etc/vigie/tls/client.key
//!       insecure_skip_verify: false            # true accepts any certificate (tests)
//! ```

use std::path::PathBuf;
use std::time::Duration;

use vigie_resource::{parse_documents, Node, Pos};

use crate::sinks::{ClientTlsConfig, Format, HttpSinkConfig, SyslogTarget};
use crate::sources::{HttpLimits, HttpSourceConfig, ServerTlsConfig};

/// Where audit events come from (the configuration's `sources` entries).
#[derive(Clone, Debug)]
pub enum SourceConfig {
    /// One audit log file.
    File {
        /// The file.
        path: PathBuf,
        /// Tail it (`tail -F`) instead of reading it once.
        follow: bool,
    },
    /// Every file of a directory, read once.
    Dir {
        /// The directory.
        path: PathBuf,
    },
    /// Standard input, until it ends.
    Stdin,
    /// Boxed: it is much larger than the other sources.
    Http(Box<HttpSourceConfig>),
}

/// Where alerts go (the configuration's `sinks` entries).
#[derive(Clone, Debug)]
pub enum SinkConfig {
    /// Standard output.
    Stdout {
        /// Text or JSON lines.
        format: Format,
    },
    /// A file, appended to.
    File {
        /// The file.
        path: PathBuf,
        /// Text or JSON lines.
        format: Format,
    },
    /// A syslog daemon.
    Syslog {
        /// Its UDP address or Unix socket.
        target: SyslogTarget,
    },
    /// An HTTP endpoint (Falcosidekick).
    Http(HttpSinkConfig),
}

/// A whole `vigie detect` configuration: rules, sources, sinks and limits.
#[derive(Clone, Debug)]
pub struct DetectConfig {
    /// Rule files, loaded in order; empty means vigie's default audit rules.
    pub rules: Vec<PathBuf>,
    /// Where events come from.
    pub sources: Vec<SourceConfig>,
    /// Where alerts go.
    pub sinks: Vec<SinkConfig>,
    /// Batches of events waiting for the rules before sources block (1024).
    pub queue_capacity: usize,
    /// Alerts waiting for each sink before new ones are dropped (10,000).
    pub sink_queue_capacity: usize,
    /// Larger events are refused and counted (4 MiB).
    pub max_event_bytes: usize,
}

impl Default for DetectConfig {
    fn default() -> Self {
        Self {
            rules: Vec::new(),
            sources: Vec::new(),
            sinks: Vec::new(),
            queue_capacity: 1024,
            sink_queue_capacity: 10_000,
            max_event_bytes: 4 << 20,
        }
    }
}

/// One problem of a configuration file, and where it is. Reading goes on past
/// it, so that one run reports every problem of the file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{pos}: {reason}")]
pub struct ConfigError {
    /// The configuration file, as named to [`DetectConfig::from_yaml`].
    pub file: String,
    /// The line and column of the offending value.
    pub pos: Pos,
    /// What is wrong with it.
    pub reason: String,
}

fn at(file: &str, node: &Node, message: impl std::fmt::Display) -> ConfigError {
    ConfigError {
        file: file.to_string(),
        pos: node.pos,
        reason: message.to_string(),
    }
}

fn string(file: &str, node: &Node, key: &str) -> Result<String, ConfigError> {
    node.get(key)
        .and_then(Node::as_str)
        .map(str::to_string)
        .ok_or_else(|| {
            at(
                file,
                node,
                format!("'{key}' is required and must be a string"),
            )
        })
}

fn number(file: &str, node: &Node, key: &str, default: usize) -> Result<usize, ConfigError> {
    match node.get(key) {
        None => Ok(default),
        Some(v) => v
            .as_i64()
            .filter(|n| *n > 0)
            .map(|n| n as usize)
            .ok_or_else(|| at(file, v, format!("'{key}' must be a positive number"))),
    }
}

/// The `tls` map of a component: unknown keys are errors; every value is a path
/// except `insecure_skip_verify`.
fn tls_map<'a>(file: &str, node: &'a Node, keys: &[&str]) -> Result<Option<&'a Node>, ConfigError> {
    let Some(tls) = node.get("tls") else {
        return Ok(None);
    };
    let entries = tls
        .as_map()
        .ok_or_else(|| at(file, tls, "'tls' must be a map"))?;
    for entry in entries {
        if !keys.contains(&entry.key.as_str()) {
            return Err(at(
                file,
                &entry.value,
                format!("unknown tls key '{}' ({})", entry.key, keys.join(", ")),
            ));
        }
        let ok = if entry.key == "insecure_skip_verify" {
            entry.value.as_bool().is_some()
        } else {
            entry.value.as_str().is_some_and(|s| !s.is_empty())
        };
        if !ok {
            return Err(at(
                file,
                &entry.value,
                format!("tls '{}' has the wrong type", entry.key),
            ));
        }
    }
    Ok(Some(tls))
}

fn path(node: &Node, key: &str) -> Option<PathBuf> {
    node.get(key).and_then(Node::as_str).map(PathBuf::from)
}

fn server_tls(file: &str, node: &Node) -> Result<Option<ServerTlsConfig>, ConfigError> {
    let Some(tls) = tls_map(file, node, &["cert_file", "key_file", "client_ca_file"])? else {
        return Ok(None);
    };
    let (Some(cert_file), Some(key_file)) = (path(tls, "cert_file"), path(tls, "key_file")) else {
        return Err(at(file, tls, "tls needs both 'cert_file' and 'key_file'"));
    };
    Ok(Some(ServerTlsConfig {
        cert_file,
        key_file,
        client_ca_file: path(tls, "client_ca_file"),
    }))
}

fn client_tls(file: &str, node: &Node) -> Result<ClientTlsConfig, ConfigError> {
    let keys = ["ca_file", "cert_file", "key_file", "insecure_skip_verify"];
    let Some(tls) = tls_map(file, node, &keys)? else {
        return Ok(ClientTlsConfig::default());
    };
    let config = ClientTlsConfig {
        ca_file: path(tls, "ca_file"),
        cert_file: path(tls, "cert_file"),
        key_file: path(tls, "key_file"),
        insecure_skip_verify: tls
            .get("insecure_skip_verify")
            .and_then(Node::as_bool)
            .unwrap_or(false),
    };
    if config.cert_file.is_some() != config.key_file.is_some() {
        return Err(at(
            file,
            tls,
            "tls needs both 'cert_file' and 'key_file', or neither",
        ));
    }
    Ok(config)
}

fn format(file: &str, node: &Node) -> Result<Format, ConfigError> {
    match node.get("format") {
        None => Ok(Format::Text),
        Some(v) => v
            .as_str()
            .and_then(Format::parse)
            .ok_or_else(|| at(file, v, "format must be text or json")),
    }
}

impl DetectConfig {
    /// Parses a configuration file's text; errors name the file, line and reason.
    pub fn from_yaml(file: &str, text: &str) -> Result<DetectConfig, Vec<ConfigError>> {
        let doc = match parse_documents(text).into_iter().next() {
            None => return Ok(DetectConfig::default()),
            Some(Err(e)) => {
                return Err(vec![ConfigError {
                    file: file.to_string(),
                    pos: e.pos,
                    reason: e.reason,
                }])
            }
            Some(Ok(doc)) => doc,
        };
        let root = &doc.root;
        let mut errors = Vec::new();
        let mut config = DetectConfig::default();
        for entry in root.as_map().unwrap_or(&[]) {
            if !matches!(
                entry.key.as_str(),
                "rules"
                    | "sources"
                    | "sinks"
                    | "queue_capacity"
                    | "sink_queue_capacity"
                    | "max_event_bytes"
            ) {
                errors.push(at(
                    file,
                    &entry.value,
                    format!("unknown key '{}'", entry.key),
                ));
            }
        }
        config.rules = root
            .get("rules")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .filter_map(Node::as_str)
            .map(PathBuf::from)
            .collect();
        let mut num = |key: &str, default: usize| {
            number(file, root, key, default).unwrap_or_else(|e| {
                errors.push(e);
                default
            })
        };
        config.queue_capacity = num("queue_capacity", config.queue_capacity);
        config.sink_queue_capacity = num("sink_queue_capacity", config.sink_queue_capacity);
        config.max_event_bytes = num("max_event_bytes", config.max_event_bytes);
        for s in root.get("sources").map(Node::items).unwrap_or(&[]) {
            match parse_source(file, s) {
                Ok(s) => config.sources.push(s),
                Err(e) => errors.push(e),
            }
        }
        for s in root.get("sinks").map(Node::items).unwrap_or(&[]) {
            match parse_sink(file, s) {
                Ok(s) => config.sinks.push(s),
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(errors)
        }
    }
}

fn parse_source(file: &str, node: &Node) -> Result<SourceConfig, ConfigError> {
    Ok(match string(file, node, "type")?.as_str() {
        "file" => SourceConfig::File {
            path: string(file, node, "path")?.into(),
            follow: node.get("follow").and_then(Node::as_bool).unwrap_or(false),
        },
        "dir" => SourceConfig::Dir {
            path: string(file, node, "path")?.into(),
        },
        "stdin" => SourceConfig::Stdin,
        "http" => {
            let d = HttpSourceConfig::default();
            SourceConfig::Http(Box::new(HttpSourceConfig {
                listen: node
                    .get("listen")
                    .and_then(Node::as_str)
                    .map_or(d.listen, str::to_string),
                path: node
                    .get("path")
                    .and_then(Node::as_str)
                    .map_or(d.path, str::to_string),
                tls: server_tls(file, node)?,
                limits: http_limits(file, node, d.limits)?,
            }))
        }
        other => {
            return Err(at(
                file,
                node,
                format!("unknown source type '{other}' (file, dir, stdin, http)"),
            ))
        }
    })
}

/// The webhook's limits: sizes in bytes, deadlines in milliseconds.
fn http_limits(file: &str, node: &Node, d: HttpLimits) -> Result<HttpLimits, ConfigError> {
    let ms = |key: &str, default: Duration| -> Result<Duration, ConfigError> {
        let n = number(file, node, key, default.as_millis() as usize)?;
        Ok(Duration::from_millis(n as u64))
    };
    let max_body_bytes = number(file, node, "max_body_bytes", d.max_body_bytes)?;
    Ok(HttpLimits {
        max_body_bytes,
        // The budget of all bodies must hold at least one.
        max_body_memory_bytes: d.max_body_memory_bytes.max(max_body_bytes),
        max_connections: number(file, node, "max_connections", d.max_connections)?,
        max_connections_per_peer: number(
            file,
            node,
            "max_connections_per_peer",
            d.max_connections_per_peer,
        )?,
        header_timeout: ms("header_timeout_ms", d.header_timeout)?,
        body_timeout: ms("body_timeout_ms", d.body_timeout)?,
        idle_timeout: ms("idle_timeout_ms", d.idle_timeout)?,
        handler_timeout: ms("handler_timeout_ms", d.handler_timeout)?,
        ..d
    })
}

fn parse_sink(file: &str, node: &Node) -> Result<SinkConfig, ConfigError> {
    Ok(match string(file, node, "type")?.as_str() {
        "stdout" => SinkConfig::Stdout {
            format: format(file, node)?,
        },
        "file" => SinkConfig::File {
            path: string(file, node, "path")?.into(),
            format: format(file, node)?,
        },
        "syslog" => {
            let address = node
                .get("address")
                .and_then(Node::as_str)
                .unwrap_or("unix:///dev/log");
            SinkConfig::Syslog {
                target: SyslogTarget::parse(address).ok_or_else(|| {
                    at(
                        file,
                        node,
                        format!(
                            "syslog address '{address}' is not udp://host:port or unix:///path"
                        ),
                    )
                })?,
            }
        }
        "http" => {
            let mut c = HttpSinkConfig::new(&string(file, node, "url")?);
            c.retries = number(file, node, "retries", c.retries as usize)? as u32;
            c.timeout = Duration::from_millis(number(
                file,
                node,
                "timeout_ms",
                c.timeout.as_millis() as usize,
            )? as u64);
            c.tls = client_tls(file, node)?;
            SinkConfig::Http(c)
        }
        other => {
            return Err(at(
                file,
                node,
                format!("unknown sink type '{other}' (stdout, file, syslog, http)"),
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first source of `config`, which the test wrote as `type: http`.
    fn first_http_source(config: &DetectConfig) -> &HttpSourceConfig {
        let SourceConfig::Http(h) = &config.sources[0] else {
            panic!("{:?}", config.sources)
        };
        h
    }

    #[test]
    fn parses_sources_and_sinks() {
        let text = "sources:\n  - type: file\n    path: /a.log\n    follow: true\n  - type: http\n    listen: 127.0.0.1:1\nsinks:\n  - type: stdout\n    format: json\n  - type: http\n    url: http://x:2801/\n    retries: 5\nqueue_capacity: 8\n";
        let c = DetectConfig::from_yaml("c.yaml", text).unwrap();
        assert!(matches!(
            &c.sources[0],
            SourceConfig::File { follow: true, .. }
        ));
        assert!(
            matches!(&c.sources[1], SourceConfig::Http(h) if h.listen == "127.0.0.1:1" && h.path == "/k8s-audit")
        );
        assert!(matches!(
            c.sinks[0],
            SinkConfig::Stdout {
                format: Format::Json
            }
        ));
        assert!(matches!(&c.sinks[1], SinkConfig::Http(h) if h.retries == 5));
        assert_eq!(c.queue_capacity, 8);
    }

    #[test]
    fn parses_tls_of_the_webhook_and_the_http_sink() {
        let text = "sources:\n  - type: http\n    tls:\n      cert_file: /s.crt\n      key_file: /s.key\n      client_ca_file: /ca.crt\nsinks:\n  - type: http\n    url: https://x/\n    tls:\n      ca_file: /ca.crt\n      insecure_skip_verify: true\n";
        let c = DetectConfig::from_yaml("c.yaml", text).unwrap();
        let h = first_http_source(&c);
        assert_eq!(
            h.tls,
            Some(ServerTlsConfig {
                cert_file: "/s.crt".into(),
                key_file: "/s.key".into(),
                client_ca_file: Some("/ca.crt".into()),
            })
        );
        let SinkConfig::Http(s) = &c.sinks[0] else {
            panic!("{:?}", c.sinks)
        };
        assert_eq!(s.tls.ca_file, Some("/ca.crt".into()));
        assert!(s.tls.insecure_skip_verify);
        assert_eq!(s.tls.cert_file, None);
        // Plain HTTP and verified TLS stay the defaults.
        let c = DetectConfig::from_yaml(
            "c.yaml",
            "sources:\n  - type: http\nsinks:\n  - type: http\n    url: https://x/\n",
        )
        .unwrap();
        assert!(matches!(&c.sources[0], SourceConfig::Http(h) if h.tls.is_none()));
        assert!(matches!(&c.sinks[0], SinkConfig::Http(s) if !s.tls.insecure_skip_verify));

        for (text, message) in [
            ("sources:\n  - type: http\n    tls:\n      cert_file: /s.crt\n", "needs both 'cert_file' and 'key_file'"),
            ("sources:\n  - type: http\n    tls:\n      cert: /s.crt\n", "unknown tls key 'cert'"),
            ("sinks:\n  - type: http\n    url: https://x/\n    tls:\n      insecure_skip_verify: yes please\n", "tls 'insecure_skip_verify' has the wrong type"),
            ("sinks:\n  - type: http\n    url: https://x/\n    tls:\n      key_file: /k\n", "or neither"),
            ("sinks:\n  - type: http\n    url: https://x/\n    tls: /ca.crt\n", "'tls' must be a map"),
        ] {
            let errors = DetectConfig::from_yaml("c.yaml", text).unwrap_err();
            assert!(
                errors.iter().any(|e| e.to_string().starts_with("c.yaml:") && e.reason.contains(message)),
                "{text}: {errors:?}"
            );
        }
    }

    #[test]
    fn parses_the_webhook_limits() {
        let text = "sources:\n  - type: http\n    max_body_bytes: 1073741824\n    max_connections_per_peer: 4\n    header_timeout_ms: 1500\n";
        let c = DetectConfig::from_yaml("c.yaml", text).unwrap();
        let h = first_http_source(&c);
        assert_eq!(h.limits.max_connections_per_peer, 4);
        assert_eq!(h.limits.header_timeout, Duration::from_millis(1500));
        assert_eq!(h.limits.max_body_bytes, 1 << 30);
        // The memory all bodies may hold grows to fit one body.
        assert_eq!(h.limits.max_body_memory_bytes, 1 << 30);
        assert_eq!(
            h.limits.max_connections,
            HttpLimits::default().max_connections
        );
        let errors = DetectConfig::from_yaml(
            "c.yaml",
            "sources:\n  - type: http\n    idle_timeout_ms: 0\n",
        )
        .unwrap_err();
        assert!(
            errors.iter().any(|e| e.to_string().starts_with("c.yaml:3:")
                && e.reason
                    .contains("'idle_timeout_ms' must be a positive number")),
            "{errors:?}"
        );
    }

    #[test]
    fn errors_name_file_line_and_reason() {
        let text =
            "sources:\n  - type: kafka\nsinks:\n  - type: stdout\n    format: xml\nbogus: 1\n";
        let errors = DetectConfig::from_yaml("c.yaml", text).unwrap_err();
        assert!(
            errors.iter().any(|e| e.to_string().starts_with("c.yaml:2:")
                && e.reason.contains("unknown source type 'kafka'")),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.to_string().starts_with("c.yaml:5:")
                && e.reason.contains("format must be text or json")),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.reason.contains("unknown key 'bogus'")),
            "{errors:?}"
        );
    }
}
