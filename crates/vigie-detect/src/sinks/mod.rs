//! Alert sinks. Each sink runs on its own thread behind a bounded queue, so a slow
//! destination never stalls detection: when its queue is full the alert is dropped
//! for that sink and counted.

mod file;
mod http;
mod stdout;
mod syslog;
mod tls;

use std::io;
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{bounded, Sender, TrySendError};

pub use file::FileSink;
pub use http::{post_json, post_json_tls, HttpSink, HttpSinkConfig};
pub use stdout::StdoutSink;
pub use syslog::{SyslogSink, SyslogTarget};
pub use tls::ClientTlsConfig;

use crate::alert::Alert;
use crate::metrics::Metrics;

/// How alerts are written by line-oriented sinks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Falco's text line.
    Text,
    /// Falco's `json_output` object, one per line.
    Json,
}

impl Format {
    /// The format named in the configuration: `text` or `json`.
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "text" => Some(Format::Text),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    /// `alert` written in this format, without the line end.
    pub fn line(self, alert: &Alert) -> String {
        match self {
            Format::Text => alert.to_text(),
            Format::Json => alert.to_json_line(),
        }
    }
}

/// A destination for alerts.
pub trait Sink: Send {
    /// The sink's kind in logs and metrics: `stdout`, `file`, `syslog`, `http`.
    fn name(&self) -> &str;
    /// Delivers one alert; an error means the alert is lost for this sink.
    fn send(&mut self, alert: &Alert) -> io::Result<()>;
    /// Writes out what is buffered; called when the queue runs empty and at the end.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A sink running on its own thread behind a bounded queue.
pub struct SinkHandle {
    name: String,
    queue: Option<Sender<Arc<Alert>>>,
    thread: Option<JoinHandle<()>>,
    metrics: Arc<Metrics>,
}

impl SinkHandle {
    /// Starts `sink` on its own thread with a queue of `capacity` alerts;
    /// alerts dropped when it is full are counted in `metrics`.
    pub fn spawn(mut sink: Box<dyn Sink>, capacity: usize, metrics: Arc<Metrics>) -> SinkHandle {
        let (tx, rx) = bounded::<Arc<Alert>>(capacity.max(1));
        let name = sink.name().to_string();
        let thread_metrics = metrics.clone();
        let thread = std::thread::Builder::new()
            .name(format!("sink-{name}"))
            .spawn(move || {
                while let Ok(alert) = rx.recv() {
                    if let Err(e) = sink.send(&alert) {
                        eprintln!("vigie detect: sink {}: {e}", sink.name());
                        thread_metrics.sink_drop(sink.name());
                    }
                    if rx.is_empty() {
                        let _ = sink.flush();
                    }
                }
                let _ = sink.flush();
            })
            .expect("spawn sink thread");
        SinkHandle {
            name,
            queue: Some(tx),
            thread: Some(thread),
            metrics,
        }
    }

    /// Queues an alert; a full queue drops it (counted).
    pub fn offer(&self, alert: Arc<Alert>) {
        let Some(queue) = &self.queue else { return };
        match queue.try_send(alert) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.metrics.sink_drop(&self.name)
            }
        }
        self.metrics
            .set_queue_depth(&format!("sink:{}", self.name), queue.len());
    }

    /// Closes the queue and waits until every queued alert is delivered.
    pub fn close(mut self) {
        self.queue.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
