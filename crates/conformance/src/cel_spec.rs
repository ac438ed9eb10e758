//! cel-spec's "simple" conformance tests (`tests/simple/testdata/*.textproto`)
//! run against vigie-cel.
//!
//! Each test gives an expression, optional bindings, container and declared
//! variables, and what must happen: a value, an evaluation error, or a typed
//! result. A test with no expectation must evaluate to `true`.
//!
//! Not applicable (counted apart, never as passed): tests that need protobuf
//! messages, which vigie-cel does not model because Kubernetes objects are
//! JSON. The rule: the test's container, declared types, expression, bindings
//! or expected value name a protobuf message or enum: a container or name
//! under `cel.expr.conformance.` or `google.protobuf.` (the well-known
//! wrappers and Struct/Value/Any included), a `TestAllTypes`-style message,
//! an `object_value` other than Duration or Timestamp, or an `enum_value`.
//! Duration and Timestamp are CEL's own types and stay applicable.

use std::collections::BTreeMap;
use std::path::Path;

use crate::textproto::{self, FieldValue, Message};
use crate::Tally;

/// A value as the tests describe it, engine-neutral.
#[derive(Debug, Clone, PartialEq)]
pub enum Pv {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Double(f64),
    String(String),
    Bytes(Vec<u8>),
    List(Vec<Pv>),
    Map(Vec<(Pv, Pv)>),
    Type(String),
    /// Seconds and nanoseconds.
    Duration(i64, i32),
    /// Seconds since the epoch and nanoseconds.
    Timestamp(i64, i32),
}

/// One test, ready for an engine.
pub struct Case {
    pub expr: String,
    pub container: String,
    /// Declared variable names (type_env idents and bound names).
    pub declared: Vec<String>,
    pub bindings: Vec<(String, Pv)>,
    pub disable_check: bool,
    /// Declared variables of a known type, the type in CEL notation
    /// (`list(int)`, `optional_type(A)`).
    pub typed: Vec<(String, String)>,
    /// Declared function signatures: name, member?, parameter types, result.
    pub functions: Vec<(String, bool, Vec<String>, String)>,
}

/// What an engine did with a test.
pub enum Outcome {
    Value(Pv),
    /// The expression did not compile.
    CompileError(String),
    /// Evaluation failed.
    EvalError(String),
}

/// Something that evaluates CEL, for comparing engines on the same tests.
pub trait Engine {
    fn run(&self, case: &Case) -> Outcome;
    /// The type the engine's checker deduces for the expression, in CEL
    /// notation, or why it could not.
    fn deduce(&self, case: &Case) -> Result<String, String>;
}

enum Expect {
    Value(Pv),
    Error,
    /// A deduced type (in CEL notation), and the value when one is given.
    Typed(String, Option<Pv>),
}

/// Why a test is not applicable.
const WKT_OK: &[&str] = &[
    "type.googleapis.com/google.protobuf.Duration",
    "type.googleapis.com/google.protobuf.Timestamp",
];

/// Runs every test file in `dir` (the cel-spec checkout) with `engine`.
pub fn run_with(dir: &Path, engine: &dyn Engine) -> Tally {
    let data = dir.join("tests/simple/testdata");
    let mut files: Vec<_> = match std::fs::read_dir(&data) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "textproto"))
            .collect(),
        Err(e) => {
            eprintln!("cel-spec: {}: {e}", data.display());
            return Tally {
                passed: 0,
                failed: 1,
            };
        }
    };
    files.sort();
    let mut tally = Tally::default();
    let mut per_file: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    let mut not_applicable = 0;
    for path in &files {
        let name = path
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{}: {e}", path.display());
                tally.failed += 1;
                continue;
            }
        };
        let file = match textproto::parse(&text) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("{}:{}: {}", path.display(), e.line, e.reason);
                tally.failed += 1;
                continue;
            }
        };
        let counts = per_file.entry(name.clone()).or_default();
        for section in file.all("section").filter_map(as_msg) {
            let sname = section.string("name").unwrap_or_default();
            for test in section.all("test").filter_map(as_msg) {
                let tname = test.string("name").unwrap_or_default();
                if needs_protobuf(test) {
                    not_applicable += 1;
                    counts.2 += 1;
                    continue;
                }
                match run_one(test, engine) {
                    Ok(()) => {
                        tally.passed += 1;
                        counts.0 += 1;
                    }
                    Err(why) => {
                        tally.failed += 1;
                        counts.1 += 1;
                        println!("FAIL {name}/{sname}/{tname}: {why}");
                    }
                }
            }
        }
    }
    println!("per file (passed / failed / not applicable):");
    for (f, (p, x, na)) in &per_file {
        println!("  {f:<16} {p:>5} {x:>5} {na:>5}");
    }
    let applicable = tally.passed + tally.failed;
    println!(
        "{not_applicable} not applicable (protobuf messages); {:.1}% of {applicable} applicable tests passed",
        if applicable == 0 {
            0.0
        } else {
            100.0 * tally.passed as f64 / applicable as f64
        }
    );
    tally
}

fn as_msg(v: &FieldValue) -> Option<&Message> {
    match v {
        FieldValue::Message(m) => Some(m),
        _ => None,
    }
}

fn needs_protobuf(test: &Message) -> bool {
    let container = test.string("container").unwrap_or_default();
    if container.starts_with("cel.expr.conformance") || container.starts_with("google.protobuf") {
        return true;
    }
    let expr = test.string("expr").unwrap_or_default();
    const NAMES: &[&str] = &[
        "TestAllTypes",
        "NestedMessage",
        "NestedEnum",
        "GlobalEnum",
        "TestRequired",
        "proto2.",
        "proto3.",
        "google.protobuf.",
        "cel.expr.conformance",
    ];
    if NAMES.iter().any(|n| expr.contains(n)) {
        return true;
    }
    mentions_message(test)
}

/// Whether any nested field holds a message value, an enum value, or a
/// message type declaration.
fn mentions_message(m: &Message) -> bool {
    m.fields.iter().any(|f| {
        if f.name.starts_with('[') {
            let url = f.name.trim_matches(|c| c == '[' || c == ']');
            if !WKT_OK.contains(&url) {
                return true;
            }
        }
        if f.name == "enum_value" || f.name == "message_type" {
            return true;
        }
        if let FieldValue::Str(s) = &f.value {
            if f.name == "type_value" || f.name == "type" || f.name == "container" {
                let s = String::from_utf8_lossy(s);
                if s.contains("conformance") || s.contains("google.protobuf") {
                    return true;
                }
            }
        }
        match &f.value {
            FieldValue::Message(inner) => mentions_message(inner),
            _ => false,
        }
    })
}

fn run_one(test: &Message, engine: &dyn Engine) -> Result<(), String> {
    let expect = expectation(test)?;
    let mut case = Case {
        expr: test.string("expr").unwrap_or_default(),
        container: test.string("container").unwrap_or_default(),
        declared: Vec::new(),
        bindings: Vec::new(),
        disable_check: test.flag("disable_check"),
        typed: Vec::new(),
        functions: Vec::new(),
    };
    for decl in test.all("type_env").filter_map(as_msg) {
        let Some(n) = decl.string("name") else {
            continue;
        };
        if let Some(ident) = decl.message("ident") {
            if let Some(t) = ident.message("type") {
                case.typed.push((n.clone(), type_text(t)?));
            }
            case.declared.push(n);
        } else if let Some(f) = decl.message("function") {
            for o in f.all("overloads").filter_map(as_msg) {
                let params = o
                    .all("params")
                    .filter_map(as_msg)
                    .map(type_text)
                    .collect::<Result<Vec<_>, _>>()?;
                let result = o
                    .message("result_type")
                    .map(type_text)
                    .transpose()?
                    .unwrap_or_else(|| "dyn".into());
                case.functions
                    .push((n.clone(), o.flag("is_instance_function"), params, result));
            }
        }
    }
    for b in test.all("bindings").filter_map(as_msg) {
        let key = b.string("key").unwrap_or_default();
        let ev = b.message("value").ok_or("binding without value")?;
        let v = ev
            .message("value")
            .ok_or("binding that is not a plain value")?;
        case.declared.push(key.clone());
        case.bindings.push((key, value(v)?));
    }
    let check_only = test.flag("check_only");
    let expect = match expect {
        Expect::Typed(want, value) => {
            let got = engine.deduce(&case)?;
            if got != want {
                return Err(format!("deduced type {got}, want {want}"));
            }
            match value {
                Some(v) if !check_only => Expect::Value(v),
                _ => return Ok(()),
            }
        }
        other if check_only => {
            // A check-only test without a deduced type: it must check.
            let _ = other;
            return engine.deduce(&case).map(|_| ());
        }
        other => other,
    };
    let got = engine.run(&case);
    match (expect, got) {
        (Expect::Value(want), Outcome::Value(got)) => {
            if same(&want, &got) {
                Ok(())
            } else {
                Err(format!("want {want:?}, got {got:?}"))
            }
        }
        (Expect::Value(want), Outcome::CompileError(e)) => {
            Err(format!("want {want:?}, compile error: {e}"))
        }
        (Expect::Value(want), Outcome::EvalError(e)) => {
            Err(format!("want {want:?}, eval error: {e}"))
        }
        (Expect::Error, Outcome::Value(got)) => Err(format!("want an error, got {got:?}")),
        (Expect::Error, _) => Ok(()),
        (Expect::Typed(..), _) => unreachable!("handled above"),
    }
}

fn expectation(test: &Message) -> Result<Expect, String> {
    if let Some(v) = test.message("value") {
        return Ok(Expect::Value(value(v)?));
    }
    if test.get("eval_error").is_some() || test.get("any_eval_errors").is_some() {
        return Ok(Expect::Error);
    }
    if let Some(t) = test.message("typed_result") {
        let v = t.message("result").map(value).transpose()?;
        let ty = t
            .message("deduced_type")
            .ok_or("typed_result without deduced_type")?;
        return Ok(Expect::Typed(type_text(ty)?, v));
    }
    if test.get("unknown").is_some() || test.get("any_unknowns").is_some() {
        return Err("unknown-set results are not supported".into());
    }
    Ok(Expect::Value(Pv::Bool(true)))
}

/// A `cel.expr.Type` message in CEL notation (`list(int)`, `map(string, dyn)`,
/// `optional_type(A)`).
fn type_text(t: &Message) -> Result<String, String> {
    let Some(f) = t.fields.first() else {
        return Err("empty Type".into());
    };
    let inner = |name: &str| -> Result<String, String> {
        t.message(name)
            .and_then(|m| m.fields.first())
            .and_then(|f| match &f.value {
                FieldValue::Message(m) => Some(m),
                _ => None,
            })
            .ok_or_else(|| format!("{name} without a type"))
            .and_then(|_| type_text(t.message(name).expect("checked")))
    };
    Ok(match f.name.as_str() {
        "dyn" => "dyn".into(),
        "null" => "null_type".into(),
        "primitive" => match word(&f.value)? {
            "BOOL" => "bool",
            "INT64" => "int",
            "UINT64" => "uint",
            "DOUBLE" => "double",
            "STRING" => "string",
            "BYTES" => "bytes",
            other => return Err(format!("primitive {other}")),
        }
        .into(),
        "well_known" => match word(&f.value)? {
            "DURATION" => "google.protobuf.Duration",
            "TIMESTAMP" => "google.protobuf.Timestamp",
            other => return Err(format!("well-known type {other}")),
        }
        .into(),
        "type_param" => t.string("type_param").unwrap_or_default(),
        "list_type" => {
            let l = t.message("list_type").ok_or("list_type")?;
            let e = l
                .message("elem_type")
                .ok_or("list_type without elem_type")?;
            format!("list({})", type_text(e)?)
        }
        "map_type" => {
            let m = t.message("map_type").ok_or("map_type")?;
            let k = m.message("key_type").ok_or("map_type without key_type")?;
            let v = m
                .message("value_type")
                .ok_or("map_type without value_type")?;
            format!("map({}, {})", type_text(k)?, type_text(v)?)
        }
        "type" => format!("type({})", inner("type")?),
        "abstract_type" => {
            let a = t.message("abstract_type").ok_or("abstract_type")?;
            let name = a.string("name").unwrap_or_default();
            let ps = a
                .all("parameter_types")
                .filter_map(as_msg)
                .map(type_text)
                .collect::<Result<Vec<_>, _>>()?;
            if ps.is_empty() {
                name
            } else {
                format!("{name}({})", ps.join(", "))
            }
        }
        other => return Err(format!("type {other} is not supported")),
    })
}

fn word(v: &FieldValue) -> Result<&str, String> {
    match v {
        FieldValue::Word(w) => Ok(w),
        other => Err(format!("expected a number, found {other:?}")),
    }
}

fn parse_int(w: &str) -> Result<i64, String> {
    let (neg, body) = match w.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, w),
    };
    let mag: i128 = if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        i128::from_str_radix(h, 16).map_err(|e| format!("{w}: {e}"))?
    } else {
        body.parse().map_err(|e| format!("{w}: {e}"))?
    };
    let v = if neg { -mag } else { mag };
    i64::try_from(v).map_err(|e| format!("{w}: {e}"))
}

fn parse_double(w: &str) -> Result<f64, String> {
    match w.to_ascii_lowercase().as_str() {
        "inf" | "infinity" => Ok(f64::INFINITY),
        "-inf" | "-infinity" => Ok(f64::NEG_INFINITY),
        "nan" => Ok(f64::NAN),
        s => s
            .trim_end_matches('f')
            .parse()
            .map_err(|e| format!("{w}: {e}")),
    }
}

/// Converts a `cel.expr.Value` message.
fn value(m: &Message) -> Result<Pv, String> {
    let Some(f) = m.fields.first() else {
        return Err("empty Value".into());
    };
    let v = &f.value;
    Ok(match f.name.as_str() {
        "null_value" => Pv::Null,
        "bool_value" => Pv::Bool(word(v)? == "true"),
        "int64_value" => Pv::Int(parse_int(word(v)?)?),
        "uint64_value" => {
            let w = word(v)?;
            Pv::Uint(if let Some(h) = w.strip_prefix("0x") {
                u64::from_str_radix(h, 16).map_err(|e| e.to_string())?
            } else {
                w.parse().map_err(|e| format!("{w}: {e}"))?
            })
        }
        "double_value" => Pv::Double(parse_double(word(v)?)?),
        "string_value" => match v {
            FieldValue::Str(s) => Pv::String(String::from_utf8_lossy(s).into_owned()),
            _ => return Err("string_value is not a string".into()),
        },
        "bytes_value" => match v {
            FieldValue::Str(s) => Pv::Bytes(s.clone()),
            _ => return Err("bytes_value is not a string".into()),
        },
        "type_value" => match v {
            FieldValue::Str(s) => Pv::Type(String::from_utf8_lossy(s).into_owned()),
            _ => return Err("type_value is not a string".into()),
        },
        "list_value" => {
            let l = as_msg(v).ok_or("list_value")?;
            Pv::List(
                l.all("values")
                    .filter_map(as_msg)
                    .map(value)
                    .collect::<Result<_, _>>()?,
            )
        }
        "map_value" => {
            let mm = as_msg(v).ok_or("map_value")?;
            let mut entries = Vec::new();
            for e in mm.all("entries").filter_map(as_msg) {
                let k = value(e.message("key").ok_or("map entry without key")?)?;
                let val = value(e.message("value").ok_or("map entry without value")?)?;
                entries.push((k, val));
            }
            Pv::Map(entries)
        }
        "object_value" => {
            let any = as_msg(v).ok_or("object_value")?;
            let f = any.fields.first().ok_or("empty object_value")?;
            let body = as_msg(&f.value).ok_or("object_value body")?;
            let secs = match body.get("seconds") {
                Some(w) => parse_int(word(w)?)?,
                None => 0,
            };
            let nanos = match body.get("nanos") {
                Some(w) => parse_int(word(w)?)? as i32,
                None => 0,
            };
            match f.name.as_str() {
                "[type.googleapis.com/google.protobuf.Duration]" => Pv::Duration(secs, nanos),
                "[type.googleapis.com/google.protobuf.Timestamp]" => Pv::Timestamp(secs, nanos),
                other => return Err(format!("object_value {other} is not supported")),
            }
        }
        other => return Err(format!("Value kind {other} is not supported")),
    })
}

/// Equality as the tests mean it: same kind, same content; NaN equals NaN
/// (a test expecting NaN passes on NaN); maps compare as unordered.
fn same(want: &Pv, got: &Pv) -> bool {
    match (want, got) {
        (Pv::Double(a), Pv::Double(b)) => (a.is_nan() && b.is_nan()) || a == b,
        (Pv::List(a), Pv::List(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (Pv::Map(a), Pv::Map(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, v)| b.iter().any(|(k2, v2)| same(k, k2) && same(v, v2)))
        }
        _ => want == got,
    }
}
