//! The cost bound of one evaluation, computed before it runs.
//!
//! A cost unit is roughly one step of the interpreter: visiting a node, or
//! touching ten characters of a string or one element of a list. The bound is
//! computed from the expression and from the actual sizes of the bound
//! variables ([`SizeBound`]: the longest list or map and the longest string
//! anywhere inside each value), so a comprehension over `object.spec.containers`
//! is charged for the longest list in `object` times the cost of its body, and
//! nested comprehensions multiply. Values built by the expression (list
//! concatenation in a loop, `join`, `replace`) grow their bound accordingly, so
//! no expression can allocate or loop beyond the limit: when the bound exceeds
//! it, evaluation is refused. The bound is conservative, never smaller than
//! the work done, and costs one walk of the expression to compute.

use std::collections::HashMap;

use cel::common::ast::{EntryExpr, Expr, IdedExpr, LiteralValue};
use cel::Value;

/// Upper bounds on the size of a value and of everything inside it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SizeBound {
    /// The most elements of any list or map in the value.
    pub list: u64,
    /// The most bytes of any string or bytes in the value.
    pub string: u64,
}

impl SizeBound {
    /// Measures a value (one walk over it).
    pub fn of(v: &Value) -> SizeBound {
        let mut b = SizeBound::default();
        measure(v, &mut b, 0);
        b
    }

    fn max(self, o: SizeBound) -> SizeBound {
        SizeBound {
            list: self.list.max(o.list),
            string: self.string.max(o.string),
        }
    }

    fn add(self, o: SizeBound) -> SizeBound {
        SizeBound {
            list: self.list.saturating_add(o.list),
            string: self.string.saturating_add(o.string),
        }
    }

    fn times(self, n: u64) -> SizeBound {
        SizeBound {
            list: self.list.saturating_mul(n),
            string: self.string.saturating_mul(n),
        }
    }

    fn minus(self, o: SizeBound) -> SizeBound {
        SizeBound {
            list: self.list.saturating_sub(o.list),
            string: self.string.saturating_sub(o.string),
        }
    }

    /// Cost of touching the whole value once.
    fn scan(self) -> u64 {
        self.list.saturating_add(self.string / 10)
    }
}

/// Values nested deeper than this are measured as unbounded (the caller's
/// parser bounds JSON depth long before).
const MAX_MEASURE_DEPTH: usize = 1000;

fn measure(v: &Value, b: &mut SizeBound, depth: usize) {
    if depth > MAX_MEASURE_DEPTH {
        *b = SizeBound {
            list: u64::MAX,
            string: u64::MAX,
        };
        return;
    }
    match v {
        Value::List(l) => {
            b.list = b.list.max(l.len() as u64);
            l.iter().for_each(|x| measure(x, b, depth + 1));
        }
        Value::Map(m) => {
            b.list = b.list.max(m.map.len() as u64);
            for (k, x) in m.map.iter() {
                if let cel::objects::Key::String(s) = k {
                    b.string = b.string.max(s.len() as u64);
                }
                measure(x, b, depth + 1);
            }
        }
        Value::String(s) => b.string = b.string.max(s.len() as u64),
        Value::Bytes(s) => b.string = b.string.max(s.len() as u64),
        _ => {}
    }
}

/// The cost bound of evaluating `e` with variables of the given sizes.
pub fn estimate(e: &IdedExpr, vars: &HashMap<&str, SizeBound>) -> u64 {
    let mut scopes: Vec<(&str, SizeBound)> = Vec::new();
    walk(e, vars, &mut scopes).cost
}

#[derive(Clone, Copy, Default)]
struct Est {
    cost: u64,
    size: SizeBound,
}

fn lookup(name: &str, vars: &HashMap<&str, SizeBound>, scopes: &[(&str, SizeBound)]) -> SizeBound {
    if let Some((_, s)) = scopes.iter().rev().find(|(n, _)| *n == name) {
        return *s;
    }
    if let Some(s) = vars.get(name) {
        return *s;
    }
    // A dotted or container-qualified variable: the largest bound of any
    // variable is safe.
    vars.values().fold(SizeBound::default(), |a, s| a.max(*s))
}

fn walk<'a>(
    e: &'a IdedExpr,
    vars: &HashMap<&str, SizeBound>,
    scopes: &mut Vec<(&'a str, SizeBound)>,
) -> Est {
    match &e.expr {
        Expr::Ident(n) => Est {
            cost: 1,
            size: lookup(n, vars, scopes),
        },
        Expr::Literal(l) => Est {
            cost: 1,
            size: SizeBound {
                list: 0,
                string: match l {
                    LiteralValue::String(s) => s.inner().len() as u64,
                    LiteralValue::Bytes(b) => b.inner().len() as u64,
                    _ => 0,
                },
            },
        },
        Expr::Select(s) => {
            let o = walk(&s.operand, vars, scopes);
            Est {
                cost: o.cost.saturating_add(1),
                size: o.size,
            }
        }
        Expr::List(l) => {
            let mut est = Est {
                cost: 1,
                size: SizeBound {
                    list: l.elements.len() as u64,
                    string: 0,
                },
            };
            for x in &l.elements {
                let x = walk(x, vars, scopes);
                est.cost = est.cost.saturating_add(x.cost);
                est.size = est.size.max(x.size);
            }
            est
        }
        Expr::Map(_) | Expr::Struct(_) => {
            let mut est = Est {
                cost: 1,
                size: SizeBound {
                    list: m_len(&e.expr),
                    string: 0,
                },
            };
            entries(&e.expr, vars, scopes, &mut est);
            est
        }
        Expr::Call(c) => {
            let mut args: Vec<Est> = Vec::with_capacity(c.args.len() + 1);
            if let Some(t) = &c.target {
                args.push(walk(t, vars, scopes));
            }
            for a in &c.args {
                args.push(walk(a, vars, scopes));
            }
            if c.func_name == "lists.range" {
                return range(&c.args, &args, vars, scopes);
            }
            call(&c.func_name, &args)
        }
        Expr::Comprehension(c) => {
            let range = walk(&c.iter_range, vars, scopes);
            let init = walk(&c.accu_init, vars, scopes);
            let n = range.size.list;
            let depth = scopes.len();
            // First pass: how much one step grows the accumulator.
            scopes.push((&c.iter_var, range.size));
            if let Some(v2) = &c.iter_var2 {
                scopes.push((v2, range.size));
            }
            scopes.push((&c.accu_var, init.size));
            let step1 = walk(&c.loop_step, vars, scopes);
            let growth = step1.size.minus(init.size);
            let accu = init.size.max(step1.size).add(growth.times(n));
            scopes.pop();
            scopes.push((&c.accu_var, accu));
            let cond = walk(&c.loop_cond, vars, scopes);
            let step = walk(&c.loop_step, vars, scopes);
            scopes.truncate(depth);
            scopes.push((&c.accu_var, accu));
            let result = walk(&c.result, vars, scopes);
            scopes.truncate(depth);
            let per_iter = cond.cost.saturating_add(step.cost).saturating_add(1);
            Est {
                cost: range
                    .cost
                    .saturating_add(init.cost)
                    .saturating_add(n.saturating_mul(per_iter))
                    .saturating_add(result.cost),
                size: result.size,
            }
        }
        Expr::Unspecified => Est::default(),
    }
}

/// The engine's cap on `lists.range(n)`.
const MAX_RANGE: u64 = 1_000_000;

/// `lists.range(n)` builds `n` elements: bounded by the list it measures
/// when `n` is `size(x)` (as the two-variable macros write it), else by the
/// engine's cap.
fn range<'a>(
    exprs: &'a [IdedExpr],
    args: &[Est],
    vars: &HashMap<&str, SizeBound>,
    scopes: &mut Vec<(&'a str, SizeBound)>,
) -> Est {
    let arg_cost = args.iter().fold(0u64, |a, x| a.saturating_add(x.cost));
    let n = match exprs.first().map(|e| &e.expr) {
        Some(Expr::Call(c)) if c.func_name == "size" && c.args.len() == 1 => {
            let x = walk(&c.args[0], vars, scopes).size;
            x.list.max(x.string)
        }
        _ => MAX_RANGE,
    };
    Est {
        cost: arg_cost.saturating_add(1).saturating_add(n),
        size: SizeBound { list: n, string: 0 },
    }
}

fn m_len(e: &Expr) -> u64 {
    match e {
        Expr::Map(m) => m.entries.len() as u64,
        Expr::Struct(s) => s.entries.len() as u64,
        _ => 0,
    }
}

fn entries<'a>(
    e: &'a Expr,
    vars: &HashMap<&str, SizeBound>,
    scopes: &mut Vec<(&'a str, SizeBound)>,
    est: &mut Est,
) {
    let list = match e {
        Expr::Map(m) => &m.entries,
        Expr::Struct(s) => &s.entries,
        _ => return,
    };
    for en in list {
        let parts: Vec<&IdedExpr> = match &en.expr {
            EntryExpr::MapEntry(me) => vec![&me.key, &me.value],
            EntryExpr::StructField(f) => vec![&f.value],
        };
        for p in parts {
            let x = walk(p, vars, scopes);
            est.cost = est.cost.saturating_add(x.cost);
            est.size = est.size.max(x.size);
        }
    }
}

/// Cost and result size of a function call given its arguments (the
/// receiver first for a method call).
fn call(name: &str, args: &[Est]) -> Est {
    let arg_cost = args.iter().fold(0u64, |a, x| a.saturating_add(x.cost));
    let widest = args.iter().fold(SizeBound::default(), |a, x| a.max(x.size));
    let sum = args.iter().fold(SizeBound::default(), |a, x| a.add(x.size));
    let (own, size) = match name {
        // Concatenation copies both sides.
        "_+_" => (1u64.saturating_add(sum.scan()), sum),
        // Joining repeats the separator between elements.
        "join" => {
            let list = args.first().map(|a| a.size).unwrap_or_default();
            let sep = args.get(1).map(|a| a.size.string).unwrap_or(0);
            let len = list.list.saturating_mul(list.string.saturating_add(sep));
            (
                1u64.saturating_add(len / 10),
                SizeBound {
                    list: 0,
                    string: len,
                },
            )
        }
        // Each match may be replaced by a longer text.
        "replace" => {
            let s = args.first().map(|a| a.size.string).unwrap_or(0);
            let with = args.get(2).map(|a| a.size.string).unwrap_or(0);
            let len = s.saturating_add(1).saturating_mul(with.saturating_add(1));
            (
                1u64.saturating_add(len / 10),
                SizeBound {
                    list: 0,
                    string: len,
                },
            )
        }
        "split" => {
            let s = args.first().map(|a| a.size.string).unwrap_or(0);
            (
                1u64.saturating_add(s / 10),
                SizeBound {
                    list: s.saturating_add(1),
                    string: s,
                },
            )
        }
        // A regular expression costs its text times the subject's.
        "matches" | "find" | "findAll" => {
            let s = args.first().map(|a| a.size.string).unwrap_or(0);
            let re = args.get(1).map(|a| a.size.string).unwrap_or(0);
            (
                1u64.saturating_add((s / 10 + 1).saturating_mul(re / 10 + 1)),
                widest.max(SizeBound { list: s, string: s }),
            )
        }
        // Everything else touches its arguments at most once and returns
        // nothing larger than its largest argument (sort, reverse, distinct,
        // flatten by one level, lowerAscii, substring, a conditional's
        // branches...).
        _ => (1u64.saturating_add(sum.scan()), widest),
    };
    Est {
        cost: arg_cost.saturating_add(own),
        size,
    }
}
