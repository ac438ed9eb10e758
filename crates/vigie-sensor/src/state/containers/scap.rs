//! Container events of `.scap` captures: libsinsp writes one when it first sees a
//! container, either with the fields as parameters (`id`, `type`, `name`,
//! `image`: old captures) or as one JSON document (`{"container": {...}}`).

use std::collections::BTreeMap;

use serde_json::Value;

use super::{ContainerInfo, ImageName, PodInfo};
use crate::event::RawEvent;

/// `container.type` for libsinsp's container type numbers.
pub fn runtime_name(kind: i64) -> &'static str {
    match kind {
        0 => "docker",
        1 => "lxc",
        2 => "libvirt-lxc",
        3 => "mesos",
        4 => "rkt",
        5 => "custom",
        6 => "cri",
        7 => "containerd",
        8 => "cri-o",
        9 => "bpm",
        10 => "static",
        11 => "podman",
        _ => "unknown",
    }
}

impl ContainerInfo {
    /// The container a capture's container event describes; `None` for other
    /// events and for documents without an id.
    pub fn from_event(e: &RawEvent<'_>) -> Option<ContainerInfo> {
        if e.name() != "container" {
            return None;
        }
        if let Some(json) = e.str_named("json") {
            return ContainerInfo::from_json(json);
        }
        let id = e.str_named("id")?;
        Some(ContainerInfo {
            id: id.to_string(),
            name: e.str_named("name").unwrap_or_default().to_string(),
            image: ImageName::parse(e.str_named("image").unwrap_or_default(), ""),
            runtime: runtime_name(e.int_named("type").unwrap_or(-1)).to_string(),
            privileged: None,
            pod: None,
        })
    }

    /// From libsinsp's container JSON.
    pub fn from_json(json: &str) -> Option<ContainerInfo> {
        let doc: Value = serde_json::from_str(json).ok()?;
        let c = doc.get("container")?;
        let text = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or_default();
        let id = text("id");
        if id.is_empty() {
            return None;
        }
        let mut image = ImageName::parse(text("image"), "");
        // The document carries the parts libsinsp computed; prefer them.
        for (key, part) in [
            ("imagerepo", &mut image.repository),
            ("imagetag", &mut image.tag),
            ("imagedigest", &mut image.digest),
        ] {
            if !text(key).is_empty() {
                *part = text(key).to_string();
            }
        }
        let map = |k: &str| -> BTreeMap<String, String> {
            c.get(k)
                .and_then(Value::as_object)
                .map(|o| {
                    o.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default()
        };
        let pod = PodInfo::from_container_labels(&map("labels")).map(|mut p| {
            p.labels = map("pod_sandbox_labels");
            p
        });
        Some(ContainerInfo {
            id: id.to_string(),
            name: text("name").to_string(),
            image,
            runtime: runtime_name(c.get("type").and_then(Value::as_i64).unwrap_or(-1)).to_string(),
            privileged: c.get("privileged").and_then(Value::as_bool),
            pod,
        })
    }
}
