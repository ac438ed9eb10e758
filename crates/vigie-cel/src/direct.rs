//! Forms of a compiled expression that the engine evaluates in fewer steps,
//! with the same values and the same errors: the tree a program runs (never
//! the one it is checked and costed on).
//!
//! - **Field selections start from their variable.** The engine reads
//!   `object.spec.containers` as a qualified name: it joins the segments and
//!   looks up `object.spec.containers`, then `object.spec`, then `object`,
//!   as variables of every scope (and the whole name as a type), before
//!   selecting the fields that are left. Measured on the Pod Security CEL
//!   policies, that search was 18% of the instructions
//!   (bench/policy/README.md). When no name longer than the root can be a
//!   variable or a type, the root is wrapped in `true ? root : null`, which
//!   the engine evaluates as an identifier, and each field is then selected
//!   from the value, as the engine did after its search.
//! - **`!x` on a boolean operand is `x ? false : true`.** The engine builds
//!   its "no such overload" error (formatting the operand's type) before it
//!   knows whether it needs it, on every negation; a conditional does not.
//!   Only operands that cannot give anything but a bool or an error are
//!   rewritten (`has()`, comparisons, `&&`, `||`, `!`, `in`, `all` and
//!   `exists`), so the errors are the same: an operand's error goes through
//!   either form unchanged.

use cel::common::ast::{operators, CallExpr, ComprehensionExpr, Expr, IdedExpr, LiteralValue};

use crate::check::NAMESPACES;

/// The name whose fields an [`crate::Activation`] binds one at a time and
/// resolves as dotted names (`variables.x`, without building the map): kept
/// as the engine reads it.
const FIELD_MAP: &str = "variables";

/// What decides whether a name is a variable of the expression.
pub(crate) struct Names<'a> {
    /// The declared variables.
    pub(crate) declared: &'a std::collections::BTreeSet<String>,
    /// The engine, for its type names.
    pub(crate) engine: &'a cel::Env,
}

/// Rewrites `e` as the module says; whether anything changed.
pub(crate) fn rewrite(e: &mut IdedExpr, names: &Names<'_>) -> bool {
    let mut bound = Vec::new();
    walk(e, names, &mut bound)
}

fn walk(e: &mut IdedExpr, names: &Names<'_>, bound: &mut Vec<String>) -> bool {
    match &mut e.expr {
        Expr::Select(_) => select_chain(e, names, bound, false),
        Expr::Call(c) => {
            let mut changed = false;
            if let Some(t) = c.target.as_deref_mut() {
                changed |= match t.expr {
                    Expr::Select(_) => select_chain(t, names, bound, true),
                    _ => walk(t, names, bound),
                };
            }
            for a in &mut c.args {
                changed |= walk(a, names, bound);
            }
            if c.target.is_none()
                && c.func_name == operators::LOGICAL_NOT
                && c.args.len() == 1
                && is_bool(&c.args[0])
            {
                let operand = c.args.remove(0);
                c.func_name = operators::CONDITIONAL.to_string();
                c.args = vec![
                    operand,
                    literal(e.id, LiteralValue::Boolean(false.into())),
                    literal(e.id, LiteralValue::Boolean(true.into())),
                ];
                changed = true;
            }
            changed
        }
        Expr::Comprehension(c) => {
            let mut changed = walk(&mut c.iter_range, names, bound);
            changed |= walk(&mut c.accu_init, names, bound);
            let depth = bound.len();
            bound.push(c.accu_var.clone());
            bound.push(c.iter_var.clone());
            bound.extend(c.iter_var2.clone());
            for x in [&mut c.loop_cond, &mut c.loop_step, &mut c.result] {
                changed |= walk(x, names, bound);
            }
            bound.truncate(depth);
            changed
        }
        _ => {
            let mut changed = false;
            crate::objects::for_each_child_mut(e, &mut |child| {
                changed |= walk(child, names, bound);
            });
            changed
        }
    }
}

/// Rewrites the chain of selections `e` (a method call's receiver when
/// `receiver`): its root variable wrapped when eligible, and whatever else
/// the chain starts from walked.
fn select_chain(
    e: &mut IdedExpr,
    names: &Names<'_>,
    bound: &mut Vec<String>,
    receiver: bool,
) -> bool {
    // The fields from the root out, to check the names they spell, read
    // first; then the root reached again, to change it.
    let mut fields = Vec::new();
    let mut start = &*e;
    while let Expr::Select(s) = &start.expr {
        fields.push(s.field.clone());
        start = &s.operand;
    }
    let rewrite_root = match &start.expr {
        Expr::Ident(name) => eligible(name, &fields, names, bound, receiver),
        _ => false,
    };
    let is_ident = matches!(start.expr, Expr::Ident(_));
    let mut root = e;
    for _ in 0..fields.len() {
        root = match &mut root.expr {
            Expr::Select(s) => &mut s.operand,
            _ => return false,
        };
    }
    if !is_ident {
        return walk(root, names, bound);
    }
    if !rewrite_root {
        return false;
    }
    let id = root.id;
    let ident = std::mem::replace(&mut root.expr, Expr::Unspecified);
    root.expr = Expr::Call(CallExpr {
        func_name: operators::CONDITIONAL.to_string(),
        target: None,
        args: vec![
            literal(id, LiteralValue::Boolean(true.into())),
            IdedExpr { id, expr: ident },
            literal(id, LiteralValue::Null),
        ],
    });
    true
}

/// Whether the chain `name.fields...` (fields innermost last) can only be
/// the variable `name` with fields selected from it: no longer name is a
/// variable (comprehension variables and vigie's bound names have no dots,
/// except [`FIELD_MAP`]'s fields and dotted declared variables) or a type,
/// and, for a method call's receiver, `name` is no function namespace (the
/// engine would call `name.fields.method` if it were a function).
fn eligible(
    name: &str,
    fields: &[String],
    names: &Names<'_>,
    bound: &[String],
    receiver: bool,
) -> bool {
    let variable = bound.iter().any(|b| b == name)
        || (names.declared.contains(name)
            && name != FIELD_MAP
            && !names
                .declared
                .iter()
                .any(|d| d.strip_prefix(name).is_some_and(|r| r.starts_with('.'))));
    if !variable || name.starts_with('.') || (receiver && NAMESPACES.contains(&name)) {
        return false;
    }
    let mut spelled = name.to_string();
    fields.iter().rev().all(|f| {
        spelled.push('.');
        spelled.push_str(f);
        names.engine.types().find_type(&spelled).is_none()
    })
}

fn literal(id: u64, value: LiteralValue) -> IdedExpr {
    IdedExpr {
        id,
        expr: Expr::Literal(value),
    }
}

/// Whether `e` can evaluate to nothing but a bool or an error.
fn is_bool(e: &IdedExpr) -> bool {
    match &e.expr {
        Expr::Literal(LiteralValue::Boolean(_)) => true,
        Expr::Select(s) => s.test,
        Expr::Call(c) if c.target.is_none() => match (c.func_name.as_str(), c.args.len()) {
            (operators::LOGICAL_NOT | operators::NOT_STRICTLY_FALSE, 1) => true,
            (
                operators::LOGICAL_AND
                | operators::LOGICAL_OR
                | operators::EQUALS
                | operators::NOT_EQUALS
                | operators::LESS
                | operators::LESS_EQUALS
                | operators::GREATER
                | operators::GREATER_EQUALS
                | operators::IN,
                2,
            ) => true,
            (operators::CONDITIONAL, 3) => is_bool(&c.args[1]) && is_bool(&c.args[2]),
            (name, 2) => crate::shared_map::is_bool_function(name),
            _ => false,
        },
        // `all`, `exists` (a bool folded with `&&` or `||`), `exists_one`
        // (a comparison).
        Expr::Comprehension(c) => is_fold(c) || is_bool(&c.result),
        _ => false,
    }
}

/// `all`/`exists`: the accumulator starts as a bool, each step is `accu &&
/// x` or `accu || x`, and the result is the accumulator.
fn is_fold(c: &ComprehensionExpr) -> bool {
    let is_accu = |e: &IdedExpr| matches!(&e.expr, Expr::Ident(n) if *n == c.accu_var);
    matches!(c.accu_init.expr, Expr::Literal(LiteralValue::Boolean(_)))
        && is_accu(&c.result)
        && matches!(&c.loop_step.expr, Expr::Call(s)
            if s.target.is_none()
                && (s.func_name == operators::LOGICAL_AND || s.func_name == operators::LOGICAL_OR)
                && s.args.len() == 2
                && is_accu(&s.args[0]))
}
