//! An event for the rule targets: every field has one value, the same text for text
//! fields and its length for numbers, so that conditions reach their matchers.

use std::borrow::Cow;

use vigie_rules::{Event, Extracted, FieldRef, FieldTable, FieldType, Val};

pub struct FuzzEvent<'a> {
    pub table: &'a FieldTable,
    pub value: &'a str,
}

impl Event for FuzzEvent<'_> {
    fn event_type(&self) -> Option<&str> {
        Some(self.value)
    }

    fn extract(&self, field: &FieldRef) -> Extracted<'_> {
        let def = self.table.def(field.id);
        let value = match def.ty {
            FieldType::Number => Val::Num(self.value.len() as i64),
            FieldType::Bool => Val::Bool(self.value.is_empty()),
            _ => Val::Str(Cow::Borrowed(self.value)),
        };
        if def.list {
            Extracted::from_list(vec![value.clone(), value])
        } else {
            Extracted::One(value)
        }
    }
}
