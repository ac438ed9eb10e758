//! The container a process runs in, from its cgroup paths: container runtimes name
//! the cgroup after the container's 64-hex-digit id (`/docker/ID`,
//! `docker-ID.scope`, `cri-containerd-ID.scope`, `crio-ID.scope`, `libpod-ID.scope`,
//! `/kubepods/.../ID`). `container.id` is its first 12 digits, `host` outside
//! containers.

/// The id of processes outside containers.
pub const HOST: &str = "host";

/// The full container id found in one cgroup path.
pub fn full_id_in_path(path: &str) -> Option<&str> {
    for part in path.rsplit('/') {
        let part = part.strip_suffix(".scope").unwrap_or(part);
        let id = part.rsplit(['-', ':']).next().unwrap_or(part);
        if id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Some(id);
        }
    }
    None
}

/// The full container id among cgroup entries (`subsystem=path` or plain paths).
pub fn full_id<'a>(cgroups: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    cgroups.into_iter().find_map(|entry| {
        let path = entry.split_once('=').map_or(entry, |(_, p)| p);
        full_id_in_path(path)
    })
}

/// The short id (`container.id`) of the process whose cgroup entries these are.
pub fn short_id<'a>(cgroups: impl IntoIterator<Item = &'a str>) -> String {
    full_id(cgroups).map_or_else(|| HOST.to_string(), |id| id[..12].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e";

    #[test]
    fn finds_ids_of_each_runtime() {
        for path in [
            format!("cpu=/docker/{ID}"),
            format!("0::/system.slice/docker-{ID}.scope"),
            format!("/kubepods.slice/kubepods-besteffort.slice/kubepods-pod1.slice/cri-containerd-{ID}.scope"),
            format!("/kubepods/besteffort/pod1234/{ID}"),
            format!("/machine.slice/libpod-{ID}.scope"),
            format!("/kubepods.slice/crio-{ID}.scope"),
        ] {
            assert_eq!(short_id([path.as_str()]), &ID[..12], "{path}");
        }
        assert_eq!(
            short_id(["cpu=/user.slice/user-1000.slice/session-1.scope"]),
            HOST
        );
        assert_eq!(short_id(std::iter::empty()), HOST);
    }
}
