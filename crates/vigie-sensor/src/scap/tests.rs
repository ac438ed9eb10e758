use super::*;
use crate::event::encode_event;

fn sample() -> Vec<u8> {
    let mut w = ScapWriter::new(&MachineInfo {
        num_cpus: 2,
        hostname: "node-a".into(),
        ..MachineInfo::default()
    });
    w.threads(&[ThreadEntry {
        tid: 100,
        pid: 100,
        ptid: 1,
        sid: 100,
        comm: "bash".into(),
        exe: "/bin/bash".into(),
        args: b"-i\0".to_vec(),
        cwd: "/root/".into(),
        uid: 0,
        vtid: 100,
        vpid: 100,
        cgroups: b"cpu=/\0".to_vec(),
        ..ThreadEntry::default()
    }])
    .fds(
        100,
        &[FdEntry {
            tid: 100,
            fd: 0,
            ino: 7,
            kind: FdKind::File,
            name: "/dev/pts/0".into(),
            open_flags: 2,
            ..FdEntry::default()
        }],
    )
    .users(
        &[UserEntry {
            uid: 0,
            gid: 0,
            name: "root".into(),
            homedir: "/root".into(),
            shell: "/bin/bash".into(),
        }],
        &[GroupEntry {
            gid: 0,
            name: "root".into(),
        }],
    );
    let fd = 3i64.to_le_bytes();
    w.event(
        1,
        &encode_event(10, 100, 306, &[b"/etc/shadow\0", &0u32.to_le_bytes()]),
    );
    w.event(1, &encode_event(11, 100, 5, &[&fd]));
    w.into_bytes()
}

#[test]
fn reads_back_what_the_writer_wrote() {
    let cap = Capture::parse(sample(), Limits::default()).unwrap();
    assert!(cap.issues.is_empty(), "{:?}", cap.issues);
    assert_eq!(cap.version, (1, 2));
    assert_eq!(cap.machine.as_ref().unwrap().hostname, "node-a");
    assert_eq!(cap.threads.len(), 1);
    assert_eq!(cap.threads[0].exe, "/bin/bash");
    assert_eq!(cap.threads[0].cgroups, b"cpu=/\0");
    assert_eq!(cap.fds[0].name, "/dev/pts/0");
    assert_eq!(cap.users[0].name, "root");
    assert_eq!(cap.groups[0].name, "root");
    let events: Vec<_> = cap.events().collect();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].cpu, 1);
    assert_eq!(events[0].raw().name(), "openat");
    assert_eq!(events[1].raw().int_named("res"), Some(3));
}

#[test]
fn a_corrupt_block_is_reported_and_the_rest_read() {
    let mut bytes = sample();
    // Find the first event block and break its event's length.
    let mut at = 0;
    loop {
        let ty = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        if ty == block::EV_V2 {
            bytes[at + 8 + 2 + 16] = 0xff;
            break;
        }
        at += len;
    }
    let cap = Capture::parse(bytes, Limits::default()).unwrap();
    assert_eq!(cap.issues.len(), 1);
    assert_eq!(cap.issues[0].offset, at as u64);
    assert!(
        cap.issues[0].reason.contains("event length"),
        "{}",
        cap.issues[0]
    );
    assert_eq!(cap.event_count(), 1);
}

#[test]
fn truncation_and_bad_headers_are_named() {
    let bytes = sample();
    let cut = bytes.len() - 10;
    let cap = Capture::parse(bytes[..cut].to_vec(), Limits::default()).unwrap();
    assert_eq!(cap.event_count(), 1);
    assert!(
        cap.issues[0].reason.contains("runs past the end"),
        "{}",
        cap.issues[0]
    );
    let err = Capture::parse(b"not a capture at all, really".to_vec(), Limits::default());
    assert!(err.unwrap_err().reason.contains("not a section header"));
    let small = Limits {
        max_meta_block_bytes: 16,
        ..Limits::default()
    };
    let cap = Capture::parse(sample(), small).unwrap();
    assert!(cap.threads.is_empty());
    assert!(cap
        .issues
        .iter()
        .any(|i| i.reason.contains("more than the limit")));
}

#[test]
fn converts_first_version_event_headers() {
    // An event block of the first version: the header has no nparams.
    let full = encode_event(5, 9, 5, &[&3i64.to_le_bytes()]);
    let mut old = Vec::new();
    old.extend_from_slice(&full[..16]);
    old.extend_from_slice(&((full.len() - 4) as u32).to_le_bytes());
    old.extend_from_slice(&full[20..22]);
    old.extend_from_slice(&full[26..]);
    let mut w = ScapWriter::new(&MachineInfo::default());
    let mut body = vec![0u8, 0];
    body.extend_from_slice(&old);
    w.block(block::EV, &body);
    let cap = Capture::parse(w.into_bytes(), Limits::default()).unwrap();
    assert!(cap.issues.is_empty(), "{:?}", cap.issues);
    let e = cap.events().next().unwrap();
    assert_eq!(e.raw().nparams, 1);
    assert_eq!(e.raw().int_named("res"), Some(3));
}

/// A small deterministic generator (no dependency, same inputs on every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn damaged_captures_are_read_without_panicking() {
    let good = crate::scap::sample_capture();
    let mut rng = Lcg(7);
    for round in 0..400 {
        let mut bytes = good.clone();
        match round % 3 {
            // Flip bytes anywhere.
            0 => {
                for _ in 0..1 + rng.next() % 8 {
                    let at = rng.next() as usize % bytes.len();
                    bytes[at] ^= 1 << (rng.next() % 8);
                }
            }
            // Cut the capture short.
            1 => bytes.truncate(rng.next() as usize % bytes.len()),
            // Overwrite a length-looking word with a large value.
            _ => {
                let at = (rng.next() as usize % (bytes.len() / 4)) * 4;
                bytes[at..at + 4].copy_from_slice(&(rng.next() as u32 | 0x8000_0000).to_le_bytes());
            }
        }
        let Ok(cap) = Capture::parse(bytes, Limits::default()) else {
            continue;
        };
        let mut state = crate::state::State::from_capture(&cap);
        for (i, e) in cap.events().enumerate() {
            let raw = e.raw();
            state.before(&raw);
            let view = crate::fields::SyscallEvent::new(raw, &state, i as u64, e.cpu);
            for def in crate::fields::syscall_table().defs() {
                if let Ok(f) = crate::fields::syscall_table().resolve(def.name, None) {
                    let _ = vigie_rules::Event::extract(&view, &f);
                }
            }
            state.after(&raw);
        }
    }
}

/// One interface list entry: type, name length, three addresses, the link
/// speed when the type has one, the name.
fn interface(kind: u16, addrs: [&[u8]; 3], name: &str) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&kind.to_le_bytes());
    v.extend_from_slice(&(name.len() as u16).to_le_bytes());
    for a in addrs {
        v.extend_from_slice(a);
    }
    if matches!(kind, 1 | 2) {
        v.extend_from_slice(&1000u64.to_le_bytes());
    }
    v.extend_from_slice(name.as_bytes());
    v
}

#[test]
fn interface_lists_of_both_versions_give_names_and_addresses() {
    use std::net::IpAddr;
    let lo = interface(1, [&[127, 0, 0, 1], &[255, 0, 0, 0], &[127, 0, 0, 1]], "lo");
    let mut v6 = [0u8; 16];
    v6[0] = 0xfd;
    v6[15] = 1;
    let mut mask = [0u8; 16];
    mask[0] = 0xff;
    let eth = interface(4, [&v6, &mask, &[0; 16]], "eth0");
    // Version 1: entries back to back.
    let mut out = Vec::new();
    super::meta::iflist(&[lo.clone(), eth.clone()].concat(), false, &mut out).unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].name, "lo");
    assert_eq!(out[0].addr, "127.0.0.1".parse::<IpAddr>().unwrap());
    assert_eq!(out[0].netmask, "255.0.0.0".parse::<IpAddr>().unwrap());
    assert_eq!(out[1].name, "eth0");
    assert_eq!(out[1].addr, "fd00::1".parse::<IpAddr>().unwrap());
    assert_eq!(out[1].netmask, "ff00::".parse::<IpAddr>().unwrap());
    // Version 2: each entry after its length, which may leave padding.
    let mut body = Vec::new();
    for e in [&lo, &eth] {
        body.extend_from_slice(&(e.len() as u32 + 2).to_le_bytes());
        body.extend_from_slice(e);
        body.extend_from_slice(&[0, 0]);
    }
    let mut again = Vec::new();
    super::meta::iflist(&body, true, &mut again).unwrap();
    assert_eq!(again, out);
    // An unknown type is named with where it is.
    let mut bad = lo.clone();
    bad[0] = 9;
    let err = super::meta::iflist(&[lo.clone(), bad].concat(), false, &mut Vec::new()).unwrap_err();
    assert_eq!((err.0, err.1 .0), (lo.len(), "interface type (1 to 4)"));
}
