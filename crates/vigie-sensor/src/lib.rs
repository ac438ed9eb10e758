//! vigie's syscall sensor.
//!
//! Events follow libscap's model (event codes, parameter tables and wire encoding),
//! so that the live eBPF source and `.scap` capture files feed one decoder, one
//! state (processes, file descriptors, users, containers) and one field table.

pub mod event;
pub mod fields;
pub mod live;
pub mod scap;
pub mod state;
