//! Event sources for the Kubernetes audit log. Each runs on its own thread and sends
//! batches of decoded events to the detection queue. File-like sources block when the
//! queue is full (nothing read is lost); the webhook answers 503 so the API server
//! retries. Malformed events are counted by reason and logged, never fatal.

mod file;
mod http;
pub(crate) mod tls;

use std::io::BufRead;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crossbeam_channel::Sender;

pub use file::{read_dir, read_file, FollowOptions};
pub use http::{HttpSource, HttpSourceConfig};
pub use tls::ServerTlsConfig;

use crate::k8s_audit::{decode, AuditEvent};
use crate::metrics::Metrics;

/// Events travel between stages in batches, to keep queue overhead per event low.
pub type Batch = Vec<AuditEvent>;

const BATCH: usize = 256;

/// What every source needs: where to send events, what to count, when to stop.
#[derive(Clone)]
pub struct SourceContext {
    pub queue: Sender<Batch>,
    pub metrics: Arc<Metrics>,
    /// Larger events (a line, a webhook body) are rejected.
    pub max_event_bytes: usize,
    pub stop: Arc<AtomicBool>,
}

impl SourceContext {
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Sends a batch, waiting for room; false when the pipeline has shut down.
    pub fn send(&self, batch: Batch) -> bool {
        if batch.is_empty() {
            return true;
        }
        let n = batch.len() as u64;
        let ok = self.queue.send(batch).is_ok();
        if ok {
            self.metrics.events_in.fetch_add(n, Ordering::Relaxed);
        }
        ok
    }
}

/// What [`read_lines`] consumed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinesRead {
    pub lines: u64,
    /// Bytes of an unterminated last line left undecoded (with `hold_partial`).
    pub partial: usize,
}

/// Reads JSON lines (one event, event list or array per line) until EOF.
/// `name` and line numbers identify bad lines in logs. With `hold_partial`, a last
/// line without its newline is left for later (a writer may be mid-line).
pub fn read_lines(
    mut reader: impl BufRead,
    name: &str,
    first_line: u64,
    hold_partial: bool,
    ctx: &SourceContext,
) -> LinesRead {
    let mut line = Vec::with_capacity(4096);
    let mut number = first_line;
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                eprintln!("vigie detect: {name}: read error: {e}");
                break;
            }
        }
        if hold_partial && line.last() != Some(&b'\n') {
            ctx.send(batch);
            return LinesRead {
                lines: number - first_line,
                partial: line.len(),
            };
        }
        number += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if let Err(e) = decode(&line, ctx.max_event_bytes, &mut batch) {
            ctx.metrics.reject(name_kind(name), e.kind(), 1);
            eprintln!("vigie detect: {name}:{number}: {e}");
        }
        if batch.len() >= BATCH
            && !ctx.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
        {
            break;
        }
    }
    ctx.send(batch);
    LinesRead {
        lines: number - first_line,
        partial: 0,
    }
}

/// The source label for metrics: `stdin`, or `file` for paths.
fn name_kind(name: &str) -> &'static str {
    if name == "<stdin>" {
        "stdin"
    } else {
        "file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossbeam_channel::bounded;

    #[test]
    fn bad_lines_are_counted_and_good_ones_delivered() {
        let (tx, rx) = bounded(16);
        let ctx = SourceContext {
            queue: tx,
            metrics: Arc::new(Metrics::default()),
            max_event_bytes: 200,
            stop: Arc::new(AtomicBool::new(false)),
        };
        let big = format!(
            r#"{{"kind":"Event","verb":"get","x":"{}"}}"#,
            "a".repeat(300)
        );
        let input = format!(
            "{}\nnot json\n\n{{\"kind\":0}}\n{big}\n{}\n",
            r#"{"kind":"Event","verb":"get","auditID":"1"}"#,
            r#"{"kind":"Event","verb":"list","auditID":"2"}"#
        );
        let read = read_lines(input.as_bytes(), "<stdin>", 0, false, &ctx);
        assert_eq!(read.lines, 6);
        drop(ctx.queue.clone());
        let got: Vec<AuditEvent> = rx.try_iter().flatten().collect();
        assert_eq!(got.len(), 2);
        assert_eq!(ctx.metrics.rejected("invalid_json"), 1);
        assert_eq!(ctx.metrics.rejected("not_audit_event"), 1);
        assert_eq!(ctx.metrics.rejected("too_large"), 1);
        assert_eq!(ctx.metrics.events_in.load(Ordering::Relaxed), 2);
    }
}
