//! Which BPF hooks this kernel accepts, and the floor of the sensor's fixed cost.
//!
//! `hook_probe` loads and attaches an empty program (`r0 = 0; exit`) on each hook
//! the sensor uses or could use, and prints one line per hook with the outcome and
//! the kernel's errno: `tp_btf/sys_exit` (what the sensor uses), and the
//! per-syscall alternatives `fentry`/`fexit` on `__x64_sys_openat` and
//! `lsm/file_open` (BPF trampolines, which would let unwatched syscalls pay
//! nothing). Exit code 0 when every hook attached, 1 otherwise.
//!
//! `hook_probe --hold-empty-sys-exit` attaches only the empty `tp_btf/sys_exit`
//! program, prints `ready`, and holds it until SIGINT/SIGTERM: `bench/sensor/run.sh`'s
//! `floor` scenario, the cost of the kernel's syscall tracepoint path itself with a
//! program that does nothing (docs/sensor.md).
//!
//! Programs are loaded from raw instructions with libbpf's low-level calls, so
//! that the probe does not depend on the sensor's own object loading.

use std::ffi::CString;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use libbpf_rs::libbpf_sys as sys;

/// One hook: its section-style name, the program type, the attach type and the
/// kernel BTF name of its target.
struct Hook {
    name: &'static str,
    prog_type: sys::bpf_prog_type,
    attach_type: sys::bpf_attach_type,
    target: &'static str,
}

const SYS_EXIT: Hook = Hook {
    name: "tp_btf/sys_exit",
    prog_type: sys::BPF_PROG_TYPE_TRACING,
    attach_type: sys::BPF_TRACE_RAW_TP,
    target: "sys_exit",
};

const HOOKS: &[Hook] = &[
    SYS_EXIT,
    Hook {
        name: "fentry/__x64_sys_openat",
        prog_type: sys::BPF_PROG_TYPE_TRACING,
        attach_type: sys::BPF_TRACE_FENTRY,
        target: "__x64_sys_openat",
    },
    Hook {
        name: "fexit/__x64_sys_openat",
        prog_type: sys::BPF_PROG_TYPE_TRACING,
        attach_type: sys::BPF_TRACE_FEXIT,
        target: "__x64_sys_openat",
    },
    Hook {
        name: "lsm/file_open",
        prog_type: sys::BPF_PROG_TYPE_LSM,
        attach_type: sys::BPF_LSM_MAC,
        target: "file_open",
    },
];

/// Where a hook failed, with the kernel's error.
#[derive(Debug)]
enum Failure {
    /// The target has no BTF id in the running kernel.
    NoTarget(io::Error),
    /// `BPF_PROG_LOAD` refused the program; the verifier's log, if any.
    Load(io::Error, String),
    /// The program loaded but attaching it failed.
    Attach(io::Error),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::NoTarget(e) => write!(f, "no BTF target: {e}"),
            Failure::Load(e, log) if log.is_empty() => {
                write!(f, "BPF_PROG_LOAD refused: {e}, empty verifier log")
            }
            Failure::Load(e, log) => {
                write!(f, "BPF_PROG_LOAD refused: {e}, verifier: {}", log.trim())
            }
            Failure::Attach(e) => write!(f, "loaded, attach refused: {e}"),
        }
    }
}

/// libbpf's calls return `-errno` (or -1 with errno set, for the raw ones).
fn os_error(rc: i32) -> io::Error {
    if rc < -1 {
        io::Error::from_raw_os_error(-rc)
    } else {
        io::Error::last_os_error()
    }
}

/// An instruction with no register operands.
fn insn(code: u8, imm: i32) -> sys::bpf_insn {
    sys::bpf_insn {
        code,
        _bitfield_align_1: [],
        _bitfield_1: sys::bpf_insn::new_bitfield_1(0, 0),
        off: 0,
        imm,
    }
}

/// Loads `r0 = 0; exit` for `hook` and attaches it; the link lives as long as the
/// returned descriptors.
fn attach_empty(hook: &Hook) -> Result<(OwnedFd, OwnedFd), Failure> {
    let target = CString::new(hook.target).expect("no NUL in a target name");
    // SAFETY: libbpf reads the NUL-terminated name and the kernel BTF it loads itself.
    #[allow(unsafe_code)]
    let btf_id = unsafe { sys::libbpf_find_vmlinux_btf_id(target.as_ptr(), hook.attach_type) };
    if btf_id <= 0 {
        return Err(Failure::NoTarget(os_error(btf_id)));
    }
    // BPF_ALU64 | BPF_MOV | BPF_K (r0 = 0), then BPF_JMP | BPF_EXIT.
    let insns = [insn(0xb7, 0), insn(0x95, 0)];
    let mut log = vec![0u8; 64 << 10];
    let opts = sys::bpf_prog_load_opts {
        sz: std::mem::size_of::<sys::bpf_prog_load_opts>() as _,
        expected_attach_type: hook.attach_type,
        attach_btf_id: btf_id as u32,
        log_level: 1,
        log_size: log.len() as u32,
        log_buf: log.as_mut_ptr().cast(),
        ..Default::default()
    };
    let mut opts = opts;
    let name = CString::new("vigie_probe").expect("no NUL");
    let license = CString::new("GPL").expect("no NUL");
    // SAFETY: every pointer is valid for the call: two instructions, NUL-terminated
    // strings, the options struct with its size, and a log buffer of log_size bytes.
    #[allow(unsafe_code)]
    let prog = unsafe {
        sys::bpf_prog_load(
            hook.prog_type,
            name.as_ptr(),
            license.as_ptr(),
            insns.as_ptr(),
            insns.len() as _,
            &mut opts,
        )
    };
    if prog < 0 {
        let err = os_error(prog);
        let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
        return Err(Failure::Load(
            err,
            String::from_utf8_lossy(&log[..end]).into_owned(),
        ));
    }
    // SAFETY: bpf_prog_load returned a new descriptor that nothing else owns.
    #[allow(unsafe_code)]
    let prog = unsafe { OwnedFd::from_raw_fd(prog) };
    // For tracing and LSM programs the target is in the program itself: the
    // raw tracepoint open without a name attaches it (as libbpf does).
    use std::os::fd::AsRawFd;
    // SAFETY: a null name is allowed for BTF-targeted programs; prog is a valid fd.
    #[allow(unsafe_code)]
    let link = unsafe { sys::bpf_raw_tracepoint_open(std::ptr::null(), prog.as_raw_fd()) };
    if link < 0 {
        return Err(Failure::Attach(os_error(link)));
    }
    // SAFETY: a new descriptor that nothing else owns.
    #[allow(unsafe_code)]
    let link = unsafe { OwnedFd::from_raw_fd(link) };
    Ok((prog, link))
}

fn main() {
    let hold = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--hold-empty-sys-exit") => true,
        Some(other) => {
            eprintln!("usage: hook_probe [--hold-empty-sys-exit] (unknown argument {other})");
            std::process::exit(2);
        }
    };
    if hold {
        let stop = Arc::new(AtomicBool::new(false));
        signal_hook::flag::register(signal_hook::consts::SIGINT, stop.clone()).expect("SIGINT");
        signal_hook::flag::register(signal_hook::consts::SIGTERM, stop.clone()).expect("SIGTERM");
        let _attached = attach_empty(&SYS_EXIT).unwrap_or_else(|f| {
            eprintln!("{}: {f}", SYS_EXIT.name);
            std::process::exit(1);
        });
        println!("ready: empty program on {}", SYS_EXIT.name);
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(20));
        }
        // The figures line of sensor_bench, so run.sh reads both the same way.
        println!("events 0 dropped 0 too_big 0 undecodable 0 matches 0 cpu_s 0");
        return;
    }
    let mut all = true;
    for hook in HOOKS {
        match attach_empty(hook) {
            Ok(_) => println!("{}: attached", hook.name),
            Err(f) => {
                all = false;
                println!("{}: {f}", hook.name);
            }
        }
    }
    std::process::exit(if all { 0 } else { 1 });
}
