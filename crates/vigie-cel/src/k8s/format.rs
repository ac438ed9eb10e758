//! Kubernetes' format library: `format.dns1123Label()`,
//! `format.dns1123Subdomain()`, `format.dns1035Label()`,
//! `format.qualifiedName()`, the `...Prefix()` forms of the DNS names
//! (a trailing `-` allowed, as for `generateName`), `format.labelValue()`,
//! `format.uri()`, `format.uuid()`, `format.byte()`, `format.date()`,
//! `format.datetime()`, and `format.named(name)` (an optional format).
//! `f.validate(s)` is `optional.none()` when `s` is valid, else an optional
//! list of the reasons, worded as Kubernetes' validation words them.

use std::sync::OnceLock;

use base64::Engine;
use cel::common::types::{CelOptional, Type, STRING_TYPE};
use cel::common::value::{CowVal, Val};
use cel::{DeclarationError, Env, Value};
use regex::Regex;

use super::url::Url;
use crate::library::{err, one, owned, string_arg, two, R};

/// The CEL type of formats, `kubernetes.NamedFormat`.
pub const FORMAT: Type = Type::new_unspecified_type("kubernetes.NamedFormat");
static FORMAT_TYPE: Type = FORMAT;

/// The formats, by the names `format.named` takes.
const NAMES: [&str; 13] = [
    "dns1123Label",
    "dns1123Subdomain",
    "dns1035Label",
    "qualifiedName",
    "dns1123LabelPrefix",
    "dns1123SubdomainPrefix",
    "dns1035LabelPrefix",
    "labelValue",
    "uri",
    "uuid",
    "byte",
    "date",
    "datetime",
];

/// A format: an index into the table of format names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format(usize);

opaque_val!(Format, FORMAT_TYPE, "kubernetes.NamedFormat");

const LABEL: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const SUBDOMAIN: &str = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1035: &str = "[a-z]([-a-z0-9]*[a-z0-9])?";
const QUALIFIED: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_VALUE: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const UUID: &str = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
const DATE: &str = "[0-9]{4}-[0-9]{2}-[0-9]{2}";
const DATETIME: &str =
    "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})";

/// Whether all of `s` matches `pattern` (compiled once per pattern).
fn full_match(pattern: &'static str, s: &str) -> bool {
    static CACHE: OnceLock<Vec<(&'static str, Regex)>> = OnceLock::new();
    let all = CACHE.get_or_init(|| {
        [
            LABEL,
            SUBDOMAIN,
            DNS1035,
            QUALIFIED,
            LABEL_VALUE,
            UUID,
            DATE,
            DATETIME,
        ]
        .into_iter()
        .map(|p| {
            let anchored = format!("^(?:{p})$");
            (
                p,
                Regex::new(&anchored).expect("the library's patterns compile"),
            )
        })
        .collect()
    });
    all.iter()
        .find(|(p, _)| *p == pattern)
        .is_some_and(|(_, r)| r.is_match(s))
}

fn too_long(max: usize) -> String {
    format!("must be no more than {max} characters")
}

/// The reasons `s` is not a name of at most `max` bytes matching `pattern`
/// (Kubernetes reports both when both fail); `mismatch` words the second.
fn length_and_pattern(
    s: &str,
    max: usize,
    pattern: &'static str,
    mismatch: impl FnOnce() -> String,
) -> Vec<String> {
    let mut out = Vec::new();
    if s.len() > max {
        out.push(too_long(max));
    }
    if !full_match(pattern, s) {
        out.push(mismatch());
    }
    out
}

fn dns1123_label(s: &str) -> Vec<String> {
    length_and_pattern(s, 63, LABEL, || {
        format!("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '{LABEL}')")
    })
}

fn dns1123_subdomain(s: &str) -> Vec<String> {
    length_and_pattern(s, 253, SUBDOMAIN, || {
        format!("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '{SUBDOMAIN}')")
    })
}

fn dns1035_label(s: &str) -> Vec<String> {
    length_and_pattern(s, 63, DNS1035, || {
        format!("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '{DNS1035}')")
    })
}

/// A `generateName` prefix may end with `-`: it is checked as if that
/// dash were a letter.
fn prefix(s: &str, check: fn(&str) -> Vec<String>) -> Vec<String> {
    match s.strip_suffix('-') {
        Some(stem) => check(&format!("{stem}a")),
        None => check(s),
    }
}

fn qualified_name(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let parts: Vec<&str> = s.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [p, name] => {
            if p.is_empty() {
                out.push("prefix part must be non-empty".to_string());
            } else {
                out.extend(
                    dns1123_subdomain(p)
                        .into_iter()
                        .map(|m| format!("prefix part {m}")),
                );
            }
            *name
        }
        _ => {
            out.push(format!("a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '{QUALIFIED}') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"));
            return out;
        }
    };
    if name.is_empty() {
        out.push("name part must be non-empty".to_string());
    } else if name.len() > 63 {
        out.push(format!("name part {}", too_long(63)));
    }
    if !full_match(QUALIFIED, name) {
        out.push(format!("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '{QUALIFIED}')"));
    }
    out
}

fn label_value(s: &str) -> Vec<String> {
    length_and_pattern(s, 63, LABEL_VALUE, || {
        format!("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '{LABEL_VALUE}')")
    })
}

fn one_reason(ok: bool, reason: impl FnOnce() -> String) -> Vec<String> {
    if ok {
        Vec::new()
    } else {
        vec![reason()]
    }
}

/// The reasons `s` is not in format `f` (none when it is).
fn validate_as(f: Format, s: &str) -> Vec<String> {
    match NAMES[f.0] {
        "dns1123Label" => dns1123_label(s),
        "dns1123Subdomain" => dns1123_subdomain(s),
        "dns1035Label" => dns1035_label(s),
        "qualifiedName" => qualified_name(s),
        "dns1123LabelPrefix" => prefix(s, dns1123_label),
        "dns1123SubdomainPrefix" => prefix(s, dns1123_subdomain),
        "dns1035LabelPrefix" => prefix(s, dns1035_label),
        "labelValue" => label_value(s),
        "uri" => Url::parse(s)
            .err()
            .map(|e| e.to_string())
            .into_iter()
            .collect(),
        "uuid" => one_reason(full_match(UUID, s), || {
            "does not match the UUID format".into()
        }),
        "byte" => one_reason(
            base64::engine::general_purpose::STANDARD.decode(s).is_ok(),
            || "invalid base64".into(),
        ),
        "date" => one_reason(full_match(DATE, s), || {
            "does not match the RFC 3339 full-date format (2006-01-02)".into()
        }),
        _ => one_reason(full_match(DATETIME, s), || {
            "does not match the RFC 3339 date-time format".into()
        }),
    }
}

fn validate<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let (f, s) = two(&args)?;
    let f = *f
        .downcast_ref::<Format>()
        .ok_or_else(|| err("validate", "called on something other than a format"))?;
    let reasons = validate_as(f, string_arg(s, "validate")?);
    if reasons.is_empty() {
        return owned(CelOptional::none());
    }
    let list = Value::List(std::sync::Arc::new(
        reasons
            .into_iter()
            .map(|r| Value::String(std::sync::Arc::new(r)))
            .collect(),
    ));
    let boxed: Box<dyn Val> = list.try_into()?;
    owned(CelOptional::of(boxed))
}

fn named<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    let name = string_arg(one(&args)?, "format.named")?;
    match NAMES.iter().position(|n| *n == name) {
        Some(i) => owned(CelOptional::of(Box::new(Format(i)))),
        None => owned(CelOptional::none()),
    }
}

/// The constructor of the format at index `I` of [`NAMES`]: `format.uri()`.
fn constructor<'b, 'v, const I: usize>(args: Vec<CowVal<'b, 'v>>) -> R<'b, 'v> {
    if !args.is_empty() {
        return Err(cel::ExecutionError::invalid_argument_count(0, args.len()));
    }
    owned(Format(I))
}

/// One constructor per entry of [`NAMES`], in the same order.
const CONSTRUCTORS: [cel::common::functions::Function; NAMES.len()] = [
    constructor::<0>,
    constructor::<1>,
    constructor::<2>,
    constructor::<3>,
    constructor::<4>,
    constructor::<5>,
    constructor::<6>,
    constructor::<7>,
    constructor::<8>,
    constructor::<9>,
    constructor::<10>,
    constructor::<11>,
    constructor::<12>,
];

pub(super) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_type(FORMAT)?;
    for (name, f) in NAMES.iter().zip(CONSTRUCTORS) {
        env.add_overload(
            &format!("format.{name}"),
            &format!("format_{name}"),
            vec![],
            f,
        )?;
    }
    env.add_overload(
        "format.named",
        "format_named_string",
        vec![STRING_TYPE],
        named,
    )?;
    env.add_member_overload(
        "validate",
        "format_validate_string",
        FORMAT,
        vec![STRING_TYPE],
        validate,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, s: &str) -> Vec<String> {
        let i = NAMES.iter().position(|n| *n == name).expect("a format");
        validate_as(Format(i), s)
    }

    #[test]
    fn names_labels_and_values() {
        assert!(check("dns1123Label", "my-name").is_empty());
        assert_eq!(check("dns1123Label", "My_Name").len(), 1);
        assert_eq!(check("dns1123Label", &"a".repeat(64)), vec![too_long(63)]);
        assert!(check("dns1123LabelPrefix", "web-").is_empty());
        assert!(!check("dns1123Label", "web-").is_empty());
        assert!(check("dns1123Subdomain", "example.com").is_empty());
        assert!(!check("dns1035Label", "1abc").is_empty());
        assert!(check("qualifiedName", "example.com/My_Name").is_empty());
        assert!(check("qualifiedName", "a/b/c")[0].starts_with("a qualified name"));
        assert!(check("qualifiedName", "/x")[0].starts_with("prefix part"));
        assert!(check("labelValue", "").is_empty());
        assert!(!check("labelValue", "-x").is_empty());
    }

    #[test]
    fn other_formats() {
        assert!(check("uri", "https://example.com/a").is_empty());
        assert!(!check("uri", "example").is_empty());
        assert!(check("uuid", "123e4567-e89b-12d3-a456-426614174000").is_empty());
        assert!(!check("uuid", "123e4567").is_empty());
        assert!(check("byte", "aGVsbG8=").is_empty());
        assert!(!check("byte", "%%%").is_empty());
        assert!(check("date", "2024-02-29").is_empty());
        assert!(check("datetime", "2024-02-29T10:00:00Z").is_empty());
        assert!(!check("datetime", "2024-02-29").is_empty());
    }
}
