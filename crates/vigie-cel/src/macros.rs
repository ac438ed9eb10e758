//! Macros the engine does not ship, expanded at parse time into plain
//! comprehensions so the interpreter needs nothing new.

use cel::common::ast::{
    operators, CallExpr, ComprehensionExpr, EntryExpr, Expr, IdedExpr, ListExpr, LiteralValue,
    MapExpr,
};
use cel::common::types::{
    CelBool, CelInt, CelMap, CelMapKey, CelString, CelUInt, DYN_TYPE, MAP_TYPE,
};
use cel::common::value::CowVal;
use cel::parser::{Macro, MacroExprHelper, ParseError};
use cel::{DeclarationError, Env, ExecutionError};

/// The internal function `transformMap` builds its result with: a copy of
/// the map with one more entry. Its name cannot be written in CEL text.
const MAP_INSERT: &str = "@mapInsert";

/// Registers the functions the macros below expand into.
pub(crate) fn register_functions(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_overload(
        MAP_INSERT,
        "map_insert",
        vec![MAP_TYPE, DYN_TYPE, DYN_TYPE],
        map_insert,
    )
}

fn map_insert<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let [map, key, value]: [CowVal<'b, 'v>; 3] = args
        .try_into()
        .map_err(|a: Vec<_>| ExecutionError::invalid_argument_count(3, a.len()))?;
    let Some(m) = map.downcast_ref::<CelMap>() else {
        return Err(ExecutionError::function_error(MAP_INSERT, "not a map"));
    };
    let k: CelMapKey<'static> = if let Some(s) = key.downcast_ref::<CelString>() {
        CelMapKey::from(s.inner().to_string())
    } else if let Some(i) = key.downcast_ref::<CelInt>() {
        CelMapKey::from(*i.inner())
    } else if let Some(u) = key.downcast_ref::<CelUInt>() {
        CelMapKey::from(*u.inner())
    } else if let Some(b) = key.downcast_ref::<CelBool>() {
        CelMapKey::from(*b.inner())
    } else {
        return Err(ExecutionError::function_error(
            "transformMap",
            format!("unsupported key type {}", key.get_type().name()),
        ));
    };
    let mut entries = m.inner().clone();
    entries.insert(k, value.into_owned());
    Ok(CowVal::owned(CelMap::from(entries)))
}

/// `cel.block([e0, e1, ...], result)`, `cel.index(i)`, `cel.iterVar(d, i)`
/// and `cel.accuVar(d, i)`: the common-subexpression form that CEL
/// optimizers emit. `cel.index(i)` names slot `i`, which may use the slots
/// before it; the block expands into nested bindings (as `cel.bind`), and
/// the three name macros into reserved identifiers no CEL text can spell.
pub(crate) fn block() -> Vec<Macro> {
    let is_cel = |target: &Option<IdedExpr>| matches!(target.as_ref().map(|t| &t.expr), Some(Expr::Ident(n)) if n == "cel");
    let int_arg = |e: &IdedExpr| match &e.expr {
        Expr::Literal(LiteralValue::Int(i)) if i.inner() >= &0 => Some(*i.inner()),
        _ => None,
    };
    let mut macros = vec![
        Macro::receiver("block", 2, move |helper, target, args| {
            if !is_cel(target) {
                return Ok(None);
            }
            let result = args.remove(1);
            let slots = match args.remove(0) {
                IdedExpr {
                    expr: Expr::List(l),
                    ..
                } if l.optional_indices.is_empty() => l.elements,
                other => {
                    return Err(helper
                        .new_error(other.id, "cel.block: first argument must be a list literal"))
                }
            };
            let mut body = result;
            for (i, init) in slots.into_iter().enumerate().rev() {
                body = binding(helper, format!("@index{i}"), init, body);
            }
            Ok(Some(body))
        }),
        Macro::receiver("index", 1, move |helper, target, args| {
            if !is_cel(target) {
                return Ok(None);
            }
            match int_arg(&args[0]) {
                Some(i) => Ok(Some(ident(helper, &format!("@index{i}")))),
                None => Err(helper.new_error(args[0].id, "cel.index: expected an int literal")),
            }
        }),
    ];
    // The comprehension variables: `@it:d:i` and `@ac:d:i`.
    for (name, prefix) in [("iterVar", "@it"), ("accuVar", "@ac")] {
        macros.push(Macro::receiver(name, 2, move |helper, target, args| {
            if !is_cel(target) {
                return Ok(None);
            }
            match (int_arg(&args[0]), int_arg(&args[1])) {
                (Some(d), Some(i)) => Ok(Some(ident(helper, &format!("{prefix}:{d}:{i}")))),
                _ => {
                    Err(helper.new_error(args[0].id, format!("cel.{name}: expected int literals")))
                }
            }
        }));
    }
    macros
}

/// `body` with `name` bound to `init`: a comprehension over an empty list
/// whose accumulator is the binding.
fn binding(
    helper: &mut MacroExprHelper<'_>,
    name: String,
    init: IdedExpr,
    body: IdedExpr,
) -> IdedExpr {
    let empty = helper.next_expr(Expr::List(ListExpr::new(Vec::new())));
    let cond = helper.next_expr(Expr::Literal(LiteralValue::Boolean(false.into())));
    let step = helper.next_expr(Expr::Ident(name.clone()));
    helper.next_expr(Expr::Comprehension(Box::new(ComprehensionExpr {
        iter_range: empty,
        iter_var: "#unused".to_string(),
        iter_var2: None,
        accu_var: name,
        accu_init: init,
        loop_cond: cond,
        loop_step: step,
        result: body,
    })))
}

/// `cel.bind(name, init, body)`: `body` with `name` bound to `init`, as a
/// comprehension over an empty list whose accumulator is the binding.
pub(crate) fn bind() -> Macro {
    Macro::receiver("bind", 3, |helper, target, args| {
        let is_cel = matches!(target.as_ref().map(|t| &t.expr), Some(Expr::Ident(n)) if n == "cel");
        if !is_cel {
            return Ok(None);
        }
        let body = args.remove(2);
        let init = args.remove(1);
        let name = match args.remove(0) {
            IdedExpr {
                expr: Expr::Ident(n),
                ..
            } => n,
            other => {
                return Err(
                    helper.new_error(other.id, "cel.bind: first argument must be a simple name")
                )
            }
        };
        Ok(Some(binding(helper, name, init, body)))
    })
}

/// What a two-variable macro computes.
#[derive(Clone, Copy)]
enum TwoVar {
    All,
    Exists,
    ExistsOne,
    /// `transformList(i, v, [filter,] expr)`.
    TransformList,
    /// `transformMap(k, v, [filter,] expr)`: a map from each key to `expr`.
    TransformMap,
}

/// The two-variable comprehensions of CEL's macro library (as Kubernetes
/// enables them): `all(i, v, p)`, `exists(i, v, p)`, `existsOne(i, v, p)`,
/// `transformList(i, v, [filter,] e)`. For a list `i` is the index and `v`
/// the element; for a map, the key and the value.
///
/// The engine iterates one variable only, so the expansion binds the target
/// once (as `cel.bind` does), iterates its keys (a map) or
/// `lists.range(size(t))` (a list), and reads `v` as `t[i]`.
pub(crate) fn two_variable() -> Vec<Macro> {
    let mut out = Vec::new();
    for (name, kind, arities) in [
        ("all", TwoVar::All, &[3usize][..]),
        ("exists", TwoVar::Exists, &[3]),
        ("existsOne", TwoVar::ExistsOne, &[3]),
        ("exists_one", TwoVar::ExistsOne, &[3]),
        ("transformList", TwoVar::TransformList, &[3, 4]),
        ("transformMap", TwoVar::TransformMap, &[3, 4]),
    ] {
        for &n in arities {
            out.push(Macro::receiver(name, n, move |helper, target, args| {
                expand_two_var(helper, target, args, kind)
            }));
        }
    }
    out
}

fn call(helper: &mut MacroExprHelper<'_>, name: &str, args: Vec<IdedExpr>) -> IdedExpr {
    helper.next_expr(Expr::Call(CallExpr {
        func_name: name.to_string(),
        target: None,
        args,
    }))
}

fn ident(helper: &mut MacroExprHelper<'_>, name: &str) -> IdedExpr {
    helper.next_expr(Expr::Ident(name.to_string()))
}

fn expand_two_var(
    helper: &mut MacroExprHelper<'_>,
    target: &mut Option<IdedExpr>,
    args: &mut Vec<IdedExpr>,
    kind: TwoVar,
) -> Result<Option<IdedExpr>, ParseError> {
    let Some(t) = target.take() else {
        return Ok(None);
    };
    let name_of = |e: &IdedExpr| match &e.expr {
        Expr::Ident(n) => Some(n.clone()),
        _ => None,
    };
    let (Some(i), Some(v)) = (name_of(&args[0]), name_of(&args[1])) else {
        let id = args[0].id;
        *target = Some(t);
        return Err(helper.new_error(id, "argument must be a simple name"));
    };
    if i == v {
        return Err(helper.new_error(args[1].id, "the two variables must differ"));
    }
    let bound = format!("@target{}", t.id);
    // v -> bound[i] in the remaining arguments.
    let mut rest: Vec<IdedExpr> = args.drain(2..).collect();
    for e in &mut rest {
        substitute(e, &v, &i, &bound, helper);
    }
    let result_var = "@result".to_string();
    let (init, cond, step, result) = match kind {
        TwoVar::All | TwoVar::Exists => {
            let all = matches!(kind, TwoVar::All);
            let init = helper.next_expr(Expr::Literal(LiteralValue::Boolean(all.into())));
            let acc = ident(helper, &result_var);
            let cond_arg = if all {
                acc
            } else {
                call(helper, operators::LOGICAL_NOT, vec![acc])
            };
            let cond = call(helper, operators::NOT_STRICTLY_FALSE, vec![cond_arg]);
            let acc = ident(helper, &result_var);
            let op = if all {
                operators::LOGICAL_AND
            } else {
                operators::LOGICAL_OR
            };
            let step = call(helper, op, vec![acc, rest.remove(0)]);
            (init, cond, step, ident(helper, &result_var))
        }
        TwoVar::ExistsOne => {
            let init = helper.next_expr(Expr::Literal(LiteralValue::Int(0.into())));
            let cond = helper.next_expr(Expr::Literal(LiteralValue::Boolean(true.into())));
            let acc = ident(helper, &result_var);
            let one = helper.next_expr(Expr::Literal(LiteralValue::Int(1.into())));
            let plus = call(helper, operators::ADD, vec![acc, one]);
            let acc = ident(helper, &result_var);
            let step = call(
                helper,
                operators::CONDITIONAL,
                vec![rest.remove(0), plus, acc],
            );
            let acc = ident(helper, &result_var);
            let one = helper.next_expr(Expr::Literal(LiteralValue::Int(1.into())));
            let result = call(helper, operators::EQUALS, vec![acc, one]);
            (init, cond, step, result)
        }
        TwoVar::TransformList | TwoVar::TransformMap => {
            let list = matches!(kind, TwoVar::TransformList);
            let init = if list {
                helper.next_expr(Expr::List(ListExpr::new(Vec::new())))
            } else {
                helper.next_expr(Expr::Map(MapExpr {
                    entries: Vec::new(),
                }))
            };
            let cond = helper.next_expr(Expr::Literal(LiteralValue::Boolean(true.into())));
            let value = rest.pop().expect("arity 3 or 4");
            let acc = ident(helper, &result_var);
            let append = if list {
                let single = helper.next_expr(Expr::List(ListExpr::new(vec![value])));
                call(helper, operators::ADD, vec![acc, single])
            } else {
                let key = ident(helper, &i);
                call(helper, MAP_INSERT, vec![acc, key, value])
            };
            let step = match rest.pop() {
                Some(filter) => {
                    let acc = ident(helper, &result_var);
                    call(helper, operators::CONDITIONAL, vec![filter, append, acc])
                }
                None => append,
            };
            (init, cond, step, ident(helper, &result_var))
        }
    };
    // type(@t) == map ? @t : lists.range(size(@t))
    let tt = ident(helper, &bound);
    let type_of = call(helper, "type", vec![tt]);
    let map_type = ident(helper, "map");
    let is_map = call(helper, operators::EQUALS, vec![type_of, map_type]);
    let tt = ident(helper, &bound);
    let tt2 = ident(helper, &bound);
    let size = call(helper, "size", vec![tt2]);
    let range = call(helper, "lists.range", vec![size]);
    let keys = call(helper, operators::CONDITIONAL, vec![is_map, tt, range]);
    let inner = helper.next_expr(Expr::Comprehension(Box::new(ComprehensionExpr {
        iter_range: keys,
        iter_var: i,
        iter_var2: None,
        accu_var: result_var,
        accu_init: init,
        loop_cond: cond,
        loop_step: step,
        result,
    })));
    let empty = helper.next_expr(Expr::List(ListExpr::new(Vec::new())));
    let never = helper.next_expr(Expr::Literal(LiteralValue::Boolean(false.into())));
    let keep = ident(helper, &bound);
    Ok(Some(helper.next_expr(Expr::Comprehension(Box::new(
        ComprehensionExpr {
            iter_range: empty,
            iter_var: "#unused".to_string(),
            iter_var2: None,
            accu_var: bound,
            accu_init: t,
            loop_cond: never,
            loop_step: keep,
            result: inner,
        },
    )))))
}

/// Replaces the free occurrences of `v` in `e` with `bound[i]`; a nested
/// comprehension that binds `v` (or `i`) again shadows it.
fn substitute(e: &mut IdedExpr, v: &str, i: &str, bound: &str, helper: &mut MacroExprHelper<'_>) {
    match &mut e.expr {
        Expr::Ident(n) if n == v => {
            let b = ident(helper, bound);
            let k = ident(helper, i);
            e.expr = Expr::Call(CallExpr {
                func_name: operators::INDEX.to_string(),
                target: None,
                args: vec![b, k],
            });
        }
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
        Expr::Select(s) => substitute(&mut s.operand, v, i, bound, helper),
        Expr::Call(c) => {
            if let Some(t) = c.target.as_deref_mut() {
                substitute(t, v, i, bound, helper);
            }
            for a in &mut c.args {
                substitute(a, v, i, bound, helper);
            }
        }
        Expr::List(l) => l
            .elements
            .iter_mut()
            .for_each(|x| substitute(x, v, i, bound, helper)),
        Expr::Map(m) => m
            .entries
            .iter_mut()
            .for_each(|en| substitute_entry(&mut en.expr, v, i, bound, helper)),
        Expr::Struct(s) => s
            .entries
            .iter_mut()
            .for_each(|en| substitute_entry(&mut en.expr, v, i, bound, helper)),
        Expr::Comprehension(c) => {
            substitute(&mut c.iter_range, v, i, bound, helper);
            substitute(&mut c.accu_init, v, i, bound, helper);
            let rebinds =
                |n: &str| c.iter_var == n || c.accu_var == n || c.iter_var2.as_deref() == Some(n);
            if !rebinds(v) && !rebinds(i) {
                substitute(&mut c.loop_cond, v, i, bound, helper);
                substitute(&mut c.loop_step, v, i, bound, helper);
            }
            if c.accu_var != v && c.accu_var != i {
                substitute(&mut c.result, v, i, bound, helper);
            }
        }
    }
}

fn substitute_entry(
    e: &mut EntryExpr,
    v: &str,
    i: &str,
    bound: &str,
    helper: &mut MacroExprHelper<'_>,
) {
    match e {
        EntryExpr::MapEntry(me) => {
            substitute(&mut me.key, v, i, bound, helper);
            substitute(&mut me.value, v, i, bound, helper);
        }
        EntryExpr::StructField(f) => substitute(&mut f.value, v, i, bound, helper),
    }
}
