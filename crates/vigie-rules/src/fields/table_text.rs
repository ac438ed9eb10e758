//! A compact text form for declaring many fields: one field per line,
//! `name type [list] [arg=optional|required|dotted] [-- description]`, with types
//! `string`, `number`, `bool`, `ip`, `bytes`.

use crate::field::{ArgKind, FieldDef, FieldType};

/// Parses a static table; panics on a malformed line, which is a programming error
/// caught by the tests of each table.
pub fn parse_table_text(text: &'static str) -> Vec<FieldDef> {
    let mut defs = Vec::new();
    for line in text.lines() {
        let (spec, desc) = match line.split_once("--") {
            Some((s, d)) => (s, d.trim()),
            None => (line, ""),
        };
        let mut words = spec.split_whitespace();
        let Some(name) = words.next() else { continue };
        let ty = match words.next() {
            Some("string") => FieldType::String,
            Some("number") => FieldType::Number,
            Some("bool") => FieldType::Bool,
            Some("ip") => FieldType::Ip,
            Some("bytes") => FieldType::Bytes,
            other => panic!("field {name}: bad type {other:?}"),
        };
        let mut def = FieldDef::new(name, ty, desc);
        for word in words {
            def = match word {
                "list" => def.list(),
                "arg=optional" => def.arg(ArgKind::Optional),
                "arg=required" => def.arg(ArgKind::Required),
                "arg=dotted" => def.arg(ArgKind::Dotted),
                other => panic!("field {name}: bad flag {other}"),
            };
        }
        defs.push(def);
    }
    defs
}
