//! Conditions to filters: macros are expanded, lists spliced in, fields resolved
//! against the source's [`FieldTable`], and each comparison's right-hand side turned
//! once into the form it is matched with (hash sets for `in`, a prefix tree for
//! `pmatch`, compiled regexes), so evaluating an event allocates nothing in the
//! common case.

use std::borrow::Cow;
use std::collections::HashSet;

use regex_automata::meta::Regex;

use crate::ast::{Expr, FieldExpr, ListItem, Op, Rhs, Transformer};
use crate::evaluation::Evaluation;
use crate::event::{test_extracted, Event, Extracted, Single, Val};
use crate::expand::Compiler;
use crate::field::{FieldError, FieldTable, FieldType};
use crate::glob::{glob_match, iglob_match};
use crate::hash::FastSet;
use crate::limits::quote;
use crate::parser::ParseError;
use crate::pmatch::PrefixTree;
use crate::regexes::Regexes;
use crate::selector::Selector;

/// A compiled condition.
#[derive(Debug)]
pub enum Filter {
    /// All of these hold.
    And(Box<[Filter]>),
    /// Any of these holds.
    Or(Box<[Filter]>),
    /// This does not hold.
    Not(Box<Filter>),
    /// The field has a value.
    Exists(Selector),
    /// A field compared with something.
    Check(Box<Check>),
}

#[derive(Debug)]
pub struct Check {
    selector: Selector,
    matcher: Matcher,
    /// Per word of the field's vocabulary ([`FieldTable::vocabulary`]): whether the
    /// matcher accepts it, so that a [`Single::Word`] is tested by position. Empty when
    /// the field has no vocabulary, has transformers or is compared to numbers or
    /// fields.
    words: Box<[bool]>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ordering {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Ordering {
    fn from_op(op: Op) -> Option<Self> {
        Some(match op {
            Op::Eq => Ordering::Eq,
            Op::Ne => Ordering::Ne,
            Op::Lt => Ordering::Lt,
            Op::Le => Ordering::Le,
            Op::Gt => Ordering::Gt,
            Op::Ge => Ordering::Ge,
            _ => return None,
        })
    }

    fn holds<T: PartialOrd + ?Sized>(self, a: &T, b: &T) -> bool {
        match self {
            Ordering::Eq => a == b,
            Ordering::Ne => a != b,
            Ordering::Lt => a < b,
            Ordering::Le => a <= b,
            Ordering::Gt => a > b,
            Ordering::Ge => a >= b,
        }
    }
}

#[derive(Debug)]
enum Matcher {
    Text(Ordering, Box<str>),
    Number(Ordering, i64),
    Contains(Box<str>),
    /// Needle already lowercased.
    IContains(Box<str>),
    StartsWith(Box<str>),
    EndsWith(Box<str>),
    BytesContain(Box<[u8]>),
    BytesStart(Box<[u8]>),
    Glob(Box<str>),
    IGlob(Box<str>),
    Regex(Regex),
    /// `in` (`all`: every value of a list field must be in the set) or
    /// `intersects` (any value).
    TextSet {
        set: TextSet,
        all: bool,
    },
    NumberSet {
        set: FastSet<i64>,
        all: bool,
    },
    Pmatch(PrefixTree),
    /// `in`, `intersects` or `=` on an address field with networks among the
    /// values (`fd.net in (10.0.0.0/8, "127.0.0.1/24")`): an address matches when
    /// it is in one of them (a plain address is a network of one). A field with
    /// several addresses (`fd.net`: client and server) matches when any does, as
    /// Falco's network fields do.
    IpNets(Box<[IpNet]>),
    /// `val(other.field)` on the right-hand side.
    Field(Op, Selector),
}

/// An IP network: an address and how many leading bits of it are the network's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct IpNet {
    addr: std::net::IpAddr,
    prefix: u8,
}

impl IpNet {
    /// `a.b.c.d/n`, `x::y/n` or a plain address; `None` when it is neither.
    fn parse(s: &str) -> Option<IpNet> {
        // List items may keep their quotes (`items: ['"10.0.0.0/8"']`).
        let s = s.trim_matches(|c| c == '"' || c == '\'');
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
            None => (s, None),
        };
        let addr: std::net::IpAddr = addr.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(IpNet { addr, prefix })
    }

    fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr::{V4, V6};
        match (self.addr, ip) {
            (V4(net), V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (V6(net), V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// The strings of an `in` or `intersects` list.
#[derive(Debug)]
enum TextSet {
    /// A handful of strings are compared one by one: comparing lengths rules out
    /// most of them at once, which costs less than hashing the value.
    Few(Box<[Box<str>]>),
    Many(FastSet<Box<str>>),
}

impl TextSet {
    /// Up to this many strings are [`TextSet::Few`].
    const FEW: usize = 6;

    fn new(items: FastSet<Box<str>>) -> Self {
        if items.len() <= Self::FEW {
            TextSet::Few(items.into_iter().collect())
        } else {
            TextSet::Many(items)
        }
    }

    fn contains(&self, s: &str) -> bool {
        match self {
            TextSet::Few(items) => items.iter().any(|item| **item == *s),
            TextSet::Many(set) => set.contains(s),
        }
    }
}

impl Matcher {
    fn requires_all(&self) -> bool {
        matches!(
            self,
            Matcher::TextSet { all: true, .. } | Matcher::NumberSet { all: true, .. }
        )
    }

    /// Whether the matcher accepts a value of the event's field.
    fn test(&self, v: &Val<'_>, event: &dyn Event) -> bool {
        match (self, v) {
            (Matcher::Number(ord, n), v) => v.as_num().is_some_and(|x| ord.holds(&x, n)),
            (Matcher::NumberSet { set, .. }, v) => v.as_num().is_some_and(|x| set.contains(&x)),
            (Matcher::Field(op, other), v) => {
                let other_val = other.extract(event);
                let Some(b) = other_val.values().first() else {
                    return false;
                };
                compare_values(*op, v, b)
            }
            (_, Val::Str(s)) => self.test_text(s),
            (_, v) => self.test_text(&v.as_text()),
        }
    }

    /// [`Matcher::test`] on a text value, for the matchers that compare text.
    fn test_text(&self, s: &str) -> bool {
        match self {
            Matcher::Text(ord, t) => ord.holds(s, t),
            Matcher::Contains(t) => s.contains(&**t),
            Matcher::IContains(t) => contains_ignore_case(s, t),
            Matcher::StartsWith(t) => s.starts_with(&**t),
            Matcher::EndsWith(t) => s.ends_with(&**t),
            Matcher::BytesContain(b) => {
                !b.is_empty() && s.as_bytes().windows(b.len()).any(|w| w == &**b)
            }
            Matcher::BytesStart(b) => s.as_bytes().starts_with(b),
            Matcher::Glob(p) => glob_match(p, s),
            Matcher::IGlob(p) => iglob_match(p, s),
            Matcher::Regex(r) => r.is_match(s),
            Matcher::TextSet { set, .. } => set.contains(s),
            Matcher::Pmatch(tree) => tree.matches(s),
            Matcher::IpNets(nets) => s
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| nets.iter().any(|n| n.contains(ip))),
            Matcher::Number(..) | Matcher::NumberSet { .. } | Matcher::Field(..) => {
                unreachable!("numbers and other fields are tested by Matcher::test")
            }
        }
    }

    /// [`Matcher::test`] on a field's [`Single`] value, without making it a [`Val`]
    /// when it is text and the matcher compares text.
    fn test_single(&self, value: Single<'_>, event: &dyn Event) -> bool {
        match (value, self) {
            (Single::Missing, _) => false,
            (
                Single::Text(s) | Single::Word(_, s),
                Matcher::Number(..) | Matcher::NumberSet { .. } | Matcher::Field(..),
            ) => self.test(&Val::Str(Cow::Borrowed(s)), event),
            (Single::Text(s) | Single::Word(_, s), _) => self.test_text(s),
            (Single::Num(n), _) => self.test(&Val::Num(n), event),
        }
    }
}

fn contains_ignore_case(haystack: &str, lower_needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), lower_needle.as_bytes());
    if n.is_empty() {
        return true;
    }
    h.windows(n.len())
        .any(|w| w.iter().zip(n).all(|(a, b)| a.to_ascii_lowercase() == *b))
}

fn compare_values(op: Op, a: &Val<'_>, b: &Val<'_>) -> bool {
    if let (Some(ord), Val::Num(x), Val::Num(y)) = (Ordering::from_op(op), a, b) {
        return ord.holds(x, y);
    }
    let (a, b) = (a.as_text(), b.as_text());
    let (a, b): (&str, &str) = (&a, &b);
    match op {
        Op::Contains => a.contains(b),
        Op::IContains => contains_ignore_case(a, &b.to_ascii_lowercase()),
        Op::StartsWith | Op::BStartsWith => a.starts_with(b),
        Op::EndsWith => a.ends_with(b),
        Op::Glob => glob_match(b, a),
        Op::IGlob => iglob_match(b, a),
        op => Ordering::from_op(op).is_some_and(|ord| ord.holds(a, b)),
    }
}

impl Filter {
    /// Evaluates the filter on an event.
    pub fn matches(&self, event: &dyn Event) -> bool {
        self.eval(&mut Evaluation::new(event))
    }

    /// Evaluates the filter on the event of an evaluation, reading fields with a memo
    /// slot through it.
    pub(crate) fn eval(&self, evaluation: &mut Evaluation<'_>) -> bool {
        match self {
            Filter::And(items) => items.iter().all(|f| f.eval(evaluation)),
            Filter::Or(items) => items.iter().any(|f| f.eval(evaluation)),
            Filter::Not(inner) => !inner.eval(evaluation),
            Filter::Exists(sel) if sel.transformers.is_empty() => {
                if let Some(value) = evaluation.single(&sel.field, sel.memo) {
                    return value != Single::Missing;
                }
                // Other fields are tested where the event holds them
                // ([`Event::test_values`]): a list field is not collected first.
                evaluation
                    .event
                    .test_values(&sel.field, false, &mut |_| true)
            }
            Filter::Exists(sel) => !matches!(sel.extract(evaluation.event), Extracted::Missing),
            Filter::Check(check) => {
                let selector = &check.selector;
                let event = evaluation.event;
                if selector.transformers.is_empty() {
                    if let Some(value) = evaluation.single(&selector.field, selector.memo) {
                        if let Single::Word(word, _) = value {
                            if let Some(&accepted) = check.words.get(word as usize) {
                                return accepted;
                            }
                        }
                        return check.matcher.test_single(value, event);
                    }
                }
                let every = check.matcher.requires_all();
                let test = &mut |v: &Val<'_>| check.matcher.test(v, event);
                if selector.transformers.is_empty() {
                    event.test_values(&selector.field, every, test)
                } else {
                    test_extracted(&selector.extract(event), every, test)
                }
            }
        }
    }
}

/// Why a condition did not compile. `unknown_fields` lists every field the source
/// does not declare, so one pass names them all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CompileError {
    /// What went wrong, for people.
    pub message: String,
    /// The fields the source does not declare.
    pub unknown_fields: Vec<String>,
}

impl CompileError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            unknown_fields: Vec::new(),
        }
    }
}

impl From<ParseError> for CompileError {
    fn from(e: ParseError) -> Self {
        CompileError::new(e.to_string())
    }
}

impl Compiler<'_> {
    /// Compiles an expanded expression against a source's fields.
    pub fn compile(&self, expr: &Expr, table: &FieldTable) -> Result<Filter, CompileError> {
        let mut unknown = Vec::new();
        let mut first_error = None;
        let filter = compile_expr(expr, table, &self.regexes, &mut unknown, &mut first_error);
        if !unknown.is_empty() {
            unknown.dedup();
            return Err(CompileError {
                message: format!(
                    "unknown field '{}' for source '{}'",
                    quote(&unknown[0]),
                    table.source()
                ),
                unknown_fields: unknown,
            });
        }
        match first_error {
            Some(message) => Err(CompileError::new(message)),
            None => {
                let mut filter = filter.expect("compiled when no error was recorded");
                order_operands(&mut filter, table);
                Ok(filter)
            }
        }
    }
}

pub(crate) fn selector(field: &FieldExpr, table: &FieldTable) -> Result<Selector, (bool, String)> {
    let resolved = table
        .resolve(&field.name, field.arg.as_deref())
        .map_err(|e| match e {
            FieldError::Unknown => (true, field.display_name()),
            FieldError::MissingArg => (
                false,
                format!("field '{}' requires an argument", field.name),
            ),
            FieldError::UnexpectedArg => {
                (false, format!("field '{}' takes no argument", field.name))
            }
        })?;
    let mut ty = table.def(resolved.id).ty;
    let mut transformers: Vec<Transformer> = field.transformers.clone();
    transformers.reverse();
    for t in &transformers {
        ty = match t {
            Transformer::Len => FieldType::Number,
            _ => FieldType::String,
        };
    }
    let memo = match transformers.is_empty() {
        true => table.memo_slot(&resolved),
        false => None,
    };
    Ok(Selector {
        field: resolved,
        transformers: transformers.into_boxed_slice(),
        ty,
        memo,
    })
}

fn compile_expr(
    expr: &Expr,
    table: &FieldTable,
    regexes: &Regexes,
    unknown: &mut Vec<String>,
    error: &mut Option<String>,
) -> Option<Filter> {
    let mut many = |items: &[Expr]| -> Option<Box<[Filter]>> {
        let compiled: Vec<Option<Filter>> = items
            .iter()
            .map(|e| compile_expr(e, table, regexes, unknown, error))
            .collect();
        compiled
            .into_iter()
            .collect::<Option<Vec<_>>>()
            .map(Vec::into_boxed_slice)
    };
    match expr {
        Expr::And(items) => many(items).map(Filter::And),
        Expr::Or(items) => many(items).map(Filter::Or),
        Expr::Not(inner) => {
            compile_expr(inner, table, regexes, unknown, error).map(|f| Filter::Not(Box::new(f)))
        }
        Expr::Macro { name, .. } => {
            error.get_or_insert_with(|| format!("unexpanded macro '{name}'"));
            None
        }
        Expr::Check { field, op, rhs } => {
            let sel = match selector(field, table) {
                Ok(sel) => sel,
                Err((true, name)) => {
                    unknown.push(name);
                    return None;
                }
                Err((false, message)) => {
                    error.get_or_insert(message);
                    return None;
                }
            };
            if *op == Op::Exists {
                return Some(Filter::Exists(sel));
            }
            let matcher = match rhs {
                Rhs::Field(other) => match selector(other, table) {
                    Ok(other) => Ok(Matcher::Field(*op, other)),
                    Err((true, name)) => {
                        unknown.push(name);
                        return None;
                    }
                    Err((false, message)) => Err(message),
                },
                rhs => compile_matcher(sel.ty, *op, rhs, &field.display_name(), regexes),
            };
            match matcher {
                Ok(matcher) => {
                    let words = match matcher {
                        Matcher::Number(..) | Matcher::NumberSet { .. } | Matcher::Field(..) => {
                            Box::default()
                        }
                        _ if !sel.transformers.is_empty() => Box::default(),
                        _ => table
                            .vocabulary(&sel.field)
                            .iter()
                            .map(|word| matcher.test_text(word))
                            .collect(),
                    };
                    Some(Filter::Check(Box::new(Check {
                        selector: sel,
                        matcher,
                        words,
                    })))
                }
                Err(message) => {
                    error.get_or_insert(message);
                    None
                }
            }
        }
    }
}

/// What evaluating a filter is expected to cost, and how likely it is to hold: the
/// guesses [`order_operands`] orders `and` and `or` operands by.
#[derive(Clone, Copy, Debug)]
struct Estimate {
    cost: f32,
    likelihood: f32,
}

impl Estimate {
    /// A comparison's chance of holding is guessed from its operator alone: equality
    /// and membership name a few values among many, so they rarely hold; `!=` nearly
    /// always does.
    fn check(field_cost: f32, matcher: &Matcher) -> Self {
        let likelihood = match matcher {
            Matcher::Text(Ordering::Ne, _) | Matcher::Number(Ordering::Ne, _) => 0.9,
            Matcher::Text(ord, _) | Matcher::Number(ord, _) if *ord != Ordering::Eq => 0.5,
            _ => 0.1,
        };
        let compare_cost = match matcher {
            Matcher::Regex(_) => 4.0,
            Matcher::Glob(_)
            | Matcher::IGlob(_)
            | Matcher::Pmatch(_)
            | Matcher::Contains(_)
            | Matcher::IContains(_)
            | Matcher::BytesContain(_) => 2.0,
            _ => 1.0,
        };
        Estimate {
            cost: field_cost + compare_cost,
            likelihood,
        }
    }
}

fn selector_cost(selector: &Selector, table: &FieldTable) -> f32 {
    let def = table.def(selector.field.id);
    let list = if def.list { 1.0 } else { 0.0 };
    f32::from(def.cost) + list + selector.transformers.len() as f32
}

/// Orders the operands of every `and` and `or` so that the expected cost of
/// evaluating them is least, and returns the filter's estimate. Conditions have no
/// side effects, so the order changes no result, only how soon it is known. An
/// `and` stops at the first operand that fails: the classic order puts first the
/// operands whose cost per chance of failing is lowest (`or`: per chance of holding).
/// Equal operands keep the order the rule's author gave them.
fn order_operands(filter: &mut Filter, table: &FieldTable) -> Estimate {
    match filter {
        Filter::And(operands) => order_junction(operands, true, table),
        Filter::Or(operands) => order_junction(operands, false, table),
        Filter::Not(inner) => {
            let e = order_operands(inner, table);
            Estimate {
                cost: e.cost,
                likelihood: 1.0 - e.likelihood,
            }
        }
        Filter::Exists(selector) => Estimate {
            cost: selector_cost(selector, table),
            likelihood: 0.9,
        },
        Filter::Check(check) => {
            let mut field_cost = selector_cost(&check.selector, table);
            if let Matcher::Field(_, other) = &check.matcher {
                field_cost += selector_cost(other, table);
            }
            Estimate::check(field_cost, &check.matcher)
        }
    }
}

/// [`order_operands`] for the operands of an `and` (`is_and`) or an `or`.
fn order_junction(operands: &mut Box<[Filter]>, is_and: bool, table: &FieldTable) -> Estimate {
    let mut estimated: Vec<(Estimate, Filter)> = std::mem::take(operands)
        .into_vec()
        .into_iter()
        .map(|mut f| (order_operands(&mut f, table), f))
        .collect();
    let rank = |e: &Estimate| {
        let decides = if is_and {
            1.0 - e.likelihood
        } else {
            e.likelihood
        };
        e.cost / decides.max(0.01)
    };
    estimated.sort_by(|(a, _), (b, _)| rank(a).total_cmp(&rank(b)));
    // Each operand runs when the ones before it did not decide.
    let mut cost = 0.0;
    let mut undecided = 1.0;
    for (e, _) in &estimated {
        cost += undecided * e.cost;
        undecided *= if is_and {
            e.likelihood
        } else {
            1.0 - e.likelihood
        };
    }
    *operands = estimated.into_iter().map(|(_, f)| f).collect();
    Estimate {
        cost,
        likelihood: if is_and { undecided } else { 1.0 - undecided },
    }
}

fn list_values(rhs: &Rhs) -> Vec<&str> {
    match rhs {
        Rhs::List(items) => items
            .iter()
            .map(|i| match i {
                ListItem::Bare(s) | ListItem::Quoted(s) => s.as_str(),
            })
            .collect(),
        Rhs::Value(v) => vec![v.as_str()],
        _ => Vec::new(),
    }
}

fn parse_number(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return i64::from_str_radix(hex, 16).ok();
    }
    t.parse::<i64>()
        .ok()
        .or_else(|| t.parse::<u64>().ok().map(|u| u as i64))
}

fn parse_hex(text: &str) -> Option<Box<[u8]>> {
    let t = text.trim();
    if !t.len().is_multiple_of(2) {
        return None;
    }
    (0..t.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(t.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()
        .map(Vec::into_boxed_slice)
}

fn compile_matcher(
    ty: FieldType,
    op: Op,
    rhs: &Rhs,
    field: &str,
    regexes: &Regexes,
) -> Result<Matcher, String> {
    let value = || match rhs {
        Rhs::Value(v) => Ok(v.as_str()),
        _ => Err(format!(
            "operator {op:?} on '{field}' needs a single value, not a list"
        )),
    };
    let normalize = |s: &str| -> Box<str> {
        if ty == FieldType::Bool {
            s.to_ascii_lowercase().into()
        } else {
            s.into()
        }
    };
    if op.takes_list() && !matches!(rhs, Rhs::List(_)) {
        return Err(format!("operator {op:?} on '{field}' needs a list"));
    }
    // Networks are compared by address, not text.
    if ty == FieldType::Ip && matches!(op, Op::In | Op::Intersects | Op::Eq) {
        let items = match rhs {
            Rhs::Value(v) => vec![v.as_str()],
            _ => list_values(rhs),
        };
        if items.iter().any(|v| v.contains('/')) {
            let nets = items
                .iter()
                .map(|v| {
                    IpNet::parse(v).ok_or_else(|| {
                        format!(
                            "'{}' is not an IP address or network, as field '{field}' requires",
                            quote(v)
                        )
                    })
                })
                .collect::<Result<Box<[IpNet]>, _>>()?;
            return Ok(Matcher::IpNets(nets));
        }
    }
    Ok(match op {
        Op::Eq | Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            let ord = Ordering::from_op(op).expect("the arm lists comparison operators only");
            let v = value()?;
            if ty == FieldType::Number {
                let n = parse_number(v).ok_or_else(|| {
                    format!(
                        "'{}' is not a number, as field '{field}' requires",
                        quote(v)
                    )
                })?;
                Matcher::Number(ord, n)
            } else {
                Matcher::Text(ord, normalize(v))
            }
        }
        Op::Contains => Matcher::Contains(value()?.into()),
        Op::IContains => Matcher::IContains(value()?.to_ascii_lowercase().into()),
        Op::StartsWith => Matcher::StartsWith(value()?.into()),
        Op::EndsWith => Matcher::EndsWith(value()?.into()),
        Op::BContains | Op::BStartsWith => {
            let v = value()?;
            let bytes =
                parse_hex(v).ok_or_else(|| format!("'{}' is not a hex byte string", quote(v)))?;
            if op == Op::BContains {
                Matcher::BytesContain(bytes)
            } else {
                Matcher::BytesStart(bytes)
            }
        }
        Op::Glob => Matcher::Glob(value()?.into()),
        Op::IGlob => Matcher::IGlob(value()?.into()),
        Op::Regex => {
            let v = value()?;
            Matcher::Regex(regexes.compile(v)?)
        }
        Op::In | Op::Intersects => {
            let all = op == Op::In;
            let items = list_values(rhs);
            if ty == FieldType::Number {
                let set = items
                    .iter()
                    .map(|v| {
                        parse_number(v).ok_or_else(|| {
                            format!(
                                "'{}' is not a number, as field '{field}' requires",
                                quote(v)
                            )
                        })
                    })
                    .collect::<Result<FastSet<i64>, _>>()?;
                Matcher::NumberSet { set, all }
            } else {
                let set = TextSet::new(items.iter().map(|v| normalize(v)).collect());
                Matcher::TextSet { set, all }
            }
        }
        Op::Pmatch => Matcher::Pmatch(PrefixTree::new(list_values(rhs))),
        Op::Exists => unreachable!("handled by the caller"),
    })
}

/// The event types a condition can match, or `None` when it may match any: a rule
/// that requires `evt.type in (open, openat)` only meets those events.
pub fn event_types(expr: &Expr, type_field: &str) -> Option<HashSet<String>> {
    required_values(expr, &|f| f.name == type_field && f.arg.is_none())
}

/// The values a condition requires of a field (the field as `is_field` recognizes
/// it, without transformers), or `None` when it may hold for any value. Only `=` and
/// `in` with literal values constrain; `not` and other operators do not, so the
/// answer errs on the side of "any".
pub fn required_values(
    expr: &Expr,
    is_field: &dyn Fn(&FieldExpr) -> bool,
) -> Option<HashSet<String>> {
    match expr {
        Expr::And(items) => {
            let mut acc: Option<HashSet<String>> = None;
            for item in items {
                if let Some(set) = required_values(item, is_field) {
                    acc = Some(match acc {
                        None => set,
                        Some(prev) => prev.intersection(&set).cloned().collect(),
                    });
                }
            }
            acc
        }
        Expr::Or(items) => {
            let mut acc = HashSet::new();
            for item in items {
                acc.extend(required_values(item, is_field)?);
            }
            Some(acc)
        }
        Expr::Check {
            field,
            op: Op::Eq | Op::In,
            rhs: rhs @ (Rhs::Value(_) | Rhs::List(_)),
        } if field.transformers.is_empty() && is_field(field) => {
            Some(list_values(rhs).into_iter().map(str::to_string).collect())
        }
        _ => None,
    }
}

/// The condition without its top-level `=`/`in` comparisons on the fields `is_indexed`
/// recognizes. The engine's index only hands a rule events whose values of those
/// fields are among the ones [`required_values`] found, which makes each such
/// comparison true: evaluating them again would only repeat the index's work.
pub fn without_indexed(expr: &Expr, is_indexed: &dyn Fn(&FieldExpr) -> bool) -> Expr {
    fn conjuncts<'e>(expr: &'e Expr, out: &mut Vec<&'e Expr>) {
        match expr {
            Expr::And(items) => items.iter().for_each(|e| conjuncts(e, out)),
            other => out.push(other),
        }
    }
    let mut all = Vec::new();
    conjuncts(expr, &mut all);
    Expr::And(
        all.into_iter()
            .filter(|e| {
                !matches!(e, Expr::Check {
                    field,
                    op: Op::Eq | Op::In,
                    rhs: Rhs::Value(_) | Rhs::List(_),
                } if field.transformers.is_empty() && is_indexed(field))
            })
            .cloned()
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::FieldDef;
    use crate::loader::RuleSet;
    use crate::parser::parse_condition;

    const DEFS: &[FieldDef] = &[
        FieldDef::new("t.cheap", FieldType::String, ""),
        FieldDef::new("t.costly", FieldType::String, "").cost(8),
        FieldDef::new("t.list", FieldType::String, "").list(),
    ];

    /// The fields of a filter's comparisons, in the order they run.
    fn evaluation_order(filter: &Filter, table: &FieldTable, out: &mut Vec<String>) {
        match filter {
            Filter::And(items) | Filter::Or(items) => {
                items.iter().for_each(|f| evaluation_order(f, table, out))
            }
            Filter::Not(inner) => evaluation_order(inner, table, out),
            Filter::Exists(sel) => out.push(format!("{} exists", table.def(sel.field.id).name)),
            Filter::Check(check) => {
                let op = match check.matcher {
                    Matcher::Text(Ordering::Ne, _) => "!=",
                    Matcher::Text(..) => "=",
                    _ => "in",
                };
                out.push(format!("{} {op}", table.def(check.selector.field.id).name));
            }
        }
    }

    fn order(condition: &str) -> Vec<String> {
        let table = FieldTable::new("t", DEFS);
        let set = RuleSet::default();
        let compiler = Compiler::new(&set);
        let filter = compiler
            .compile(&parse_condition(condition).unwrap(), &table)
            .unwrap();
        let mut out = Vec::new();
        evaluation_order(&filter, &table, &mut out);
        out
    }

    #[test]
    fn cheap_and_decisive_comparisons_run_first() {
        // `and`: cheap comparisons that rarely hold first, `!=` (nearly always true) last.
        assert_eq!(
            order("t.costly = a and t.cheap != b and t.list in (c) and t.cheap = d"),
            ["t.cheap =", "t.list in", "t.costly =", "t.cheap !="]
        );
        // `or`: what holds most for its cost first.
        assert_eq!(
            order("t.costly = a or t.cheap = b or t.cheap != c"),
            ["t.cheap !=", "t.cheap =", "t.costly ="]
        );
        // Nested operands are ordered by their own estimate; ties keep the author's order.
        assert_eq!(
            order("(t.costly = a or t.costly = b) and (t.cheap = c or t.list in (d)) and t.cheap = e and t.cheap = f"),
            ["t.cheap =", "t.cheap =", "t.cheap =", "t.list in", "t.costly =", "t.costly ="]
        );
    }
}
