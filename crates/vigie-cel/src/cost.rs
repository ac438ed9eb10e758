//! The cost bound of one evaluation, computed before it runs.
//!
//! A cost unit is roughly one step of the interpreter: visiting a node, or
//! touching ten characters of a string or one element of a list. The bound is
//! computed from the expression and from the actual sizes of the bound
//! variables, measured once per value as a [`SizeTree`]: for each field path,
//! the length of the list, map or string found there and a bound on everything
//! below it. A select chain such as `object.metadata.labels` is charged for
//! that map only, not for the largest list anywhere in `object`; the variable
//! of a comprehension is bounded by the range's elements (a map's keys), and
//! nested comprehensions multiply. Comparisons, `size()` and `has()` on
//! scalars cost one unit (plus a tenth of the shorter string compared).
//! Values built by the expression (list concatenation in a loop, `join`,
//! `replace`) grow their bound accordingly, so no expression can allocate or
//! loop beyond the limit: when the bound exceeds it, evaluation is refused.
//! The bound is conservative, never smaller than the work done, and costs one
//! walk of the expression to compute. A program skips that walk when the
//! bound with every value flattened to the longest list and string bound
//! (`Flat`, computed once per program and rounded pair) is within the limit.
//!
//! Measured with `tests/cost.rs` (a Pod of 100 containers with 10 env vars
//! each, 300 labels and a 10 KB annotation; a List of 50 Deployments): before
//! this tree, when a variable's bound was the longest list and string anywhere
//! in it, `object.spec.containers.all(c, c.env.all(e, ...))` was estimated
//! 141,572,072,705 units and refused; now 10,905. Every expression's figures
//! before and after are in that file.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

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
        SizeTree::of(v).deep
    }

    pub(crate) fn max(self, o: SizeBound) -> SizeBound {
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

/// A map with more keys than this keeps one bound for all its values rather
/// than one per key, so that a tree never holds more than a few hundred
/// entries per map however large the value (the merged bound stays sound).
const MAX_FIELDS: usize = 256;

/// Size bounds of a value per path: its own length, a bound on everything
/// inside it, and the bounds of its elements (merged over a list's elements
/// or a map's values) and of each field of a map with string keys.
///
/// A tree may also describe several possible values (a conditional's two
/// branches, the elements of a list): each bound is then the larger one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SizeTree {
    /// Nothing is known but `deep`: every part of the value, at any depth,
    /// is bounded by it.
    unknown: bool,
    /// The value may be a list.
    is_list: bool,
    /// The value may be a map.
    is_map: bool,
    /// The value's own length: elements of a list or map.
    list: u64,
    /// The value's own length: bytes of a string.
    string: u64,
    /// The longest list or string anywhere in the value, itself included.
    pub(crate) deep: SizeBound,
    /// The longest key of a map.
    key: u64,
    /// The bound of every element (list) or value (map); none when there is none.
    elem: Option<Arc<SizeTree>>,
    /// The bound of each value of a map, by key (small maps with string keys).
    fields: Option<Arc<BTreeMap<String, SizeTree>>>,
}

impl SizeTree {
    /// Measures a value (one walk over it).
    pub fn of(v: &Value) -> SizeTree {
        measure(v, 0)
    }

    /// A value of which only a bound of every part is known.
    pub(crate) fn flat(deep: SizeBound) -> SizeTree {
        SizeTree {
            unknown: true,
            list: deep.list,
            string: deep.string,
            key: deep.string,
            deep,
            ..SizeTree::default()
        }
    }

    /// A string (or a number: length 0).
    pub(crate) fn text(len: u64) -> SizeTree {
        SizeTree {
            string: len,
            deep: SizeBound {
                list: 0,
                string: len,
            },
            ..SizeTree::default()
        }
    }

    /// The bound of a map given the bounds of its values, each with its key
    /// when the key is a string (fields are looked up by name only).
    pub(crate) fn map_of<'k>(
        entries: impl Iterator<Item = (Option<&'k str>, SizeTree)>,
    ) -> SizeTree {
        let mut elem: Option<SizeTree> = None;
        let mut key = 0u64;
        let mut len = 0u64;
        let mut fields = Some(BTreeMap::new());
        for (k, t) in entries {
            len += 1;
            match k {
                Some(s) => {
                    key = key.max(s.len() as u64);
                    match fields.as_mut() {
                        Some(f) if f.len() < MAX_FIELDS => {
                            f.insert(s.to_string(), t.clone());
                        }
                        _ => fields = None,
                    }
                }
                None => fields = None,
            }
            match &mut elem {
                Some(e) => e.merge_from(&t),
                None => elem = Some(t),
            }
        }
        SizeTree {
            is_map: true,
            list: len,
            key,
            deep: elem
                .as_ref()
                .map_or(SizeBound::default(), |e| e.deep)
                .max(SizeBound {
                    list: len,
                    string: key,
                }),
            elem: elem.map(Arc::new),
            fields: fields.map(Arc::new),
            ..SizeTree::default()
        }
    }

    /// The bound of any element or map value.
    fn elem(&self) -> SizeTree {
        match &self.elem {
            Some(e) if !self.unknown => (**e).clone(),
            _ => SizeTree::flat(self.deep),
        }
    }

    /// The bound of field `name` (or of a value at any key).
    fn field(&self, name: &str) -> SizeTree {
        if !self.unknown {
            if let Some(f) = self.fields.as_ref().and_then(|f| f.get(name)) {
                return f.clone();
            }
        }
        self.elem()
    }

    /// The bound of a comprehension's variable iterating this value: a
    /// list's elements or a map's keys.
    fn iter_var(&self) -> SizeTree {
        if self.unknown || !(self.is_list || self.is_map) {
            return SizeTree::flat(self.deep);
        }
        match (self.is_list, self.is_map) {
            (true, false) => self.elem(),
            (false, true) => SizeTree::text(self.key),
            _ => self.elem().merge(&SizeTree::text(self.key)),
        }
    }

    /// Makes this a bound of either value, in place: what [`SizeTree::merge`]
    /// gives, without copying the fields this tree holds alone (merging the
    /// trees of a list's elements one by one otherwise copies the field map
    /// once per element).
    pub(crate) fn merge_from(&mut self, o: &SizeTree) {
        let has_fields = |t: &SizeTree| !t.unknown && (!t.is_map || t.fields.is_some());
        let keep_fields = has_fields(self) && has_fields(o);
        match (&mut self.elem, &o.elem) {
            (_, None) => {}
            (None, Some(b)) => self.elem = Some(b.clone()),
            (Some(a), Some(b)) => {
                if !Arc::ptr_eq(a, b) {
                    Arc::make_mut(a).merge_from(b);
                }
            }
        }
        if !keep_fields {
            self.fields = None;
        } else if let Some(b) = &o.fields {
            match &mut self.fields {
                None => self.fields = Some(b.clone()),
                Some(a) if Arc::ptr_eq(a, b) => {}
                Some(a) => {
                    let m = Arc::make_mut(a);
                    for (k, v) in b.iter() {
                        match m.get_mut(k) {
                            Some(x) => x.merge_from(v),
                            None => {
                                m.insert(k.clone(), v.clone());
                            }
                        }
                    }
                    if m.len() > MAX_FIELDS {
                        self.fields = None;
                    }
                }
            }
        }
        self.unknown |= o.unknown;
        self.is_list |= o.is_list;
        self.is_map |= o.is_map;
        self.list = self.list.max(o.list);
        self.string = self.string.max(o.string);
        self.deep = self.deep.max(o.deep);
        self.key = self.key.max(o.key);
    }

    /// A bound of either value.
    pub(crate) fn merge(&self, o: &SizeTree) -> SizeTree {
        let elem = match (&self.elem, &o.elem) {
            (None, None) => None,
            (Some(a), None) | (None, Some(a)) => Some(a.clone()),
            (Some(a), Some(b)) => Some(Arc::new(a.merge(b))),
        };
        // Fields are kept only when every map either side may be has them.
        let has_fields = |t: &SizeTree| !t.unknown && (!t.is_map || t.fields.is_some());
        let fields = if has_fields(self) && has_fields(o) {
            match (&self.fields, &o.fields) {
                (None, None) => None,
                (Some(a), None) | (None, Some(a)) => Some(a.clone()),
                (Some(a), Some(b)) => {
                    let mut m = (**a).clone();
                    for (k, v) in b.iter() {
                        let merged = match m.get(k) {
                            Some(x) => x.merge(v),
                            None => v.clone(),
                        };
                        m.insert(k.clone(), merged);
                    }
                    (m.len() <= MAX_FIELDS).then(|| Arc::new(m))
                }
            }
        } else {
            None
        };
        SizeTree {
            unknown: self.unknown || o.unknown,
            is_list: self.is_list || o.is_list,
            is_map: self.is_map || o.is_map,
            list: self.list.max(o.list),
            string: self.string.max(o.string),
            deep: self.deep.max(o.deep),
            key: self.key.max(o.key),
            elem,
            fields,
        }
    }
}

/// Values nested deeper than this are measured as unbounded (the caller's
/// parser bounds JSON depth long before).
pub(crate) const MAX_MEASURE_DEPTH: usize = 1000;

fn measure(v: &Value, depth: usize) -> SizeTree {
    if depth > MAX_MEASURE_DEPTH {
        return SizeTree::flat(SizeBound {
            list: u64::MAX,
            string: u64::MAX,
        });
    }
    match v {
        Value::List(l) => {
            let mut elem: Option<SizeTree> = None;
            for x in l.iter() {
                let t = measure(x, depth + 1);
                match &mut elem {
                    Some(e) => e.merge_from(&t),
                    None => elem = Some(t),
                }
            }
            list_of(l.len() as u64, elem)
        }
        Value::Map(m) => SizeTree::map_of(m.map.iter().map(|(k, x)| {
            let key = match k {
                cel::objects::Key::String(s) => Some(s.as_str()),
                _ => None,
            };
            (key, measure(x, depth + 1))
        })),
        Value::String(s) => SizeTree::text(s.len() as u64),
        Value::Bytes(s) => SizeTree::text(s.len() as u64),
        _ => SizeTree::default(),
    }
}

/// The cost bound of evaluating `e` with variables of the given sizes.
pub fn estimate(e: &IdedExpr, vars: &HashMap<&str, SizeTree>) -> u64 {
    estimate_in(e, vars)
}

/// The size bounds of the bound variables, by name: a map of them, or an
/// activation, which keeps each value's bound beside it (so that estimating
/// copies no map per evaluation).
pub(crate) trait Sizes {
    /// The bound of the variable `name`.
    fn size_of(&self, name: &str) -> Option<&SizeTree>;
    /// The largest bound of any variable.
    fn largest(&self) -> SizeBound;
}

/// Every variable bounded by the same flat bound: what an activation whose
/// every value is within `bound` (at any depth) can at most hold.
pub(crate) struct Flat {
    tree: SizeTree,
    bound: SizeBound,
}

impl Flat {
    /// Variables of which only `bound` is known.
    pub(crate) fn new(bound: SizeBound) -> Flat {
        Flat {
            tree: SizeTree::flat(bound),
            bound,
        }
    }
}

impl Sizes for Flat {
    fn size_of(&self, _name: &str) -> Option<&SizeTree> {
        Some(&self.tree)
    }
    fn largest(&self) -> SizeBound {
        self.bound
    }
}

impl Sizes for HashMap<&str, SizeTree> {
    fn size_of(&self, name: &str) -> Option<&SizeTree> {
        self.get(name)
    }
    fn largest(&self) -> SizeBound {
        self.values()
            .fold(SizeBound::default(), |a, s| a.max(s.deep))
    }
}

/// The variables whose bounds the cost estimate of an expression reads,
/// found by estimating it once with every name in `declared` bound: the
/// names it looks up, and whether it falls back to the largest bound of all
/// (a name not bound, such as a type name), which reads every variable.
pub(crate) struct Probe<'a> {
    declared: &'a std::collections::BTreeSet<String>,
    tree: SizeTree,
    looked_up: std::cell::RefCell<std::collections::BTreeSet<String>>,
    reads_all: std::cell::Cell<bool>,
}

impl<'a> Probe<'a> {
    /// The variables the estimate of `e` reads, `None` when it reads them
    /// all.
    pub(crate) fn reads(
        e: &IdedExpr,
        declared: &'a std::collections::BTreeSet<String>,
    ) -> Option<std::collections::BTreeSet<String>> {
        let probe = Probe {
            declared,
            tree: SizeTree::default(),
            looked_up: Default::default(),
            reads_all: Default::default(),
        };
        estimate_in(e, &probe);
        (!probe.reads_all.get()).then(|| probe.looked_up.into_inner())
    }
}

impl Sizes for Probe<'_> {
    fn size_of(&self, name: &str) -> Option<&SizeTree> {
        if !self.declared.contains(name) {
            return None;
        }
        self.looked_up.borrow_mut().insert(name.to_string());
        Some(&self.tree)
    }
    fn largest(&self) -> SizeBound {
        self.reads_all.set(true);
        SizeBound::default()
    }
}

/// [`estimate`] with the sizes looked up in `vars`.
pub(crate) fn estimate_in(e: &IdedExpr, vars: &dyn Sizes) -> u64 {
    let mut scopes: Vec<(&str, SizeTree)> = Vec::new();
    walk(e, vars, &mut scopes).cost
}

#[derive(Clone, Default)]
struct Est {
    cost: u64,
    size: SizeTree,
}

fn lookup(name: &str, vars: &dyn Sizes, scopes: &[(&str, SizeTree)]) -> SizeTree {
    if let Some((_, s)) = scopes.iter().rev().find(|(n, _)| *n == name) {
        return s.clone();
    }
    if let Some(s) = vars.size_of(name) {
        return s.clone();
    }
    // A dotted or container-qualified variable: the largest bound of any
    // variable is safe.
    SizeTree::flat(vars.largest())
}

fn walk<'a>(e: &'a IdedExpr, vars: &dyn Sizes, scopes: &mut Vec<(&'a str, SizeTree)>) -> Est {
    match &e.expr {
        Expr::Ident(n) => Est {
            cost: 1,
            size: lookup(n, vars, scopes),
        },
        Expr::Literal(l) => Est {
            cost: 1,
            size: SizeTree::text(match l {
                LiteralValue::String(s) => s.inner().len() as u64,
                LiteralValue::Bytes(b) => b.inner().len() as u64,
                _ => 0,
            }),
        },
        Expr::Select(s) => {
            let o = walk(&s.operand, vars, scopes);
            Est {
                cost: o.cost.saturating_add(1),
                // `has()` answers a boolean.
                size: if s.test {
                    SizeTree::default()
                } else {
                    o.size.field(&s.field)
                },
            }
        }
        Expr::List(l) => {
            let len = l.elements.len() as u64;
            let mut cost = 1u64;
            let mut elem: Option<SizeTree> = None;
            for x in &l.elements {
                let x = walk(x, vars, scopes);
                cost = cost.saturating_add(x.cost);
                elem = Some(match elem {
                    Some(e) => e.merge(&x.size),
                    None => x.size,
                });
            }
            Est {
                cost,
                size: list_of(len, elem),
            }
        }
        Expr::Map(_) | Expr::Struct(_) => {
            let mut est = Est {
                cost: 1,
                size: SizeTree::default(),
            };
            let mut deep = SizeBound {
                list: m_len(&e.expr),
                string: 0,
            };
            entries(&e.expr, vars, scopes, &mut est.cost, &mut deep);
            est.size = SizeTree::flat(deep);
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
            // Written `lists.range(n)`, the parser sees a method of `lists`.
            let on_lists = matches!(c.target.as_deref().map(|t| &t.expr), Some(Expr::Ident(n)) if n == "lists");
            if c.func_name == "lists.range" || (c.func_name == "range" && on_lists) {
                return range(&c.args, &args, vars, scopes);
            }
            call(&c.func_name, &args)
        }
        Expr::Comprehension(c) => {
            let range = walk(&c.iter_range, vars, scopes);
            let init = walk(&c.accu_init, vars, scopes);
            let n = range.size.list;
            let item = range.size.iter_var();
            let depth = scopes.len();
            // First pass: how much one step grows the accumulator.
            scopes.push((&c.iter_var, item.clone()));
            if let Some(v2) = &c.iter_var2 {
                scopes.push((v2, range.size.elem()));
            }
            scopes.push((&c.accu_var, init.size.clone()));
            let step1 = walk(&c.loop_step, vars, scopes);
            let accu = if n == 0 {
                // The step never runs (`cel.bind` and the two-variable
                // macros bind a value this way).
                init.size.clone()
            } else {
                grown(&init.size, &step1.size, n)
            };
            scopes.pop();
            // When the accumulator's bound does not grow (`all`, `exists`:
            // a bool), the step sees what it saw in the first pass: its
            // estimate is the same, and walking it again would make nested
            // comprehensions cost twice as much per level to estimate.
            let same_accu = accu == init.size;
            scopes.push((&c.accu_var, accu.clone()));
            let cond = walk(&c.loop_cond, vars, scopes);
            let step = if same_accu {
                step1
            } else {
                walk(&c.loop_step, vars, scopes)
            };
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

/// A list of `len` elements bounded by `elem`.
pub(crate) fn list_of(len: u64, elem: Option<SizeTree>) -> SizeTree {
    SizeTree {
        is_list: true,
        list: len,
        deep: elem
            .as_ref()
            .map_or(SizeBound::default(), |e| e.deep)
            .max(SizeBound {
                list: len,
                string: 0,
            }),
        elem: elem.map(Arc::new),
        ..SizeTree::default()
    }
}

/// The accumulator after `n` steps, when one step turns `init` into `step1`.
fn grown(init: &SizeTree, step1: &SizeTree, n: u64) -> SizeTree {
    if !init.unknown && !step1.unknown && init.is_list && step1.is_list && !step1.is_map {
        // A list the step appends to (`map`, `filter`): its length grows by
        // the same amount each step, its elements stay as the step makes them.
        let growth = step1.list.saturating_sub(init.list);
        let len = init
            .list
            .max(step1.list)
            .saturating_add(growth.saturating_mul(n));
        let elem = match (&init.elem, &step1.elem) {
            (Some(a), Some(b)) => Some(a.merge(b)),
            (Some(a), None) | (None, Some(a)) => Some((**a).clone()),
            (None, None) => None,
        };
        return list_of(len, elem);
    }
    let growth = step1.deep.minus(init.deep);
    SizeTree::flat(init.deep.max(step1.deep).add(growth.times(n)))
}

/// The engine's cap on `lists.range(n)`.
const MAX_RANGE: u64 = 1_000_000;

/// `lists.range(n)` builds `n` elements: bounded by the list it measures
/// when `n` is `size(x)` (as the two-variable macros write it), else by the
/// engine's cap.
fn range<'a>(
    exprs: &'a [IdedExpr],
    args: &[Est],
    vars: &dyn Sizes,
    scopes: &mut Vec<(&'a str, SizeTree)>,
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
        size: list_of(n, Some(SizeTree::default())),
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
    vars: &dyn Sizes,
    scopes: &mut Vec<(&'a str, SizeTree)>,
    cost: &mut u64,
    deep: &mut SizeBound,
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
            *cost = cost.saturating_add(x.cost);
            *deep = deep.max(x.size.deep);
        }
    }
}

/// Cost and result size of a function call given its arguments (the
/// receiver first for a method call).
fn call(name: &str, args: &[Est]) -> Est {
    let arg_cost = args.iter().fold(0u64, |a, x| a.saturating_add(x.cost));
    let widest = args
        .iter()
        .fold(SizeBound::default(), |a, x| a.max(x.size.deep));
    let sum = args
        .iter()
        .fold(SizeBound::default(), |a, x| a.add(x.size.deep));
    let arg = |i: usize| args.get(i).map(|a| a.size.clone()).unwrap_or_default();
    let flat = SizeTree::flat;
    let (own, size) = match name {
        // Equality and order stop at the shorter operand.
        "_==_" | "_!=_" | "_<_" | "_<=_" | "_>_" | "_>=_" => {
            let shorter = args.iter().map(|a| a.size.deep.scan()).min().unwrap_or(0);
            (1u64.saturating_add(shorter), SizeTree::default())
        }
        // Constant-time operators (a map lookup, a list index, a length):
        // the arguments are already charged.
        "_&&_"
        | "_||_"
        | "!_"
        | "@not_strictly_false"
        | "type"
        | "-_"
        | "_-_"
        | "_*_"
        | "_/_"
        | "_%_" => (1, SizeTree::default()),
        // A string's size counts its characters.
        "size" => (1u64.saturating_add(arg(0).string / 10), SizeTree::default()),
        "_[_]" | "_[?_]" => {
            let c = arg(0);
            let key = match args.get(1) {
                Some(k) => k.size.deep.string / 10,
                None => 0,
            };
            (1u64.saturating_add(key), c.elem())
        }
        "_?_:_" => (1, arg(1).merge(&arg(2))),
        // Membership scans a list (compares with each element), looks a map up.
        "@in" => {
            let (x, c) = (arg(0), arg(1));
            let each = 1u64.saturating_add(x.deep.scan());
            let scan = if c.is_map && !c.is_list && !c.unknown {
                each
            } else {
                c.list.saturating_mul(each)
            };
            (1u64.saturating_add(scan), SizeTree::default())
        }
        "startsWith" | "endsWith" | "contains" => {
            let s = arg(0).deep.string.saturating_add(arg(1).deep.string);
            (1u64.saturating_add(s / 10), SizeTree::default())
        }
        // Concatenation copies both sides; lists keep their elements' bound.
        "_+_" => {
            let (a, b) = (arg(0), arg(1));
            let lists = |t: &SizeTree| !t.unknown && t.is_list && !t.is_map;
            if lists(&a) && lists(&b) {
                let elem = match (&a.elem, &b.elem) {
                    (Some(x), Some(y)) => Some(x.merge(y)),
                    (Some(x), None) | (None, Some(x)) => Some((**x).clone()),
                    (None, None) => None,
                };
                let len = a.list.saturating_add(b.list);
                (1u64.saturating_add(len), list_of(len, elem))
            } else {
                (1u64.saturating_add(sum.scan()), flat(sum))
            }
        }
        // Inserting into a map copies it (transformMap).
        "@mapInsert" => {
            let m = arg(0);
            let deep = SizeBound {
                list: m.list.saturating_add(1),
                string: 0,
            }
            .max(widest);
            (1u64.saturating_add(sum.scan()), flat(deep))
        }
        // Joining repeats the separator between elements.
        "join" => {
            let list = args.first().map(|a| a.size.deep).unwrap_or_default();
            let sep = args.get(1).map(|a| a.size.deep.string).unwrap_or(0);
            let len = list.list.saturating_mul(list.string.saturating_add(sep));
            (1u64.saturating_add(len / 10), SizeTree::text(len))
        }
        // Each match may be replaced by a longer text.
        "replace" => {
            let s = args.first().map(|a| a.size.deep.string).unwrap_or(0);
            let with = args.get(2).map(|a| a.size.deep.string).unwrap_or(0);
            let len = s.saturating_add(1).saturating_mul(with.saturating_add(1));
            (1u64.saturating_add(len / 10), SizeTree::text(len))
        }
        "split" => {
            let s = args.first().map(|a| a.size.deep.string).unwrap_or(0);
            (
                1u64.saturating_add(s / 10),
                list_of(s.saturating_add(1), Some(SizeTree::text(s))),
            )
        }
        // A regular expression costs its text times the subject's.
        "matches" | "find" | "findAll" => {
            let s = args.first().map(|a| a.size.deep.string).unwrap_or(0);
            let re = args.get(1).map(|a| a.size.deep.string).unwrap_or(0);
            (
                1u64.saturating_add((s / 10 + 1).saturating_mul(re / 10 + 1)),
                flat(widest.max(SizeBound { list: s, string: s })),
            )
        }
        // Everything else touches its arguments at most once and returns
        // nothing larger than its largest argument (sort, reverse, distinct,
        // flatten by one level, lowerAscii, substring...).
        _ => (1u64.saturating_add(sum.scan()), flat(widest)),
    };
    Est {
        cost: arg_cost.saturating_add(own),
        size,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(v: serde_json::Value) -> SizeTree {
        SizeTree::of(&crate::from_json(&v))
    }

    #[test]
    fn merging_in_place_gives_what_merging_a_copy_gives() {
        let samples = [
            tree(serde_json::json!({"name": "a", "ports": [{"containerPort": 80}]})),
            tree(
                serde_json::json!({"name": "sidecar-longer", "args": ["-v", "--x=1"], "env": {"A": "b"}}),
            ),
            tree(serde_json::json!(["x", {"k": "vvvvvvvv"}, [1, 2, 3]])),
            tree(serde_json::json!("a string")),
            SizeTree::flat(SizeBound { list: 7, string: 3 }),
        ];
        for a in &samples {
            for b in &samples {
                let mut in_place = a.clone();
                in_place.merge_from(b);
                assert_eq!(in_place, a.merge(b), "{a:?} with {b:?}");
            }
        }
    }
}
