//! What rules are evaluated on: an audit event as a [`vigie_rules::Event`].

use vigie_rules::{Event, Extracted, FieldRef, Single, ValueTest};

use super::event::AuditEvent;

/// An audit event seen by the rule engine. The event itself already holds where its
/// attributes are, so this view adds nothing yet; it is where per-evaluation state
/// (caches of computed fields) belongs.
pub struct AuditView<'a> {
    event: &'a AuditEvent,
}

impl<'a> AuditView<'a> {
    /// The view of one event.
    pub fn new(event: &'a AuditEvent) -> Self {
        Self { event }
    }

    /// The event seen.
    pub fn event(&self) -> &'a AuditEvent {
        self.event
    }
}

impl Event for AuditView<'_> {
    fn extract(&self, field: &FieldRef) -> Extracted<'_> {
        self.event.extract(field)
    }

    fn test_values(&self, field: &FieldRef, every: bool, test: &mut ValueTest<'_>) -> bool {
        self.event.test_values(field, every, test)
    }

    fn single(&self, field: &FieldRef) -> Option<Single<'_>> {
        self.event.single(field)
    }
}
