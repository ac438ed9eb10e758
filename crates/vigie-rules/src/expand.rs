//! Macros and lists into conditions. Before a condition is expanded, what it would
//! expand to is measured: the nodes it would hold and how deep it would nest. Each
//! macro is measured once (its size is remembered), so measuring costs what the
//! condition's text costs even when macros name other macros many times over, and a
//! condition past the limits is refused before anything is built.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use crate::ast::{Expr, FieldExpr, ListItem, Rhs};
use crate::compile::CompileError;
use crate::limits::{quote, RuleLimits, MAX_CONDITION_DEPTH};
use crate::lists::ResolvedLists;
use crate::loader::RuleSet;
use crate::parser::{parse_condition, ParseError};
use crate::regexes::Regexes;

/// Expands and compiles conditions of one [`RuleSet`], remembering which macros and
/// lists were used (for the unused-item warnings).
pub struct Compiler<'s> {
    /// Per macro: its parsed condition, shared so that it can be walked while the
    /// compiler records what it finds.
    macros: HashMap<&'s str, Result<Rc<Expr>, ParseError>>,
    lists: ResolvedLists<'s>,
    /// Per macro measured in full: what it expands to.
    sizes: HashMap<&'s str, Size>,
    limits: RuleLimits,
    /// The regexes compiled so far, and what is left of their budget.
    pub(crate) regexes: Regexes,
    /// Every condition expanded so far.
    total: Size,
    /// The macros the expanded conditions named, directly or through other macros.
    pub used_macros: HashSet<String>,
    /// The lists the expanded conditions or other lists named.
    pub used_lists: HashSet<String>,
}

/// What an expression expands to: its nodes and bytes of text (see [`RuleLimits`]),
/// and its depth, counting and/or/not levels, comparisons and macro references.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Size {
    nodes: u64,
    bytes: u64,
    depth: usize,
}

impl Size {
    fn add(self, other: Size) -> Size {
        Size {
            nodes: self.nodes.saturating_add(other.nodes),
            bytes: self.bytes.saturating_add(other.bytes),
            depth: self.depth.max(other.depth),
        }
    }
}

impl<'s> Compiler<'s> {
    /// A compiler with the default [`RuleLimits`].
    pub fn new(set: &'s RuleSet) -> Self {
        Self::with_limits(set, RuleLimits::default())
    }

    /// A compiler whose rules and lists may expand as far as `limits` allow.
    pub fn with_limits(set: &'s RuleSet, limits: RuleLimits) -> Self {
        let macros = set
            .macros
            .iter()
            .map(|m| (m.name.as_str(), parse_condition(&m.condition).map(Rc::new)))
            .collect();
        let lists = ResolvedLists::new(&set.lists, &limits);
        let used_lists = lists.named.clone();
        Self {
            macros,
            lists,
            sizes: HashMap::new(),
            regexes: Regexes::new(limits.max_regex_bytes),
            limits,
            total: Size::default(),
            used_macros: HashSet::new(),
            used_lists,
        }
    }

    /// The parse error of a macro's own condition, if any.
    pub fn macro_error(&self, name: &str) -> Option<&ParseError> {
        self.macros.get(name).and_then(|r| r.as_ref().err())
    }

    /// Why a list could not be resolved (it is past a limit, or names such a list).
    pub fn list_error(&self, name: &str) -> Option<&str> {
        self.lists.error(name)
    }

    /// Replaces macro references by their conditions and list names by their items.
    /// Refuses a condition that would expand past the [`RuleLimits`] or nest deeper
    /// than [`MAX_CONDITION_DEPTH`], before building any of it.
    pub fn expand(&mut self, expr: &Expr) -> Result<Expr, CompileError> {
        let size = self.measure(expr, &mut Vec::new(), 0)?;
        let limits = &self.limits;
        let total = self.total.add(size);
        let past = if size.nodes > limits.max_rule_nodes {
            Some((limits.max_rule_nodes, "nodes", "the limit per rule"))
        } else if size.bytes > limits.max_rule_bytes {
            Some((limits.max_rule_bytes, "bytes of text", "the limit per rule"))
        } else if total.nodes > limits.max_total_nodes {
            Some((
                limits.max_total_nodes,
                "nodes",
                "the limit for all rules together",
            ))
        } else if total.bytes > limits.max_total_bytes {
            Some((
                limits.max_total_bytes,
                "bytes of text",
                "the limit for all rules together",
            ))
        } else {
            None
        };
        if let Some((limit, what, scope)) = past {
            return Err(CompileError::new(format!(
                "condition expands to more than {limit} {what} ({scope}; each use of a \
                 macro or list copies it)"
            )));
        }
        self.total = total;
        Ok(self.expand_inner(expr))
    }

    /// Measures `expr`, found `depth` levels deep in the condition being measured;
    /// `stack` holds the macros being measured, outermost first.
    fn measure(
        &mut self,
        expr: &Expr,
        stack: &mut Vec<&'s str>,
        depth: usize,
    ) -> Result<Size, CompileError> {
        if depth >= MAX_CONDITION_DEPTH {
            return Err(too_deep());
        }
        let nested = |sizes: &[Size]| {
            let inner = sizes.iter().fold(Size::default(), |all, s| all.add(*s));
            Size {
                nodes: inner.nodes.saturating_add(1),
                bytes: inner.bytes,
                depth: inner.depth + 1,
            }
        };
        Ok(match expr {
            Expr::And(items) | Expr::Or(items) => {
                let sizes = items
                    .iter()
                    .map(|e| self.measure(e, stack, depth + 1))
                    .collect::<Result<Vec<_>, _>>()?;
                nested(&sizes)
            }
            Expr::Not(inner) => nested(&[self.measure(inner, stack, depth + 1)?]),
            Expr::Check { field, rhs, .. } => {
                let rhs = self.measure_rhs(rhs)?;
                Size {
                    nodes: rhs.nodes.saturating_add(1),
                    bytes: rhs.bytes.saturating_add(field_bytes(field)),
                    depth: 1,
                }
            }
            Expr::Macro { name, .. } => {
                let size = self.measure_macro(name, stack, depth)?;
                if depth + size.depth > MAX_CONDITION_DEPTH {
                    return Err(too_deep());
                }
                size
            }
        })
    }

    /// The size of a macro's expansion, a reference to it standing `depth` levels deep.
    fn measure_macro(
        &mut self,
        name: &str,
        stack: &mut Vec<&'s str>,
        depth: usize,
    ) -> Result<Size, CompileError> {
        let Some((&name, body)) = self.macros.get_key_value(name) else {
            return Err(CompileError::new(format!(
                "undefined macro '{}'",
                quote(name)
            )));
        };
        let body = body.clone();
        self.used_macros.insert(name.to_string());
        if let Some(&size) = self.sizes.get(name) {
            return Ok(size);
        }
        if stack.contains(&name) {
            return Err(CompileError::new(format!(
                "macro '{name}' refers to itself through {}",
                stack.join(" -> ")
            )));
        }
        let body = match body {
            Ok(body) => body,
            Err(e) => {
                return Err(CompileError::new(format!(
                    "macro '{name}' does not parse: {e}"
                )))
            }
        };
        stack.push(name);
        let inner = self.measure(&body, stack, depth + 1);
        stack.pop();
        let inner = inner?;
        // The reference is a level of its own.
        let size = Size {
            depth: inner.depth + 1,
            ..inner
        };
        self.sizes.insert(name, size);
        Ok(size)
    }

    /// The list items (as nodes) and text of a comparison's right-hand side.
    fn measure_rhs(&mut self, rhs: &Rhs) -> Result<Size, CompileError> {
        let text = |s: &str| Size {
            nodes: 0,
            bytes: s.len() as u64,
            depth: 0,
        };
        let item = |s: &str| Size {
            nodes: 1,
            ..text(s)
        };
        Ok(match rhs {
            Rhs::List(items) => {
                let mut size = Size::default();
                for listed in items {
                    size = size.add(match listed {
                        ListItem::Bare(name) => match self.list(name)? {
                            Some(list) => list,
                            None => item(name),
                        },
                        ListItem::Quoted(s) => item(s),
                    });
                }
                size
            }
            Rhs::ListName(name) => match self.list(name)? {
                Some(list) => list,
                None => {
                    return Err(CompileError::new(format!(
                        "undefined list '{}'",
                        quote(name)
                    )))
                }
            },
            Rhs::Value(value) => match self.list_of_one(value).map(text) {
                Some(size) => {
                    self.used_lists.insert(value.clone());
                    size
                }
                None => text(value),
            },
            Rhs::Field(field) => Size {
                bytes: field_bytes(field),
                ..Size::default()
            },
            Rhs::None => Size::default(),
        })
    }

    /// The size of the list `name`, `None` when there is no such list; marks it used.
    fn list(&mut self, name: &str) -> Result<Option<Size>, CompileError> {
        match self.lists.get(name) {
            None => Ok(None),
            Some(Ok(list)) => {
                let size = Size {
                    nodes: list.items.len() as u64,
                    bytes: list.bytes,
                    depth: 0,
                };
                self.used_lists.insert(name.to_string());
                Ok(Some(size))
            }
            Some(Err(e)) => Err(CompileError::new(format!("list '{name}': {e}"))),
        }
    }

    /// Expands a measured expression, which holds no undefined or broken macro or
    /// list and is within the limits.
    fn expand_inner(&self, expr: &Expr) -> Expr {
        match expr {
            Expr::And(items) => Expr::And(items.iter().map(|e| self.expand_inner(e)).collect()),
            Expr::Or(items) => Expr::Or(items.iter().map(|e| self.expand_inner(e)).collect()),
            Expr::Not(inner) => Expr::Not(Box::new(self.expand_inner(inner))),
            Expr::Macro { name, .. } => match self.macros.get(name.as_str()) {
                Some(Ok(body)) => self.expand_inner(body),
                _ => unreachable!("measured macros are defined and parse"),
            },
            Expr::Check { field, op, rhs } => Expr::Check {
                field: field.clone(),
                op: *op,
                rhs: self.expand_rhs(rhs),
            },
        }
    }

    fn expand_rhs(&self, rhs: &Rhs) -> Rhs {
        let items = |name: &str| match self.lists.get(name) {
            Some(Ok(list)) => Some(&list.items),
            _ => None,
        };
        match rhs {
            Rhs::List(list) => {
                let mut out = Vec::with_capacity(list.len());
                for item in list {
                    match item {
                        ListItem::Bare(name) if items(name).is_some() => out.extend(
                            items(name)
                                .into_iter()
                                .flat_map(|items| items.iter())
                                .map(|s| ListItem::Quoted(s.to_string())),
                        ),
                        ListItem::Bare(s) | ListItem::Quoted(s) => {
                            out.push(ListItem::Quoted(s.clone()))
                        }
                    }
                }
                Rhs::List(out)
            }
            Rhs::ListName(name) => Rhs::List(
                items(name)
                    .expect("measured lists are defined")
                    .iter()
                    .map(|s| ListItem::Quoted(s.to_string()))
                    .collect(),
            ),
            Rhs::Value(value) => match self.list_of_one(value) {
                Some(only) => Rhs::Value(only.to_string()),
                None => rhs.clone(),
            },
            other => other.clone(),
        }
    }

    /// The item of the list `name` when it is a list of exactly one item: a list
    /// name after `=` (`proc.name=cat_binaries`) stands for its item, as Falco's
    /// textual list substitution made it. Longer lists are compared as the text
    /// of their name, as before (`in` is the operator for them).
    fn list_of_one(&self, name: &str) -> Option<&str> {
        match self.lists.get(name) {
            Some(Ok(list)) if list.items.len() == 1 => list.items.first().map(|s| &**s),
            _ => None,
        }
    }
}

/// The text a field reference copies.
fn field_bytes(field: &FieldExpr) -> u64 {
    (field.name.len() + field.arg.as_ref().map_or(0, String::len)) as u64
}

fn too_deep() -> CompileError {
    CompileError::new(format!(
        "condition nests deeper than {MAX_CONDITION_DEPTH} levels once its macros are \
         expanded (each and/or/not level and each macro reference is a level)"
    ))
}
