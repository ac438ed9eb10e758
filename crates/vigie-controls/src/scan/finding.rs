//! Findings made from violations: what they share, and the exception that covers them.

use std::sync::Arc;

use vigie_finding::{Finding, InputError, Location, ObjectLocation, ResourceRef, Severity};
use vigie_resource::{Diagnostic, Pos, Resource};

use super::checks::Check;
use crate::exceptions::{Date, Lookup, ObjectExceptions};
use crate::pod::Violation;

/// The texts of a check that every finding of it shares.
pub(super) struct CheckTexts {
    id: Arc<str>,
    title: Arc<str>,
    remediation: Arc<str>,
}

impl CheckTexts {
    pub(super) fn of(check: Check) -> Self {
        Self {
            id: check.id().into(),
            title: check.title().into(),
            remediation: check.remediation().into(),
        }
    }
}

/// What every finding on one object shares: the object and its file.
#[derive(Clone)]
pub(super) struct ObjectRef {
    pub(super) reference: Arc<ResourceRef>,
    file: Arc<str>,
    rendered_by: Option<Arc<str>>,
    document: u32,
    item: Option<u32>,
    pos: Pos,
    /// The cluster object, for a resource read from a live cluster: its
    /// findings point at it rather than at a line.
    cluster: Option<Arc<ObjectLocation>>,
}

impl ObjectRef {
    pub(super) fn new(resource: &Resource) -> Self {
        Self {
            reference: Arc::new(ResourceRef {
                api_version: resource.api_version.clone(),
                kind: resource.kind.clone(),
                namespace: resource.namespace.clone(),
                name: resource.name.clone(),
            }),
            file: resource.origin.file.path.as_str().into(),
            rendered_by: resource.origin.file.rendered_by.as_deref().map(Into::into),
            document: resource.origin.document,
            item: resource.origin.item,
            pos: resource.pos,
            cluster: resource.origin.cluster.as_ref().map(|cluster| {
                Arc::new(ObjectLocation {
                    context: cluster.context.to_string(),
                    api_version: resource.api_version.clone(),
                    kind: resource.kind.clone(),
                    namespace: resource.namespace.clone(),
                    name: resource.name.clone(),
                    uid: cluster.uid.clone(),
                    resource_version: cluster.resource_version.clone(),
                })
            }),
        }
    }

    /// A problem at `pos` in the object, its reason left empty: at a line of
    /// the file, or at the cluster object (which has no lines).
    pub(super) fn problem(&self, pos: Pos, fatal: bool) -> InputError {
        match &self.cluster {
            Some(_) => InputError {
                file: self.location(pos).display(),
                line: None,
                column: None,
                reason: String::new(),
                fatal,
            },
            None => InputError {
                file: self.file.to_string(),
                line: Some(pos.line),
                column: Some(pos.column),
                reason: String::new(),
                fatal,
            },
        }
    }

    /// Where `pos` is; a field without a position points at the object.
    pub(super) fn location(&self, pos: Pos) -> Location {
        let pos = if self.cluster.is_some() {
            // The text the object was read from is the API server's answer, not
            // a file anyone can open: the object names the place.
            Pos::default()
        } else if pos.line == 0 {
            self.pos
        } else {
            pos
        };
        Location {
            file: self.file.clone(),
            line: pos.line,
            column: pos.column,
            document: self.document,
            item: self.item,
            rendered_by: self.rendered_by.clone(),
            object: self.cluster.clone(),
        }
    }
}

/// A finding for a violation, with the exception that covers it, and a warning
/// when an exception matched but has expired.
pub(super) fn finding(
    texts: &CheckTexts,
    severity: Severity,
    object: &ObjectRef,
    resource: &Resource,
    violation: Violation,
    exceptions: &ObjectExceptions<'_>,
    today: Date,
) -> (Finding, Option<InputError>) {
    let (exception, note) = match exceptions.lookup(&texts.id, today) {
        Lookup::None => (None, None),
        Lookup::Applies(applied) => (Some(Box::new(applied)), None),
        Lookup::Expired { source, expired } => (
            None,
            Some(InputError {
                reason: format!(
                    "the exception for {} on {} {} ({source}) expired on {expired}: its findings count again",
                    texts.id, resource.kind, resource.name
                ),
                ..object.problem(resource.pos, false)
            }),
        ),
    };
    let subject = violation.subject.map(|s| {
        Arc::new(ResourceRef {
            api_version: if s.kind == "ServiceAccount" {
                "v1"
            } else {
                "rbac.authorization.k8s.io/v1"
            }
            .to_string(),
            kind: s.kind,
            namespace: s.namespace,
            name: s.name,
        })
    });
    let finding = Finding {
        control_id: texts.id.clone(),
        title: texts.title.clone(),
        severity,
        resource: object.reference.clone(),
        location: object.location(violation.pos),
        field_path: violation.path,
        message: violation.message,
        remediation: texts.remediation.clone(),
        subject,
        exception,
    };
    (finding, note)
}

pub(super) fn input_error(diagnostic: &Diagnostic) -> InputError {
    InputError {
        file: diagnostic.file.clone(),
        line: diagnostic.pos.map(|p| p.line),
        column: diagnostic.pos.map(|p| p.column),
        reason: diagnostic.reason.clone(),
        fatal: diagnostic.is_error(),
    }
}
