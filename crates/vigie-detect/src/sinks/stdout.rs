//! Alerts to standard output, as text or JSON lines.

use std::io::{self, Write};

use super::{Format, Sink};
use crate::alert::Alert;

/// Standard output, buffered, one alert per line.
pub struct StdoutSink {
    format: Format,
    out: io::BufWriter<io::Stdout>,
}

impl StdoutSink {
    /// Writes alerts to standard output in `format`.
    pub fn new(format: Format) -> Self {
        Self {
            format,
            out: io::BufWriter::new(io::stdout()),
        }
    }
}

impl Sink for StdoutSink {
    fn name(&self) -> &str {
        "stdout"
    }

    fn send(&mut self, alert: &Alert) -> io::Result<()> {
        writeln!(self.out, "{}", self.format.line(alert))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
