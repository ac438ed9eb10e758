//! The `k8s_audit` source's fields: `ka.*` for audit event attributes and the
//! request/response objects, and `jevt.*`/`json.*` for raw JSON access.

use std::sync::OnceLock;

use vigie_rules::{FieldDef, FieldTable};

vigie_rules::field_table! {
    /// Field identifiers, in the order of the table; a field's id is its index.
    enum KaField;
    AuditId = "ka.auditid": String; "the audit ID of the event"
    Stage = "ka.stage": String; "the stage of the event (RequestReceived, ResponseComplete...)"
    AuthDecision = "ka.auth.decision": String; "the authorization decision (allow, forbid)"
    AuthReason = "ka.auth.reason": String; "the reason of the authorization decision"
    AuthOpenshiftDecision = "ka.auth.openshift.decision": String; "the OpenShift authorization decision"
    AuthOpenshiftUsername = "ka.auth.openshift.username": String; "the OpenShift user of the decision"
    UserName = "ka.user.name": String; "the user name performing the request"
    UserGroups = "ka.user.groups": String, list; "the groups of the user"
    ImpUserName = "ka.impuser.name": String; "the impersonated user name"
    Verb = "ka.verb": String; "the action being performed"
    Uri = "ka.uri": String; "the request URI"
    UriParam = "ka.uri.param": String, required; "a query parameter of the request URI (ka.uri.param[name])"
    TargetName = "ka.target.name": String; "the name of the target object"
    TargetNamespace = "ka.target.namespace": String; "the namespace of the target object"
    TargetResource = "ka.target.resource": String; "the resource of the target object"
    TargetSubresource = "ka.target.subresource": String; "the subresource of the target object"
    TargetPodName = "ka.target.pod.name": String; "the pod the request targets (pods and their subresources)"
    BindingSubjects = "ka.req.binding.subjects": String, list; "the subject names a (cluster) role binding links"
    BindingSubjectHasName = "ka.req.binding.subject.has_name": String, required; "true when a binding subject has the given name"
    BindingRole = "ka.req.binding.role": String; "the role a (cluster) role binding refers to"
    ConfigmapName = "ka.req.configmap.name": String; "the name of the configmap in the request"
    ConfigmapObj = "ka.req.configmap.obj": String; "the data of the configmap in the request, as JSON"
    ContainersImage = "ka.req.pod.containers.image": String, list, optional; "the images of the pod's containers"
    ContainerImage = "ka.req.container.image": String, optional; "the image of the first (or indexed) container"
    ContainersImageRepository = "ka.req.pod.containers.image.repository": String, list, optional; "the image repositories of the pod's containers"
    ContainerImageRepository = "ka.req.container.image.repository": String, optional; "the image repository of the first (or indexed) container"
    HostIpc = "ka.req.pod.host_ipc": String; "the pod's hostIPC"
    HostNetwork = "ka.req.pod.host_network": String; "the pod's hostNetwork"
    ContainerHostNetwork = "ka.req.container.host_network": String; "the pod's hostNetwork (deprecated name)"
    HostPid = "ka.req.pod.host_pid": String; "the pod's hostPID"
    ContainersHostPort = "ka.req.pod.containers.host_port": String, list, optional; "the host ports of the pod's containers"
    ContainersPrivileged = "ka.req.pod.containers.privileged": String, list, optional; "whether each container is privileged"
    ContainerPrivileged = "ka.req.container.privileged": String, optional; "whether any (or the indexed) container is privileged"
    ContainersAllowPrivilegeEscalation = "ka.req.pod.containers.allow_privilege_escalation": String, list, optional; "allowPrivilegeEscalation of each container"
    ContainersReadOnlyFs = "ka.req.pod.containers.read_only_fs": String, list, optional; "readOnlyRootFilesystem of each container"
    RunAsUser = "ka.req.pod.run_as_user": String; "the pod's runAsUser"
    ContainersEffRunAsUser = "ka.req.pod.containers.eff_run_as_user": String, list, optional; "the effective runAsUser of each container"
    RunAsGroup = "ka.req.pod.run_as_group": String; "the pod's runAsGroup"
    ContainersEffRunAsGroup = "ka.req.pod.containers.eff_run_as_group": String, list, optional; "the effective runAsGroup of each container"
    ContainersProcMount = "ka.req.pod.containers.proc_mount": String, list, optional; "the procMount of each container"
    RoleRules = "ka.req.role.rules": String, list, optional; "the rules of a role, as JSON"
    RoleRulesApiGroups = "ka.req.role.rules.apiGroups": String, list, optional; "the API groups of a role's rules"
    RoleRulesNonResourceUrls = "ka.req.role.rules.nonResourceURLs": String, list, optional; "the non-resource URLs of a role's rules"
    RoleRulesVerbs = "ka.req.role.rules.verbs": String, list, optional; "the verbs of a role's rules"
    RoleRulesResources = "ka.req.role.rules.resources": String, list, optional; "the resources of a role's rules"
    FsGroup = "ka.req.pod.fs_group": String; "the pod's fsGroup"
    SupplementalGroups = "ka.req.pod.supplemental_groups": String, list; "the pod's supplementalGroups"
    ContainersAddCapabilities = "ka.req.pod.containers.add_capabilities": String, list, optional; "the capabilities added by the pod's containers"
    ServiceType = "ka.req.service.type": String; "the type of the service"
    ServicePorts = "ka.req.service.ports": String, list, optional; "the ports of the service, as JSON"
    VolumesHostpath = "ka.req.pod.volumes.hostpath": String, list, optional; "the hostPath paths of the pod's volumes"
    VolumeHostpath = "ka.req.volume.hostpath": String, required; "true when a hostPath volume matches the glob argument"
    VolumesFlexvolumeDriver = "ka.req.pod.volumes.flexvolume_driver": String, list, optional; "the flexVolume drivers of the pod's volumes"
    VolumesVolumeType = "ka.req.pod.volumes.volume_type": String, list, optional; "the type of each of the pod's volumes"
    RespName = "ka.resp.name": String; "the name of the object in the response"
    ResponseCode = "ka.response.code": String; "the response code"
    ResponseReason = "ka.response.reason": String; "the response reason"
    UserAgent = "ka.useragent": String; "the user agent of the client"
    SourceIps = "ka.sourceips": String, list, optional; "the source IPs of the request"
    ClusterName = "ka.cluster.name": String; "the cluster name (set by the source configuration)"
    InitContainersImage = "ka.req.pod.initContainers.image": String, list, optional; "the images of the pod's init containers"
    InitContainersImageRepository = "ka.req.pod.initContainers.image.repository": String, list, optional; "the image repositories of the pod's init containers"
    InitContainersPrivileged = "ka.req.pod.initContainers.privileged": String, list, optional; "whether each init container is privileged"
    InitContainersHostPort = "ka.req.pod.initContainers.host_port": String, list, optional; "the host ports of the init containers"
    InitContainersAddCapabilities = "ka.req.pod.initContainers.add_capabilities": String, list, optional; "the capabilities added by init containers"
    EphemeralContainersImage = "ka.req.pod.ephemeralContainers.image": String, list, optional; "the images of the pod's ephemeral containers"
    EphemeralContainersImageRepository = "ka.req.pod.ephemeralContainers.image.repository": String, list, optional; "the image repositories of the ephemeral containers"
    EphemeralContainersPrivileged = "ka.req.pod.ephemeralContainers.privileged": String, list, optional; "whether each ephemeral container is privileged"
    EphemeralContainersAddCapabilities = "ka.req.pod.ephemeralContainers.add_capabilities": String, list, optional; "the capabilities added by ephemeral containers"
    JevtTime = "jevt.time": String; "the event time, as text"
    JevtTimeIso = "jevt.time.iso8601": String; "the event time in ISO 8601"
    JevtRawtime = "jevt.rawtime": Number; "the event time in nanoseconds since the epoch"
    JevtValue = "jevt.value": String, required; "the value at a JSON pointer (jevt.value[/objectRef/name])"
    JevtObj = "jevt.obj": String; "the whole event as JSON"
    JsonTime = "json.time": String; "the event time, as text"
    JsonTimeIso = "json.time.iso8601": String; "the event time in ISO 8601"
    JsonRawtime = "json.rawtime": Number; "the event time in nanoseconds since the epoch"
    JsonValue = "json.value": String, required; "the value at a JSON pointer"
    JsonObj = "json.obj": String; "the whole event as JSON"
    EvtNum = "evt.num": Number; "the event number, counted by the source"
    EvtTime = "evt.time": String; "the event time, as text"
    EvtRawtime = "evt.rawtime": Number; "the event time in nanoseconds since the epoch"
    EvtSource = "evt.source": String; "the event source (k8s_audit)"
    EvtHostname = "evt.hostname": String; "the host vigie runs on"
}

impl KaField {
    /// The field a compiled rule refers to by number; `None` for a number no
    /// field has.
    pub fn from_id(id: u16) -> Option<KaField> {
        ALL.get(id as usize).copied()
    }
}

/// What reading a field costs relative to a decoded attribute (see
/// [`FieldDef::cost`]): the request and response bodies are parsed the first time a
/// rule reads them, the whole event for `jevt.obj` and for `jevt.value` pointers
/// outside the decoded attributes.
fn with_cost(def: FieldDef) -> FieldDef {
    let name = def.name;
    if name.starts_with("ka.req.") || name.starts_with("ka.resp.") {
        def.cost(8)
    } else if matches!(name, "jevt.obj" | "json.obj") {
        def.cost(20)
    } else if matches!(name, "jevt.value" | "json.value" | "ka.uri.param") {
        def.cost(4)
    } else {
        def
    }
}

/// The `k8s_audit` field table, built once.
pub fn k8s_audit_table() -> &'static FieldTable {
    static TABLE: OnceLock<FieldTable> = OnceLock::new();
    // Nearly every audit rule names the verbs, resources and stages it is about
    // (Falco's rules read the stage as `jevt.value[/stage]`), so indexing rules on
    // them leaves each event with a few candidate rules instead of all of them.
    // `jevt.value[/stage]` reads the decoded stage, so it indexes as `ka.stage` does.
    TABLE.get_or_init(|| {
        let defs: Vec<FieldDef> = defs().into_iter().map(with_cost).collect();
        let mut table = FieldTable::new("k8s_audit", &defs);
        // Events number the common values of the verb, stage, resource... as they
        // decode them (`Single::Word`), so the index finds their rules by position.
        for &field in ALL {
            let words = super::event::vocabulary(field);
            if !words.is_empty() {
                table = table.with_vocabulary(defs[field as usize].name, words);
            }
        }
        table
            .with_index_field("ka.verb", None)
            .with_index_field("ka.target.resource", None)
            .with_index_field("ka.stage", None)
            .with_index_alias("jevt.value", Some("/stage"), "ka.stage")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_declaration_order() {
        let t = k8s_audit_table();
        for (i, f) in ALL.iter().enumerate() {
            assert_eq!(*f as usize, i);
        }
        let r = t.resolve("ka.req.pod.containers.image", None).unwrap();
        assert_eq!(KaField::from_id(r.id), Some(KaField::ContainersImage));
        assert!(t.def(r.id).list);
        assert!(t.resolve("ka.uri.param", None).is_err());
        assert!(t.resolve("jevt.value", Some("/a/b")).is_ok());
    }
}
