//! The live sensor: loads the kernel programs (`src/bpf/sensor.bpf.c`), attaches
//! them, and hands user space each event as a byte slice in libscap's event
//! encoding (the same bytes a `.scap` file holds for that event).
//!
//! The ring buffer is written with `BPF_RB_NO_WAKEUP`: the kernel never wakes the
//! consumer, which instead polls ([`Sensor::consume`]) every few milliseconds.
//! Per-event wakeups cost 13–25% of a core and slowed the traced program 1.4–2.8×
//! when measured on this machine (docs/sensor.md). Drops (a full ring) are counted
//! per CPU in the kernel and read with [`Sensor::counters`].
//!
//! Dropping a [`Sensor`] detaches every program.

mod syscalls;

#[cfg(not(target_env = "musl"))]
mod attach;
#[cfg(not(target_env = "musl"))]
pub use attach::{Sensor, Storage};

// The static musl build cannot link libbpf (its libelf needs glibc's argp):
// there the sensor is a stub whose start fails with a clear error.
#[cfg(target_env = "musl")]
mod unsupported;
#[cfg(target_env = "musl")]
pub use unsupported::{Sensor, Storage};

use std::time::Duration;

pub use syscalls::{SyscallSet, MAX_SYSCALLS, STATE, SUPPORTED};

/// The kernel hook syscall events come from. Every syscall of the machine,
/// watched or not, goes through it while the sensor is attached (the kernel's
/// syscall tracepoint path; the bitmap makes unwatched ones return at once, and
/// an empty program costs the same: docs/sensor.md). Per-syscall `fexit` hooks
/// would spare unwatched syscalls, but need BPF trampolines, which some kernels
/// (this project's CI machine) refuse.
pub const SYSCALL_HOOK: &str = "tp_btf/sys_exit";

/// The default ring: 64 MiB absorbs about half a second of 1M events/s of 120
/// bytes while the consumer is descheduled.
pub const DEFAULT_RING_BYTES: u32 = 64 << 20;

/// The smallest ring accepted (16 pages): small rings drop under load, which is
/// what tests of the drop alert want; production sizes are in docs/sensor.md.
pub const MIN_RING_BYTES: u32 = 64 << 10;

/// How often the consumer should drain the ring when it is empty.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(5);

/// Why the sensor could not start or read its counters.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The ring size is not a power of two of at least [`MIN_RING_BYTES`].
    #[error("ring buffer size {0} bytes: it must be a power of two of at least 64 KiB")]
    RingSize(u32),
    /// A libbpf step failed (open, load, attach, map access).
    #[error("{step}: {message}{hint}")]
    Bpf {
        /// What was being done.
        step: &'static str,
        /// libbpf's error.
        message: String,
        /// A hint on the usual cause, or empty.
        hint: &'static str,
    },
    /// This build carries no kernel programs.
    #[error("the live sensor is not built into this binary: {0}")]
    Unsupported(&'static str),
}

/// How to start the sensor.
#[derive(Debug, Clone)]
pub struct Config {
    /// Ring buffer size in bytes (a power of two, ≥ [`MIN_RING_BYTES`]).
    pub ring_bytes: u32,
    /// Syscalls copied out of the kernel.
    pub syscalls: SyscallSet,
    /// Also watch the process running the sensor (off by default: the
    /// consumer's own reads and writes would feed the ring they drain).
    pub watch_self: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            ring_bytes: DEFAULT_RING_BYTES,
            syscalls: SyscallSet::state(),
            watch_self: false,
        }
    }
}

/// What the kernel side counted, summed over CPUs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// Events written to the ring.
    pub sent: u64,
    /// Events lost because the ring was full.
    pub dropped: u64,
    /// Events not sent because a parameter overflowed the event buffer.
    pub too_big: u64,
    /// `dropped`, per CPU (index = CPU number).
    pub dropped_per_cpu: Vec<u64>,
}
