//! A direct evaluator for the subset of CEL that Kubernetes policies mostly
//! write: field selections, presence tests, optionals, comparisons of
//! scalars, logic, `in`, `size()` and comprehensions over lists.
//!
//! The engine evaluates through boxed values and dynamic dispatch: a
//! selection builds a vector of name segments, a comprehension step a map
//! of variables and a boxed copy of each element. Measured on the Pod
//! Security CEL policies (docs/policy.md, Benchmark), that made them
//! slower than the pattern ones while executing fewer instructions: the
//! time went to allocations and cache misses.
//!
//! A program whose every node is in the subset is translated once, when
//! compiled, into a [`Node`] tree, evaluated over the activation's values
//! borrowed, its intermediate values small [`V`]s, comprehension variables
//! on a chain of stack frames. Only what is certain to give the engine's
//! value is evaluated: anything else (a missing field, a type mismatch, an
//! overflow, an error `&&` or `||` might absorb, values of mixed kinds)
//! gives up, and the engine evaluates the whole program again from the
//! start (evaluation has no side effects), so errors and unusual values
//! are always the engine's.

use cel::common::ast::{operators, CallExpr, ComprehensionExpr, Expr, IdedExpr, LiteralValue};
use cel::common::types::{
    CelBool, CelDouble, CelInt, CelList, CelNull, CelOptional, CelString, CelUInt, Kind,
};
use cel::common::value::{CowVal, Val};
use cel::ExecutionError;

use crate::shared_map::SharedMap;
use crate::Activation;

/// A compiled expression in the subset.
pub(crate) enum Node {
    /// A literal scalar.
    Scalar(Scalar),
    /// A list literal of literals, built once.
    Const(Box<dyn Val>),
    /// A variable of the activation.
    Var(Box<str>),
    /// A qualified name `a.b.c` not rooted at a comprehension variable: the
    /// longest name the activation binds, with the fields left selected
    /// from it (see [`Qualified`]).
    Qualified(Box<Qualified>),
    /// A comprehension variable: `up` frames out, its accumulator or its
    /// element.
    Local {
        /// Frames out from the innermost.
        up: usize,
        /// The accumulator rather than the element.
        accu: bool,
    },
    /// `operand.field`.
    Select(Box<Node>, Box<str>),
    /// `has(operand.field)`.
    Has(Box<Node>, Box<str>),
    /// `operand.?field`.
    OptSelect(Box<Node>, Box<str>),
    /// `optional.orValue(default)`; with Kubernetes' library
    /// (`lists_too`), a list or map receiver is its own value.
    OrValue {
        /// The receiver and the default.
        operands: Box<[Node; 2]>,
        /// Whether a list or map receiver gives itself.
        lists_too: bool,
    },
    /// `optional.hasValue()`.
    HasValue(Box<Node>),
    /// `!x`.
    Not(Box<Node>),
    /// The engine's `@not_strictly_false(x)`: the loop condition of `all`
    /// and `exists`.
    NotStrictlyFalse(Box<Node>),
    /// `a && b`.
    And(Box<[Node; 2]>),
    /// `a || b`.
    Or(Box<[Node; 2]>),
    /// `c ? a : b`.
    Cond(Box<[Node; 3]>),
    /// A comparison.
    Compare(Comparison, Box<[Node; 2]>),
    /// `x in list`.
    In(Box<[Node; 2]>),
    /// `a + b`.
    Add(Box<[Node; 2]>),
    /// `a[i]`.
    Index(Box<[Node; 2]>),
    /// `size(x)` or `x.size()`.
    Size(Box<Node>),
    /// A string test: `s.startsWith(t)`, `s.endsWith(t)`, `s.contains(t)`.
    Text(TextTest, Box<[Node; 2]>),
    /// A comprehension.
    Fold(Box<Fold>),
}

/// A literal scalar.
pub(crate) enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Double(f64),
    Str(Box<str>),
}

/// A qualified name and the variables it can start with.
pub(crate) struct Qualified {
    /// Each name the activation may bind, longest first, with how many of
    /// `fields` it spells.
    names: Vec<(Box<str>, usize)>,
    /// The fields after the root.
    fields: Vec<Box<str>>,
    /// Whether the whole name is a type (which the engine picks when no
    /// variable has the whole name).
    whole_is_type: bool,
}

/// `==`, `!=`, `<`, `<=`, `>`, `>=`.
#[derive(Clone, Copy)]
pub(crate) enum Comparison {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// The operators of two operands.
enum Binary {
    Compare(Comparison),
    In,
    Add,
    Index,
}

/// The string tests.
#[derive(Clone, Copy)]
pub(crate) enum TextTest {
    StartsWith,
    EndsWith,
    Contains,
}

/// A comprehension: as the engine runs it, the accumulator starts as
/// `init`, and for each element of `range` while `cond` holds becomes
/// `step`; the value is `result`.
pub(crate) struct Fold {
    range: Node,
    init: Node,
    cond: Node,
    step: Node,
    result: Node,
}

/// A value during a fast evaluation: scalars by value, anything else
/// borrowed from the activation or the program.
#[derive(Clone)]
enum V<'a> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Double(f64),
    Str(&'a str),
    /// A list, a map or any other value, as the engine holds it.
    Ref(&'a (dyn Val + 'a)),
    /// Lists joined with `+`, not copied.
    Concat(Vec<&'a [Box<dyn Val + 'a>]>),
    /// An optional value: `None` is `optional.none()`.
    Opt(Option<&'a (dyn Val + 'a)>),
}

/// What the fast evaluation gives: `None` when it gives up (the engine
/// then evaluates the program).
type Fast<'a> = Option<V<'a>>;

/// Why an expression has no fast form: the kind of node outside the
/// subset (for counting, [`crate::Program::fast_form`]).
pub(crate) type Unsupported = &'static str;

/// The names in scope while compiling: for each enclosing comprehension,
/// innermost last, its element and accumulator variables.
type Scopes<'e> = Vec<(&'e str, &'e str)>;

/// What compiling needs of the environment.
pub(crate) struct CompileEnv<'a> {
    /// The engine, for its type names.
    pub(crate) engine: &'a cel::Env,
}

/// Translates `e` into the subset, or names the first node outside it.
pub(crate) fn compile(e: &IdedExpr, env: &CompileEnv<'_>) -> Result<Node, Unsupported> {
    compile_in(e, env, &mut Vec::new())
}

fn compile_in<'e>(
    e: &'e IdedExpr,
    env: &CompileEnv<'_>,
    scopes: &mut Scopes<'e>,
) -> Result<Node, Unsupported> {
    match &e.expr {
        Expr::Literal(l) => Ok(Node::Scalar(scalar(l)?)),
        Expr::List(l) => {
            if !l.optional_indices.is_empty() {
                return Err("optional list element");
            }
            let mut items: Vec<Box<dyn Val>> = Vec::with_capacity(l.elements.len());
            for x in &l.elements {
                match &x.expr {
                    Expr::Literal(LiteralValue::Bytes(_)) => return Err("bytes literal"),
                    Expr::Literal(lit) => items.push(lit.to_val().into_owned()),
                    _ => return Err("list of computed elements"),
                }
            }
            Ok(Node::Const(Box::new(CelList::from(items))))
        }
        Expr::Ident(name) => Ok(match local(scopes, name) {
            Some(n) => n,
            None if name.starts_with('.') => return Err("absolute name"),
            None => Node::Var(name.as_str().into()),
        }),
        Expr::Select(s) => {
            if s.test {
                let operand = chain(&s.operand, env, scopes)?;
                Ok(Node::Has(Box::new(operand), s.field.as_str().into()))
            } else {
                chain(e, env, scopes)
            }
        }
        Expr::Call(c) => call(c, env, scopes),
        Expr::Comprehension(c) => fold(c, env, scopes),
        Expr::Map(_) => Err("map literal"),
        Expr::Struct(_) => Err("struct literal"),
        Expr::Unspecified => Err("unspecified"),
    }
}

fn scalar(l: &LiteralValue) -> Result<Scalar, Unsupported> {
    Ok(match l {
        LiteralValue::Boolean(b) => Scalar::Bool(*b.inner()),
        LiteralValue::Int(i) => Scalar::Int(*i.inner()),
        LiteralValue::UInt(u) => Scalar::UInt(*u.inner()),
        LiteralValue::Double(d) => Scalar::Double(*d.inner()),
        LiteralValue::String(s) => Scalar::Str(s.inner().into()),
        LiteralValue::Null => Scalar::Null,
        LiteralValue::Bytes(_) => return Err("bytes literal"),
    })
}

/// The comprehension variable `name`, if one is in scope (the innermost
/// binding wins, and in a comprehension the element over the accumulator,
/// as the engine binds the element last).
fn local(scopes: &Scopes<'_>, name: &str) -> Option<Node> {
    scopes
        .iter()
        .rev()
        .enumerate()
        .find_map(|(up, (iter, accu))| {
            if *iter == name {
                Some(Node::Local { up, accu: false })
            } else if *accu == name {
                Some(Node::Local { up, accu: true })
            } else {
                None
            }
        })
}

/// A chain of selections `e` (or any other expression): as the engine
/// reads one, a chain rooted at a name that is no comprehension variable is
/// a qualified name, resolved to the longest variable it starts with.
fn chain<'e>(
    e: &'e IdedExpr,
    env: &CompileEnv<'_>,
    scopes: &mut Scopes<'e>,
) -> Result<Node, Unsupported> {
    let mut fields = Vec::new();
    let mut root = e;
    while let Expr::Select(s) = &root.expr {
        if s.test {
            break;
        }
        fields.push(s.field.as_str());
        root = &s.operand;
    }
    fields.reverse();
    let mut node = match &root.expr {
        Expr::Ident(name) if local(scopes, name).is_none() && !fields.is_empty() => {
            if name.starts_with('.') {
                return Err("absolute name");
            }
            let mut spelled = name.clone();
            let mut names = vec![(name.as_str().into(), 0)];
            for (i, f) in fields.iter().enumerate() {
                spelled.push('.');
                spelled.push_str(f);
                names.push((spelled.as_str().into(), i + 1));
            }
            names.reverse();
            let whole_is_type = env.engine.types().find_type(&spelled).is_some();
            return Ok(Node::Qualified(Box::new(Qualified {
                names,
                fields: fields.iter().map(|f| (*f).into()).collect(),
                whole_is_type,
            })));
        }
        _ => compile_in(root, env, scopes)?,
    };
    for f in fields {
        node = Node::Select(Box::new(node), f.into());
    }
    Ok(node)
}

fn pair<'e>(
    a: &'e IdedExpr,
    b: &'e IdedExpr,
    env: &CompileEnv<'_>,
    scopes: &mut Scopes<'e>,
) -> Result<Box<[Node; 2]>, Unsupported> {
    Ok(Box::new([
        compile_in(a, env, scopes)?,
        compile_in(b, env, scopes)?,
    ]))
}

fn call<'e>(
    c: &'e CallExpr,
    env: &CompileEnv<'_>,
    scopes: &mut Scopes<'e>,
) -> Result<Node, Unsupported> {
    let args = c.args.as_slice();
    if let Some(target) = c.target.as_deref() {
        // A receiver that spells a qualified name may name a function with
        // the method (`optional.of`): only a namespace can.
        if spells_namespace(target) {
            return Err("namespaced function");
        }
        return match (c.func_name.as_str(), args) {
            (name @ ("orValue" | crate::k8s::OR_VALUE), [d]) => Ok(Node::OrValue {
                operands: pair(target, d, env, scopes)?,
                lists_too: name == crate::k8s::OR_VALUE,
            }),
            ("hasValue", []) => Ok(Node::HasValue(Box::new(compile_in(target, env, scopes)?))),
            ("size", []) => Ok(Node::Size(Box::new(compile_in(target, env, scopes)?))),
            ("startsWith", [x]) => Ok(Node::Text(
                TextTest::StartsWith,
                pair(target, x, env, scopes)?,
            )),
            ("endsWith", [x]) => Ok(Node::Text(
                TextTest::EndsWith,
                pair(target, x, env, scopes)?,
            )),
            ("contains", [x]) => Ok(Node::Text(
                TextTest::Contains,
                pair(target, x, env, scopes)?,
            )),
            _ => Err("method"),
        };
    }
    match (c.func_name.as_str(), args) {
        (operators::CONDITIONAL, [cond, a, b]) => match &cond.expr {
            // `true ? x : null`, how `crate::direct` marks a variable whose
            // fields are selected from its value.
            Expr::Literal(LiteralValue::Boolean(t)) => {
                compile_in(if *t.inner() { a } else { b }, env, scopes)
            }
            _ => {
                // `x ? false : true`, how `crate::direct` writes `!x`.
                if let (
                    Expr::Literal(LiteralValue::Boolean(f)),
                    Expr::Literal(LiteralValue::Boolean(t)),
                ) = (&a.expr, &b.expr)
                {
                    if !*f.inner() && *t.inner() {
                        return Ok(Node::Not(Box::new(compile_in(cond, env, scopes)?)));
                    }
                }
                Ok(Node::Cond(Box::new([
                    compile_in(cond, env, scopes)?,
                    compile_in(a, env, scopes)?,
                    compile_in(b, env, scopes)?,
                ])))
            }
        },
        (operators::LOGICAL_AND, [a, b]) => Ok(Node::And(pair(a, b, env, scopes)?)),
        (operators::LOGICAL_OR, [a, b]) => Ok(Node::Or(pair(a, b, env, scopes)?)),
        (operators::LOGICAL_NOT, [a]) => Ok(Node::Not(Box::new(compile_in(a, env, scopes)?))),
        (operators::NOT_STRICTLY_FALSE, [a]) => Ok(Node::NotStrictlyFalse(Box::new(compile_in(
            a, env, scopes,
        )?))),
        (operators::OPT_SELECT, [operand, field]) => match &field.expr {
            Expr::Literal(LiteralValue::String(f)) => Ok(Node::OptSelect(
                Box::new(compile_in(operand, env, scopes)?),
                f.inner().into(),
            )),
            _ => Err("optional selection"),
        },
        (name, [a, b]) => {
            use crate::shared_map::{equality_function, Equality};
            let op = match name {
                operators::EQUALS => Binary::Compare(Comparison::Eq),
                operators::NOT_EQUALS => Binary::Compare(Comparison::Ne),
                operators::LESS => Binary::Compare(Comparison::Lt),
                operators::LESS_EQUALS => Binary::Compare(Comparison::Le),
                operators::GREATER => Binary::Compare(Comparison::Gt),
                operators::GREATER_EQUALS => Binary::Compare(Comparison::Ge),
                operators::IN => Binary::In,
                operators::ADD => Binary::Add,
                operators::INDEX => Binary::Index,
                _ => match equality_function(name) {
                    Some(Equality::Equals) => Binary::Compare(Comparison::Eq),
                    Some(Equality::NotEquals) => Binary::Compare(Comparison::Ne),
                    Some(Equality::In) => Binary::In,
                    None => return Err("function"),
                },
            };
            let operands = pair(a, b, env, scopes)?;
            Ok(match op {
                Binary::Compare(k) => Node::Compare(k, operands),
                Binary::In => Node::In(operands),
                Binary::Add => Node::Add(operands),
                Binary::Index => Node::Index(operands),
            })
        }
        ("size", [a]) => Ok(Node::Size(Box::new(compile_in(a, env, scopes)?))),
        _ => Err("function"),
    }
}

/// Whether `e` is a name or a chain of selections from a name in a
/// function namespace.
fn spells_namespace(e: &IdedExpr) -> bool {
    let mut root = e;
    while let Expr::Select(s) = &root.expr {
        root = &s.operand;
    }
    match &root.expr {
        Expr::Ident(name) => {
            let name = name.trim_start_matches('.');
            crate::check::NAMESPACES.contains(&name)
                || crate::kyverno_libs::NAMESPACES.contains(&name)
        }
        _ => false,
    }
}

fn fold<'e>(
    c: &'e ComprehensionExpr,
    env: &CompileEnv<'_>,
    scopes: &mut Scopes<'e>,
) -> Result<Node, Unsupported> {
    if c.iter_var2.is_some() {
        return Err("two-variable comprehension");
    }
    if c.iter_var == c.accu_var {
        return Err("comprehension variables alike");
    }
    let range = compile_in(&c.iter_range, env, scopes)?;
    let init = compile_in(&c.accu_init, env, scopes)?;
    scopes.push((c.iter_var.as_str(), c.accu_var.as_str()));
    let inner = loop_parts(c, env, scopes);
    scopes.pop();
    let (cond, step, result) = inner?;
    Ok(Node::Fold(Box::new(Fold {
        range,
        init,
        cond,
        step,
        result,
    })))
}

/// The condition, step and result of `c`, its variables in scope.
fn loop_parts<'e>(
    c: &'e ComprehensionExpr,
    env: &CompileEnv<'_>,
    scopes: &mut Scopes<'e>,
) -> Result<(Node, Node, Node), Unsupported> {
    Ok((
        compile_in(&c.loop_cond, env, scopes)?,
        compile_in(&c.loop_step, env, scopes)?,
        compile_in(&c.result, env, scopes)?,
    ))
}

/// The variables of the comprehensions being evaluated, innermost first.
struct Frame<'f, 'a> {
    /// The element, once the loop has bound one.
    iter: Option<V<'a>>,
    accu: V<'a>,
    up: Option<&'f Frame<'f, 'a>>,
}

/// The value of a fast evaluation, ready to hand to the engine's side.
pub(crate) struct Value<'a>(V<'a>);

/// Evaluates `node` on `activation`; `None` when the fast evaluation gives
/// up.
pub(crate) fn evaluate<'a>(node: &'a Node, activation: &'a Activation) -> Option<Value<'a>> {
    eval(node, activation, None).map(Value)
}

impl Value<'_> {
    /// The value converted to be bound ([`crate::Shared`]): what
    /// [`Value::hand`] then [`crate::shared::from_val`] give, without the
    /// copy of joined lists that `hand` makes first.
    pub(crate) fn share(self) -> Result<crate::shared::Bound, crate::EvalError> {
        match self.0 {
            V::Concat(parts) => {
                // The elements of a list are converted one level down.
                let items = parts
                    .iter()
                    .flat_map(|p| p.iter())
                    .map(|x| crate::shared::from_val(x.as_ref(), 1))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(crate::shared::list(items.into_iter()))
            }
            v => Value(v).hand(|x| crate::shared::from_val(x, 0)),
        }
    }

    /// Hands the value, in the engine's form, to `take`.
    pub(crate) fn hand<T>(self, take: impl FnOnce(&dyn Val) -> T) -> T {
        match self.0 {
            V::Null => take(&CelNull),
            V::Bool(b) => take(&CelBool::from(b)),
            V::Int(i) => take(&CelInt::from(i)),
            V::UInt(u) => take(&CelUInt::from(u)),
            V::Double(d) => take(&CelDouble::from(d)),
            V::Str(s) => take(&CelString::from(s)),
            V::Ref(v) => take(v),
            V::Concat(parts) => {
                let items: Vec<Box<dyn Val + '_>> = parts
                    .iter()
                    .flat_map(|p| p.iter().map(|x| x.clone_as_boxed()))
                    .collect();
                take(&CelList::from(items))
            }
            // As the engine builds an optional: holding a copy.
            V::Opt(o) => {
                take(&o.map_or_else(CelOptional::none, |v| CelOptional::of(v.clone_as_boxed())))
            }
        }
    }
}

/// `v` as a [`V`]: scalars by value.
fn of<'a>(v: &'a (dyn Val + 'a)) -> V<'a> {
    let scalar = match v.get_type().kind() {
        Kind::Boolean => v.downcast_ref::<CelBool>().map(|b| V::Bool(*b.inner())),
        Kind::Int => v.downcast_ref::<CelInt>().map(|i| V::Int(*i.inner())),
        Kind::UInt => v.downcast_ref::<CelUInt>().map(|u| V::UInt(*u.inner())),
        Kind::Double => v.downcast_ref::<CelDouble>().map(|d| V::Double(*d.inner())),
        Kind::String => v.downcast_ref::<CelString>().map(|s| V::Str(s.inner())),
        Kind::NullType => v.downcast_ref::<CelNull>().map(|_| V::Null),
        _ => None,
    };
    scalar.unwrap_or(V::Ref(v))
}

fn eval<'a>(node: &'a Node, act: &'a Activation, frame: Option<&Frame<'_, 'a>>) -> Fast<'a> {
    match node {
        Node::Scalar(s) => Some(match s {
            Scalar::Null => V::Null,
            Scalar::Bool(b) => V::Bool(*b),
            Scalar::Int(i) => V::Int(*i),
            Scalar::UInt(u) => V::UInt(*u),
            Scalar::Double(d) => V::Double(*d),
            Scalar::Str(s) => V::Str(s),
        }),
        Node::Const(v) => Some(V::Ref(v.as_ref())),
        Node::Var(name) => act.lookup(name).map(of),
        Node::Qualified(q) => qualified(q, act),
        Node::Local { up, accu } => {
            let mut f = frame?;
            for _ in 0..*up {
                f = f.up?;
            }
            if *accu {
                Some(f.accu.clone())
            } else {
                f.iter.clone()
            }
        }
        Node::Select(operand, field) => select(eval(operand, act, frame)?, field),
        Node::Has(operand, field) => match eval(operand, act, frame)? {
            V::Ref(v) => has(v, field).map(V::Bool),
            V::Opt(None) => Some(V::Bool(false)),
            V::Opt(Some(v)) => has(v, field).map(V::Bool),
            _ => None,
        },
        Node::OptSelect(operand, field) => match eval(operand, act, frame)? {
            V::Opt(None) => Some(V::Opt(None)),
            V::Opt(Some(v)) | V::Ref(v) => optional_field(v, field),
            _ => None,
        },
        Node::OrValue {
            operands: n,
            lists_too,
        } => {
            // The engine evaluates a method's arguments before its
            // receiver, whatever the receiver holds.
            let default = eval(&n[1], act, frame)?;
            match eval(&n[0], act, frame)? {
                V::Opt(Some(v)) => Some(of(v)),
                V::Opt(None) => Some(default),
                V::Concat(parts) if *lists_too => Some(V::Concat(parts)),
                V::Ref(r)
                    if *lists_too && matches!(r.get_type().kind(), Kind::List | Kind::Map) =>
                {
                    Some(V::Ref(r))
                }
                _ => None,
            }
        }
        Node::HasValue(n) => match eval(n, act, frame)? {
            V::Opt(o) => Some(V::Bool(o.is_some())),
            _ => None,
        },
        Node::Not(n) => match eval(n, act, frame)? {
            V::Bool(b) => Some(V::Bool(!b)),
            _ => None,
        },
        Node::NotStrictlyFalse(n) => match eval(n, act, frame)? {
            V::Bool(b) => Some(V::Bool(b)),
            _ => Some(V::Bool(true)),
        },
        // An operand that is no bool (or an error) may still be absorbed
        // by the other one: the engine decides those.
        Node::And(n) => match eval(&n[0], act, frame)? {
            V::Bool(false) => Some(V::Bool(false)),
            V::Bool(true) => match eval(&n[1], act, frame)? {
                V::Bool(b) => Some(V::Bool(b)),
                _ => None,
            },
            _ => None,
        },
        Node::Or(n) => match eval(&n[0], act, frame)? {
            V::Bool(true) => Some(V::Bool(true)),
            V::Bool(false) => match eval(&n[1], act, frame)? {
                V::Bool(b) => Some(V::Bool(b)),
                _ => None,
            },
            _ => None,
        },
        Node::Cond(n) => match eval(&n[0], act, frame)? {
            V::Bool(true) => eval(&n[1], act, frame),
            V::Bool(false) => eval(&n[2], act, frame),
            _ => None,
        },
        Node::Compare(k, n) => {
            let a = eval(&n[0], act, frame)?;
            let b = eval(&n[1], act, frame)?;
            compare(*k, &a, &b).map(V::Bool)
        }
        Node::In(n) => {
            let x = eval(&n[0], act, frame)?;
            let c = eval(&n[1], act, frame)?;
            contains(&c, &x).map(V::Bool)
        }
        Node::Add(n) => add(eval(&n[0], act, frame)?, eval(&n[1], act, frame)?),
        Node::Index(n) => index(eval(&n[0], act, frame)?, eval(&n[1], act, frame)?),
        Node::Size(n) => size(&eval(n, act, frame)?).map(V::Int),
        Node::Text(t, n) => {
            let (V::Str(s), V::Str(x)) = (eval(&n[0], act, frame)?, eval(&n[1], act, frame)?)
            else {
                return None;
            };
            Some(V::Bool(match t {
                TextTest::StartsWith => s.starts_with(x),
                TextTest::EndsWith => s.ends_with(x),
                TextTest::Contains => s.contains(x),
            }))
        }
        Node::Fold(f) => fold_eval(f, act, frame),
    }
}

fn qualified<'a>(q: &'a Qualified, act: &'a Activation) -> Fast<'a> {
    let mut found = None;
    for (i, (name, spelled)) in q.names.iter().enumerate() {
        if let Some(v) = act.lookup(name) {
            found = Some((v, *spelled));
            break;
        }
        // A type of the whole name comes before shorter variables.
        if i == 0 && q.whole_is_type {
            return None;
        }
    }
    let (v, spelled) = found?;
    let mut v = of(v);
    for f in &q.fields[spelled..] {
        v = select(v, f)?;
    }
    Some(v)
}

/// The map entry `key` of `v` borrowed: `Some(None)` when `v` is a map
/// without it; `None` when `v` is not a map the evaluation knows, or the
/// engine would give an owned value.
fn entry<'a>(v: &'a (dyn Val + 'a), key: &str) -> Option<Option<&'a (dyn Val + 'a)>> {
    if let Some(m) = v.downcast_ref::<SharedMap>() {
        return Some(m.find(key));
    }
    if v.get_type().kind() != Kind::Map {
        return None;
    }
    match v.as_indexer()?.get(&CelString::from(key)) {
        Ok(CowVal::Borrowed(x)) => Some(Some(x)),
        Ok(CowVal::Owned(_)) => None,
        Err(ExecutionError::NoSuchKey(_)) => Some(None),
        Err(_) => None,
    }
}

fn select<'a>(v: V<'a>, field: &str) -> Fast<'a> {
    match v {
        V::Ref(m) => entry(m, field)?.map(of),
        V::Opt(None) => Some(V::Opt(None)),
        V::Opt(Some(m)) => Some(V::Opt(entry(m, field)?)),
        _ => None,
    }
}

fn has(v: &(dyn Val + '_), field: &str) -> Option<bool> {
    entry(v, field).map(|e| e.is_some())
}

fn optional_field<'a>(v: &'a (dyn Val + 'a), field: &str) -> Fast<'a> {
    Some(V::Opt(entry(v, field)?))
}

/// The scalars of the same kind `a` and `b` compared; `None` for anything
/// else (the engine compares numbers across kinds, and errors on
/// containers and on NaN orderings).
fn compare(k: Comparison, a: &V<'_>, b: &V<'_>) -> Option<bool> {
    use std::cmp::Ordering;
    let order: Option<Ordering> = match (a, b) {
        (V::Int(x), V::Int(y)) => Some(x.cmp(y)),
        (V::UInt(x), V::UInt(y)) => Some(x.cmp(y)),
        (V::Str(x), V::Str(y)) => Some(x.cmp(y)),
        (V::Double(x), V::Double(y)) => {
            return match k {
                // NaN equals nothing, itself included, as the engine has it.
                Comparison::Eq => Some(x == y),
                Comparison::Ne => Some(x != y),
                _ => x.partial_cmp(y).map(|o| ordered(k, o)),
            };
        }
        (V::Bool(x), V::Bool(y)) => match k {
            Comparison::Eq => return Some(x == y),
            Comparison::Ne => return Some(x != y),
            _ => None,
        },
        (V::Null, V::Null) => match k {
            Comparison::Eq => return Some(true),
            Comparison::Ne => return Some(false),
            _ => None,
        },
        _ => None,
    };
    order.map(|o| ordered(k, o))
}

fn ordered(k: Comparison, o: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering;
    match k {
        Comparison::Eq => o == Ordering::Equal,
        Comparison::Ne => o != Ordering::Equal,
        Comparison::Lt => o == Ordering::Less,
        Comparison::Le => o != Ordering::Greater,
        Comparison::Gt => o == Ordering::Greater,
        Comparison::Ge => o != Ordering::Less,
    }
}

/// Appends the lists `v` holds to `parts`; `None` when it is no list.
fn append<'a>(parts: &mut Vec<&'a [Box<dyn Val + 'a>]>, v: V<'a>) -> Option<()> {
    match v {
        V::Ref(r) => parts.push(r.downcast_ref::<CelList>()?.inner()),
        V::Concat(more) => parts.extend(more),
        _ => return None,
    }
    Some(())
}

/// Calls `f` on each element of the list `v`, until it returns `Some`;
/// `None` when `v` is no list.
fn each_item<'a, R>(
    v: &V<'a>,
    mut f: impl FnMut(&'a (dyn Val + 'a)) -> Option<R>,
) -> Option<Option<R>> {
    let one;
    let parts: &[&'a [Box<dyn Val + 'a>]] = match v {
        V::Ref(r) => {
            one = [r.downcast_ref::<CelList>()?.inner()];
            &one
        }
        V::Concat(parts) => parts,
        _ => return None,
    };
    for p in parts {
        for x in p.iter() {
            if let Some(r) = f(x.as_ref()) {
                return Some(Some(r));
            }
        }
    }
    Some(None)
}

/// `x in c`: a scalar in a list of scalars of its kind, or a string key in
/// a map of string keys.
fn contains(c: &V<'_>, x: &V<'_>) -> Option<bool> {
    if let (V::Ref(r), V::Str(key)) = (c, x) {
        if let Some(m) = r.downcast_ref::<SharedMap>() {
            return Some(m.find(key).is_some());
        }
    }
    if !matches!(
        x,
        V::Null | V::Bool(_) | V::Int(_) | V::UInt(_) | V::Double(_) | V::Str(_)
    ) {
        return None;
    }
    // An element of another kind (or a container) may equal `x` in the
    // engine's eyes (`1 == 1u`) or not: it decides.
    let found = each_item(c, |item| match compare(Comparison::Eq, &of(item), x) {
        Some(true) => Some(Some(())),
        Some(false) => None,
        None => Some(None),
    })?;
    match found {
        Some(Some(())) => Some(true),
        Some(None) => None,
        None => Some(false),
    }
}

fn add<'a>(a: V<'a>, b: V<'a>) -> Fast<'a> {
    match (&a, &b) {
        (V::Int(x), V::Int(y)) => x.checked_add(*y).map(V::Int),
        (V::UInt(x), V::UInt(y)) => x.checked_add(*y).map(V::UInt),
        (V::Double(x), V::Double(y)) => Some(V::Double(x + y)),
        _ => {
            let mut parts = match a {
                V::Concat(parts) => parts,
                a => {
                    let mut parts = Vec::with_capacity(4);
                    append(&mut parts, a)?;
                    parts
                }
            };
            append(&mut parts, b)?;
            Some(V::Concat(parts))
        }
    }
}

/// `c[i]`: an element of a list within its bounds, or a map's entry.
fn index<'a>(c: V<'a>, i: V<'a>) -> Fast<'a> {
    let position = match i {
        V::Int(i) => usize::try_from(i).ok()?,
        V::UInt(u) => usize::try_from(u).ok()?,
        V::Str(key) => {
            return match c {
                V::Ref(m) => entry(m, key)?.map(of),
                _ => None,
            }
        }
        _ => return None,
    };
    let mut left = position;
    each_item(&c, |item| {
        if left == 0 {
            return Some(item);
        }
        left -= 1;
        None
    })?
    .map(of)
}

fn size(v: &V<'_>) -> Option<i64> {
    let n = match v {
        V::Str(s) => s.chars().count(),
        V::Ref(r) => {
            if let Some(m) = r.downcast_ref::<SharedMap>() {
                m.len()
            } else {
                r.downcast_ref::<CelList>()?.inner().len()
            }
        }
        V::Concat(parts) => parts.iter().map(|p| p.len()).sum(),
        _ => return None,
    };
    i64::try_from(n).ok()
}

fn fold_eval<'a>(f: &'a Fold, act: &'a Activation, up: Option<&Frame<'_, 'a>>) -> Fast<'a> {
    // The engine evaluates the accumulator's start first.
    let accu = eval(&f.init, act, up)?;
    let range = eval(&f.range, act, up)?;
    let mut frame = Frame {
        iter: None,
        accu,
        up,
    };
    let step = |item: V<'a>, frame: &mut Frame<'_, 'a>| -> Option<bool> {
        match eval(&f.cond, act, Some(frame))? {
            V::Bool(true) => {}
            V::Bool(false) => return Some(false),
            _ => return None,
        }
        frame.iter = Some(item);
        frame.accu = eval(&f.step, act, Some(frame))?;
        Some(true)
    };
    match &range {
        V::Ref(r) if r.downcast_ref::<SharedMap>().is_some() => {
            let m = r.downcast_ref::<SharedMap>()?;
            for (k, _) in m.entries() {
                if !step(V::Str(k), &mut frame)? {
                    break;
                }
            }
        }
        _ => {
            // `Some(Some(()))` stops: the condition failed (`Ok`) or the
            // evaluation gave up (`Err`).
            let stopped = each_item(&range, |item| match step(of(item), &mut frame) {
                Some(true) => None,
                Some(false) => Some(true),
                None => Some(false),
            })?;
            if stopped == Some(false) {
                return None;
            }
        }
    }
    eval(&f.result, act, Some(&frame))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::{Activation, Env, Program};

    /// Whether the direct evaluator gives a value for `expr` (rather than
    /// leaving it to the engine).
    fn direct(expr: &str, act: &Activation) -> bool {
        let env = Env::new().variable("object").variable("variables");
        let program = Program::compile(expr, &env).expect("compiles");
        let node = program.fast.as_ref().expect("in the subset");
        super::evaluate(node, act).is_some()
    }

    #[test]
    fn the_common_path_is_evaluated_directly() {
        let mut act = Activation::new();
        act.bind_json(
            "object",
            &json!({"spec": {"containers": [
                {"name": "a", "securityContext": {"runAsUser": 1}},
                {"name": "b", "ports": [{"hostPort": 0}]}
            ]}}),
        );
        act.bind_field(
            "variables",
            "allowed",
            &crate::Shared::from_json(&json!(["a", "b"])),
        );
        for expr in [
            "object.spec.containers.all(c, c.?ports.orValue([]).all(p, p.?hostPort.orValue(0) == 0))",
            "object.spec.containers.all(c, !has(c.securityContext) || c.securityContext.runAsUser > 0)",
            "object.spec.containers.exists_one(c, c.name in variables.allowed)",
            "object.spec.containers + object.spec.?initContainers.orValue([])",
            "size(object.spec.containers) == 2 && object.spec.containers[0].name == 'a' || true",
            "cel.bind(c, object.spec.containers, c.exists(x, x.name.startsWith('b')))",
        ] {
            assert!(direct(expr, &act), "{expr}");
        }
        // Errors, and what may absorb them, are the engine's.
        for expr in [
            "object.spec.missing",
            "object.spec.containers.all(c, c.securityContext.runAsUser > 0)",
            "object.spec.containers.size() == 2u",
        ] {
            assert!(!direct(expr, &act), "{expr}");
        }
    }
}
