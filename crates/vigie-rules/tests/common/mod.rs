//! A tiny event source for tests: fields `t.*` with values from a map.

// Test code: an unwrap that fails is the test's own failure report.
#![allow(clippy::unwrap_used)]

use std::borrow::Cow;
use std::collections::HashMap;

use vigie_rules::{
    ArgKind, Event, Extracted, FieldDef, FieldRef, FieldTable, FieldType, Single, Val,
};

pub const DEFS: &[FieldDef] = &[
    FieldDef::new("t.name", FieldType::String, "a name"),
    FieldDef::new("t.path", FieldType::String, "a path"),
    FieldDef::new("t.num", FieldType::Number, "a number"),
    FieldDef::new("t.flag", FieldType::Bool, "a flag"),
    FieldDef::new("t.tags", FieldType::String, "a list").list(),
    FieldDef::new("t.ancestor", FieldType::String, "indexed").arg(ArgKind::Optional),
    FieldDef::new("t.json", FieldType::String, "pointer").arg(ArgKind::Required),
    FieldDef::new("t.type", FieldType::String, "event type"),
    FieldDef::new("t.other", FieldType::String, "another name"),
    FieldDef::new("t.ip", FieldType::Ip, "addresses").list(),
];

/// The values of `t.name` that events with single values number.
pub const NAMES: &[&str] = &["Bash", "bash", "sh", "zsh"];

pub fn table() -> FieldTable {
    // Indexing on `t.name` must never change which rules match: every test runs
    // through the index. Neither must numbering its common values.
    FieldTable::new("test", DEFS)
        .with_event_type_field("t.type")
        .with_index_field("t.name", None)
        .with_vocabulary("t.name", NAMES)
}

#[derive(Default)]
pub struct MapEvent {
    pub values: HashMap<&'static str, Vec<&'static str>>,
    /// Whether single-valued fields are also given through [`Event::single`], which
    /// conditions then read (and memoize) instead of `extract`.
    pub singles: bool,
}

impl MapEvent {
    pub fn with(mut self, field: &'static str, values: &[&'static str]) -> Self {
        self.values.insert(field, values.to_vec());
        self
    }
}

impl Event for MapEvent {
    fn single(&self, field: &FieldRef) -> Option<Single<'_>> {
        let def = &DEFS[field.id as usize];
        if !self.singles || def.list || field.arg.is_some() {
            return None;
        }
        let Some(values) = self.values.get(def.name) else {
            return Some(Single::Missing);
        };
        match def.ty {
            FieldType::Number => Some(Single::Num(values[0].parse().unwrap())),
            FieldType::Bool => None,
            _ if def.name == "t.name" => Some(match NAMES.iter().position(|n| *n == values[0]) {
                Some(i) => Single::Word(i as u8, values[0]),
                None => Single::Text(values[0]),
            }),
            _ => Some(Single::Text(values[0])),
        }
    }

    fn event_type(&self) -> Option<&str> {
        self.values.get("t.type").map(|v| v[0])
    }

    fn extract(&self, field: &FieldRef) -> Extracted<'_> {
        let def = &DEFS[field.id as usize];
        let key: &str = match &field.arg {
            Some(arg) if def.name == "t.json" => {
                return Extracted::One(Val::Str(Cow::Owned(format!("ptr:{}", arg.raw))));
            }
            Some(arg) if def.name == "t.ancestor" => {
                return match self.values.get(def.name) {
                    Some(v) => match arg.index.and_then(|i| v.get(i as usize)) {
                        Some(s) => Extracted::One(Val::Str(Cow::Borrowed(s))),
                        None => Extracted::Missing,
                    },
                    None => Extracted::Missing,
                }
            }
            _ => def.name,
        };
        let Some(values) = self.values.get(key) else {
            return Extracted::Missing;
        };
        let to_val = |s: &&'static str| match def.ty {
            FieldType::Number => Val::Num(s.parse().unwrap()),
            FieldType::Bool => Val::Bool(*s == "true"),
            _ => Val::Str(Cow::Borrowed(*s)),
        };
        if def.list {
            Extracted::from_list(values.iter().map(to_val).collect())
        } else {
            Extracted::One(to_val(&values[0]))
        }
    }
}

/// Each of `needles` stands in at least one of `messages`.
#[allow(dead_code)] // not every test file checks messages
pub fn assert_mentions(messages: &[String], needles: &[&str]) {
    for needle in needles {
        assert!(
            messages.iter().any(|m| m.contains(needle)),
            "no message mentions {needle:?}: {messages:?}"
        );
    }
}
