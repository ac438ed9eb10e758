//! The live sensor, end to end: start it, act, and find the action's event with
//! the right parameters. These tests need root and a BTF kernel (CI runs as root
//! here); without them they fail, naming the reason, rather than skip.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]
// The actions under test are raw syscalls (chmod, memfd_create, execveat, ...);
// each unsafe block names why its arguments are valid.
#![allow(unsafe_code)]

use std::cell::RefCell;
use std::ffi::CString;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;
use std::rc::Rc;
use std::sync::Mutex;

use vigie_sensor::event::{ParamValue, RawEvent};
use vigie_sensor::live::{Config, Sensor, Storage, SyscallSet};

/// One event, decoded from libscap's encoding just enough for these tests.
#[derive(Debug, Clone)]
struct Ev {
    ts: u64,
    tid: u64,
    ty: u16,
    params: Vec<Vec<u8>>,
}

fn decode(b: &[u8]) -> Ev {
    let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap());
    let len = u32::from_le_bytes(b[16..20].try_into().unwrap()) as usize;
    assert_eq!(len, b.len(), "header length matches the record");
    let ty = u16::from_le_bytes(b[20..22].try_into().unwrap());
    let n = u32::from_le_bytes(b[22..26].try_into().unwrap()) as usize;
    let mut off = 26 + 2 * n;
    let mut params = Vec::new();
    for i in 0..n {
        let l = u16::from_le_bytes(b[26 + 2 * i..28 + 2 * i].try_into().unwrap()) as usize;
        params.push(b[off..off + l].to_vec());
        off += l;
    }
    assert_eq!(off, len, "parameters fill the event exactly");
    // The decoder shared with .scap replay reads the same bytes: a known event
    // whose parameter count and every typed value match libscap's table.
    let raw = RawEvent::parse(b).expect("RawEvent decodes every live event");
    let info = raw
        .info()
        .unwrap_or_else(|| panic!("event code {ty} is in libscap's table"));
    assert_eq!(
        info.params.len(),
        n,
        "{} has libscap's parameter count",
        info.name
    );
    for i in 0..n {
        if let Some(ParamValue::Malformed(bytes)) = raw.value(i) {
            panic!("{} parameter {i} malformed: {bytes:?}", info.name);
        }
    }
    Ev {
        ts: u64_at(0),
        tid: u64_at(8),
        ty,
        params,
    }
}

impl Ev {
    fn i64(&self, i: usize) -> i64 {
        i64::from_le_bytes(self.params[i][..8].try_into().unwrap())
    }
    fn u32(&self, i: usize) -> u32 {
        u32::from_le_bytes(self.params[i][..4].try_into().unwrap())
    }
    fn str(&self, i: usize) -> String {
        let p = &self.params[i];
        let end = p.iter().position(|&c| c == 0).unwrap_or(p.len());
        String::from_utf8_lossy(&p[..end]).into_owned()
    }
}

// One sensor at a time: each attaches its own programs, and counts are per sensor.
static ONE: Mutex<()> = Mutex::new(());

/// Runs `action` with the sensor attached and returns every event seen from
/// this process (and its children when `children`).
fn capture(syscalls: SyscallSet, action: impl FnOnce()) -> Vec<Ev> {
    let _g = ONE.lock().unwrap_or_else(|e| e.into_inner());
    let seen: Rc<RefCell<Vec<Ev>>> = Rc::default();
    let sink = seen.clone();
    let mut storage = Storage::default();
    let config = Config {
        syscalls,
        // The actions run in this process.
        watch_self: true,
        ..Config::default()
    };
    let sensor = Sensor::start(&config, &mut storage, move |b| {
        sink.borrow_mut().push(decode(b))
    })
    .unwrap_or_else(|e| panic!("the live sensor must start here (root, BTF kernel): {e}"));
    action();
    sensor.consume().expect("ring readable");
    let c = sensor.counters().expect("counters readable");
    assert_eq!(c.dropped, 0, "no drops in a quiet test");
    assert_eq!(c.too_big, 0);
    drop(sensor);
    let v = seen.borrow().clone();
    v
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vigie-sensor-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn my_tgid() -> u64 {
    std::process::id() as u64
}

#[test]
fn open_and_read_of_a_scratch_file_arrive_with_path_flags_and_data() {
    let dir = scratch("open");
    let file = dir.join("secret.txt");
    std::fs::write(&file, b"hello sensor").unwrap();
    let mut set = SyscallSet::state();
    set.insert("read");
    let evs = capture(set, || {
        let mut f = std::fs::File::open(&file).unwrap();
        let mut s = String::new();
        f.read_to_string(&mut s).unwrap();
    });
    let path = file.to_str().unwrap();
    let open = evs
        .iter()
        .find(|e| e.ty == 307 && e.str(2) == path)
        .unwrap_or_else(|| panic!("an openat exit event for {path} among {} events", evs.len()));
    let fd = open.i64(0);
    assert!(fd >= 0);
    assert_eq!(open.i64(1), -100, "dirfd AT_FDCWD");
    assert_eq!(open.u32(3) & 3, 1, "PPM_O_RDONLY");
    assert_ne!(
        u64::from_le_bytes(open.params[6][..8].try_into().unwrap()),
        0,
        "inode"
    );
    let read = evs
        .iter()
        .find(|e| e.ty == 7 && e.i64(2) == fd && e.i64(0) > 0)
        .expect("a read exit event on the opened fd");
    assert_eq!(read.params[1], b"hello sensor");
    assert!(open.ts > 1_600_000_000_000_000_000, "epoch timestamps");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn connect_to_a_loopback_port_carries_tuple_and_address() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let evs = capture(SyscallSet::state(), || {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.write_all(b"x").unwrap();
    });
    let c = evs
        .iter()
        .find(|e| {
            e.ty == 23
                && e.i64(0) == 0
                && e.params[3].len() == 7
                && u16::from_le_bytes(e.params[3][5..7].try_into().unwrap()) == port
        })
        .expect("a connect exit event to the listener");
    let addr = &c.params[3];
    assert_eq!(addr[0], 2, "PPM_AF_INET");
    assert_eq!(&addr[1..5], &[127, 0, 0, 1]);
    let tuple = &c.params[1];
    assert_eq!(tuple.len(), 13);
    assert_eq!(&tuple[1..5], &[127, 0, 0, 1], "source ip");
    assert_ne!(
        u16::from_le_bytes(tuple[5..7].try_into().unwrap()),
        0,
        "source port"
    );
    assert_eq!(&tuple[7..11], &[127, 0, 0, 1], "destination ip");
    assert_eq!(u16::from_le_bytes(tuple[11..13].try_into().unwrap()), port);
}

#[test]
fn setuid_bit_on_a_scratch_file_is_seen_with_libscap_mode_bits() {
    let dir = scratch("chmod");
    let file = dir.join("tool");
    std::fs::write(&file, b"#!/bin/sh\n").unwrap();
    let mut set = SyscallSet::state();
    set.insert("fchmodat");
    set.insert("chmod");
    set.insert("fchmod");
    let evs = capture(set, || {
        let c = CString::new(file.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        let rc = unsafe { libc::chmod(c.as_ptr(), 0o4755) };
        assert_eq!(rc, 0);
    });
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o7777,
        0o4755
    );
    let path = file.to_str().unwrap();
    let e = evs
        .iter()
        .find(|e| (e.ty == 313 && e.str(2) == path) || (e.ty == 315 && e.str(1) == path))
        .expect("a chmod or fchmodat exit event");
    let mode = e.u32(e.params.len() - 1);
    assert_eq!(mode, (1 << 11) | 0o755, "PPM_S_ISUID and rwxr-xr-x");
    assert_eq!(e.i64(0), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_shell_spawned_by_us_gives_clone_execve_and_procexit_events() {
    let dir = scratch("exec");
    let evs = capture(SyscallSet::state(), || {
        let st = Command::new("/bin/sh")
            .arg("-c")
            .arg("exit 3")
            .current_dir(&dir)
            .status()
            .unwrap();
        assert_eq!(st.code(), Some(3));
    });
    let exec = evs
        .iter()
        .find(|e| e.ty == 293 && e.str(30) == "/bin/sh")
        .expect("an execve exit event for /bin/sh");
    assert_eq!(exec.params.len(), 31);
    assert_eq!(exec.i64(0), 0);
    assert_eq!(exec.str(1), "/bin/sh", "exe is argv[0]");
    assert_eq!(exec.params[2], b"-c\0exit 3\0", "args");
    let child = exec.i64(3) as u64;
    assert_eq!(exec.tid, child);
    assert_eq!(exec.i64(5) as u64, my_tgid(), "ptid is the test process");
    assert_eq!(exec.str(6), dir.to_str().unwrap(), "cwd");
    assert_eq!(exec.str(13), "sh", "comm");
    let cgroups = String::from_utf8_lossy(&exec.params[14]).into_owned();
    assert!(cgroups.contains('='), "cgroups listed: {cgroups:?}");
    assert_eq!(exec.u32(26), unsafe { libc::geteuid() }, "uid");
    assert!(
        exec.str(27).ends_with("sh"),
        "trusted exepath {:?}",
        exec.str(27)
    );
    // The fork seen from both sides: the parent's event returns the child's tid,
    // the child's returns 0.
    assert!(evs.iter().any(|e| matches!(e.ty, 223 | 225 | 227 | 335)
        && e.i64(0) as u64 == child
        && e.tid != child));
    assert!(evs
        .iter()
        .any(|e| matches!(e.ty, 223 | 225 | 227 | 335) && e.i64(0) == 0 && e.tid == child));
    let exit = evs
        .iter()
        .find(|e| e.ty == 186 && e.tid == child)
        .expect("the child's procexit");
    assert_eq!(exit.i64(1), 3, "exit status");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn memfd_create_then_execveat_is_flagged_as_fileless() {
    // Runs in a forked child of this process: the sensor sees it by its tgid.
    // A tiny program run from memory: copy /bin/true into a memfd and execveat it.
    let evs = capture(SyscallSet::state(), || {
        let name = CString::new("vigie-fileless").unwrap();
        // SAFETY: valid name; the fd is owned below.
        let fd = unsafe { libc::memfd_create(name.as_ptr(), 0) };
        assert!(fd >= 0);
        let bytes = std::fs::read("/bin/true").unwrap();
        // SAFETY: fd is a fresh memfd we own.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        assert_eq!(n as usize, bytes.len());
        // SAFETY: fork then execveat in the child only; the child does nothing else.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let empty = CString::new("").unwrap();
            let argv0 = CString::new("fileless").unwrap();
            let argv = [argv0.as_ptr(), std::ptr::null()];
            let envp: [*const libc::c_char; 1] = [std::ptr::null()];
            unsafe {
                libc::syscall(
                    libc::SYS_execveat,
                    fd,
                    empty.as_ptr(),
                    argv.as_ptr(),
                    envp.as_ptr(),
                    libc::AT_EMPTY_PATH,
                );
                libc::_exit(127);
            }
        }
        let mut status = 0;
        // SAFETY: waiting for our own child.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        assert_eq!(libc::WEXITSTATUS(status), 0, "/bin/true ran from the memfd");
        unsafe { libc::close(fd) };
    });
    let memfd = evs
        .iter()
        .find(|e| e.ty == 405 && e.str(1) == "vigie-fileless")
        .expect("a memfd_create exit event");
    assert!(memfd.i64(0) >= 0);
    let exec = evs
        .iter()
        .find(|e| e.ty == 293 && e.str(1) == "fileless")
        .expect(
            "an execve exit event (a successful execveat is reported as execve, as libscap does)",
        );
    assert_eq!(exec.params.len(), 31);
    assert_eq!(exec.i64(0), 0);
    assert_ne!(exec.u32(19) & (1 << 2), 0, "PPM_EXE_FROM_MEMFD");
    assert!(
        exec.str(27).contains("memfd:vigie-fileless"),
        "exepath {:?}",
        exec.str(27)
    );
}
