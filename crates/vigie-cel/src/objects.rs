//! Object literals of Kubernetes' mutating CEL: `Object{spec: Object.spec{...}}`
//! and `JSONPatch{op: ..., path: ..., value: ...}`.
//!
//! The API server types these literals against the schema of the mutated
//! kind; the result is then serialised to JSON and merged. vigie has no
//! schemas, so when an [`Env`](crate::Env) asks for it
//! ([`Env::object_literals`](crate::Env::object_literals)) every struct
//! literal is read as the map of its fields (the type name only says where
//! in the object the value goes, which its position already says). Optional
//! fields (`?name: optional`) keep their meaning: absent when the optional
//! is empty.

use cel::common::ast::{
    EntryExpr, Expr, IdedEntryExpr, IdedExpr, LiteralValue, MapEntryExpr, MapExpr, StructFieldExpr,
};

/// Rewrites every struct literal under `root` into a map literal with
/// string keys; the new key nodes get ids above every id in the tree.
pub(crate) fn struct_literals_to_maps(root: &mut IdedExpr) {
    let mut next = crate::check::max_id(root) + 1;
    to_maps(root, &mut next);
}

fn to_maps(e: &mut IdedExpr, next: &mut u64) {
    match &mut e.expr {
        Expr::Struct(s) => {
            let entries = std::mem::take(&mut s.entries)
                .into_iter()
                .map(|entry| match entry.expr {
                    EntryExpr::StructField(StructFieldExpr {
                        field,
                        mut value,
                        optional,
                    }) => {
                        to_maps(&mut value, next);
                        IdedEntryExpr {
                            id: entry.id,
                            expr: EntryExpr::MapEntry(MapEntryExpr {
                                key: IdedExpr {
                                    id: fresh(next),
                                    expr: Expr::Literal(LiteralValue::String(field.into())),
                                },
                                value,
                                optional,
                            }),
                        }
                    }
                    EntryExpr::MapEntry(mut m) => {
                        to_maps(&mut m.key, next);
                        to_maps(&mut m.value, next);
                        IdedEntryExpr {
                            id: entry.id,
                            expr: EntryExpr::MapEntry(m),
                        }
                    }
                })
                .collect();
            e.expr = Expr::Map(MapExpr { entries });
        }
        _ => for_each_child_mut(e, &mut |child| to_maps(child, next)),
    }
}

/// Rewrites every call `f(args)` of a global function named in `receivers`
/// (function, variable) into the method call `variable.f(args)`; the new
/// identifier nodes get ids above every id in the tree.
pub(crate) fn calls_to_methods(root: &mut IdedExpr, receivers: &[(String, String)]) {
    let mut next = crate::check::max_id(root) + 1;
    to_methods(root, receivers, &mut next);
}

fn to_methods(e: &mut IdedExpr, receivers: &[(String, String)], next: &mut u64) {
    for_each_child_mut(e, &mut |child| to_methods(child, receivers, next));
    if let Expr::Call(c) = &mut e.expr {
        if c.target.is_none() {
            if let Some((_, variable)) = receivers.iter().find(|(f, _)| *f == c.func_name) {
                c.target = Some(Box::new(IdedExpr {
                    id: fresh(next),
                    expr: Expr::Ident(variable.clone()),
                }));
            }
        }
    }
}

/// Calls `f` on each direct child of `e` (operands, arguments, elements,
/// entries' keys and values, a comprehension's parts): the one traversal the
/// rewrites above share.
pub(crate) fn for_each_child_mut(e: &mut IdedExpr, f: &mut dyn FnMut(&mut IdedExpr)) {
    match &mut e.expr {
        Expr::Select(s) => f(&mut s.operand),
        Expr::Call(c) => {
            if let Some(t) = c.target.as_deref_mut() {
                f(t);
            }
            c.args.iter_mut().for_each(&mut *f);
        }
        Expr::List(l) => l.elements.iter_mut().for_each(&mut *f),
        Expr::Map(MapExpr { entries })
        | Expr::Struct(cel::common::ast::StructExpr { entries, .. }) => {
            for entry in entries {
                match &mut entry.expr {
                    EntryExpr::MapEntry(me) => {
                        f(&mut me.key);
                        f(&mut me.value);
                    }
                    EntryExpr::StructField(field) => f(&mut field.value),
                }
            }
        }
        Expr::Comprehension(c) => {
            for x in [
                &mut c.iter_range,
                &mut c.accu_init,
                &mut c.loop_cond,
                &mut c.loop_step,
                &mut c.result,
            ] {
                f(x);
            }
        }
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
    }
}

fn fresh(next: &mut u64) -> u64 {
    let id = *next;
    *next += 1;
    id
}

#[cfg(test)]
mod tests {
    use crate::{to_json, Activation, Env, Program};
    use serde_json::json;

    fn eval(expr: &str, env: &Env) -> serde_json::Value {
        let mut act = Activation::new();
        act.bind_json("object", &json!({"spec": {"containers": [{"name": "a"}]}}));
        let program = Program::compile(expr, env).expect("compiles");
        to_json(&program.eval(&act).expect("evaluates")).expect("has a JSON form")
    }

    #[test]
    fn struct_literals_are_maps_of_their_fields() {
        let env = Env::new().variable("object").object_literals();
        let cases = [
            (
                "Object{metadata: Object.metadata{labels: {'a/b': 'c'}}}",
                json!({"metadata": {"labels": {"a/b": "c"}}}),
            ),
            (
                "Object{spec: Object.spec{containers: object.spec.containers.map(c, \
                 Object.spec.containers{name: c.name, image: 'x'})}}",
                json!({"spec": {"containers": [{"name": "a", "image": "x"}]}}),
            ),
            (
                "[JSONPatch{op: 'add', path: '/metadata/labels/' + \
                 jsonpatch.escapeKey('a/b'), value: 'c'}]",
                json!([{"op": "add", "path": "/metadata/labels/a~1b", "value": "c"}]),
            ),
            (
                "Object{?spec: optional.none(), kind: 'Pod'}",
                json!({"kind": "Pod"}),
            ),
        ];
        for (expr, want) in cases {
            assert_eq!(eval(expr, &env), want, "{expr}");
        }
    }

    #[test]
    fn global_calls_are_found_but_not_methods() {
        let env = Env::new().variable("object");
        let p = Program::compile(
            "image(object.a).registry() == 'x' && object.b.size() > 0",
            &env,
        )
        .expect("compiles");
        assert!(p.calls_function("image"));
        assert!(!p.calls_function("registry"));
        assert!(!p.calls_function("size"));
    }

    #[test]
    fn without_the_option_struct_literals_name_unknown_types() {
        let env = Env::new().variable("object");
        let program = Program::compile("Object{kind: 'Pod'}", &env).expect("compiles");
        assert!(program.eval(&Activation::new()).is_err());
    }
}
