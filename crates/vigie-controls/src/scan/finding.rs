//! Findings made from violations: what they share, and the exception that covers them.

use std::sync::Arc;

use vigie_finding::{Finding, InputError, Location, ResourceRef, Severity};
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
        }
    }

    /// Where `pos` is; a field without a position points at the object.
    pub(super) fn location(&self, pos: Pos) -> Location {
        let pos = if pos.line == 0 { self.pos } else { pos };
        Location {
            file: self.file.clone(),
            line: pos.line,
            column: pos.column,
            document: self.document,
            item: self.item,
            rendered_by: self.rendered_by.clone(),
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
                file: resource.origin.file.path.clone(),
                line: Some(resource.pos.line),
                column: Some(resource.pos.column),
                reason: format!(
                    "the exception for {} on {} {} ({source}) expired on {expired}: its findings count again",
                    texts.id, resource.kind, resource.name
                ),
                fatal: false,
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
