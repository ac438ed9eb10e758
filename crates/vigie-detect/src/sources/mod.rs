//! Event sources for the Kubernetes audit log. Each runs on its own thread and sends
//! batches of decoded events to the detection queue. File-like sources block when the
//! queue is full (nothing read is lost); the webhook answers 503 so the API server
//! retries. Malformed events are counted by reason and logged, never fatal.

mod file;
mod http;

use std::io::{self, BufRead, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crossbeam_channel::Sender;

pub use file::{read_dir, read_file, FollowOptions};
pub use http::{HttpSource, HttpSourceConfig};
pub use vigie_server::{Limits as HttpLimits, ServerTlsConfig};

use crate::k8s_audit::{decode, AuditEvent};
use crate::metrics::Metrics;

/// Events travel between stages in batches, to keep queue overhead per event low.
pub type Batch = Vec<AuditEvent>;

const BATCH: usize = 256;

/// What every source needs: where to send events, what to count, when to stop.
#[derive(Clone)]
pub struct SourceContext {
    /// The detection queue.
    pub queue: Sender<Batch>,
    /// The pipeline's counters.
    pub metrics: Arc<Metrics>,
    /// Larger events (a line, a webhook body) are rejected.
    pub max_event_bytes: usize,
    /// Set when the pipeline shuts down; following and listening sources stop then.
    pub stop: Arc<AtomicBool>,
}

impl SourceContext {
    /// Whether the pipeline is shutting down.
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

#[cfg(test)]
impl SourceContext {
    /// A context for tests: a queue of `capacity` batches (and its receiving
    /// end), fresh counters, not stopped.
    pub(crate) fn for_tests(
        capacity: usize,
        max_event_bytes: usize,
    ) -> (Self, crossbeam_channel::Receiver<Batch>) {
        let (queue, batches) = crossbeam_channel::bounded(capacity);
        let ctx = SourceContext {
            queue,
            metrics: Arc::new(Metrics::default()),
            max_event_bytes,
            stop: Arc::new(AtomicBool::new(false)),
        };
        (ctx, batches)
    }
}

/// What [`read_lines`] consumed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinesRead {
    /// Complete lines read.
    pub lines: u64,
    /// Bytes of an unterminated last line left undecoded (with `hold_partial`).
    pub partial: usize,
    /// The input was given up on (binary data, a read error): reported and counted.
    pub gave_up: bool,
}

/// One line as [`read_line_bounded`] found it.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    /// The end of the input, nothing read.
    End,
    /// A line, with its newline unless the input ended first.
    Text,
    /// A line longer than the limit, skipped (to its newline when there is one);
    /// `bytes` is its length.
    TooLong { bytes: u64 },
    /// A NUL byte in an over-long line: binary data, not JSON lines.
    Binary,
}

/// Reads one line into `line` (cleared first), holding at most `limit` bytes of it
/// plus its newline: a longer line is skipped to its end in bounded pieces, so a
/// gigabyte line (or `/dev/zero`) never sits in memory.
fn read_line_bounded(
    reader: &mut impl BufRead,
    line: &mut Vec<u8>,
    limit: usize,
) -> io::Result<Line> {
    line.clear();
    let n = reader
        .by_ref()
        .take(limit as u64 + 1)
        .read_until(b'\n', line)?;
    if n == 0 {
        return Ok(Line::End);
    }
    if line.len() <= limit || line.last() == Some(&b'\n') {
        return Ok(Line::Text);
    }
    // Skip the rest in the reader's own buffer, never copying it. JSON text never
    // holds a NUL byte; a long run without a newline that does is a binary file or
    // a device, which might never end.
    let mut bytes = line.len() as u64;
    let binary = line.contains(&0);
    line.clear();
    if binary {
        return Ok(Line::Binary);
    }
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(Line::TooLong { bytes });
        }
        let end = buf.iter().position(|&b| b == b'\n');
        let piece = &buf[..end.map_or(buf.len(), |i| i + 1)];
        if piece.contains(&0) {
            return Ok(Line::Binary);
        }
        let n = piece.len();
        reader.consume(n);
        bytes += n as u64;
        if end.is_some() {
            return Ok(Line::TooLong { bytes });
        }
    }
}

/// Reads JSON lines (one event, event list or array per line) until EOF.
/// `name` and line numbers identify bad lines in logs. With `hold_partial`, a last
/// line without its newline is left for later (a writer may be mid-line). Lines
/// over `ctx.max_event_bytes` are skipped without being held whole.
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
    let kind = name_kind(name);
    let mut gave_up = false;
    loop {
        let read = match read_line_bounded(&mut reader, &mut line, ctx.max_event_bytes) {
            Ok(read) => read,
            Err(e) => {
                eprintln!("vigie detect: {name}:{}: read error: {e}", number + 1);
                ctx.metrics.reject(kind, "read_error", 1);
                gave_up = true;
                break;
            }
        };
        match read {
            Line::End => break,
            Line::Text if hold_partial && line.last() != Some(&b'\n') => {
                ctx.send(batch);
                return LinesRead {
                    lines: number - first_line,
                    partial: line.len(),
                    gave_up: false,
                };
            }
            Line::Text => {}
            Line::TooLong { bytes } => {
                number += 1;
                ctx.metrics.reject(kind, "too_large", 1);
                eprintln!(
                    "vigie detect: {name}:{number}: line of {bytes} bytes exceeds the limit of {} bytes, skipped (raise it with --max-event-bytes, or max_event_bytes in the configuration)",
                    ctx.max_event_bytes
                );
                continue;
            }
            Line::Binary => {
                ctx.metrics.reject(kind, "binary", 1);
                eprintln!(
                    "vigie detect: {name}:{}: binary data (a NUL byte in a line over {} bytes), not JSON lines: stopped reading it",
                    number + 1,
                    ctx.max_event_bytes
                );
                gave_up = true;
                break;
            }
        }
        number += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if let Err(e) = decode(&line, ctx.max_event_bytes, &mut batch) {
            ctx.metrics.reject(kind, e.kind(), 1);
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
        gave_up,
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

    #[test]
    fn bad_lines_are_counted_and_good_ones_delivered() {
        let (ctx, rx) = SourceContext::for_tests(16, 200);
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

    /// Reads `input` through a reader that counts the bytes it hands out.
    struct Counted<R> {
        inner: R,
        read: usize,
    }

    impl<R: Read> Read for Counted<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.read += n;
            Ok(n)
        }
    }

    #[test]
    fn an_over_long_line_is_skipped_without_being_held() {
        let (ctx, rx) = SourceContext::for_tests(16, 100);
        let good = r#"{"kind":"Event","verb":"get","auditID":"1"}"#;
        // 50 MB of line between two good ones: the line buffer never grows past
        // the limit plus one, and the next line is still read.
        let long = std::io::repeat(b'a').take(50 << 20);
        let input = good
            .as_bytes()
            .chain(&b"\n"[..])
            .chain(long)
            .chain(&b"\n"[..])
            .chain(good.as_bytes())
            .chain(&b"\n"[..]);
        let mut line = Vec::new();
        let mut reader = std::io::BufReader::new(input);
        let mut lines = Vec::new();
        loop {
            match read_line_bounded(&mut reader, &mut line, 100).unwrap() {
                Line::End => break,
                other => lines.push(other),
            }
            assert!(line.capacity() <= 1 << 10, "{}", line.capacity());
        }
        assert_eq!(
            lines,
            [
                Line::Text,
                Line::TooLong {
                    bytes: (50 << 20) + 1
                },
                Line::Text
            ]
        );
        let read = read_lines(
            std::io::BufReader::new(format!("{good}\n{}\n{good}\n", "b".repeat(500)).as_bytes()),
            "audit.log",
            0,
            false,
            &ctx,
        );
        assert_eq!((read.lines, read.gave_up), (3, false));
        assert_eq!(ctx.metrics.rejected("too_large"), 1);
        assert_eq!(rx.try_iter().flatten().count(), 2);
    }

    #[test]
    fn binary_input_is_given_up_after_one_limit_of_bytes() {
        let (ctx, _rx) = SourceContext::for_tests(16, 1 << 10);
        // Like /dev/zero: endless, no newline.
        let mut zero = Counted {
            inner: std::io::repeat(0),
            read: 0,
        };
        let read = read_lines(
            std::io::BufReader::new(&mut zero),
            "/dev/zero",
            0,
            false,
            &ctx,
        );
        assert!(read.gave_up);
        assert!(zero.read <= 64 << 10, "{} bytes read", zero.read);
        assert_eq!(ctx.metrics.rejected("binary"), 1);
    }
}
