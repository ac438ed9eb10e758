//! One event being evaluated, with the single values of its fields read so far.
//!
//! Several rules compare the same fields of an event (each audit event's user name is
//! compared by four rules, its subresource by three), and reading a field through
//! [`Event`] is a dynamic call that finds the field, its attribute and its text. The
//! first read of a field with a memo slot ([`crate::FieldTable`] gives them to the
//! cheap single-valued fields) keeps the answer, and later comparisons of the event
//! reuse it.

use crate::event::{Event, Single};
use crate::field::FieldRef;

/// Fields memoized per source: an evaluation starts with this many empty slots.
pub const MEMO_SLOTS: usize = 24;

#[derive(Clone, Copy)]
enum Memo<'e> {
    Unread,
    /// The event has no [`Single`] answer for this field: it is read with
    /// [`Event::test_values`].
    NotSingle,
    Read(Single<'e>),
}

pub(crate) struct Evaluation<'e> {
    pub event: &'e dyn Event,
    memo: [Memo<'e>; MEMO_SLOTS],
}

impl<'e> Evaluation<'e> {
    pub fn new(event: &'e dyn Event) -> Self {
        Self {
            event,
            memo: [Memo::Unread; MEMO_SLOTS],
        }
    }

    /// [`Event::single`], read once per event, for fields with a memo slot; `None`
    /// for the others, which are read with [`Event::test_values`] (lists mostly, for
    /// which asking `single` first would be a call for nothing).
    #[inline]
    pub fn single(&mut self, field: &FieldRef, slot: Option<u8>) -> Option<Single<'e>> {
        let slot = slot?;
        let memo = &mut self.memo[slot as usize];
        match *memo {
            Memo::Read(value) => Some(value),
            Memo::NotSingle => None,
            Memo::Unread => {
                // Matched where the event wrote it, field by field: copying the answer
                // whole right after the call read it with wider loads than the
                // event's stores, which stalled on store forwarding.
                match &self.event.single(field) {
                    Some(Single::Missing) => {
                        *memo = Memo::Read(Single::Missing);
                        Some(Single::Missing)
                    }
                    &Some(Single::Text(text)) => {
                        *memo = Memo::Read(Single::Text(text));
                        Some(Single::Text(text))
                    }
                    &Some(Single::Word(word, text)) => {
                        *memo = Memo::Read(Single::Word(word, text));
                        Some(Single::Word(word, text))
                    }
                    &Some(Single::Num(n)) => {
                        *memo = Memo::Read(Single::Num(n));
                        Some(Single::Num(n))
                    }
                    None => {
                        *memo = Memo::NotSingle;
                        None
                    }
                }
            }
        }
    }
}
