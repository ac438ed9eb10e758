//! Reading request bodies within the limits: the size limit (413 for any framing),
//! the total body deadline, and the memory shared by every connection's bodies.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http::HeaderMap;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// A body over the limit is still read and dropped up to this many bytes in all, so
/// that the client gets its 413 (on a connection that stays open) rather than a
/// reset while it is still sending. Larger bodies get the 413 and the connection is
/// closed.
pub(crate) const MAX_DRAIN_BYTES: u64 = 64 << 20;

/// Why a body was not read whole.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// Over the limit; `drained` when it was read to its end (the connection can
    /// serve another request).
    TooLarge { drained: bool },
    /// Broken framing, or the client stopped sending.
    Bad(String),
    /// The body deadline passed.
    Timeout,
    /// The body memory budget is spent.
    Overloaded,
}

/// Body bytes held against the memory budget, given back when dropped. Counted in
/// KiB, so that the budget fits the semaphore's `u32` requests.
pub(crate) struct MemoryReservation {
    budget: Arc<Semaphore>,
    kib: u32,
}

impl MemoryReservation {
    pub(crate) fn new(budget: Arc<Semaphore>) -> Self {
        Self { budget, kib: 0 }
    }

    /// Holds enough for `bytes` in all; false when the budget has not that much.
    fn grow_to(&mut self, bytes: u64) -> bool {
        let wanted = u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX);
        if wanted <= self.kib {
            return true;
        }
        match self.budget.try_acquire_many(wanted - self.kib) {
            Ok(permit) => {
                permit.forget();
                self.kib = wanted;
                true
            }
            Err(_) => false,
        }
    }
}

impl Drop for MemoryReservation {
    fn drop(&mut self) {
        self.budget.add_permits(self.kib as usize);
    }
}

/// The declared length, when there is one.
pub(crate) fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// Reads a whole body of at most `limit` bytes before `deadline`, holding its bytes
/// against `memory`.
pub(crate) async fn read_limited(
    mut body: Incoming,
    declared: Option<u64>,
    limit: usize,
    deadline: Instant,
    memory: &mut MemoryReservation,
) -> Result<Bytes, BodyError> {
    let limit = limit as u64;
    if let Some(n) = declared {
        if n > limit {
            if n > MAX_DRAIN_BYTES {
                return Err(BodyError::TooLarge { drained: false });
            }
            let drained = drain(body, MAX_DRAIN_BYTES, deadline).await == Drained::All;
            return Err(BodyError::TooLarge { drained });
        }
        if !memory.grow_to(n) {
            return Err(BodyError::Overloaded);
        }
    }
    let mut bytes = BytesMut::with_capacity(declared.unwrap_or(0) as usize);
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => return Err(BodyError::Timeout),
            Ok(None) => return Ok(bytes.freeze()),
            Ok(Some(Err(e))) => return Err(BodyError::Bad(e.to_string())),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        let total = (bytes.len() + data.len()) as u64;
        if total > limit {
            let rest = drain(body, MAX_DRAIN_BYTES.saturating_sub(total), deadline).await;
            return Err(BodyError::TooLarge {
                drained: rest == Drained::All,
            });
        }
        if !memory.grow_to(total) {
            return Err(BodyError::Overloaded);
        }
        bytes.extend_from_slice(&data);
    }
}

/// How far [`drain`] got.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Drained {
    /// To the end of the body: the connection can serve another request.
    All,
    /// Not to the end (too long, too slow, broken): the connection must close.
    Partly,
}

/// Reads and drops a body, at most `max` bytes, before `deadline`.
pub(crate) async fn drain(mut body: Incoming, max: u64, deadline: Instant) -> Drained {
    let mut seen = 0u64;
    loop {
        match tokio::time::timeout_at(deadline, body.frame()).await {
            Ok(None) => return Drained::All,
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    seen += data.len() as u64;
                    if seen > max {
                        return Drained::Partly;
                    }
                }
            }
            Ok(Some(Err(_))) | Err(_) => return Drained::Partly,
        }
    }
}
