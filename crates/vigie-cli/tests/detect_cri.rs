//! `vigie detect syscalls --cri` on this machine: a shell moved into a cgroup
//! named as containerd names its containers opens a marker file again and again;
//! the live sensor's alerts on it carry the container and pod fields the
//! stand-in runtime gives for that container id, once the runtime has answered.
//! Needs root and a BTF kernel, as the other live tests.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

mod common;
use common::assert_contains;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use vigie_cluster::cri::standin::{FakeContainer, Standin};

const ID: &str = "c0ffee00d15ea5e5c0ffee00d15ea5e5c0ffee00d15ea5e5c0ffee00d15ea5e5";

/// A cgroup v2 hierarchy: the mounted one, or one mounted here for the test.
struct Cgroup2 {
    root: PathBuf,
    mounted: Option<tempfile::TempDir>,
}

impl Cgroup2 {
    fn find_or_mount() -> Cgroup2 {
        let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
        for line in mounts.lines() {
            let fields: Vec<&str> = line.split(' ').collect();
            let dash = fields.iter().position(|f| *f == "-").unwrap();
            if fields.get(dash + 1) == Some(&"cgroup2") && fields[3] == "/" {
                return Cgroup2 {
                    root: PathBuf::from(fields[4]),
                    mounted: None,
                };
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "cgroup2", "none"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(ok.success(), "cannot mount cgroup2 (root needed)");
        Cgroup2 {
            root: dir.path().to_path_buf(),
            mounted: Some(dir),
        }
    }
}

impl Drop for Cgroup2 {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(self.root.join(format!("cri-containerd-{ID}.scope")));
        if let Some(dir) = &self.mounted {
            let _ = Command::new("umount").arg(dir.path()).status();
        }
    }
}

fn write_rules(dir: &Path, marker: &Path) -> PathBuf {
    let rules = dir.join("rules.yaml");
    std::fs::write(
        &rules,
        format!(
            r#"- rule: Marker read in a container
  desc: the test's marker file is opened
  condition: evt.type in (open, openat) and fd.name = {}
  output: "name=%container.name image=%container.image.repository tag=%container.image.tag type=%container.type pod=%k8s.pod.name ns=%k8s.ns.name app=%k8s.pod.label.app privileged=%container.privileged id=%container.id"
  priority: WARNING
"#,
            marker.display()
        ),
    )
    .unwrap();
    rules
}

#[test]
fn alerts_from_a_containerd_cgroup_carry_the_runtimes_container_and_pod() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("containerd.sock");
    let _runtime = Standin::start(
        &socket,
        "containerd",
        vec![FakeContainer {
            id: ID.into(),
            name: "checkout".into(),
            image: "registry.example/shop/checkout:4.1".into(),
            image_ref: "registry.example/shop/checkout@sha256:77aa".into(),
            privileged: false,
            sandbox: "sandbox-1".into(),
            pod_name: "checkout-6c9d".into(),
            pod_uid: "5e0f".into(),
            pod_namespace: "shop".into(),
            pod_labels: vec![("app".into(), "checkout".into())],
        }],
        Duration::ZERO,
    )
    .unwrap();
    let marker = dir.path().join("marker");
    std::fs::write(&marker, "x").unwrap();
    let rules = write_rules(dir.path(), &marker);

    let mut vigie = Command::new(env!("CARGO_BIN_EXE_vigie"))
        .env("NO_COLOR", "1")
        .args([
            "detect",
            "syscalls",
            "--no-default-rules",
            "-o",
            "json",
            "--cri",
        ])
        .arg(&socket)
        .arg("-r")
        .arg(&rules)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(vigie.stderr.take().unwrap());
    let mut said = String::new();
    while !said.contains("live sensor attached") {
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap() == 0 {
            panic!("the live sensor must start here (root, BTF kernel): {said}");
        }
        said.push_str(&line);
    }
    assert_contains(&said, "container runtime containerd standin");

    let cgroups = Cgroup2::find_or_mount();
    let cgroup = cgroups.root.join(format!("cri-containerd-{ID}.scope"));
    std::fs::create_dir_all(&cgroup).unwrap();
    // The shell moves itself into the container's cgroup, then reads the marker
    // with a new process each time (each execve carries its cgroups).
    let script = format!(
        "echo $$ > {}/cgroup.procs && for i in $(seq 1 60); do cat {} > /dev/null; sleep 0.05; done",
        cgroup.display(),
        marker.display()
    );
    let ran = Command::new("sh").arg("-c").arg(&script).status().unwrap();
    assert!(ran.success());
    // Events are drained every few milliseconds: give the last ones time.
    std::thread::sleep(Duration::from_millis(500));
    Command::new("kill")
        .args(["-TERM", &vigie.id().to_string()])
        .status()
        .unwrap();
    let out = vigie.wait_with_output().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    said.push_str(&rest);

    let outputs: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["output"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(
        outputs.len() >= 30,
        "{} alerts; stderr: {said}",
        outputs.len()
    );
    let described = outputs
        .iter()
        .filter(|o| {
            o.contains(
                "name=checkout image=registry.example/shop/checkout tag=4.1 type=containerd pod=checkout-6c9d ns=shop app=checkout privileged=false id=c0ffee00d15e",
            )
        })
        .count();
    // Only the container's first events may come before the runtime's answer.
    let not_yet = outputs.iter().filter(|o| o.contains("name=<NA>")).count();
    assert_eq!(described + not_yet, outputs.len(), "{outputs:#?}");
    assert!(described > not_yet, "{outputs:#?}");
    assert_contains(&said, "1 lookups (1 found, 0 unknown, 0 failed)");
    eprintln!(
        "{} alerts, {not_yet} before the runtime's answer; {said}",
        outputs.len()
    );
}
