//! Putting results that workers finish in any order back into input order.

use crate::diagnostic::{Diagnostic, DiagnosticLevel};

/// The results of one part of one job of one source.
pub(super) struct Piece<T> {
    pub(super) source: usize,
    /// Which job of the source, and which part of the job, this is.
    pub(super) job: usize,
    pub(super) part: usize,
    pub(super) next: Next,
    pub(super) results: Vec<T>,
    pub(super) diagnostics: Vec<Diagnostic>,
}

/// What comes after a piece in input order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Next {
    /// The next part of the same job (a `List` read item by item is sent in parts).
    Part,
    /// The first part of the next job of the same source.
    Job,
    /// The first job of the next source.
    Source,
}

/// Problems listed per source; more are counted, not listed: a file of a million
/// broken documents must not hold a million messages.
pub(super) const MAX_DIAGNOSTICS_PER_SOURCE: usize = 1000;

/// Puts pieces arriving in any order back into input order.
pub(super) struct InOrder<T> {
    next: (usize, usize, usize),
    waiting: std::collections::HashMap<(usize, usize, usize), Piece<T>>,
    /// Results held in `waiting`, and the most held at once.
    waiting_results: usize,
    pub(super) peak_waiting_results: usize,
    /// Diagnostics of the current source listed, and those left out.
    listed: usize,
    left_out: usize,
    left_out_level: DiagnosticLevel,
}

impl<T> Default for InOrder<T> {
    fn default() -> Self {
        Self {
            next: (0, 0, 0),
            waiting: std::collections::HashMap::new(),
            waiting_results: 0,
            peak_waiting_results: 0,
            listed: 0,
            left_out: 0,
            left_out_level: DiagnosticLevel::Warning,
        }
    }
}

impl<T> InOrder<T> {
    /// Takes a piece, and hands over every result and diagnostic that is now next
    /// in line.
    pub(super) fn add(
        &mut self,
        piece: Piece<T>,
        results: &mut impl FnMut(Vec<T>),
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        self.waiting_results += piece.results.len();
        self.peak_waiting_results = self.peak_waiting_results.max(self.waiting_results);
        self.waiting
            .insert((piece.source, piece.job, piece.part), piece);
        while let Some(piece) = self.waiting.remove(&self.next) {
            self.waiting_results -= piece.results.len();
            let (source, job, part) = self.next;
            self.next = match piece.next {
                Next::Part => (source, job, part + 1),
                Next::Job => (source, job + 1, 0),
                Next::Source => (source + 1, 0, 0),
            };
            results(piece.results);
            for diagnostic in piece.diagnostics {
                if self.listed < MAX_DIAGNOSTICS_PER_SOURCE {
                    self.listed += 1;
                    diagnostics.push(diagnostic);
                } else {
                    self.left_out += 1;
                    self.left_out_level = self.left_out_level.max(diagnostic.level);
                }
            }
            if piece.next == Next::Source {
                if let Some(last) = diagnostics.last().filter(|_| self.left_out > 0) {
                    let summary = Diagnostic {
                        level: self.left_out_level,
                        file: last.file.clone(),
                        pos: None,
                        reason: format!(
                            "{} more problems in this file are not listed (the first \
                             {MAX_DIAGNOSTICS_PER_SOURCE} are)",
                            self.left_out
                        ),
                    };
                    diagnostics.push(summary);
                }
                self.listed = 0;
                self.left_out = 0;
                self.left_out_level = DiagnosticLevel::Warning;
            }
        }
    }
}
