//! Untrusted capture bytes through vigie-sensor's whole replay path: the `.scap`
//! reader (every block kind, corrupt and truncated blocks), each event's `RawEvent`
//! decoding and typed parameters, the state kept from the events, and every typed
//! syscall field extracted; plus the bytes decoded as one raw event, as the live
//! ring buffer hands them. Nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigie_rules::{ArgKind, Event};
use vigie_sensor::event::RawEvent;
use vigie_sensor::fields::{syscall_table, SyscallEvent};
use vigie_sensor::scap::{Capture, Limits};
use vigie_sensor::state::State;

/// Arguments tried on fields that take one.
const ARGS: [&str; 5] = ["0", "1", "2", "fd", "name"];

fn extract_all(event: &dyn Event) {
    let table = syscall_table();
    for def in table.defs() {
        let args: &[Option<&str>] = match def.arg {
            ArgKind::None => &[None],
            ArgKind::Optional => &[None, Some(ARGS[1]), Some(ARGS[2])],
            ArgKind::Required | ArgKind::Dotted => &[Some(ARGS[0]), Some(ARGS[3]), Some(ARGS[4])],
        };
        for arg in args {
            if let Ok(field) = table.resolve(def.name, *arg) {
                let _ = event.extract(&field);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(raw) = RawEvent::parse(data) {
        for i in 0..raw.nparams as usize {
            let _ = raw.value(i);
        }
        let mut state = State::new();
        state.before(&raw);
        extract_all(&SyscallEvent::new(raw, &state, 1, 0));
        state.after(&raw);
    }
    let limits = Limits {
        max_file_bytes: 1 << 20,
        max_meta_block_bytes: 1 << 16,
        max_large_event_bytes: 1 << 16,
    };
    if let Ok(capture) = Capture::parse(data.to_vec(), limits) {
        let mut state = State::from_capture(&capture);
        for (i, event) in capture.events().enumerate() {
            let raw = event.raw();
            state.before(&raw);
            extract_all(&SyscallEvent::new(raw, &state, i as u64 + 1, event.cpu));
            state.after(&raw);
        }
    }
});
