//! Cutting sources into jobs (a few documents each) and running them.

use std::path::Path;
use std::sync::Arc;

use super::list::{self, ItemStream};
use super::order::{Next, Piece};
use super::sources::read_source;
use super::{Limits, JOB_BYTES};
use crate::diagnostic::Diagnostic;
use crate::input::Source;
use crate::node::Pos;
use crate::resource::{Origin, Resource, SourceFile};
use crate::yaml::{parse_for_loading, DocumentText, Splitter};

/// Some documents of a source to parse, or the end of a source.
pub(super) enum Job {
    Documents {
        source: usize,
        job: usize,
        file: Arc<SourceFile>,
        text: Arc<String>,
        documents: Vec<Span>,
        max_documents: usize,
    },
    /// After the last documents of a source (or in place of them, when it could not
    /// be read): what was wrong with it as a whole.
    End {
        source: usize,
        job: usize,
        diagnostics: Vec<Diagnostic>,
    },
}

/// Where a document is in the text of its source.
pub(super) struct Span {
    range: std::ops::Range<usize>,
    index: u32,
    first_line: u32,
}

/// The jobs of one source, cut as they are asked for: a source of a million
/// documents is not cut up front.
pub(super) struct SourceJobs {
    source: usize,
    next_job: usize,
    /// The text and where the cutting is, until the last document is handed out.
    reading: Option<(Arc<SourceFile>, Arc<String>, Splitter)>,
    documents: usize,
    max_documents: usize,
    /// For the end job.
    diagnostics: Vec<Diagnostic>,
    ended: bool,
}

impl SourceJobs {
    /// Reads a source; its documents are cut into jobs as they are asked for.
    pub(super) fn read(
        source_index: usize,
        source: &Source,
        kubectl: Option<&Path>,
        limits: &Limits,
    ) -> Self {
        let (reading, diagnostics) = match read_source(source, kubectl, limits) {
            Ok((file, text)) => {
                let splitter = Splitter::new(&text);
                (Some((Arc::new(file), Arc::new(text), splitter)), Vec::new())
            }
            Err(diagnostic) => (None, vec![diagnostic]),
        };
        Self {
            source: source_index,
            next_job: 0,
            reading,
            documents: 0,
            max_documents: limits.max_documents,
            diagnostics,
            ended: false,
        }
    }

    /// A source already read (`load_text`).
    pub(super) fn of_text(file: SourceFile, text: String, limits: &Limits) -> Self {
        let splitter = Splitter::new(&text);
        Self {
            source: 0,
            next_job: 0,
            reading: Some((Arc::new(file), Arc::new(text), splitter)),
            documents: 0,
            max_documents: limits.max_documents,
            diagnostics: Vec::new(),
            ended: false,
        }
    }

    /// The next few documents, `JOB_BYTES` of them.
    fn next_documents(&mut self) -> Option<Job> {
        let (file, text, splitter) = self.reading.as_mut()?;
        let (file, text) = (file.clone(), text.clone());
        let base = text.as_ptr() as usize;
        let mut documents = Vec::new();
        let mut bytes = 0;
        let mut finished = false;
        while bytes < JOB_BYTES {
            let Some(document) = splitter.next(&text) else {
                finished = true;
                break;
            };
            if self.documents == self.max_documents {
                self.diagnostics.push(Diagnostic::error(
                    file.path.clone(),
                    Some(Pos::new(document.first_line + 1, 1)),
                    format!(
                        "more than {} documents, the limit on objects per file; the rest \
                         is not read (raise it with --max-documents)",
                        self.max_documents
                    ),
                ));
                finished = true;
                break;
            }
            self.documents += 1;
            let start = document.text.as_ptr() as usize - base;
            bytes += document.text.len();
            documents.push(Span {
                range: start..start + document.text.len(),
                index: document.index,
                first_line: document.first_line,
            });
        }
        if finished {
            self.reading = None;
        }
        if documents.is_empty() {
            return None;
        }
        self.next_job += 1;
        Some(Job::Documents {
            source: self.source,
            job: self.next_job - 1,
            file,
            text,
            documents,
            max_documents: self.max_documents,
        })
    }
}

impl Iterator for SourceJobs {
    type Item = Job;

    fn next(&mut self) -> Option<Job> {
        if self.ended {
            return None;
        }
        if let Some(job) = self.next_documents() {
            return Some(job);
        }
        self.ended = true;
        Some(Job::End {
            source: self.source,
            job: self.next_job,
            diagnostics: std::mem::take(&mut self.diagnostics),
        })
    }
}

impl Job {
    /// Parses the documents (unpacking `List`s), hands each resource to `visit`, and
    /// sends the results: one piece per job, or several when a List is read item by
    /// item.
    pub(super) fn run<T, F, S>(self, visit: &F, send: &S)
    where
        T: Send,
        F: Fn(Resource) -> T + Sync,
        S: Fn(Piece<T>) + Sync,
    {
        let (source, job, file, text, documents, max_documents) = match self {
            Job::End {
                source,
                job,
                diagnostics,
            } => {
                return send(Piece {
                    source,
                    job,
                    part: 0,
                    next: Next::Source,
                    results: Vec::new(),
                    diagnostics,
                })
            }
            Job::Documents {
                source,
                job,
                file,
                text,
                documents,
                max_documents,
            } => (source, job, file, text, documents, max_documents),
        };
        let mut part = 0;
        let mut results = Vec::new();
        let mut diagnostics = Vec::new();
        for span in documents {
            let document_text = &text[span.range];
            let document = DocumentText {
                index: span.index,
                text: document_text,
                first_line: span.first_line,
            };
            let (document, items) = match parse_for_loading(&document) {
                None => continue,
                Some(Ok(parsed)) => parsed,
                Some(Err(e)) => {
                    diagnostics.push(Diagnostic::error(
                        file.path.clone(),
                        Some(e.pos),
                        format!("document {}: invalid YAML: {}", e.index + 1, e.reason),
                    ));
                    continue;
                }
            };
            for (pos, warning) in document.warnings {
                diagnostics.push(Diagnostic::warning(file.path.clone(), Some(pos), warning));
            }
            let origin = Origin {
                file: file.clone(),
                document: document.index,
                item: None,
            };
            if let Some(region) = items {
                // What came before the List goes first, then its items part by part.
                send(Piece {
                    source,
                    job,
                    part,
                    next: Next::Part,
                    results: std::mem::take(&mut results),
                    diagnostics: std::mem::take(&mut diagnostics),
                });
                let stream = ItemStream {
                    text: document_text,
                    region,
                    origin,
                    max_items: max_documents,
                    source,
                    job,
                    send,
                };
                let (next, error) = stream.run(document.root, visit, part + 1);
                part = next;
                diagnostics.extend(error);
            } else if list::is_list(&document.root) {
                list::unpack(
                    document.root,
                    &origin,
                    &mut |r| results.push(visit(r)),
                    &mut diagnostics,
                );
            } else {
                match Resource::from_node(document.root, origin) {
                    Ok(r) => results.push(visit(r)),
                    Err((pos, reason)) => diagnostics.push(Diagnostic::error(
                        file.path.clone(),
                        Some(pos),
                        format!("document {}: {reason}", document.index + 1),
                    )),
                }
            }
        }
        send(Piece {
            source,
            job,
            part,
            next: Next::Job,
            results,
            diagnostics,
        });
    }
}
