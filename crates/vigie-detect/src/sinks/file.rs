//! Alerts appended to a file, as text or JSON lines.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{Format, Sink};
use crate::alert::Alert;

/// A file that alerts are appended to, one line each.
pub struct FileSink {
    path: PathBuf,
    format: Format,
    out: BufWriter<File>,
}

impl FileSink {
    /// Opens `path` for appending, creating it if needed.
    pub fn open(path: &Path, format: Format) -> io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Self {
            path: path.to_path_buf(),
            format,
            out: BufWriter::new(file),
        })
    }
}

impl Sink for FileSink {
    fn name(&self) -> &str {
        "file"
    }

    fn send(&mut self, alert: &Alert) -> io::Result<()> {
        writeln!(self.out, "{}", self.format.line(alert))
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", self.path.display())))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigie_rules::Priority;

    #[test]
    fn appends_json_lines() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let path = file.path();
        let alert = Alert {
            time_ns: 0,
            rule: "R".into(),
            priority: Priority::Notice,
            source: "k8s_audit".into(),
            tags: vec![],
            hostname: "h".into(),
            output: "o".into(),
            output_fields: vec![],
        };
        let mut sink = FileSink::open(path, Format::Json).unwrap();
        sink.send(&alert).unwrap();
        sink.send(&alert).unwrap();
        sink.flush().unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(v["rule"], "R");
        assert_eq!(v["priority"], "Notice");
    }
}
