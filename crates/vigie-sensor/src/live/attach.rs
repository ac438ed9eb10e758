//! Loading, attaching and draining the kernel programs with libbpf-rs.

use std::mem::MaybeUninit;
use std::time::{SystemTime, UNIX_EPOCH};

use libbpf_rs::skel::{OpenSkel, Skel, SkelBuilder};
use libbpf_rs::{MapCore, MapFlags, OpenObject, RingBuffer, RingBufferBuilder};

use super::{Config, Counters, LiveError, MIN_RING_BYTES};

// SAFETY: the skeleton is libbpf-cargo's generated code: it hands libbpf the
// embedded object bytes and casts libbpf's pointers to typed views of the
// programs and maps. Its unsafe blocks are libbpf-cargo's to get right.
#[allow(unsafe_code)]
mod skel {
    #![allow(clippy::all, clippy::unwrap_used, missing_docs, unused_imports)]
    include!(concat!(env!("OUT_DIR"), "/sensor.skel.rs"));
}

use skel::{SensorSkel, SensorSkelBuilder};

const PERM_HINT: &str = " (the sensor needs root, or CAP_BPF, CAP_PERFMON and CAP_SYS_RESOURCE, and a kernel with BTF: docs/sensor.md)";

fn bpf(step: &'static str, hint: &'static str) -> impl FnOnce(libbpf_rs::Error) -> LiveError {
    move |source| LiveError::Bpf {
        step,
        message: source.to_string(),
        hint,
    }
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
    #[allow(unsafe_code)]
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
        if ring_bytes < MIN_RING_BYTES || !ring_bytes.is_power_of_two() {
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
        let bss = skel.maps.bss_data.as_deref_mut().ok_or(LiveError::Bpf {
            step: "writing the syscall bitmap",
            message: "the BPF object has no .bss section".into(),
            hint: "",
        })?;
        for (nr, on) in config.syscalls.bytes() {
            bss.syscall_on[nr as usize] = on;
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
                message: std::io::Error::from_raw_os_error(-n).to_string(),
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
