//! What the engine needs from an event: its type, and the values of its fields.

use std::borrow::Cow;

use crate::field::FieldRef;

/// One extracted value. Strings borrow from the event whenever they can.
#[derive(Clone, Debug, PartialEq)]
pub enum Val<'a> {
    /// Text.
    Str(Cow<'a, str>),
    /// A number.
    Num(i64),
    /// A boolean.
    Bool(bool),
}

impl Val<'_> {
    /// The value as text, as Falco prints it.
    #[inline]
    pub fn as_text(&self) -> Cow<'_, str> {
        match self {
            Val::Str(s) => Cow::Borrowed(s),
            Val::Num(n) => Cow::Owned(n.to_string()),
            Val::Bool(true) => Cow::Borrowed("true"),
            Val::Bool(false) => Cow::Borrowed("false"),
        }
    }

    /// The value as a number: numbers, text that reads as one, booleans as 0 and 1.
    pub fn as_num(&self) -> Option<i64> {
        match self {
            Val::Num(n) => Some(*n),
            Val::Str(s) => s.trim().parse().ok(),
            Val::Bool(b) => Some(*b as i64),
        }
    }
}

/// The result of extracting one field. `Many` is only produced by list fields;
/// an empty list is reported as `Missing`.
#[derive(Clone, Debug, PartialEq)]
pub enum Extracted<'a> {
    /// The field has no value in this event.
    Missing,
    /// One value.
    One(Val<'a>),
    /// Several values (list fields).
    Many(Vec<Val<'a>>),
}

impl<'a> Extracted<'a> {
    /// `Many`, or `Missing` for an empty list.
    pub fn from_list(values: Vec<Val<'a>>) -> Self {
        if values.is_empty() {
            Extracted::Missing
        } else {
            Extracted::Many(values)
        }
    }

    /// The values, however many.
    pub fn values(&self) -> &[Val<'a>] {
        match self {
            Extracted::Missing => &[],
            Extracted::One(v) => std::slice::from_ref(v),
            Extracted::Many(v) => v,
        }
    }
}

/// A field's value when it is one text held by the event, or one number: what
/// [`Event::single`] answers for the fields it can.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Single<'a> {
    /// The field has no value in this event.
    Missing,
    /// One text.
    Text(&'a str),
    /// A value of the field's vocabulary ([`crate::FieldTable::with_vocabulary`]): its
    /// position there, and its text.
    Word(u8, &'a str),
    /// One number.
    Num(i64),
}

/// A test of one value: what [`Event::test_values`] applies to a field's values.
pub type ValueTest<'t> = dyn FnMut(&Val<'_>) -> bool + 't;

/// An event of some source. `extract` receives fields resolved against the source's
/// own [`crate::FieldTable`], so `field.id` indexes that table.
pub trait Event {
    /// The event type used to index rules (`evt.type` for syscalls); `None` when the
    /// source has no event types, and then every rule of the source is evaluated.
    fn event_type(&self) -> Option<&str> {
        None
    }

    /// The values of `field` in this event.
    fn extract(&self, field: &FieldRef) -> Extracted<'_>;

    /// Whether `test` holds for some value of the field or, with `every`, for each of
    /// its values; false when it has none. This is how conditions read fields: the
    /// default extracts the values, and a source overrides it for the list fields it
    /// can walk where they are, so that testing them allocates nothing.
    fn test_values(&self, field: &FieldRef, every: bool, test: &mut ValueTest<'_>) -> bool {
        test_extracted(&self.extract(field), every, test)
    }

    /// The field's value when it has at most one and that value is text borrowed from
    /// the event or a number; `None` for the other fields (lists, computed text), which
    /// conditions then read with [`Event::test_values`]. Conditions read these fields
    /// most: the engine asks for each once per event and compares the answer directly.
    /// It must agree with `test_values`: `Missing` fails every test, and a value
    /// passes a test when `test` accepts it as a [`Val`].
    fn single(&self, _field: &FieldRef) -> Option<Single<'_>> {
        None
    }
}

/// [`Event::test_values`] on values already extracted.
pub fn test_extracted(values: &Extracted<'_>, every: bool, test: &mut ValueTest<'_>) -> bool {
    match values {
        Extracted::Missing => false,
        Extracted::One(v) => test(v),
        Extracted::Many(values) if every => values.iter().all(test),
        Extracted::Many(values) => values.iter().any(test),
    }
}
