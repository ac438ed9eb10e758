//! Writing a report while the scan is still running.
//!
//! A scan of 100,000 objects makes millions of findings; holding them until the
//! end would cost gigabytes. Instead the scan hands each resource's findings to
//! an [`Encoder`] on the thread that made them (so formatting runs in parallel),
//! and the encoded [`Batch`]es to a [`ReportWriter`] in report order. What needs
//! every finding first (the counts, scores and tables) comes after the findings:
//! the writer's [`finish`](ReportWriter::finish) gets the completed report.
//!
//! JUnit XML and HTML need every finding to lay out their pages, so for them the
//! batches simply carry the findings and the page is rendered at the end.

use std::collections::HashSet;
use std::io::{self, IoSlice, Write};

use vigie_finding::{Finding, Location, Report};

use crate::{group, html, json, junit, pretty, sarif, Format, RenderOptions};

/// How much of encoded findings the writer gathers before writing them.
const GATHER: usize = 1 << 20;

/// Turns the findings of one resource into what the writer will write. Shared by
/// the scanning threads.
pub struct Encoder {
    options: RenderOptions,
    /// Controls whose findings relate several objects.
    cross_object: HashSet<String>,
    kind: Encoding,
}

/// How findings are encoded, with what every finding of the format shares.
enum Encoding {
    Pretty,
    /// The texts of each control, written once.
    Json(json::Texts),
    /// The rules, whose index each result names.
    Sarif(sarif::Rules),
    /// JUnit and HTML: the findings themselves, rendered at the end.
    Kept,
}

/// The encoded findings of one resource.
pub struct Batch(Content);

enum Content {
    Text {
        bytes: Vec<u8>,
        /// Findings of controls that relate several objects.
        cross_object: bool,
    },
    Findings(Vec<Finding>),
}

impl Encoder {
    /// An encoder for the report that `head` begins: its controls at least.
    pub fn new(format: Format, options: &RenderOptions, head: &Report) -> Self {
        Encoder {
            options: *options,
            cross_object: group::cross_object_controls(head)
                .map(String::from)
                .collect(),
            kind: match format {
                Format::Pretty => Encoding::Pretty,
                Format::Json => Encoding::Json(json::Texts::new(head)),
                Format::Sarif => Encoding::Sarif(sarif::Rules::new(head)),
                Format::Junit | Format::Html => Encoding::Kept,
            },
        }
    }

    /// Encodes the findings of one resource. `location` is where the resource
    /// starts, for formats that head each resource with it.
    pub fn encode(&self, location: &Location, mut findings: Vec<Finding>) -> Batch {
        let cross_object = findings
            .first()
            .is_some_and(|f| self.cross_object.contains(&*f.control_id));
        // Buffers are sized for about what a finding takes in each format, so
        // that they are not copied over and over while they grow.
        let sized = |per_finding: usize| Vec::with_capacity(per_finding * findings.len());
        let bytes = match &self.kind {
            Encoding::Pretty => {
                let mut bytes = sized(500);
                pretty::write_resource(location, &mut findings, &self.options, &mut bytes);
                bytes
            }
            Encoding::Json(texts) => {
                let mut bytes = sized(900);
                json::write_findings(&findings, texts, &mut bytes);
                bytes
            }
            Encoding::Sarif(rules) => {
                let mut bytes = sized(1500);
                sarif::write_results(&findings, rules, &mut bytes);
                bytes
            }
            Encoding::Kept => return Batch(Content::Findings(findings)),
        };
        Batch(Content::Text {
            bytes,
            cross_object,
        })
    }
}

/// Writes a report: its beginning, batches of findings in order, and its end.
///
/// A write error is kept, later writes are skipped, and [`finish`](Self::finish)
/// returns it: the scan goes on and its exit code still reflects what it found.
pub struct ReportWriter<'w> {
    format: Format,
    options: RenderOptions,
    out: &'w mut dyn Write,
    /// Batches written so far with at least one finding.
    written: usize,
    in_cross_object_part: bool,
    /// For formats rendered at the end.
    collected: Vec<Finding>,
    /// Encoded batches not written yet, and their length.
    pending: Vec<Vec<u8>>,
    pending_len: usize,
    error: Option<io::Error>,
}

impl<'w> ReportWriter<'w> {
    /// Writes what comes before the findings of the report `head` begins.
    pub fn begin(
        format: Format,
        options: &RenderOptions,
        head: &Report,
        out: &'w mut dyn Write,
    ) -> Self {
        let mut writer = ReportWriter {
            format,
            options: *options,
            out,
            written: 0,
            in_cross_object_part: false,
            collected: Vec::new(),
            pending: Vec::new(),
            pending_len: 0,
            error: None,
        };
        let mut bytes = Vec::new();
        match format {
            Format::Json => json::write_head(head, &mut bytes),
            Format::Sarif => sarif::write_head(head, &sarif::Rules::new(head), &mut bytes),
            Format::Pretty | Format::Junit | Format::Html => {}
        }
        writer.write_bytes(&bytes);
        writer
    }

    /// Writes one resource's findings, after those written before.
    pub fn write(&mut self, batch: Batch) {
        match batch.0 {
            Content::Findings(findings) => self.collected.extend(findings),
            Content::Text {
                bytes,
                cross_object,
            } => {
                if bytes.is_empty() {
                    return;
                }
                let mut lead = Vec::new();
                match self.format {
                    Format::Pretty if cross_object && !self.in_cross_object_part => {
                        self.in_cross_object_part = true;
                        pretty::write_cross_object_heading(&self.options, &mut lead);
                    }
                    Format::Json | Format::Sarif if self.written > 0 => lead.push(b','),
                    _ => {}
                }
                self.written += 1;
                for part in [lead, bytes] {
                    if !part.is_empty() {
                        self.pending_len += part.len();
                        self.pending.push(part);
                    }
                }
                if self.pending_len >= GATHER {
                    self.write_pending();
                }
            }
        }
    }

    /// Writes the batches waiting, in one system call where the output allows:
    /// copying 1.5 GB of findings into a buffer first would cost more than
    /// formatting them.
    fn write_pending(&mut self) {
        let mut slices: Vec<IoSlice<'_>> = self.pending.iter().map(|b| IoSlice::new(b)).collect();
        let mut slices = &mut slices[..];
        while self.error.is_none() && !slices.is_empty() {
            match self.out.write_vectored(slices) {
                Ok(0) => self.error = Some(io::ErrorKind::WriteZero.into()),
                Ok(n) => IoSlice::advance_slices(&mut slices, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => self.error = Some(e),
            }
        }
        self.pending.clear();
        self.pending_len = 0;
    }

    /// Writes what comes after the findings: `report` is complete but for its
    /// findings, which were written already.
    pub fn finish(mut self, report: &Report) -> io::Result<()> {
        self.write_pending();
        let mut bytes = Vec::new();
        let any = self.written > 0;
        match self.format {
            Format::Pretty => pretty::write_tail(report, &self.options, &mut bytes),
            Format::Json => json::write_tail(report, any, &mut |chunk| self.write_bytes(chunk)),
            Format::Sarif => sarif::write_tail(report, any, &mut bytes),
            Format::Junit | Format::Html => {
                let full = Report {
                    findings: std::mem::take(&mut self.collected),
                    ..report.clone()
                };
                let rendered = match self.format {
                    Format::Junit => junit::render(&full, &mut bytes),
                    _ => html::render(&full, &mut bytes),
                };
                if let Err(e) = rendered {
                    self.error.get_or_insert(e);
                }
            }
        }
        self.write_bytes(&bytes);
        if let Some(e) = self.error {
            return Err(e);
        }
        self.out.flush()
    }

    fn write_bytes(&mut self, bytes: &[u8]) {
        if !self.pending.is_empty() {
            self.write_pending();
        }
        if self.error.is_none() && !bytes.is_empty() {
            if let Err(e) = self.out.write_all(bytes) {
                self.error = Some(e);
            }
        }
    }
}
