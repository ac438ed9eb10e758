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

use std::mem::MaybeUninit;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use libbpf_rs::skel::{OpenSkel, Skel, SkelBuilder};
use libbpf_rs::{MapCore, MapFlags, OpenObject, RingBuffer, RingBufferBuilder};

pub use syscalls::{SyscallSet, MAX_SYSCALLS, STATE, SUPPORTED};

mod skel {
    #![allow(clippy::all, missing_docs, unused_imports)]
    include!(concat!(env!("OUT_DIR"), "/sensor.skel.rs"));
}

use skel::{SensorSkel, SensorSkelBuilder};

/// The smallest ring accepted, and the default: 64 MiB absorbs about half a
/// second of 1M events/s of 120 bytes while the consumer is descheduled.
pub const DEFAULT_RING_BYTES: u32 = 64 << 20;

/// How often the consumer should drain the ring when it is empty.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(5);

/// Why the sensor could not start or read its counters.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The ring size is not a power of two of at least [`DEFAULT_RING_BYTES`].
    #[error("ring buffer size {0} bytes: it must be a power of two of at least 64 MiB")]
    RingSize(u32),
    /// A libbpf step failed (open, load, attach, map access).
    #[error("{step}: {source}{hint}")]
    Bpf {
        /// What was being done.
        step: &'static str,
        /// libbpf's error.
        source: libbpf_rs::Error,
        /// A hint on the usual cause, or empty.
        hint: &'static str,
    },
    /// This build carries no kernel programs.
    #[error("the live sensor is not built into this binary: {0}")]
    Unsupported(&'static str),
}

const PERM_HINT: &str = " (the sensor needs root, or CAP_BPF, CAP_PERFMON and CAP_SYS_RESOURCE, and a kernel with BTF: docs/sensor.md)";

fn bpf(step: &'static str, hint: &'static str) -> impl FnOnce(libbpf_rs::Error) -> LiveError {
    move |source| LiveError::Bpf { step, source, hint }
}

/// How to start the sensor.
#[derive(Debug, Clone)]
pub struct Config {
    /// Ring buffer size in bytes (a power of two, ≥ [`DEFAULT_RING_BYTES`]).
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

/// The storage the loaded BPF object lives in; it must outlive the [`Sensor`].
pub struct Storage(MaybeUninit<OpenObject>);

impl Default for Storage {
    fn default() -> Self {
        Storage(MaybeUninit::uninit())
    }
}

/// An attached sensor. Dropping it detaches the programs and frees the maps.
pub struct Sensor<'a> {
    // Declared first so it is dropped (unmapped) before the programs and maps.
    ring: RingBuffer<'a>,
    skel: SensorSkel<'a>,
}

/// realtime − boottime in ns: added in the kernel to `bpf_ktime_get_boot_ns` so
/// event timestamps are nanoseconds since the epoch, as libscap's.
fn boot_epoch_ns() -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec to the valid pointer given.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut ts) };
    if rc != 0 {
        return 0;
    }
    let boot = ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64;
    now.saturating_sub(boot)
}

impl<'a> Sensor<'a> {
    /// Loads and attaches the kernel programs; `on_event` receives every event
    /// drained by [`Sensor::consume`], in libscap's encoding.
    pub fn start<F>(
        config: &Config,
        storage: &'a mut Storage,
        on_event: F,
    ) -> Result<Self, LiveError>
    where
        F: FnMut(&[u8]) + 'a,
    {
        let ring_bytes = config.ring_bytes;
        if ring_bytes < DEFAULT_RING_BYTES || !ring_bytes.is_power_of_two() {
            return Err(LiveError::RingSize(ring_bytes));
        }
        let mut open = SensorSkelBuilder::default()
            .open(&mut storage.0)
            .map_err(bpf("opening the BPF object", ""))?;
        open.maps
            .events
            .set_max_entries(ring_bytes)
            .map_err(bpf("sizing the ring buffer", ""))?;
        if let Some(ro) = open.maps.rodata_data.as_deref_mut() {
            // 0 is never a user process's tgid: nothing is skipped.
            ro.self_tgid = if config.watch_self {
                0
            } else {
                std::process::id()
            };
            ro.boot_epoch_ns = boot_epoch_ns();
        }
        let mut skel = open
            .load()
            .map_err(bpf("loading the BPF programs", PERM_HINT))?;
        for (nr, on) in config.syscalls.bytes() {
            skel.maps
                .syscall_on
                .update(&nr.to_ne_bytes(), &[on], MapFlags::ANY)
                .map_err(bpf("writing the syscall bitmap", ""))?;
        }
        skel.attach()
            .map_err(bpf("attaching the BPF programs", PERM_HINT))?;
        let mut on_event = on_event;
        let mut builder = RingBufferBuilder::new();
        builder
            .add(&skel.maps.events, move |data: &[u8]| {
                on_event(data);
                0
            })
            .map_err(bpf("opening the ring buffer", ""))?;
        let ring = builder
            .build()
            .map_err(bpf("opening the ring buffer", ""))?;
        Ok(Sensor { ring, skel })
    }

    /// Drains every event in the ring now, calling the `on_event` given to
    /// [`Sensor::start`]; returns how many there were.
    pub fn consume(&self) -> Result<usize, LiveError> {
        let n = self.ring.consume_raw();
        if n < 0 {
            return Err(LiveError::Bpf {
                step: "reading the ring buffer",
                source: libbpf_rs::Error::from_raw_os_error(-n),
                hint: "",
            });
        }
        Ok(n as usize)
    }

    /// The kernel's counters, summed over CPUs.
    pub fn counters(&self) -> Result<Counters, LiveError> {
        let per_cpu = self
            .skel
            .maps
            .counters
            .lookup_percpu(&0u32.to_ne_bytes(), MapFlags::ANY)
            .map_err(bpf("reading the counters", ""))?
            .unwrap_or_default();
        let mut c = Counters::default();
        for cpu in per_cpu {
            let field = |i: usize| {
                cpu.get(i * 8..i * 8 + 8)
                    .and_then(|b| b.try_into().ok())
                    .map(u64::from_ne_bytes)
                    .unwrap_or(0)
            };
            c.sent += field(0);
            c.dropped += field(1);
            c.too_big += field(2);
            c.dropped_per_cpu.push(field(1));
        }
        Ok(c)
    }
}
