//! A Kubernetes audit event and the extraction of its `k8s_audit` fields.

use std::borrow::Cow;
use std::sync::OnceLock;

use serde_json::Value;
use vigie_rules::{glob_match, Event, Extracted, FieldArg, FieldRef, Val};

use super::fields::KaField;
use super::time::parse_rfc3339_nanos;

/// One audit event as the API server wrote it (`audit.k8s.io/v1` `Event`).
#[derive(Clone, Debug)]
pub struct AuditEvent {
    pub json: Value,
    /// Event time in nanoseconds since the epoch (`stageTimestamp`, else `timestamp`,
    /// else `requestReceivedTimestamp`; 0 when none parses).
    pub time_ns: i64,
    /// Position of the event in its stream, from 1; 0 until a source numbers it.
    pub number: u64,
}

fn text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Null => None,
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        other => Some(Cow::Owned(other.to_string())),
    }
}

fn one(v: Option<&Value>) -> Extracted<'_> {
    match v.and_then(text) {
        Some(s) => Extracted::One(Val::Str(s)),
        None => Extracted::Missing,
    }
}

fn bool_text(v: Option<&Value>, default: &'static str) -> Val<'static> {
    Val::Str(Cow::Borrowed(match v {
        Some(Value::Bool(true)) => "true",
        Some(Value::Bool(false)) => "false",
        _ => default,
    }))
}

/// The repository part of an image reference: no digest, no tag.
pub fn image_repository(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or(image);
    match image.rfind(':') {
        Some(colon) if !image[colon..].contains('/') => &image[..colon],
        _ => image,
    }
}

fn path<'v>(root: &'v Value, keys: &[&str]) -> Option<&'v Value> {
    let mut v = root;
    for k in keys {
        v = v.get(k)?;
    }
    Some(v)
}

fn pointer<'v>(root: &'v Value, tokens: &[Box<str>]) -> Option<&'v Value> {
    let mut v = root;
    for t in tokens {
        v = match v {
            Value::Object(m) => m.get(&**t)?,
            Value::Array(a) => a.get(t.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(v)
}

fn percent_decode(s: &str) -> Cow<'_, str> {
    if !s.contains(['%', '+']) {
        return Cow::Borrowed(s);
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 3 <= bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

fn hostname() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_string())
            .or_else(|_| std::env::var("HOSTNAME"))
            .unwrap_or_default()
    })
}

/// Which container list of the pod spec a field reads.
#[derive(Clone, Copy)]
enum Group {
    Containers,
    Init,
    Ephemeral,
}

/// What a per-container field reads from each container.
#[derive(Clone, Copy)]
enum Attr {
    Image,
    Repository,
    Privileged,
    AllowPrivilegeEscalation,
    ReadOnlyFs,
    EffRunAsUser,
    EffRunAsGroup,
    ProcMount,
    HostPorts,
    AddCapabilities,
}

impl AuditEvent {
    pub fn new(json: Value) -> Self {
        let time_ns = ["stageTimestamp", "timestamp", "requestReceivedTimestamp"]
            .iter()
            .find_map(|k| {
                json.get(k)
                    .and_then(Value::as_str)
                    .and_then(parse_rfc3339_nanos)
            })
            .unwrap_or(0);
        Self {
            json,
            time_ns,
            number: 0,
        }
    }

    fn get(&self, keys: &[&str]) -> Option<&Value> {
        path(&self.json, keys)
    }

    fn request_spec(&self) -> Option<&Value> {
        self.get(&["requestObject", "spec"])
    }

    fn containers(&self, group: Group) -> &[Value] {
        let key = match group {
            Group::Containers => "containers",
            Group::Init => "initContainers",
            Group::Ephemeral => "ephemeralContainers",
        };
        self.request_spec()
            .and_then(|s| s.get(key))
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    fn container_values<'e>(&'e self, c: &'e Value, attr: Attr, out: &mut Vec<Val<'e>>) {
        let sc = c.get("securityContext");
        let sc_get = |k: &str| sc.and_then(|s| s.get(k));
        let pod_sc = |k: &str| {
            self.request_spec()
                .and_then(|s| s.get("securityContext"))
                .and_then(|s| s.get(k))
        };
        match attr {
            Attr::Image => {
                if let Some(s) = c.get("image").and_then(text) {
                    out.push(Val::Str(s));
                }
            }
            Attr::Repository => {
                if let Some(s) = c.get("image").and_then(Value::as_str) {
                    out.push(Val::Str(Cow::Borrowed(image_repository(s))));
                }
            }
            Attr::Privileged => out.push(bool_text(sc_get("privileged"), "false")),
            Attr::AllowPrivilegeEscalation => {
                out.push(bool_text(sc_get("allowPrivilegeEscalation"), "true"))
            }
            Attr::ReadOnlyFs => out.push(bool_text(sc_get("readOnlyRootFilesystem"), "false")),
            Attr::EffRunAsUser | Attr::EffRunAsGroup => {
                let key = if matches!(attr, Attr::EffRunAsUser) {
                    "runAsUser"
                } else {
                    "runAsGroup"
                };
                let v = sc_get(key).or_else(|| pod_sc(key)).and_then(text);
                out.push(Val::Str(v.unwrap_or(Cow::Borrowed("0"))));
            }
            Attr::ProcMount => {
                let v = sc_get("procMount").and_then(text);
                out.push(Val::Str(v.unwrap_or(Cow::Borrowed("Default"))));
            }
            Attr::HostPorts => {
                for p in c
                    .get("ports")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(hp) = p.get("hostPort").and_then(text) {
                        out.push(Val::Str(hp));
                    }
                }
            }
            Attr::AddCapabilities => {
                let caps = sc_get("capabilities")
                    .and_then(|c| c.get("add"))
                    .and_then(Value::as_array);
                out.extend(caps.into_iter().flatten().filter_map(text).map(Val::Str));
            }
        }
    }

    /// A per-container list field; with an index argument, that container only.
    fn per_container(&self, group: Group, attr: Attr, arg: Option<&FieldArg>) -> Extracted<'_> {
        let containers = self.containers(group);
        let mut out = Vec::new();
        match arg.and_then(|a| a.index) {
            Some(i) => {
                let Some(c) = usize::try_from(i).ok().and_then(|i| containers.get(i)) else {
                    return Extracted::Missing;
                };
                self.container_values(c, attr, &mut out);
                if out.len() == 1 {
                    return Extracted::One(out.pop().unwrap());
                }
            }
            None => {
                for c in containers {
                    self.container_values(c, attr, &mut out);
                }
            }
        }
        Extracted::from_list(out)
    }

    /// The first container's value (or the indexed one's): the deprecated
    /// `ka.req.container.*` fields.
    fn first_container(&self, attr: Attr, arg: Option<&FieldArg>) -> Extracted<'_> {
        let index = arg.and_then(|a| a.index).unwrap_or(0);
        let Some(c) = usize::try_from(index)
            .ok()
            .and_then(|i| self.containers(Group::Containers).get(i))
        else {
            return Extracted::Missing;
        };
        let mut out = Vec::new();
        self.container_values(c, attr, &mut out);
        match out.pop() {
            Some(v) => Extracted::One(v),
            None => Extracted::Missing,
        }
    }

    fn array_at(&self, keys: &[&str]) -> &[Value] {
        self.get(keys)
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    fn list_of<'e>(
        &'e self,
        items: &'e [Value],
        f: impl Fn(&'e Value) -> Option<&'e Value>,
    ) -> Extracted<'e> {
        Extracted::from_list(
            items
                .iter()
                .filter_map(f)
                .filter_map(text)
                .map(Val::Str)
                .collect(),
        )
    }

    fn indexed<'e>(&self, all: Extracted<'e>, arg: Option<&FieldArg>) -> Extracted<'e> {
        match (all, arg.and_then(|a| a.index)) {
            (Extracted::Many(mut v), Some(i)) => match usize::try_from(i) {
                Ok(i) if i < v.len() => Extracted::One(v.swap_remove(i)),
                _ => Extracted::Missing,
            },
            (all, _) => all,
        }
    }

    fn role_rules_flat(&self, key: &str) -> Extracted<'_> {
        let mut out = Vec::new();
        for rule in self.array_at(&["requestObject", "rules"]) {
            for v in rule
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(t) = text(v) {
                    out.push(Val::Str(t));
                }
            }
        }
        Extracted::from_list(out)
    }

    fn uri_param(&self, name: &str) -> Extracted<'_> {
        let Some(uri) = self.get(&["requestURI"]).and_then(Value::as_str) else {
            return Extracted::Missing;
        };
        let Some((_, query)) = uri.split_once('?') else {
            return Extracted::Missing;
        };
        for pair in query.split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            if percent_decode(k) == name {
                return Extracted::One(Val::Str(percent_decode(v)));
            }
        }
        Extracted::Missing
    }

    fn json_value(&self, arg: Option<&FieldArg>) -> Extracted<'_> {
        let Some(tokens) = arg.and_then(|a| a.pointer.as_deref()) else {
            return Extracted::Missing;
        };
        match pointer(&self.json, tokens) {
            Some(Value::Null) => Extracted::One(Val::Str(Cow::Borrowed("null"))),
            v => one(v),
        }
    }

    fn time_text(&self) -> Extracted<'_> {
        one(["stageTimestamp", "timestamp", "requestReceivedTimestamp"]
            .iter()
            .find_map(|k| self.json.get(k)))
    }
}

impl Event for AuditEvent {
    fn extract(&self, field: &FieldRef) -> Extracted<'_> {
        use KaField as F;
        let Some(f) = KaField::from_id(field.id) else {
            return Extracted::Missing;
        };
        let arg = field.arg.as_ref();
        match f {
            F::AuditId => one(self.get(&["auditID"])),
            F::Stage => one(self.get(&["stage"])),
            F::AuthDecision => one(self.get(&["annotations", "authorization.k8s.io/decision"])),
            F::AuthReason => one(self.get(&["annotations", "authorization.k8s.io/reason"])),
            F::AuthOpenshiftDecision => {
                one(self.get(&["annotations", "authorization.openshift.io/decision"]))
            }
            F::AuthOpenshiftUsername => {
                one(self.get(&["annotations", "authorization.openshift.io/username"]))
            }
            F::UserName => one(self.get(&["user", "username"])),
            F::UserGroups => self.list_of(self.array_at(&["user", "groups"]), Some),
            F::ImpUserName => one(self.get(&["impersonatedUser", "username"])),
            F::Verb => one(self.get(&["verb"])),
            F::Uri => one(self.get(&["requestURI"])),
            F::UriParam => arg.map_or(Extracted::Missing, |a| self.uri_param(&a.raw)),
            F::TargetName => one(self.get(&["objectRef", "name"])),
            F::TargetNamespace => one(self.get(&["objectRef", "namespace"])),
            F::TargetResource => one(self.get(&["objectRef", "resource"])),
            F::TargetSubresource => one(self.get(&["objectRef", "subresource"])),
            F::TargetPodName => {
                match self.get(&["objectRef", "resource"]).and_then(Value::as_str) {
                    Some("pods") => one(self.get(&["objectRef", "name"])),
                    _ => Extracted::Missing,
                }
            }
            F::BindingSubjects => self
                .list_of(self.array_at(&["requestObject", "subjects"]), |s| {
                    s.get("name")
                }),
            F::BindingSubjectHasName => {
                let subjects = self.array_at(&["requestObject", "subjects"]);
                if subjects.is_empty() {
                    return Extracted::Missing;
                }
                let name = arg.map(|a| &*a.raw).unwrap_or_default();
                let has = subjects
                    .iter()
                    .any(|s| s.get("name").and_then(Value::as_str) == Some(name));
                Extracted::One(Val::Str(Cow::Borrowed(if has { "true" } else { "false" })))
            }
            F::BindingRole => one(self.get(&["requestObject", "roleRef", "name"])),
            F::ConfigmapName => one(self
                .get(&["requestObject", "metadata", "name"])
                .or_else(|| self.get(&["objectRef", "name"]))),
            F::ConfigmapObj => one(self.get(&["requestObject", "data"])),
            F::ContainersImage => self.per_container(Group::Containers, Attr::Image, arg),
            F::ContainerImage => self.first_container(Attr::Image, arg),
            F::ContainersImageRepository => {
                self.per_container(Group::Containers, Attr::Repository, arg)
            }
            F::ContainerImageRepository => self.first_container(Attr::Repository, arg),
            F::HostIpc => one(self.request_spec().and_then(|s| s.get("hostIPC"))),
            F::HostNetwork | F::ContainerHostNetwork => {
                one(self.request_spec().and_then(|s| s.get("hostNetwork")))
            }
            F::HostPid => one(self.request_spec().and_then(|s| s.get("hostPID"))),
            F::ContainersHostPort => self.per_container(Group::Containers, Attr::HostPorts, arg),
            F::ContainersPrivileged => self.per_container(Group::Containers, Attr::Privileged, arg),
            F::ContainerPrivileged => {
                if arg.is_some() {
                    return self.first_container(Attr::Privileged, arg);
                }
                let containers = self.containers(Group::Containers);
                if containers.is_empty() {
                    return Extracted::Missing;
                }
                let any = containers.iter().any(|c| {
                    c.get("securityContext").and_then(|s| s.get("privileged"))
                        == Some(&Value::Bool(true))
                });
                Extracted::One(Val::Str(Cow::Borrowed(if any { "true" } else { "false" })))
            }
            F::ContainersAllowPrivilegeEscalation => {
                self.per_container(Group::Containers, Attr::AllowPrivilegeEscalation, arg)
            }
            F::ContainersReadOnlyFs => self.per_container(Group::Containers, Attr::ReadOnlyFs, arg),
            F::RunAsUser => one(self
                .request_spec()
                .and_then(|s| path(s, &["securityContext", "runAsUser"]))),
            F::ContainersEffRunAsUser => {
                self.per_container(Group::Containers, Attr::EffRunAsUser, arg)
            }
            F::RunAsGroup => one(self
                .request_spec()
                .and_then(|s| path(s, &["securityContext", "runAsGroup"]))),
            F::ContainersEffRunAsGroup => {
                self.per_container(Group::Containers, Attr::EffRunAsGroup, arg)
            }
            F::ContainersProcMount => self.per_container(Group::Containers, Attr::ProcMount, arg),
            F::RoleRules => {
                let all = self.list_of(self.array_at(&["requestObject", "rules"]), Some);
                self.indexed(all, arg)
            }
            F::RoleRulesApiGroups => self.indexed(self.role_rules_flat("apiGroups"), arg),
            F::RoleRulesNonResourceUrls => {
                self.indexed(self.role_rules_flat("nonResourceURLs"), arg)
            }
            F::RoleRulesVerbs => self.indexed(self.role_rules_flat("verbs"), arg),
            F::RoleRulesResources => self.indexed(self.role_rules_flat("resources"), arg),
            F::FsGroup => one(self
                .request_spec()
                .and_then(|s| path(s, &["securityContext", "fsGroup"]))),
            F::SupplementalGroups => {
                let groups = self
                    .request_spec()
                    .and_then(|s| path(s, &["securityContext", "supplementalGroups"]))
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                self.list_of(groups, Some)
            }
            F::ContainersAddCapabilities => {
                self.per_container(Group::Containers, Attr::AddCapabilities, arg)
            }
            F::ServiceType => one(self.request_spec().and_then(|s| s.get("type"))),
            F::ServicePorts => {
                let ports = self.list_of(self.array_at(&["requestObject", "spec", "ports"]), Some);
                self.indexed(ports, arg)
            }
            F::VolumesHostpath => {
                let all = self.list_of(self.array_at(&["requestObject", "spec", "volumes"]), |v| {
                    path(v, &["hostPath", "path"])
                });
                self.indexed(all, arg)
            }
            F::VolumeHostpath => {
                let pattern = arg.map(|a| &*a.raw).unwrap_or_default();
                let any = self
                    .array_at(&["requestObject", "spec", "volumes"])
                    .iter()
                    .any(|v| {
                        path(v, &["hostPath", "path"])
                            .and_then(Value::as_str)
                            .is_some_and(|p| glob_match(pattern, p))
                    });
                Extracted::One(Val::Str(Cow::Borrowed(if any { "true" } else { "false" })))
            }
            F::VolumesFlexvolumeDriver => {
                let all = self.list_of(self.array_at(&["requestObject", "spec", "volumes"]), |v| {
                    path(v, &["flexVolume", "driver"])
                });
                self.indexed(all, arg)
            }
            F::VolumesVolumeType => {
                let volumes = self.array_at(&["requestObject", "spec", "volumes"]);
                let types = volumes
                    .iter()
                    .filter_map(|v| v.as_object()?.keys().find(|k| *k != "name"))
                    .map(|k| Val::Str(Cow::Borrowed(k.as_str())))
                    .collect();
                self.indexed(Extracted::from_list(types), arg)
            }
            F::RespName => one(self.get(&["responseObject", "metadata", "name"])),
            F::ResponseCode => one(self.get(&["responseStatus", "code"])),
            F::ResponseReason => one(self.get(&["responseStatus", "reason"])),
            F::UserAgent => one(self.get(&["userAgent"])),
            F::SourceIps => {
                let all = self.list_of(self.array_at(&["sourceIPs"]), Some);
                self.indexed(all, arg)
            }
            F::ClusterName => Extracted::Missing,
            F::InitContainersImage => self.per_container(Group::Init, Attr::Image, arg),
            F::InitContainersImageRepository => {
                self.per_container(Group::Init, Attr::Repository, arg)
            }
            F::InitContainersPrivileged => self.per_container(Group::Init, Attr::Privileged, arg),
            F::InitContainersHostPort => self.per_container(Group::Init, Attr::HostPorts, arg),
            F::InitContainersAddCapabilities => {
                self.per_container(Group::Init, Attr::AddCapabilities, arg)
            }
            F::EphemeralContainersImage => self.per_container(Group::Ephemeral, Attr::Image, arg),
            F::EphemeralContainersImageRepository => {
                self.per_container(Group::Ephemeral, Attr::Repository, arg)
            }
            F::EphemeralContainersPrivileged => {
                self.per_container(Group::Ephemeral, Attr::Privileged, arg)
            }
            F::EphemeralContainersAddCapabilities => {
                self.per_container(Group::Ephemeral, Attr::AddCapabilities, arg)
            }
            F::JevtTime | F::JevtTimeIso | F::JsonTime | F::JsonTimeIso | F::EvtTime => {
                self.time_text()
            }
            F::JevtRawtime | F::JsonRawtime | F::EvtRawtime => {
                Extracted::One(Val::Num(self.time_ns))
            }
            F::JevtValue | F::JsonValue => self.json_value(arg),
            F::JevtObj | F::JsonObj => Extracted::One(Val::Str(Cow::Owned(self.json.to_string()))),
            F::EvtNum => Extracted::One(Val::Num(self.number as i64)),
            F::EvtSource => Extracted::One(Val::Str(Cow::Borrowed("k8s_audit"))),
            F::EvtHostname => Extracted::One(Val::Str(Cow::Borrowed(hostname()))),
        }
    }
}
