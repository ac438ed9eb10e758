//! The sensor in builds that carry no kernel programs (static musl): the same
//! API, whose start fails with [`LiveError::Unsupported`].

use std::marker::PhantomData;

use super::{Config, Counters, LiveError};

const WHY: &str = "static musl builds (the container image) cannot link libbpf; run the glibc build of vigie for the live sensor (docs/sensor.md)";

/// Stands for the BPF object's storage.
#[derive(Default)]
pub struct Storage(());

/// Never constructed: [`Sensor::start`] always fails in this build.
pub struct Sensor<'a> {
    _storage: PhantomData<&'a mut Storage>,
}

impl<'a> Sensor<'a> {
    /// Fails: this build has no kernel programs.
    pub fn start<F>(
        _config: &Config,
        _storage: &'a mut Storage,
        _on_event: F,
    ) -> Result<Self, LiveError>
    where
        F: FnMut(&[u8]) + 'a,
    {
        Err(LiveError::Unsupported(WHY))
    }

    /// Fails: this build has no kernel programs.
    pub fn consume(&self) -> Result<usize, LiveError> {
        Err(LiveError::Unsupported(WHY))
    }

    /// Fails: this build has no kernel programs.
    pub fn counters(&self) -> Result<Counters, LiveError> {
        Err(LiveError::Unsupported(WHY))
    }
}
