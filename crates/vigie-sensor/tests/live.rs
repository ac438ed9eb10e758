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
use std::path::{Path, PathBuf};
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

/// The default set and `extra`, each of which the sensor must encode.
fn state_and(extra: &[&str]) -> SyscallSet {
    let mut set = SyscallSet::state();
    for s in extra {
        assert!(set.insert(s), "{s} is encoded");
    }
    set
}

fn my_tgid() -> u64 {
    std::process::id() as u64
}

#[test]
fn open_and_read_of_a_scratch_file_arrive_with_path_flags_and_data() {
    let dir = scratch("open");
    let file = dir.join("secret.txt");
    std::fs::write(&file, b"hello sensor").unwrap();
    let evs = capture(state_and(&["read"]), || {
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
    let evs = capture(state_and(&["fchmodat", "chmod", "fchmod"]), || {
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
            .env("VIGIE_SENSOR_TEST", "exec-env")
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
    // The image: environment, terminal, memory and the executable's inode.
    let env = String::from_utf8_lossy(&exec.params[15]).into_owned();
    assert!(
        env.split('\0').any(|kv| kv == "VIGIE_SENSOR_TEST=exec-env"),
        "env {env:?}"
    );
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let after_comm: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let tty_nr: u32 = after_comm[4].parse().unwrap();
    assert_eq!(
        exec.u32(16),
        tty_nr,
        "tty, as /proc/PID/stat's tty_nr (inherited)"
    );
    assert!(exec.u32(10) > 0, "vm_size");
    // vm_rss is the kernel's folded per-CPU counter: a fresh image's pages sit
    // in the per-CPU parts until a batch fills, so it is often 0 at exec.
    assert!(exec.u32(11) <= exec.u32(10), "vm_rss within vm_size");
    use std::os::unix::fs::MetadataExt;
    let sh = std::fs::metadata("/bin/sh").unwrap();
    assert_eq!(
        u64::from_le_bytes(exec.params[23][..8].try_into().unwrap()),
        sh.ino(),
        "exe_ino"
    );
    assert_eq!(
        u64::from_le_bytes(exec.params[25][..8].try_into().unwrap()),
        sh.mtime() as u64 * 1_000_000_000 + sh.mtime_nsec() as u64,
        "exe_ino_mtime"
    );
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

fn cstr(p: &std::path::Path) -> CString {
    CString::new(p.to_str().expect("scratch paths are UTF-8")).expect("no NUL in paths")
}

/// Runs `f` in a forked child of this process and waits for it: for calls that
/// change the caller (namespaces, session, name). Returns the child's pid.
fn in_child(f: impl FnOnce()) -> i32 {
    // SAFETY: the child only makes raw system calls, then exits.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork");
    if pid == 0 {
        f();
        unsafe { libc::_exit(0) };
    }
    let mut status = 0;
    // SAFETY: waiting for our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(libc::WEXITSTATUS(status), 0, "child exited cleanly");
    pid
}

/// One path syscall: what it does in a scratch directory (made by `setup`
/// first), the libscap event it must produce, and the string parameters that
/// event carries (`{d}` stands for the scratch directory).
struct PathCase {
    syscall: &'static str,
    code: u16,
    setup: fn(&std::path::Path),
    act: fn(&std::path::Path) -> i64,
    params: &'static [(usize, &'static str)],
}

impl PathCase {
    const fn new(
        syscall: &'static str,
        code: u16,
        setup: fn(&Path),
        act: fn(&Path) -> i64,
        params: &'static [(usize, &'static str)],
    ) -> Self {
        Self {
            syscall,
            code,
            setup,
            act,
            params,
        }
    }
}

fn touch(d: &std::path::Path) {
    std::fs::write(d.join("a"), b"x").unwrap();
}
fn subdir(d: &std::path::Path) {
    std::fs::create_dir(d.join("a")).unwrap();
}
fn nothing(_: &std::path::Path) {}

fn sys1(nr: libc::c_long, a: &std::path::Path) -> i64 {
    let a = cstr(a);
    // SAFETY: a valid NUL-terminated path; the syscall reads it only.
    unsafe { libc::syscall(nr, a.as_ptr()) }
}
fn sys1_with(nr: libc::c_long, a: &std::path::Path, arg: i64) -> i64 {
    let a = cstr(a);
    // SAFETY: a valid NUL-terminated path and a plain integer.
    unsafe { libc::syscall(nr, a.as_ptr(), arg) }
}
fn sys_at1(nr: libc::c_long, a: &std::path::Path, arg: i64) -> i64 {
    let a = cstr(a);
    // SAFETY: a valid NUL-terminated path, AT_FDCWD and a plain integer.
    unsafe { libc::syscall(nr, libc::AT_FDCWD, a.as_ptr(), arg) }
}
fn sys2(nr: libc::c_long, a: &std::path::Path, b: &std::path::Path) -> i64 {
    let (a, b) = (cstr(a), cstr(b));
    // SAFETY: valid NUL-terminated paths.
    unsafe { libc::syscall(nr, a.as_ptr(), b.as_ptr()) }
}
fn sys_at2(nr: libc::c_long, a: &std::path::Path, b: &std::path::Path, flags: i64) -> i64 {
    let (a, b) = (cstr(a), cstr(b));
    // SAFETY: valid NUL-terminated paths and AT_FDCWD.
    unsafe {
        libc::syscall(
            nr,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            flags,
        )
    }
}

// One row a syscall: name, libscap event code, setup, action, and the
// (parameter index, expected path) pairs, `{d}` standing for the scratch folder.
#[rustfmt::skip]
const PATH_CASES: &[PathCase] = &[
    PathCase::new("creat",     59,  nothing, creat_a,                                                         &[(1, A)]),
    PathCase::new("unlink",    301, touch,   |d| sys1(libc::SYS_unlink, &d.join("a")),                        &[(1, A)]),
    PathCase::new("unlinkat",  303, touch,   |d| sys_at1(libc::SYS_unlinkat, &d.join("a"), 0),                &[(2, A)]),
    PathCase::new("mkdir",     277, nothing, |d| sys1_with(libc::SYS_mkdir, &d.join("a"), 0o755),             &[(1, A)]),
    PathCase::new("mkdirat",   305, nothing, |d| sys_at1(libc::SYS_mkdirat, &d.join("a"), 0o755),             &[(2, A)]),
    PathCase::new("rmdir",     279, subdir,  |d| sys1(libc::SYS_rmdir, &d.join("a")),                         &[(1, A)]),
    PathCase::new("rename",    175, touch,   |d| sys2(libc::SYS_rename, &d.join("a"), &d.join("b")),          &[(1, A), (2, B)]),
    PathCase::new("renameat",  177, touch,   |d| sys_at2(libc::SYS_renameat, &d.join("a"), &d.join("b"), 0),  &[(2, A), (4, B)]),
    PathCase::new("renameat2", 319, touch,   |d| sys_at2(libc::SYS_renameat2, &d.join("a"), &d.join("b"), 1), &[(2, A), (4, B)]),
    PathCase::new("link",      309, touch,   |d| sys2(libc::SYS_link, &d.join("a"), &d.join("b")),            &[(1, A), (2, B)]),
    PathCase::new("linkat",    311, touch,   |d| sys_at2(libc::SYS_linkat, &d.join("a"), &d.join("b"), 0),    &[(2, A), (4, B)]),
    PathCase::new("symlink",   179, nothing, |d| sys2(libc::SYS_symlink, Path::new(SHADOW), &d.join("b")),    &[(1, SHADOW), (2, B)]),
    PathCase::new("symlinkat", 181, nothing, symlinkat_b,                                                     &[(1, SHADOW), (3, B)]),
    PathCase::new("chdir",     95,  subdir,  chdir_a_and_back,                                                &[(1, A)]),
    PathCase::new("mount",     257, subdir,  |d| mount_tmpfs_on_a(d, true),                                   &[(1, "vigie-test"), (2, A), (3, "tmpfs")]),
    PathCase::new("umount2",   391, subdir,  |d| mount_tmpfs_on_a(d, false),                                  &[(1, A)]),
];

/// `{d}/a` and `{d}/b`, the scratch paths the actions use, and a target for symlinks.
const A: &str = "{d}/a";
const B: &str = "{d}/b";
const SHADOW: &str = "/etc/shadow";

fn creat_a(d: &Path) -> i64 {
    let p = cstr(&d.join("a"));
    // SAFETY: a valid path; the fd is closed below.
    let fd = unsafe { libc::syscall(libc::SYS_creat, p.as_ptr(), 0o640) };
    unsafe { libc::close(fd as i32) };
    fd
}

fn symlinkat_b(d: &Path) -> i64 {
    let (a, b) = (cstr(Path::new(SHADOW)), cstr(&d.join("b")));
    // SAFETY: valid paths.
    unsafe { libc::syscall(libc::SYS_symlinkat, a.as_ptr(), libc::AT_FDCWD, b.as_ptr()) }
}

fn chdir_a_and_back(d: &Path) -> i64 {
    let back = std::env::current_dir().unwrap();
    let r = sys1(libc::SYS_chdir, &d.join("a"));
    std::env::set_current_dir(back).unwrap();
    r
}

/// Mounts a tmpfs on `{d}/a` and detaches it at once; the result is the
/// mount's when `mount_result`, else the umount2's.
fn mount_tmpfs_on_a(d: &Path, mount_result: bool) -> i64 {
    let (src, dir, ty) = (
        CString::new("vigie-test").unwrap(),
        cstr(&d.join("a")),
        CString::new("tmpfs").unwrap(),
    );
    // SAFETY: valid strings; the mount is undone at once.
    let mounted =
        unsafe { libc::mount(src.as_ptr(), dir.as_ptr(), ty.as_ptr(), 0, std::ptr::null()) };
    let unmounted = unsafe { libc::umount2(dir.as_ptr(), libc::MNT_DETACH) };
    i64::from(if mount_result { mounted } else { unmounted })
}

#[test]
fn path_syscalls_arrive_with_their_paths_and_results() {
    let mut failures = Vec::new();
    for case in PATH_CASES {
        let dir = scratch(case.syscall);
        (case.setup)(&dir);
        let set = state_and(&[case.syscall]);
        let mut res = None;
        let evs = capture(set, || res = Some((case.act)(&dir)));
        let res = res.expect("the action ran");
        assert!(
            res >= 0,
            "{}: the call itself succeeded ({res})",
            case.syscall
        );
        let d = dir.to_str().unwrap();
        let found = evs.iter().find(|e| {
            e.ty == case.code
                && case
                    .params
                    .iter()
                    .all(|(i, want)| e.str(*i) == want.replace("{d}", d))
        });
        match found {
            Some(e) => assert_eq!(e.i64(0), res, "{}: result", case.syscall),
            None => failures.push(case.syscall),
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(
        failures.is_empty(),
        "no event with the expected paths for {failures:?}"
    );
}

#[test]
fn descriptor_syscalls_carry_the_descriptors_they_make() {
    let set = state_and(&["sendto", "recvfrom", "sendmsg"]);
    let mut fds = (0, 0, 0, [0i32; 2], [0i32; 2], [0i32; 2], 0u16, 0i64, 0i32);
    let evs = capture(set, || {
        // SAFETY: raw descriptor calls on descriptors this closure owns.
        unsafe {
            let dup = libc::syscall(libc::SYS_dup, 1) as i32;
            let dup2 = libc::syscall(libc::SYS_dup2, 1, 200) as i32;
            let dup3 = libc::syscall(libc::SYS_dup3, 1, 201, libc::O_CLOEXEC) as i32;
            let mut p = [0i32; 2];
            let mut p2 = [0i32; 2];
            let mut sp = [0i32; 2];
            assert_eq!(libc::syscall(libc::SYS_pipe, p.as_mut_ptr()), 0);
            assert_eq!(
                libc::syscall(libc::SYS_pipe2, p2.as_mut_ptr(), libc::O_CLOEXEC),
                0
            );
            assert_eq!(
                libc::syscall(
                    libc::SYS_socketpair,
                    libc::AF_UNIX,
                    libc::SOCK_STREAM,
                    0,
                    sp.as_mut_ptr()
                ),
                0
            );
            fds = (dup, dup2, dup3, p, p2, sp, 0, 0, 0);
            for fd in [dup, dup2, dup3, p[0], p[1], p2[0], p2[1], sp[0], sp[1]] {
                libc::close(fd);
            }
        }
        // A server: socket, bind, listen (std), then accept and accept4 raw.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        use std::os::fd::AsRawFd;
        let c1 = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let c2 = TcpStream::connect(("127.0.0.1", port)).unwrap();
        // SAFETY: accepting on our listener; the fds are closed below.
        let (a1, a4) = unsafe {
            let a1 = libc::syscall(libc::SYS_accept, listener.as_raw_fd(), 0, 0);
            let a4 = libc::syscall(
                libc::SYS_accept4,
                listener.as_raw_fd(),
                0,
                0,
                libc::SOCK_CLOEXEC,
            );
            (a1, a4)
        };
        assert!(a1 >= 0 && a4 >= 0);
        fds.6 = port;
        fds.7 = a1;
        fds.8 = c1.local_addr().unwrap().port() as i32;
        unsafe {
            libc::close(a1 as i32);
            libc::close(a4 as i32);
        }
        drop((c1, c2));
        // Datagrams: sendto, sendmsg and recvfrom on loopback.
        let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        tx.send_to(b"vigie-dgram", rx.local_addr().unwrap())
            .unwrap();
        let mut buf = [0u8; 64];
        rx.recv_from(&mut buf).unwrap();
    });
    let (dup, dup2, dup3, p, p2, sp, port, accepted, client_port) = fds;
    let has = |ty: u16, check: &dyn Fn(&Ev) -> bool| evs.iter().any(|e| e.ty == ty && check(e));
    assert!(
        has(367, &|e| e.i64(0) == dup as i64 && e.i64(1) == 1),
        "dup"
    );
    assert!(
        has(363, &|e| e.i64(0) == dup2 as i64 && e.i64(2) == 200),
        "dup2"
    );
    assert!(
        has(365, &|e| e.i64(0) == dup3 as i64
            && e.i64(2) == 201
            && e.u32(3) == 1 << 12),
        "dup3 with PPM_O_CLOEXEC"
    );
    assert!(
        has(61, &|e| e.i64(1) == p[0] as i64 && e.i64(2) == p[1] as i64),
        "pipe"
    );
    assert!(
        has(393, &|e| e.i64(1) == p2[0] as i64
            && e.i64(2) == p2[1] as i64),
        "pipe2"
    );
    assert!(
        has(43, &|e| e.i64(1) == sp[0] as i64
            && e.i64(2) == sp[1] as i64
            && e.u32(5) == 1),
        "socketpair of AF_UNIX"
    );
    // The listener asked for port 0 (any): the address as given.
    let bound = |e: &Ev| e.i64(0) == 0 && e.params[1] == [2, 127, 0, 0, 1, 0, 0];
    assert!(has(21, &bound), "bind to 127.0.0.1:0");
    assert!(has(25, &|e| e.i64(0) == 0), "listen");
    let accept = evs
        .iter()
        .find(|e| e.ty == 247 && e.i64(0) == accepted)
        .expect("accept");
    let t = &accept.params[1];
    assert_eq!(t.len(), 13);
    assert_eq!(&t[1..5], &[127, 0, 0, 1]);
    assert_eq!(
        u16::from_le_bytes([t[5], t[6]]) as i32,
        client_port,
        "source: the client"
    );
    assert_eq!(
        u16::from_le_bytes([t[11], t[12]]),
        port,
        "destination: the listener"
    );
    assert!(
        has(389, &|e| e.i64(0) >= 0 && e.params[1].len() == 13),
        "accept4"
    );
    assert!(
        has(31, &|e| e.params[1] == b"vigie-dgram") || has(49, &|e| e.params[1] == b"vigie-dgram"),
        "sendto or sendmsg with the datagram"
    );
    assert!(
        has(35, &|e| e.params[1] == b"vigie-dgram"
            && e.params[2].len() == 13),
        "recvfrom"
    );
}

#[test]
fn userfaultfd_bpf_and_io_uring_setup_carry_their_arguments() {
    let mut results = (0i64, 0i64, 0i64);
    let evs = capture(SyscallSet::state(), || {
        // SAFETY: raw calls with valid (or, for bpf, deliberately empty)
        // arguments; the descriptors made are closed.
        unsafe {
            let uffd = libc::syscall(libc::SYS_userfaultfd, libc::O_CLOEXEC);
            // BPF_MAP_CREATE with a zero-length attribute: refused, still seen.
            let bpf = libc::syscall(libc::SYS_bpf, 0, std::ptr::null::<u8>(), 0);
            let mut params = [0u32; 30];
            let ring = libc::syscall(libc::SYS_io_uring_setup, 4, params.as_mut_ptr());
            results = (uffd, bpf, ring);
            for fd in [uffd, ring] {
                if fd >= 0 {
                    libc::close(fd as i32);
                }
            }
        }
    });
    let (uffd, bpf, ring) = results;
    assert!(
        uffd >= 0 && ring >= 0,
        "userfaultfd {uffd}, io_uring_setup {ring}"
    );
    assert_eq!(bpf, -1);
    let of = |ty: u16, res: i64| {
        evs.iter()
            .find(|e| e.ty == ty && e.i64(0) == res)
            .unwrap_or_else(|| panic!("event {ty} returning {res}"))
    };
    assert_eq!(of(321, uffd).u32(1), 1 << 12, "userfaultfd: PPM_O_CLOEXEC");
    // libc's -1; the event carries the kernel's -errno.
    let errno = -(std::io::Error::from_raw_os_error(libc::EINVAL)
        .raw_os_error()
        .unwrap() as i64);
    let refused = evs
        .iter()
        .find(|e| e.ty == 369 && e.tid == of(321, uffd).tid && e.i64(0) < 0)
        .expect("a refused bpf event from the test's thread");
    assert_eq!(refused.i64(0), errno, "bpf: EINVAL");
    assert_eq!(refused.u32(1), 0, "bpf: BPF_MAP_CREATE");
    let setup = of(339, ring);
    assert_eq!(setup.u32(1), 4, "entries asked");
    assert_eq!(setup.u32(2), 4, "sq_entries given");
    assert_eq!(setup.u32(3), 8, "cq_entries given (twice the sq)");
}

#[test]
fn process_syscalls_carry_their_arguments() {
    let set = state_and(&[
        "ptrace",
        "setns",
        "unshare",
        "init_module",
        "finit_module",
        "setreuid",
        "setregid",
        "prctl",
    ]);
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    let mut pids = (0, 0, 0);
    let evs = capture(set, || {
        // ptrace: attach to a child that waits, then detach and end it.
        let mut sleeper = Command::new("/bin/sleep").arg("5").spawn().unwrap();
        let target = sleeper.id() as i32;
        // SAFETY: tracing our own child, then letting it go.
        unsafe {
            assert_eq!(libc::ptrace(libc::PTRACE_ATTACH, target, 0, 0), 0);
            let mut st = 0;
            libc::waitpid(target, &mut st, 0);
            libc::ptrace(libc::PTRACE_DETACH, target, 0, 0);
        }
        sleeper.kill().unwrap();
        sleeper.wait().unwrap();
        pids.0 = target;
        // Namespaces, credentials, session and name change the caller: a child.
        pids.1 = in_child(|| unsafe {
            let ns = CString::new("/proc/self/ns/uts").unwrap();
            let fd = libc::open(ns.as_ptr(), libc::O_RDONLY);
            assert_eq!(libc::syscall(libc::SYS_setns, fd, libc::CLONE_NEWUTS), 0);
            assert_eq!(libc::syscall(libc::SYS_unshare, libc::CLONE_NEWUTS), 0);
            assert_eq!(libc::syscall(libc::SYS_setuid, uid), 0);
            assert_eq!(libc::syscall(libc::SYS_setgid, gid), 0);
            assert_eq!(libc::syscall(libc::SYS_setreuid, uid, uid), 0);
            assert_eq!(libc::syscall(libc::SYS_setregid, gid, gid), 0);
            assert_eq!(libc::syscall(libc::SYS_setresuid, uid, uid, uid), 0);
            assert_eq!(libc::syscall(libc::SYS_setresgid, gid, gid, gid), 0);
            assert!(libc::syscall(libc::SYS_setsid) > 0);
            let name = CString::new("vigie-prctl").unwrap();
            assert_eq!(
                libc::syscall(libc::SYS_prctl, libc::PR_SET_NAME, name.as_ptr()),
                0
            );
        });
        // Module loading refused on bad input: the attempt is still seen.
        let args = CString::new("vigie=1").unwrap();
        // SAFETY: invalid arguments on purpose; the kernel rejects them.
        unsafe {
            assert!(libc::syscall(libc::SYS_finit_module, -1, args.as_ptr(), 0) < 0);
            assert!(
                libc::syscall(
                    libc::SYS_init_module,
                    std::ptr::null::<u8>(),
                    0,
                    args.as_ptr()
                ) < 0
            );
        }
    });
    let (target, child, _) = pids;
    let of = |ty: u16, tid: Option<i32>| {
        evs.iter()
            .find(|e| e.ty == ty && tid.is_none_or(|t| e.tid == t as u64))
            .unwrap_or_else(|| panic!("event {ty}"))
    };
    let attach = evs
        .iter()
        .find(|e| e.ty == 169 && u16::from_le_bytes([e.params[3][0], e.params[3][1]]) == 11)
        .expect("ptrace with PPM_PTRACE_ATTACH");
    assert_eq!(attach.i64(4), target as i64);
    assert_eq!(attach.i64(0), 0);
    assert_eq!(
        of(241, Some(child)).u32(2),
        1 << 7,
        "setns: PPM_CL_CLONE_NEWUTS"
    );
    assert_eq!(
        of(285, Some(child)).u32(1),
        1 << 7,
        "unshare: PPM_CL_CLONE_NEWUTS"
    );
    assert_eq!(of(199, Some(child)).u32(1), uid, "setuid");
    assert_eq!(of(201, Some(child)).u32(1), gid, "setgid");
    assert_eq!(of(427, Some(child)).u32(2), uid, "setreuid euid");
    assert_eq!(of(429, Some(child)).u32(2), gid, "setregid egid");
    assert_eq!(of(193, Some(child)).u32(3), uid, "setresuid suid");
    assert_eq!(of(195, Some(child)).u32(3), gid, "setresgid sgid");
    assert_eq!(
        of(275, Some(child)).i64(0),
        child as i64,
        "setsid returns the new session"
    );
    let prctl = of(401, Some(child));
    assert_eq!(
        (prctl.u32(1), prctl.str(2)),
        (15, "vigie-prctl".into()),
        "PR_SET_NAME"
    );
    let finit = of(413, None);
    assert!(finit.i64(0) < 0);
    assert_eq!(
        (finit.i64(1), finit.str(2)),
        (-1, "vigie=1".into()),
        "finit_module fd and args"
    );
    let init = of(411, None);
    assert!(init.i64(0) < 0);
    assert_eq!(init.str(3), "vigie=1", "init_module args");
}

/// A 32-bit syscall through `int 0x80` (as every syscall of an ia32 process
/// is): i386's number `nr`, arguments in bx, cx, dx. Returns rax.
fn i386_syscall(nr: u64, a: u64, b: u64, c: u64) -> i64 {
    let mut rax = nr;
    // SAFETY: the callers pass calls that touch no memory of this process (a
    // read of 0 bytes, fork). rbx cannot be an asm operand, so it is swapped in
    // and back; the kernel clears r8-r11 on the way back from int 0x80.
    unsafe {
        std::arch::asm!(
            "xchg rbx, {a}",
            "int 0x80",
            "xchg rbx, {a}",
            a = inout(reg) a => _,
            inout("rax") rax,
            in("rcx") b,
            in("rdx") c,
            out("r8") _,
            out("r9") _,
            out("r10") _,
            out("r11") _,
        );
    }
    rax as u32 as i32 as i64
}

#[test]
fn a_32_bit_syscall_is_not_decoded_as_the_native_syscall_of_its_number() {
    // i386's read is 3, the native close: decoded as native it would be reported
    // as a close (and drop a live descriptor from the fd table).
    let mut p = [0i32; 2];
    // SAFETY: pipe writes two descriptors to the array.
    assert_eq!(unsafe { libc::pipe(p.as_mut_ptr()) }, 0);
    // SAFETY: gettid has no arguments.
    let tid = unsafe { libc::gettid() } as u64;
    let mut ret = -1;
    let evs = capture(SyscallSet::state(), || {
        // Markers around the action: native closes of descriptors that cannot exist.
        // SAFETY: closing an invalid descriptor only fails with EBADF.
        unsafe { libc::close(-100) };
        ret = i386_syscall(3, p[0] as u64, 0, 0);
        // SAFETY: as above.
        unsafe { libc::close(-101) };
    });
    assert_eq!(
        ret, 0,
        "a 0-byte 32-bit read of a pipe returns 0 (IA32 emulation is on here)"
    );
    let mine: Vec<&Ev> = evs.iter().filter(|e| e.tid == tid).collect();
    let marker = |fd: i64| {
        mine.iter()
            .position(|e| e.ty == 5 && e.i64(1) == fd)
            .unwrap_or_else(|| panic!("the native close({fd}) marker is seen: {mine:?}"))
    };
    let (before, after) = (marker(-100), marker(-101));
    assert_eq!(
        after,
        before + 1,
        "no event for the 32-bit read: {:?}",
        &mine[before..=after]
    );
    // SAFETY: the pipe's descriptors are ours.
    unsafe {
        libc::close(p[0]);
        libc::close(p[1]);
    }
}

#[test]
fn a_32_bit_fork_still_sends_the_childs_side() {
    // The child's later native syscalls need a process: its birth is sent under
    // the native fork's event even when the parent forked with i386's number (2).
    let mut child = 0;
    let evs = capture(SyscallSet::state(), || {
        let pid = i386_syscall(2, 0, 0, 0);
        if pid == 0 {
            // SAFETY: the child of a raw fork only exits.
            unsafe { libc::_exit(0) };
        }
        assert!(pid > 0, "the 32-bit fork succeeded ({pid})");
        child = pid as u64;
        let mut status = 0;
        // SAFETY: waiting for our own child, status written to a local.
        unsafe { libc::waitpid(pid as i32, &mut status, 0) };
    });
    assert!(
        evs.iter()
            .any(|e| e.ty == 225 && e.i64(0) == 0 && e.tid == child),
        "fork's child side for {child}: {:?}",
        evs.iter().filter(|e| e.tid == child).collect::<Vec<_>>()
    );
}
