//! vigie's syscall sensor.
//!
//! Events follow libscap's model (event codes, parameter tables and wire encoding),
//! so that the live eBPF source and `.scap` capture files feed one decoder, one
//! state (processes, file descriptors, users, containers) and one field table.
//!
//! ```
//! use vigie_sensor::scap::{sample_capture, Capture, Limits};
//!
//! // A small capture written by vigie's own writer, read back.
//! let capture = Capture::parse(sample_capture(), Limits::default()).expect("a valid capture");
//! assert!(capture.event_count() > 0);
//! let names: Vec<&str> = capture.events().map(|e| e.raw().name()).collect();
//! assert!(names.contains(&"execve"));
//! ```

pub mod event;
pub mod fields;
pub mod live;
pub mod scap;
pub mod state;
