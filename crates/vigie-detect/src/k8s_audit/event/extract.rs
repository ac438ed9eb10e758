//! The field extraction of audit events: `impl Event for AuditEvent`, which maps
//! each `k8s_audit` field to the attribute, body or container value it reads.

use std::borrow::Cow;

use serde_json::Value;
use vigie_rules::{glob_match, Event, Extracted, FieldRef, Single, Val, ValueTest};

use super::containers::{Attr, Group};
use super::json_text::*;
use super::layout::*;
use super::{AttributeText, AuditEvent};

use crate::k8s_audit::fields::KaField;

impl Event for AuditEvent {
    fn single(&self, field: &FieldRef) -> Option<Single<'_>> {
        let f = KaField::from_id(field.id)?;
        if field.arg.is_none() {
            if let Some(scalar) = Scalar::of_field(f) {
                return Some(match self.scalars[scalar as usize] {
                    Slot::Known(i) => Single::Word(i, scalar.vocabulary()[i as usize]),
                    _ => self.scalar(scalar).map_or(Single::Missing, Single::Text),
                });
            }
        }
        match self.attribute_text(f, field.arg.as_ref()) {
            AttributeText::Text(text) => Some(Single::Text(text)),
            AttributeText::Missing => Some(Single::Missing),
            AttributeText::Other => match f {
                KaField::JevtRawtime | KaField::JsonRawtime | KaField::EvtRawtime => {
                    Some(Single::Num(self.time_ns))
                }
                _ => None,
            },
        }
    }

    fn test_values(&self, field: &FieldRef, every: bool, test: &mut ValueTest<'_>) -> bool {
        let Some(f) = KaField::from_id(field.id) else {
            return false;
        };
        match self.attribute_text(f, field.arg.as_ref()) {
            AttributeText::Text(text) => return test(&Val::Str(Cow::Borrowed(text))),
            AttributeText::Missing => return false,
            AttributeText::Other => {}
        }
        let whole_list = field.arg.as_ref().is_none_or(|a| a.index.is_none());
        match f {
            KaField::UserGroups => self.test_raw_list(self.user_groups, every, test),
            KaField::SourceIps if whole_list => self.test_raw_list(self.source_ips, every, test),
            _ => vigie_rules::test_extracted(&self.extract(field), every, test),
        }
    }

    fn extract(&self, field: &FieldRef) -> Extracted<'_> {
        use KaField as F;
        let Some(f) = KaField::from_id(field.id) else {
            return Extracted::Missing;
        };
        let arg = field.arg.as_ref();
        match f {
            F::AuditId => self.one_scalar(Scalar::AuditId),
            F::Stage => self.one_scalar(Scalar::Stage),
            F::AuthDecision => self.one_scalar(Scalar::AuthDecision),
            F::AuthReason => self.one_scalar(Scalar::AuthReason),
            F::AuthOpenshiftDecision => self.one_scalar(Scalar::OpenshiftDecision),
            F::AuthOpenshiftUsername => self.one_scalar(Scalar::OpenshiftUsername),
            F::UserName => self.one_scalar(Scalar::UserName),
            F::UserGroups => self.raw_list(self.user_groups),
            F::ImpUserName => self.one_scalar(Scalar::ImpUserName),
            F::Verb => self.one_scalar(Scalar::Verb),
            F::Uri => self.one_scalar(Scalar::RequestUri),
            F::UriParam => arg.map_or(Extracted::Missing, |a| self.uri_param(&a.raw)),
            F::TargetName => self.one_scalar(Scalar::TargetName),
            F::TargetNamespace => self.one_scalar(Scalar::TargetNamespace),
            F::TargetResource => self.one_scalar(Scalar::TargetResource),
            F::TargetSubresource => self.one_scalar(Scalar::TargetSubresource),
            F::TargetPodName => match self.scalar(Scalar::TargetResource) {
                Some("pods") => self.one_scalar(Scalar::TargetName),
                _ => Extracted::Missing,
            },
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
            F::ConfigmapName => match self.get(&["requestObject", "metadata", "name"]) {
                Some(name) => one(Some(name)),
                None => self.one_scalar(Scalar::TargetName),
            },
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
            F::ResponseCode => self.one_scalar(Scalar::ResponseCode),
            F::ResponseReason => self.one_scalar(Scalar::ResponseReason),
            F::UserAgent => self.one_scalar(Scalar::UserAgent),
            F::SourceIps => {
                let all = self.raw_list(self.source_ips);
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
            F::JevtObj | F::JsonObj => {
                Extracted::One(Val::Str(Cow::Owned(self.json().to_string())))
            }
            F::EvtNum => Extracted::One(Val::Num(self.number as i64)),
            F::EvtSource => Extracted::One(Val::Str(Cow::Borrowed("k8s_audit"))),
            F::EvtHostname => Extracted::One(Val::Str(Cow::Borrowed(crate::host::hostname()))),
        }
    }
}
