use vigie_rules::{Event, Extracted, Val};

use super::*;
use crate::event::fixture::*;
use crate::event::RawEvent;
use crate::state::{State, Thread, Users};

/// Event `bytes` as the rules see it: what it creates added to `s` first.
fn arrived<'a>(s: &'a mut State, bytes: &'a [u8], num: u64, cpu: u16) -> SyscallEvent<'a> {
    let raw = RawEvent::parse(bytes).unwrap();
    s.before(&raw);
    SyscallEvent::new(raw, s, num, cpu)
}

fn val(e: &SyscallEvent<'_>, name: &str, arg: Option<&str>) -> Extracted<'static> {
    let r = syscall_table().resolve(name, arg).unwrap();
    match e.extract(&r) {
        Extracted::Missing => Extracted::Missing,
        Extracted::One(v) => Extracted::One(owned(v)),
        Extracted::Many(v) => Extracted::Many(v.into_iter().map(owned).collect()),
    }
}

fn owned(v: Val<'_>) -> Val<'static> {
    match v {
        Val::Str(s) => Val::Str(s.into_owned().into()),
        Val::Num(n) => Val::Num(n),
        Val::Bool(b) => Val::Bool(b),
    }
}

fn text(v: &str) -> Extracted<'static> {
    Extracted::One(Val::Str(v.to_string().into()))
}

fn num(v: i64) -> Extracted<'static> {
    Extracted::One(Val::Num(v))
}

fn boolean(v: bool) -> Extracted<'static> {
    Extracted::One(Val::Bool(v))
}

fn state() -> State {
    let mut s = State::new();
    s.hostname = "node-a".into();
    let mut users = Users::default();
    users.add_passwd("root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/zsh\n");
    users.add_group("root:x:0:\nalice:x:1000:\n");
    s.users = users;
    let mut init = Thread::unknown(1);
    init.unknown = false;
    init.comm = "systemd".into();
    init.ptid = 0;
    s.insert_thread(init);
    let mut sshd = Thread::unknown(50);
    sshd.unknown = false;
    sshd.comm = "sshd".into();
    sshd.ptid = 1;
    s.insert_thread(sshd);
    let mut bash = Thread::unknown(100);
    bash.unknown = false;
    bash.comm = "bash".into();
    bash.exe = "-bash".into();
    bash.exepath = "/usr/bin/bash".into();
    bash.ptid = 50;
    bash.sid = 100;
    bash.vpid = 100;
    bash.cwd = "/home/alice/".into();
    bash.uid = 1000;
    bash.gid = 1000;
    bash.loginuid = 1000;
    bash.tty = 34816;
    s.insert_thread(bash);
    s
}

#[test]
fn an_open_of_a_sensitive_file_has_its_fields() {
    let mut s = state();
    let bytes = build_event(
        "openat",
        true,
        1_470_327_477_881_730_713,
        100,
        &[
            ("fd", i64b(3)),
            ("dirfd", i64b(-100)),
            ("name", strb("../../etc/shadow")),
            ("flags", u32b(1 | 4096)),
        ],
    );
    let e = arrived(&mut s, &bytes, 7, 1);
    assert_eq!(e.event_type(), Some("openat"));
    assert_eq!(val(&e, "evt.num", None), num(7));
    assert_eq!(val(&e, "evt.type", None), text("openat"));
    assert_eq!(val(&e, "evt.dir", None), text("<"));
    assert_eq!(val(&e, "evt.time", None), text("16:17:57.881730713"));
    assert_eq!(val(&e, "evt.res", None), text("SUCCESS"));
    assert_eq!(val(&e, "evt.is_open_read", None), boolean(true));
    assert_eq!(val(&e, "evt.is_open_write", None), boolean(false));
    assert_eq!(val(&e, "evt.arg.flags", None), text("O_RDONLY|O_CLOEXEC"));
    assert_eq!(val(&e, "evt.rawarg.flags", None), num(4097));
    assert_eq!(val(&e, "fd.name", None), text("/etc/shadow"));
    assert_eq!(val(&e, "fd.directory", None), text("/etc"));
    assert_eq!(val(&e, "fd.filename", None), text("shadow"));
    assert_eq!(val(&e, "fd.typechar", None), text("f"));
    assert_eq!(val(&e, "fd.num", None), num(3));
    assert_eq!(val(&e, "proc.name", None), text("bash"));
    assert_eq!(val(&e, "proc.pname", None), text("sshd"));
    assert_eq!(val(&e, "proc.aname", Some("2")), text("systemd"));
    assert_eq!(
        val(&e, "proc.aname", None),
        Extracted::Many(vec![Val::Str("sshd".into()), Val::Str("systemd".into())])
    );
    assert_eq!(val(&e, "proc.cwd", None), text("/home/alice/"));
    assert_eq!(val(&e, "proc.loginshellid", None), num(100));
    assert_eq!(val(&e, "proc.sname", None), text("bash"));
    assert_eq!(val(&e, "user.name", None), text("alice"));
    assert_eq!(val(&e, "user.loginname", None), text("alice"));
    assert_eq!(val(&e, "group.name", None), text("alice"));
    assert_eq!(val(&e, "container.id", None), text("host"));
    assert_eq!(val(&e, "evt.hostname", None), text("node-a"));
    assert_eq!(val(&e, "proc.vmsize", None), Extracted::Missing);
}

#[test]
fn failures_connections_and_reverse_shell_shapes() {
    let mut s = state();
    let fail = build_event(
        "openat",
        true,
        1,
        100,
        &[
            ("fd", i64b(-2)),
            ("dirfd", i64b(-100)),
            ("name", strb("/nope")),
        ],
    );
    let e = arrived(&mut s, &fail, 1, 0);
    assert_eq!(val(&e, "evt.res", None), text("ENOENT"));
    assert_eq!(val(&e, "evt.rawres", None), num(-2));
    assert_eq!(val(&e, "evt.failed", None), boolean(true));
    // A failed open shows the path it named as descriptor -1, as libsinsp does.
    assert_eq!(val(&e, "fd.num", None), num(-1));
    assert_eq!(val(&e, "fd.typechar", None), text("f"));
    assert_eq!(val(&e, "fd.name", None), text("/nope"));

    for ev in [
        build_event(
            "socket",
            true,
            2,
            100,
            &[("fd", i64b(3)), ("domain", u32b(2)), ("type", u32b(1))],
        ),
        build_event(
            "connect",
            true,
            3,
            100,
            &[
                ("res", i64b(0)),
                ("tuple", tuple4([10, 0, 0, 2], 40000, [1, 2, 3, 4], 4444)),
                ("fd", i64b(3)),
            ],
        ),
    ] {
        let raw = RawEvent::parse(&ev).unwrap();
        s.before(&raw);
        s.after(&raw);
    }
    let dup = build_event(
        "dup2",
        true,
        4,
        100,
        &[("res", i64b(0)), ("oldfd", i64b(3)), ("newfd", i64b(0))],
    );
    let e = arrived(&mut s, &dup, 2, 0);
    assert_eq!(val(&e, "fd.num", None), num(0));
    assert_eq!(val(&e, "fd.type", None), text("ipv4"));
    assert_eq!(val(&e, "fd.sip", None), text("1.2.3.4"));
    assert_eq!(val(&e, "fd.sport", None), num(4444));
    assert_eq!(val(&e, "fd.rport", None), num(4444));
    assert_eq!(val(&e, "fd.lport", None), num(40000));
    assert_eq!(val(&e, "fd.l4proto", None), text("tcp"));
    assert_eq!(val(&e, "fd.sockfamily", None), text("ip"));
    assert_eq!(val(&e, "proc.stdin.type", None), text("ipv4"));
    assert_eq!(val(&e, "evt.rawres", None), num(0));
}

#[test]
fn an_exec_gives_the_image_fields() {
    let mut s = state();
    let bytes = build_event(
        "execve",
        true,
        1_470_327_477_881_730_713,
        100,
        &[
            ("res", i64b(0)),
            ("exe", strb("ls")),
            ("pid", i64b(100)),
            ("vm_size", u32b(9_000)),
            ("vm_rss", u32b(1_200)),
            ("vm_swap", u32b(4)),
            ("env", listb(&["HOME=/home/alice", "TERM=xterm", "EMPTY="])),
            ("exe_ino", (1234u64).to_le_bytes().to_vec()),
            (
                "exe_ino_ctime",
                (1_700_000_000_000_000_001u64).to_le_bytes().to_vec(),
            ),
            (
                "exe_ino_mtime",
                (1_600_000_000_000_000_002u64).to_le_bytes().to_vec(),
            ),
        ],
    );
    let e = arrived(&mut s, &bytes, 1, 0);
    assert_eq!(
        val(&e, "proc.env", None),
        text("HOME=/home/alice TERM=xterm EMPTY=")
    );
    assert_eq!(val(&e, "proc.env", Some("TERM")), text("xterm"));
    assert_eq!(val(&e, "proc.env", Some("EMPTY")), text(""));
    assert_eq!(val(&e, "proc.env", Some("HOM")), Extracted::Missing);
    assert_eq!(val(&e, "proc.vmsize", None), num(9_000));
    assert_eq!(val(&e, "proc.vmrss", None), num(1_200));
    assert_eq!(val(&e, "proc.vmswap", None), num(4));
    assert_eq!(val(&e, "proc.exe_ino", None), num(1234));
    assert_eq!(
        val(&e, "proc.exe_ino.ctime", None),
        num(1_700_000_000_000_000_001)
    );
    assert_eq!(
        val(&e, "proc.exe_ino.mtime", None),
        num(1_600_000_000_000_000_002)
    );
}

#[test]
fn container_and_pod_fields_come_from_what_is_known_of_the_container() {
    use crate::state::containers::{
        CacheConfig, ContainerCache, ContainerInfo, ImageName, PodInfo,
    };
    const KNOWN: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f9001122334455667788990aabbccddeeff";
    const NEW: &str = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
    let mut s = state();
    let (cache, requests) = ContainerCache::new(CacheConfig::default());
    let pod = PodInfo {
        name: "cart-5f7".into(),
        uid: "7a0e-42".into(),
        namespace: "shop".into(),
        labels: [("app".to_string(), "cart".to_string())].into(),
    };
    cache.insert(
        KNOWN,
        ContainerInfo {
            id: KNOWN.into(),
            name: "cart".into(),
            image: ImageName::parse("ghcr.io/acme/cart:3.2", "ghcr.io/acme/cart@sha256:9f"),
            runtime: "containerd".into(),
            privileged: Some(false),
            pod: Some(pod),
        },
    );
    s.containers.set_cache(cache.clone());
    for (tid, id) in [(200, KNOWN), (300, NEW)] {
        let mut t = Thread::unknown(tid);
        t.unknown = false;
        t.comm = "app".into();
        t.cgroups = vec![format!("0::/kubepods.slice/cri-containerd-{id}.scope")];
        t.container_id = id[..12].to_string();
        s.insert_thread(t);
    }
    let event = |tid: u64| build_event("close", true, 1, tid, &[("res", i64b(0))]);
    let (host, known, new) = (event(100), event(200), event(300));
    let view = |bytes: &[u8]| -> Vec<Extracted<'static>> {
        let e = SyscallEvent::new(RawEvent::parse(bytes).unwrap(), &s, 1, 0);
        [
            ("container.name", None),
            ("container.type", None),
            ("container.image", None),
            ("container.image.repository", None),
            ("container.image.tag", None),
            ("container.image.digest", None),
            ("container.privileged", None),
            ("k8s.pod.name", None),
            ("k8s.pod.uid", None),
            ("k8s.ns.name", None),
            ("k8s.pod.label", Some("app")),
            ("k8s.pod.labels", None),
        ]
        .iter()
        .map(|(f, arg)| val(&e, f, *arg))
        .collect()
    };
    let m = Extracted::Missing;
    let no = boolean(false);
    assert_eq!(
        view(&host),
        vec![
            text("host"),
            text("host"),
            m.clone(),
            m.clone(),
            m.clone(),
            m.clone(),
            no.clone(),
            m.clone(),
            m.clone(),
            m.clone(),
            m.clone(),
            m.clone()
        ]
    );
    assert_eq!(
        view(&known),
        vec![
            text("cart"),
            text("containerd"),
            text("ghcr.io/acme/cart:3.2"),
            text("ghcr.io/acme/cart"),
            text("3.2"),
            text("sha256:9f"),
            no,
            text("cart-5f7"),
            text("7a0e-42"),
            text("shop"),
            text("cart"),
            text("app:cart")
        ]
    );
    // A container the runtime has not described yet: nothing, and the runtime is
    // asked once for it (the event's view looks the container up once).
    assert_eq!(view(&new), vec![m; 12]);
    assert_eq!(requests.next(std::time::Duration::ZERO).as_deref(), Ok(NEW));
    assert_eq!(requests.next(std::time::Duration::ZERO), Err(false));
    assert_eq!((cache.stats().hits, cache.stats().misses), (1, 1));
}
