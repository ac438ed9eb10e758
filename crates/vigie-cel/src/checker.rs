//! The type checker: deduces the type of every node of a parsed expression
//! from the declared variables and the function signatures, with type
//! parameters unified as they meet (`[]` is `list(A)` until something fixes
//! `A`), and reports a call no signature accepts.
//!
//! It errs on the side of accepting: a call is an error only when every
//! argument's type is fully known (no `dyn`, no undeduced parameter) and the
//! function is one it has signatures for; anything else it cannot type is
//! `dyn`, and the evaluator decides at run time.

use std::collections::HashMap;

use cel::common::ast::{EntryExpr, Expr, IdedExpr, LiteralValue};

use crate::types::{CelType, Overload};

/// A call no signature accepts.
pub(crate) struct TypeError {
    /// The node the error is about.
    pub id: u64,
    /// What is wrong.
    pub message: String,
}

/// Checks `root`; returns its type (parameters left undeduced as `dyn`).
pub(crate) fn check(
    root: &IdedExpr,
    functions: &HashMap<String, Vec<Overload>>,
    extra: &HashMap<String, Vec<Overload>>,
    variables: &HashMap<String, CelType>,
) -> Result<CelType, TypeError> {
    let mut c = Checker {
        functions,
        extra,
        variables,
        scopes: Vec::new(),
        subst: HashMap::new(),
        trail: Vec::new(),
        fresh: 0,
        error: None,
    };
    let t = c.expr(root);
    match c.error {
        Some(e) => Err(e),
        None => Ok(t.substitute(&c.subst).params_to_dyn()),
    }
}

struct Checker<'a> {
    functions: &'a HashMap<String, Vec<Overload>>,
    extra: &'a HashMap<String, Vec<Overload>>,
    variables: &'a HashMap<String, CelType>,
    scopes: Vec<(String, CelType)>,
    subst: HashMap<String, CelType>,
    /// The parameters bound in `subst`, in order, for undoing trials.
    trail: Vec<String>,
    fresh: usize,
    error: Option<TypeError>,
}

const TYPE_NAMES: &[(&str, &str)] = &[
    ("bool", "bool"),
    ("bytes", "bytes"),
    ("double", "double"),
    ("dyn", "dyn"),
    ("int", "int"),
    ("uint", "uint"),
    ("string", "string"),
    ("null_type", "null_type"),
    ("type", "type(dyn)"),
    ("list", "list(dyn)"),
    ("map", "map(dyn, dyn)"),
    ("net.IP", "net.IP"),
    ("net.CIDR", "net.CIDR"),
];

impl Checker<'_> {
    fn fresh_param(&mut self) -> CelType {
        self.fresh += 1;
        CelType::Param(format!("_{}", self.fresh))
    }

    fn bound(&self, name: &str) -> Option<CelType> {
        self.scopes
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.clone())
    }

    fn expr(&mut self, e: &IdedExpr) -> CelType {
        match &e.expr {
            Expr::Literal(l) => match l {
                LiteralValue::Boolean(_) => CelType::Bool,
                LiteralValue::Bytes(_) => CelType::Bytes,
                LiteralValue::Double(_) => CelType::Double,
                LiteralValue::Int(_) => CelType::Int,
                LiteralValue::Null => CelType::Null,
                LiteralValue::String(_) => CelType::String,
                LiteralValue::UInt(_) => CelType::Uint,
            },
            Expr::Ident(name) => self.name(name).unwrap_or(CelType::Dyn),
            Expr::Select(s) => {
                if !s.test {
                    if let Some(t) = dotted(e).and_then(|n| self.name(&n)) {
                        return t;
                    }
                }
                let operand = self.expr(&s.operand).substitute(&self.subst);
                if s.test {
                    return CelType::Bool;
                }
                match operand {
                    CelType::Map(_, v) => *v,
                    // Selecting on an optional map is optional too.
                    CelType::Abstract(n, ps) if n == "optional_type" && ps.len() == 1 => {
                        match &ps[0] {
                            CelType::Map(_, v) => CelType::optional((**v).clone()),
                            _ => CelType::optional(CelType::Dyn),
                        }
                    }
                    _ => CelType::Dyn,
                }
            }
            Expr::Call(call) => {
                // `ns.f(x)` where `ns` is no variable: the function `ns.f`.
                if let Some(t) = &call.target {
                    if let Some(ns) = dotted(t).filter(|n| self.name(n).is_none()) {
                        let qualified = format!("{ns}.{}", call.func_name);
                        if self.functions.contains_key(&qualified)
                            || self.extra.contains_key(&qualified)
                        {
                            let args: Vec<CelType> =
                                call.args.iter().map(|a| self.expr(a)).collect();
                            return self.call(e.id, &qualified, false, args);
                        }
                    }
                }
                let mut args = Vec::with_capacity(call.args.len() + 1);
                if let Some(t) = &call.target {
                    args.push(self.expr(t));
                }
                args.extend(call.args.iter().map(|a| self.expr(a)));
                self.call(e.id, &call.func_name, call.target.is_some(), args)
            }
            Expr::List(l) => {
                let mut elem: Option<CelType> = None;
                for x in &l.elements {
                    let t = self.expr(x);
                    elem = Some(match elem {
                        None => t,
                        Some(prev) => self.join(prev, t),
                    });
                }
                let elem = match elem {
                    Some(t) => t,
                    None => self.fresh_param(),
                };
                CelType::list(elem)
            }
            Expr::Map(m) => {
                let (mut key, mut value): (Option<CelType>, Option<CelType>) = (None, None);
                for en in &m.entries {
                    let (k, v) = match &en.expr {
                        EntryExpr::MapEntry(me) => {
                            let v = self.expr(&me.value);
                            // `{?k: opt}`: the entry holds the optional's value.
                            let v = match (me.optional, v.substitute(&self.subst)) {
                                (true, CelType::Abstract(n, mut ps))
                                    if n == "optional_type" && ps.len() == 1 =>
                                {
                                    ps.remove(0)
                                }
                                (true, _) => CelType::Dyn,
                                (false, _) => v,
                            };
                            (self.expr(&me.key), v)
                        }
                        EntryExpr::StructField(f) => (CelType::String, self.expr(&f.value)),
                    };
                    key = Some(match key {
                        None => k,
                        Some(p) => self.join(p, k),
                    });
                    value = Some(match value {
                        None => v,
                        Some(p) => self.join(p, v),
                    });
                }
                let k = key.unwrap_or_else(|| self.fresh_param());
                let v = value.unwrap_or_else(|| self.fresh_param());
                CelType::map(k, v)
            }
            Expr::Struct(s) => {
                for en in &s.entries {
                    if let EntryExpr::StructField(f) = &en.expr {
                        self.expr(&f.value);
                    }
                }
                CelType::Dyn
            }
            Expr::Comprehension(c) => {
                let range = self.expr(&c.iter_range).substitute(&self.subst);
                let (first, second) = match (&range, c.iter_var2.is_some()) {
                    (CelType::List(e), false) => ((**e).clone(), CelType::Dyn),
                    (CelType::List(e), true) => (CelType::Int, (**e).clone()),
                    (CelType::Map(k, v), _) => ((**k).clone(), (**v).clone()),
                    _ => (CelType::Dyn, CelType::Dyn),
                };
                let accu = self.expr(&c.accu_init);
                let depth = self.scopes.len();
                self.scopes.push((c.accu_var.clone(), accu.clone()));
                self.scopes.push((c.iter_var.clone(), first));
                if let Some(v2) = &c.iter_var2 {
                    self.scopes.push((v2.clone(), second));
                }
                self.expr(&c.loop_cond);
                let step = self.expr(&c.loop_step);
                let mark = self.trail.len();
                if !assignable(&mut self.subst, &mut self.trail, &accu, &step) {
                    undo(&mut self.subst, &mut self.trail, mark);
                }
                self.scopes.truncate(depth + 1);
                let result = self.expr(&c.result);
                self.scopes.truncate(depth);
                result
            }
            Expr::Unspecified => CelType::Dyn,
        }
    }

    /// The type of a name: a macro's variable, a declared variable, or a
    /// type name used as a value.
    fn name(&self, name: &str) -> Option<CelType> {
        let name = name.strip_prefix('.').unwrap_or(name);
        if let Some(t) = self.bound(name) {
            return Some(t);
        }
        if let Some(t) = self.variables.get(name) {
            return Some(t.clone());
        }
        TYPE_NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| CelType::Type(Box::new(CelType::parse(t).expect("valid type name"))))
    }

    fn call(&mut self, id: u64, name: &str, member: bool, args: Vec<CelType>) -> CelType {
        let overloads = self
            .functions
            .get(name)
            .into_iter()
            .chain(self.extra.get(name))
            .flatten()
            .filter(|o| o.member == member && o.params.len() == args.len())
            .cloned()
            .collect::<Vec<_>>();
        let known = self.functions.contains_key(name) || self.extra.contains_key(name);
        // Each signature is tried with fresh parameters; its bindings are
        // undone after the try and made again for the one chosen.
        let mut matches: Vec<(CelType, usize, String)> = Vec::new();
        for (i, o) in overloads.iter().enumerate() {
            self.fresh += 1;
            let suffix = format!("~{}", self.fresh);
            let mark = self.trail.len();
            let ok =
                o.params.iter().zip(&args).all(|(p, a)| {
                    assignable(&mut self.subst, &mut self.trail, &p.rename(&suffix), a)
                });
            if ok {
                matches.push((o.result.rename(&suffix).substitute(&self.subst), i, suffix));
            }
            undo(&mut self.subst, &mut self.trail, mark);
        }
        let commit = |this: &mut Self, i: usize, suffix: &str| {
            for (p, a) in overloads[i].params.iter().zip(&args) {
                assignable(&mut this.subst, &mut this.trail, &p.rename(suffix), a);
            }
        };
        match matches.len() {
            0 => {
                let open = args.iter().any(|a| a.substitute(&self.subst).is_open());
                // The conditional's branches may differ (the two-variable
                // macros' expansion relies on it); the result is then `dyn`.
                if known && !open && name != "_?_:_" && self.error.is_none() {
                    let shown: Vec<String> = args
                        .iter()
                        .map(|a| a.substitute(&self.subst).to_string())
                        .collect();
                    self.error = Some(TypeError {
                        id,
                        message: format!(
                            "found no matching overload for '{}' applied to ({})",
                            display_name(name),
                            shown.join(", ")
                        ),
                    });
                }
                CelType::Dyn
            }
            1 => {
                let (t, i, suffix) = matches.pop().expect("one match");
                commit(self, i, &suffix);
                t
            }
            _ => {
                let first = matches[0].0.params_to_dyn();
                if matches.iter().all(|(t, _, _)| t.params_to_dyn() == first) {
                    let (t, i, suffix) = matches.swap_remove(0);
                    commit(self, i, &suffix);
                    t
                } else {
                    CelType::Dyn
                }
            }
        }
    }

    /// The element type of a literal holding elements of types `prev` and
    /// `cur`: the more general when one is assignable to the other, else
    /// `dyn` (a heterogeneous literal).
    fn join(&mut self, prev: CelType, cur: CelType) -> CelType {
        let mark = self.trail.len();
        if !assignable(&mut self.subst, &mut self.trail, &prev, &cur) {
            undo(&mut self.subst, &mut self.trail, mark);
            return CelType::Dyn;
        }
        let a = prev.substitute(&self.subst);
        let b = cur.substitute(&self.subst);
        if b == CelType::Null {
            return a;
        }
        if a == CelType::Null {
            return b;
        }
        if less_specific_or_equal(&a, &b) {
            a
        } else {
            b
        }
    }
}

/// Operators as they are written, for messages.
fn display_name(name: &str) -> &str {
    match name {
        "_+_" => "+",
        "_-_" => "-",
        "_*_" => "*",
        "_/_" => "/",
        "_%_" => "%",
        "_<_" => "<",
        "_<=_" => "<=",
        "_>_" => ">",
        "_>=_" => ">=",
        "_&&_" => "&&",
        "_||_" => "||",
        "!_" => "!",
        "-_" => "-",
        "_[_]" => "[]",
        "@in" => "in",
        n => n,
    }
}

/// `a.b.c` for a chain of field selections on an identifier.
fn dotted(e: &IdedExpr) -> Option<String> {
    match &e.expr {
        Expr::Ident(n) => Some(n.clone()),
        Expr::Select(s) if !s.test => dotted(&s.operand).map(|p| format!("{p}.{}", s.field)),
        _ => None,
    }
}

fn resolve(t: &CelType, subst: &HashMap<String, CelType>) -> CelType {
    match t {
        CelType::Param(p) => match subst.get(p) {
            Some(b) => resolve(b, subst),
            None => t.clone(),
        },
        other => other.clone(),
    }
}

fn occurs(p: &str, t: &CelType, subst: &HashMap<String, CelType>) -> bool {
    match resolve(t, subst) {
        CelType::Param(q) => q == p,
        CelType::List(e) | CelType::Type(e) => occurs(p, &e, subst),
        CelType::Map(k, v) => occurs(p, &k, subst) || occurs(p, &v, subst),
        CelType::Abstract(_, ps) => ps.iter().any(|x| occurs(p, x, subst)),
        _ => false,
    }
}

/// Whether a value of type `arg` may be passed where `param` is expected,
/// binding type parameters in `subst` as needed.
///
/// Every binding made is recorded in `trail`, so that a failed (or merely
/// tried) match can be undone with [`undo`] without copying `subst`.
fn assignable(
    subst: &mut HashMap<String, CelType>,
    trail: &mut Vec<String>,
    param: &CelType,
    arg: &CelType,
) -> bool {
    let p = resolve(param, subst);
    let a = resolve(arg, subst);
    match (&p, &a) {
        (CelType::Param(x), CelType::Param(y)) if x == y => true,
        (CelType::Param(x), _) => {
            if occurs(x, &a, subst) {
                return false;
            }
            subst.insert(x.clone(), a.clone());
            trail.push(x.clone());
            true
        }
        (_, CelType::Param(y)) => {
            if occurs(y, &p, subst) {
                return false;
            }
            subst.insert(y.clone(), p.clone());
            trail.push(y.clone());
            true
        }
        (CelType::Dyn, _) | (_, CelType::Dyn) => true,
        // Null stands for an absent message, wrapper or optional value.
        (CelType::Abstract(..) | CelType::Duration | CelType::Timestamp, CelType::Null) => true,
        (CelType::List(x), CelType::List(y)) | (CelType::Type(x), CelType::Type(y)) => {
            assignable(subst, trail, x, y)
        }
        (CelType::Map(k1, v1), CelType::Map(k2, v2)) => {
            assignable(subst, trail, k1, k2) && assignable(subst, trail, v1, v2)
        }
        (CelType::Abstract(n, ps), CelType::Abstract(m, qs)) => {
            n == m
                && ps.len() == qs.len()
                && ps
                    .iter()
                    .zip(qs)
                    .all(|(x, y)| assignable(subst, trail, x, y))
        }
        (x, y) => x == y,
    }
}

/// Removes the bindings recorded in `trail` after its first `mark` entries.
fn undo(subst: &mut HashMap<String, CelType>, trail: &mut Vec<String>, mark: usize) {
    for k in trail.drain(mark..) {
        subst.remove(&k);
    }
}

/// Whether `a` is `b` or more general (`dyn` where `b` has a type).
fn less_specific_or_equal(a: &CelType, b: &CelType) -> bool {
    match (a, b) {
        (CelType::Dyn | CelType::Param(_), _) => true,
        (_, CelType::Dyn | CelType::Param(_)) => false,
        (CelType::List(x), CelType::List(y)) | (CelType::Type(x), CelType::Type(y)) => {
            less_specific_or_equal(x, y)
        }
        (CelType::Map(k1, v1), CelType::Map(k2, v2)) => {
            less_specific_or_equal(k1, k2) && less_specific_or_equal(v1, v2)
        }
        (CelType::Abstract(n, ps), CelType::Abstract(m, qs)) => {
            n == m
                && ps.len() == qs.len()
                && ps.iter().zip(qs).all(|(x, y)| less_specific_or_equal(x, y))
        }
        (x, y) => x == y,
    }
}
