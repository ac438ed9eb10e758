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
        Expr::Select(s) => to_maps(&mut s.operand, next),
        Expr::Call(c) => {
            if let Some(t) = c.target.as_deref_mut() {
                to_maps(t, next);
            }
            for a in &mut c.args {
                to_maps(a, next);
            }
        }
        Expr::List(l) => {
            for x in &mut l.elements {
                to_maps(x, next);
            }
        }
        Expr::Map(m) => {
            for entry in &mut m.entries {
                match &mut entry.expr {
                    EntryExpr::MapEntry(me) => {
                        to_maps(&mut me.key, next);
                        to_maps(&mut me.value, next);
                    }
                    EntryExpr::StructField(f) => to_maps(&mut f.value, next),
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
                to_maps(x, next);
            }
        }
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
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
    match &mut e.expr {
        Expr::Call(c) => {
            if let Some(t) = c.target.as_deref_mut() {
                to_methods(t, receivers, next);
            }
            for a in &mut c.args {
                to_methods(a, receivers, next);
            }
            if c.target.is_none() {
                if let Some((_, variable)) = receivers.iter().find(|(f, _)| *f == c.func_name) {
                    c.target = Some(Box::new(IdedExpr {
                        id: fresh(next),
                        expr: Expr::Ident(variable.clone()),
                    }));
                }
            }
        }
        Expr::Select(s) => to_methods(&mut s.operand, receivers, next),
        Expr::List(l) => {
            for x in &mut l.elements {
                to_methods(x, receivers, next);
            }
        }
        Expr::Map(m) => {
            for entry in &mut m.entries {
                match &mut entry.expr {
                    EntryExpr::MapEntry(me) => {
                        to_methods(&mut me.key, receivers, next);
                        to_methods(&mut me.value, receivers, next);
                    }
                    EntryExpr::StructField(f) => to_methods(&mut f.value, receivers, next),
                }
            }
        }
        Expr::Struct(s) => {
            for entry in &mut s.entries {
                match &mut entry.expr {
                    EntryExpr::MapEntry(me) => {
                        to_methods(&mut me.key, receivers, next);
                        to_methods(&mut me.value, receivers, next);
                    }
                    EntryExpr::StructField(f) => to_methods(&mut f.value, receivers, next),
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
                to_methods(x, receivers, next);
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
