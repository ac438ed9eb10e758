//! The per-container fields (`ka.req.pod.containers.*`): the pod spec's container
//! lists in a request, and what each field reads from each container.

use std::borrow::Cow;

use serde_json::Value;
use vigie_rules::{Extracted, FieldArg, Val};

use super::json_text::*;
use super::AuditEvent;

/// Which container list of the pod spec a field reads.
#[derive(Clone, Copy)]
pub(super) enum Group {
    Containers,
    Init,
    Ephemeral,
}

/// What a per-container field reads from each container.
#[derive(Clone, Copy)]
pub(super) enum Attr {
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
    pub(super) fn request_spec(&self) -> Option<&Value> {
        self.get(&["requestObject", "spec"])
    }

    pub(super) fn containers(&self, group: Group) -> &[Value] {
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

    pub(super) fn container_values<'e>(&'e self, c: &'e Value, attr: Attr, out: &mut Vec<Val<'e>>) {
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
    pub(super) fn per_container(
        &self,
        group: Group,
        attr: Attr,
        arg: Option<&FieldArg>,
    ) -> Extracted<'_> {
        let containers = self.containers(group);
        let mut out = Vec::new();
        match arg.and_then(|a| a.index) {
            Some(i) => {
                let Some(c) = usize::try_from(i).ok().and_then(|i| containers.get(i)) else {
                    return Extracted::Missing;
                };
                self.container_values(c, attr, &mut out);
                if out.len() == 1 {
                    return Extracted::One(out.pop().expect("out holds one value"));
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
    pub(super) fn first_container(&self, attr: Attr, arg: Option<&FieldArg>) -> Extracted<'_> {
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
}
