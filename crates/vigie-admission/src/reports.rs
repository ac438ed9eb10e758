//! Audit results on their way to policy reports: the webhook queues them (never
//! blocking a request: when the queue is full they are dropped and counted), and
//! a writer thread aggregates them into reports.

use std::sync::Arc;
use std::time::SystemTime;

use crossbeam_channel::{Receiver, Sender, TrySendError};

use crate::metrics::AdmissionMetrics;
use crate::verdict::RuleOutcome;

/// Audit records waiting for the writer, at most.
pub const QUEUE_CAPACITY: usize = 10_000;

/// The object a record is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectId {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// Namespace (empty for cluster-scoped objects).
    pub namespace: String,
    /// Name.
    pub name: String,
    /// `metadata.uid` (empty on CREATE: the API server sets it after admission).
    pub uid: String,
}

/// The results of the policies evaluated on one object.
#[derive(Clone, Debug)]
pub struct AuditRecord {
    /// The object.
    pub object: ObjectId,
    /// Every rule result (they replace the object's earlier results per policy).
    pub results: Vec<RuleOutcome>,
    /// When it was evaluated.
    pub time: SystemTime,
}

/// The sending end, held by the webhook.
#[derive(Clone)]
pub struct ReportQueue {
    sender: Sender<AuditRecord>,
    metrics: Arc<AdmissionMetrics>,
}

impl ReportQueue {
    /// A queue of [`QUEUE_CAPACITY`] records and its receiving end.
    pub fn new(metrics: Arc<AdmissionMetrics>) -> (ReportQueue, Receiver<AuditRecord>) {
        let (sender, receiver) = crossbeam_channel::bounded(QUEUE_CAPACITY);
        (ReportQueue { sender, metrics }, receiver)
    }

    /// Queues a record without waiting; a full queue drops it and counts its results.
    pub fn push(&self, record: AuditRecord) {
        match self.sender.try_send(record) {
            Ok(()) => {}
            Err(TrySendError::Full(r)) | Err(TrySendError::Disconnected(r)) => {
                self.metrics.reports_dropped(r.results.len() as u64);
            }
        }
    }
}
